"""Secrets rules (SEC001-SEC004) through the real scan, on files written to disk.

Every fabricated credential is assembled at run time from a seeded random
generator, so this file holds no token-shaped literal for a secret scanner
(ours, or a forge's push protection) to trip on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
from pathlib import Path

import pytest

from analyzer.core.config import Config
from analyzer.core.model import Finding, SourceFile
from analyzer.engines.detect_secrets_engine import scan_text
from analyzer.parsers.envfile import parse as parse_env
from analyzer.pipeline.scan import scan
from tests.conftest import write_tree

RNG = random.Random(20240611)
ALNUM = string.ascii_letters + string.digits
SEC_CODES = ("SEC001", "SEC002", "SEC003", "SEC004", "SEC005")
AUDIT = Config(profile="audit")  # SEC005 (a guess) is an audit rule: these tests ask for every lead


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def jwt(**claims: object) -> str:
    header = b64url({"alg": "HS256", "typ": "JWT"})
    return ".".join((header, b64url(claims), rand(43, ALNUM + "-_")))


def supabase_jwt(role: str) -> str:
    return jwt(iss="supabase", ref=rand(20, string.ascii_lowercase), role=role, iat=1718000000)


LOWER_HEX = "0123456789abcdef"

# One value per detect-secrets plugin (and ours), as a `name -> value` setting.
PLANTED: dict[str, str] = {
    "aws_key_id": "AKIA" + rand(16, string.ascii_uppercase + string.digits),
    "github": "gh" + "p_" + rand(36),
    "gitlab": "gl" + "pat-" + rand(20),
    "slack": "xo" + "xb-" + rand(12, string.digits) + "-" + rand(24, string.ascii_lowercase),
    "slack_hook": "https://hooks.slack.com/services/T" + rand(8) + "/B" + rand(8) + "/" + rand(24),
    "stripe": "sk_" + "live_" + rand(24),
    "twilio_api_key": "SK" + rand(32, LOWER_HEX),
    "sendgrid": "SG." + rand(22) + "." + rand(43),
    "openai": "sk-" + rand(20) + "T3Blbk" + "FJ" + rand(20),
    "pypi": "pypi-" + "AgEIcHlwaS5vcmc" + rand(72),
    "discord": "M" + rand(23) + "." + rand(6) + "." + rand(27),
    "telegram": rand(9, string.digits) + ":" + rand(35),
    "mailchimp": rand(32, LOWER_HEX) + "-us12",
    "square": "sq0" + "csp-" + rand(43),
    "azure": "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=" + rand(86) + "==",
    "jwt": jwt(sub="user-42", scope="calls:write", exp=2033576000),
    "entropy": rand(40, ALNUM + "+/"),
    "hex_token": rand(40, LOWER_HEX),
    "db_password": rand(18),
    "database_url": f"postgres://app:{rand(16)}@db.internal:5432/calls",
    "service_role": supabase_jwt("service_role"),
    "sb_secret": "sb_" + "secret_" + rand(22) + "_" + rand(8),
}
# What must never be reported.
PUBLIC = {
    "anon": supabase_jwt("anon"),
    "publishable": "sb_" + "publishable_" + rand(22) + "_" + rand(8),
}
PLACEHOLDERS = {
    "stripe_secret_key": "changeme",
    "api_key": "your-api-key-here",
    "db_password": "${DB_PASSWORD}",
    "jwt_secret": "<jwt secret>",
    "auth_token": "xxxxxxxxxxxxxxxxxxxxxxxx",
    "aws_access_key_id": "AKIA" + "IOSFODNN7EXAMPLE",
    "client_secret": "",
}


def render(kind: str, settings: dict[str, str]) -> tuple[str, str, dict[str, int]]:
    """(file name, text, line of each setting) for `settings` written in the style of `kind`."""
    head, line_of, body = [], {}, []
    fmt = {
        "py": ('API_BASE = "https://api.acme.io"', '{upper} = "{value}"'),
        "yaml": ("service:", "  {name}: {value}"),
        "Dockerfile": ("FROM python:3.12-slim", "ENV {upper}={value}"),
        ".env": ("APP_ENV=production", "{upper}={value}"),
        "json": ("{{", '  "{name}": "{value}",'),
        "toml": ("[service]", '{name} = "{value}"'),
        "js": ('import {{ api }} from "./api";', 'export const {upper} = "{value}";'),
    }[kind]
    head.append(fmt[0].replace("{{", "{").replace("}}", "}"))
    for i, (name, value) in enumerate(settings.items()):
        line_of[name] = len(head) + i + 1
        body.append(fmt[1].format(name=name, upper=name.upper(), value=value))
    tail = ['  "end": true', "}"] if kind == "json" else []
    filename = {
        "py": "app/settings.py",
        "yaml": "config/app.yaml",
        "Dockerfile": "Dockerfile",
        ".env": ".env",
        "json": "config/app.json",
        "toml": "config/app.toml",
        "js": "frontend/src/config.js",
    }[kind]
    return filename, "\n".join(head + body + tail) + "\n", line_of


def secret_findings(root: Path) -> list[Finding]:
    return [f for f in scan(root, AUDIT).findings if f.code in SEC_CODES]


def credential_findings(root: Path) -> list[Finding]:
    """Findings of every credential rule (DATA-5): SEC001 yields its line to a more specific
    rule of another domain (a Dockerfile `ENV` secret, a compose literal password)."""
    result = scan(root, AUDIT)
    return [f for f in result.findings if "DATA-5" in result.rules[f.code].checklist]


def assert_no_value_leaks(found: list[Finding], values: list[str]) -> None:
    for f in found:
        shown = f.message + f.anchor + repr(f)
        for value in values:
            assert value not in shown, f"{f.code} at {f.path}:{f.line} shows a raw value"


KINDS = ["py", "yaml", "Dockerfile", ".env", "json", "toml", "js"]


Planted = tuple[list[Finding], dict[str, dict[str, int]]]


@pytest.fixture(scope="module")
def planted_scan(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    root = tmp_path_factory.mktemp("planted")
    files, lines = {}, {}
    for kind in KINDS:
        name, text, line_of = render(kind, PLANTED)
        files[name] = text
        lines[name] = line_of
    write_tree(root, files)
    return credential_findings(root), lines


@pytest.mark.parametrize("kind", KINDS)
def test_every_planted_secret_is_found_in_every_file_kind(kind: str, planted_scan: Planted) -> None:
    found, lines = planted_scan
    name = render(kind, {})[0]
    reported = {f.line for f in found if f.path == name}
    missing = [s for s, line in lines[name].items() if line not in reported]
    assert not missing, f"{name}: not reported: {missing}"
    assert_no_value_leaks(found, list(PLANTED.values()))


def test_supabase_service_keys_are_their_own_rule(planted_scan: Planted) -> None:
    found, lines = planted_scan
    for name, line_of in lines.items():
        at = {f.line: f for f in found if f.path == name and f.code.startswith("SEC")}
        for key in ("service_role", "sb_secret"):
            assert at[line_of[key]].code == "SEC002", (name, key)
            assert "Supabase" in at[line_of[key]].message
        assert at[line_of["stripe"]].code in ("SEC001", "SEC003")


def test_anchor_is_the_sha256_of_the_value_and_messages_name_the_type(tmp_path: Path) -> None:
    key = PLANTED["aws_key_id"]
    write_tree(tmp_path, {"scripts/sync.sh": f'#!/bin/sh\nexport AWS_ACCESS_KEY_ID="{key}"\n'})
    (f,) = secret_findings(tmp_path)
    assert (f.code, f.line, f.column) == ("SEC001", 2, 27)
    assert f.anchor == hashlib.sha256(key.encode()).hexdigest()
    assert "AWS access key" in f.message and "AKIA… (20 chars)" in f.message


def test_one_finding_per_secret_and_line(tmp_path: Path) -> None:
    # KeywordDetector, StripeDetector and the base64 entropy plugin all report this value.
    stripe = PLANTED["stripe"]
    write_tree(tmp_path, {"app/pay.py": f'STRIPE_SECRET_KEY = "{stripe}"\n'})
    found = secret_findings(tmp_path)
    assert [(f.code, f.line) for f in found] == [("SEC001", 1)]
    assert "Stripe live key" in found[0].message


def test_two_secrets_on_one_line_are_two_findings(tmp_path: Path) -> None:
    a, b = PLANTED["github"], PLANTED["sendgrid"]
    write_tree(tmp_path, {"ci/tokens.py": f'TOKENS = ["{a}", "{b}"]\n'})
    assert len(secret_findings(tmp_path)) == 2


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("frontend/src/lib/supabase.ts", 'export const supabase = createClient(URL, "{v}");\n'),
        ("app/db.py", 'SUPABASE_KEY = "{v}"\n'),
        ("frontend/.env.production", "VITE_SUPABASE_ANON_KEY={v}\n"),
        ("k8s/config.yaml", "data:\n  supabase_key: {v}\n"),
    ],
)
@pytest.mark.parametrize("which", ["anon", "publishable"])
def test_public_supabase_keys_are_never_reported(
    tmp_path: Path, path: str, template: str, which: str
) -> None:
    write_tree(tmp_path, {path: template.format(v=PUBLIC[which])})
    assert secret_findings(tmp_path) == []


def test_placeholders_are_not_secrets(tmp_path: Path) -> None:
    files = {}
    for kind in KINDS:
        name, text, _ = render(kind, PLACEHOLDERS)
        files[name] = text
    files[".env.example"] = render(".env", PLACEHOLDERS)[1]
    write_tree(tmp_path, files)
    assert secret_findings(tmp_path) == []


def test_names_that_describe_a_secret_are_not_secrets(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "k8s/api.yaml": (
                "volumes:\n  - name: tls\n    secret:\n      secretName: api-tls-cert\n"
                "env:\n  - name: DB_PASSWORD_FILE\n    value: /run/secrets/db_password\n"
                "password_min_length: 12\npassword: true\n"
            ),
            ".github/workflows/ci.yml": (
                "jobs:\n  call:\n    uses: ./.github/workflows/x.yml\n    secrets: inherit\n"
            ),
            "app/settings.py": (
                'DB_PASSWORD = os.environ["DB_PASSWORD"]\n'
                'TWILIO_ACCOUNT_SID = "AC' + rand(32, LOWER_HEX) + '"\n'
                'DATABASE_URL = "postgresql://postgres:postgres@localhost:5432/calls"\n'
                'IMAGE_SHA = "' + rand(64, LOWER_HEX) + '"\n'
            ),
            "k8s/job.yaml": "env:\n  - name: GIT_COMMIT_SHA\n    value: "
            + rand(40, LOWER_HEX)
            + "\n",
        },
    )
    assert secret_findings(tmp_path) == []


def test_encrypted_values_codes_and_labels_are_not_secrets(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "k8s/sealed.yaml": (
                "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: api}\n"
                "spec:\n  encryptedData:\n    db-password: AgB" + rand(60, ALNUM + "+/") + "\n"
            ),
            "secrets.enc.yaml": "db_password: ENC[AES256_GCM,data:" + rand(24) + ",type:str]\n",
            "app/codes.py": 'PRIVATE_KEY = "SEC004"\nLABELS = {"Secret": "Square OAuth secret"}\n',
            "docs/urls.md": "Use `https://user:pass@host/db` with your own credentials.\n",
        },
    )
    assert secret_findings(tmp_path) == []


def test_compose_list_environment_reports_the_value_not_the_pair(tmp_path: Path) -> None:
    token = rand(32, LOWER_HEX)
    write_tree(
        tmp_path,
        {
            "config/worker.yaml": f"worker:\n  environment:\n    - TWILIO_AUTH_TOKEN={token}\n",
        },
    )
    (f,) = secret_findings(tmp_path)
    assert (f.line, f.column) == (3, 25)
    assert f.anchor == hashlib.sha256(token.encode()).hexdigest()


def test_committed_env_file_is_one_finding_naming_its_secret_variables(tmp_path: Path) -> None:
    token, pw = rand(32, LOWER_HEX), rand(16)
    write_tree(
        tmp_path,
        {
            ".env": (
                "# local\nexport LOG_LEVEL=info\n"
                f"DATABASE_URL=postgres://app:{pw}@db:5432/app\n"
                f"TWILIO_AUTH_TOKEN='{token}'\nEMPTY_SECRET=\n"
            ),
        },
    )
    found = secret_findings(tmp_path)
    env = [f for f in found if f.code == "SEC003"]
    assert [(f.path, f.line) for f in env] == [(".env", 3)]
    assert "2 secret values (`DATABASE_URL`, `TWILIO_AUTH_TOKEN`)" in env[0].message
    assert_no_value_leaks(found, [token, pw])


@pytest.mark.parametrize(
    "name", [".env.example", ".env.sample", ".env.template", "config/.env.dist"]
)
def test_env_templates_are_not_committed_env_files(tmp_path: Path, name: str) -> None:
    write_tree(tmp_path, {name: f"JWT_SECRET={rand(20)}\nDB_PASSWORD=changeme\n"})
    found = secret_findings(tmp_path)
    assert not [f for f in found if f.code == "SEC003"]
    assert [(f.code, f.line) for f in found] == [("SEC001", 1)]  # a real-looking value still is


def test_env_file_with_only_placeholders_and_settings_is_fine(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".env": "LOG_LEVEL=debug\nDATABASE_URL=postgres://app@db:5432/app\nSTRIPE_SECRET_KEY=\n"
            "JWT_SECRET=${JWT_SECRET}\nREDIS_PASSWORD=<set me>\nWORKERS=4\n",
            "deploy/prod.env": f"SUPABASE_ANON_KEY={PUBLIC['anon']}\n",
        },
    )
    assert secret_findings(tmp_path) == []


def test_env_parser_reads_export_quotes_comments_and_multiline_values() -> None:
    text = (
        "# comment\n\nexport A=1\nB = 'single # not a comment'\nC=\"x\\ny\" # c\n"
        'D=plain value # comment\nE="-----BEGIN\nbody\n-----END"\nnot a line\nF=`tick`\n'
    )
    env = parse_env(SourceFile(".env", "env", text))
    got = {v.name: (v.value, v.line) for v in env.variables}
    assert got == {
        "A": ("1", 3),
        "B": ("single # not a comment", 4),
        "C": ("x\ny", 5),
        "D": ("plain value", 6),
        "E": ("-----BEGIN\nbody\n-----END", 7),
        "F": ("tick", 11),
    }
    assert [line for line, _ in env.errors] == [10]
    assert "single" not in repr(env)  # values stay out of reprs


PEM_BODY = [rand(64, ALNUM + "+/") for _ in range(6)]


def pem(kind: str, body: str, indent: str = "") -> str:
    lines = [f"-----BEGIN {kind}PRIVATE KEY-----", body, f"-----END {kind}PRIVATE KEY-----"]
    return "\n".join(indent + x for x in lines)


@pytest.mark.parametrize(
    ("path", "text", "line"),
    [
        ("certs/server.key", pem("", "{body}") + "\n", 1),
        ("app/keys.py", 'KEY = """\n' + pem("RSA ", "{body}") + '\n"""\n', 2),
        ("config/app.yaml", "tls:\n  key: |\n" + pem("EC ", "{body}", "    ") + "\n", 3),
        ("config/key.json", '{{"key": "' + pem("", "{body}").replace("\n", "\\n") + '"}}', 1),
        ("deploy/id_deploy", pem("OPENSSH ", "{body}") + "\n", 1),
    ],
)
def test_private_keys_are_their_own_rule(tmp_path: Path, path: str, text: str, line: int) -> None:
    sep = "\\n" if path.endswith(".json") else "\n    " if path.endswith(".yaml") else "\n"
    write_tree(tmp_path, {path: text.format(body=sep.join(PEM_BODY))})
    found = secret_findings(tmp_path)
    assert [(f.code, f.line) for f in found if f.code == "SEC004"] == [("SEC004", line)]
    assert [f.code for f in found] == ["SEC004"]
    assert_no_value_leaks(found, PEM_BODY)


def test_key_headers_without_a_key_are_not_reported(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/pem.py": (
                'def is_key(pem):\n    return pem.startswith("-----BEGIN PRIVATE KEY-----")\n'
            ),
            "docs/tls.md": "    -----BEGIN PRIVATE KEY-----\n    ...\n    -----END PRIVATE KEY-----\n",
            "certs/ca.crt": (
                "-----BEGIN CERTIFICATE-----\n"
                + "\n".join(PEM_BODY)
                + "\n-----END CERTIFICATE-----\n"
            ),
        },
    )
    assert secret_findings(tmp_path) == []


def test_lock_files_and_minified_bundles_are_not_read_for_guesses(tmp_path: Path) -> None:
    """Their "entropy" is code and hashes: no high-entropy or keyword guess comes from them."""
    line = f'"password": "{rand(32)}", "h": "{rand(40, "0123456789abcdef")}"\n'
    write_tree(
        tmp_path,
        {
            "package-lock.json": line,
            "poetry.lock": line,
            "static/app.min.js": line,
            "frontend/pnpm-lock.yaml": line,
            "app/ok.json": line,
        },
    )
    assert {f.path for f in secret_findings(tmp_path)} == {"app/ok.json"}


def test_a_token_of_a_known_format_is_found_in_bundles_and_lock_files(tmp_path: Path) -> None:
    """A GitHub token in a minified bundle ships to every visitor: skipping the file for its
    entropy must not skip the token, however long the line around it."""
    code = "".join(f"var a{i}=function(b){{return b.c{i}}};" for i in range(20000))
    line = f'"token": "{PLANTED["github"]}"\n'
    write_tree(
        tmp_path,
        {
            "package-lock.json": line,
            "static/app.min.js": code + f'var k="{PLANTED["github"]}";' + code + "\n",
        },
    )
    found = {(f.path, f.line, f.column) for f in secret_findings(tmp_path)}
    assert found == {("package-lock.json", 1, 11), ("static/app.min.js", 1, len(code) + 8)}


def test_a_file_over_the_size_bound_is_still_searched_for_tokens(tmp_path: Path) -> None:
    code = "".join(f"var a{i}=function(b){{return b.c{i}}};" for i in range(5000))
    write_tree(tmp_path, {"dist/bundle.js": code + f'var k="{PLANTED["github"]}";\n'})
    result = scan(tmp_path, Config(max_file_bytes=50_000))
    codes = {(f.code, f.path) for f in result.findings}
    assert ("SEC001", "dist/bundle.js") in codes and ("PR001", "dist/bundle.js") in codes
    assert PLANTED["github"] not in json.dumps([f.message for f in result.findings])


def test_allowlist_pragma_of_detect_secrets_is_honoured(tmp_path: Path) -> None:
    line = f'TOKEN = "{PLANTED["github"]}"  # pragma: allowlist secret\n'
    write_tree(tmp_path, {"tests/fixture.py": line})
    assert secret_findings(tmp_path) == []


def test_the_pre_filter_never_changes_what_detect_secrets_finds() -> None:
    for kind in KINDS:
        name, text, _ = render(kind, {**PLANTED, **PUBLIC, **PLACEHOLDERS})
        text += "\n".join(
            [
                'x = "' + rand(30, ALNUM + "+/=-_") + '"',
                "AKC" + rand(12),
                "AP1" + rand(10),
                "//registry.npmjs.org/:_authToken=npm_" + rand(36),
                "plain words only here",
            ]
        )
        gated = [(h.line, h.secret_type, h.value) for h in scan_text(name, text, kind)]
        full = [(h.line, h.secret_type, h.value) for h in scan_text(name, text, kind, gate=False)]
        assert sorted(gated) == sorted(full), name
        assert gated


def test_a_secret_at_the_end_of_2_mb_of_text_is_found() -> None:
    """Its time is measured by bench/timings.py."""
    secret = PLANTED["stripe"]
    chunk = (
        "def handler(request):\n    user_id = request.path_params['user_id']\n"
        "    return {'status': 'ok', 'items': [1, 2, 3]}\n"
        "image: ghcr.io/acme/api:1.4.2\nLOG_LEVEL=info\n"
        "The quick brown fox jumps over the lazy dog, again and again.\n"
    )
    text = chunk * (2_000_000 // len(chunk)) + f'KEY = "{secret}"\n'
    hits = scan_text("big.py", text, "python")
    assert [h.secret_type for h in hits if h.value == secret]
