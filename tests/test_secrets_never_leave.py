"""No secret the scan reads ever leaves it: in no format, summary, baseline, note or log.

Distinct fabricated credentials of every kind our rules and detect-secrets
know are planted in every file kind (and in files that do not parse, where an
error message could quote the offending line). Every report format, the job
summary, the baseline file, stderr, `--debug` output and `--strict` output are
searched for each value and for every 12-character piece of it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from analyzer.cli import FORMATS
from tests.test_secrets import PLANTED, RNG, render  # seeded: no token-shaped literal here

KINDS = ["py", "yaml", "Dockerfile", ".env", "json", "toml", "js"]
WINDOW = 12  # a redaction shows at most 4 characters; 12 in a row is a leak

PEM_BODY = [
    "".join(
        RNG.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        for _ in range(64)
    )
    for _ in range(6)
]
PRIVATE_KEY = (
    "-----BEGIN RSA "
    + "PRIVATE KEY-----\n"
    + "\n".join(PEM_BODY)
    + "\n-----END RSA "
    + "PRIVATE KEY-----\n"
)
K8S_SECRET = "".join(RNG.choice("abcdefghijkmnopqrstuvwxyz23456789") for _ in range(24))
COMPOSE_PASSWORD = "".join(RNG.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(20))
REMOTE_TOKEN = (
    "gh" + "p_" + "".join(RNG.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(36))
)


def _files() -> dict[str, str]:
    files = {}
    for kind in KINDS:
        name, text, _ = render(kind, PLANTED)
        files[name] = text
    files.update(
        {
            "certs/server.key": PRIVATE_KEY,
            "k8s/secret.yaml": (
                "apiVersion: v1\nkind: Secret\nmetadata: {name: api}\ntype: Opaque\n"
                f"stringData:\n  DB_PASSWORD: {K8S_SECRET}\n"
            ),
            "k8s/api.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n"
                "    spec:\n      containers:\n        - name: api\n          image: acme/api:1.2\n"
                f"          env:\n            - name: STRIPE_SECRET_KEY\n              value: {PLANTED['stripe']}\n"
            ),
            "docker-compose.yml": (
                "services:\n  db:\n    image: postgres:16\n    environment:\n"
                f"      POSTGRES_PASSWORD: {COMPOSE_PASSWORD}\n"
                f"      DATABASE_URL: ${{DATABASE_URL:-{PLANTED['database_url']}}}\n"
            ),
            "scripts/deploy.sh": f"#!/bin/sh\nexport GITHUB_TOKEN={PLANTED['github']}\n",
            # files that do not parse: an error message must not quote the line it chokes on
            "worker/Dockerfile": f"FROM python:3.12\n{PLANTED['sendgrid']}\n{PLANTED['openai']} x\n",
            "svc/Dockerfile": (
                "FROM python:3.12\nRUN pip install celery==5.4.0\n"
                f'{PLANTED["stripe"]}\nUSER app\nCMD ["celery"]\n'
            ),
            "nginx/conf.d/api.conf": (
                f"server {{\n  listen 80;\n  {PLANTED['sendgrid']}\n  location / {{ return 200; }}\n}}\n"
            ),
            "supabase/migrations/001_roles.sql": (
                f"CREATE ROLE app LOGIN PASSWORD '{PLANTED['db_password']}' ((;\n"
                f"ALTER ROLE app WITH PASSWORD '{PLANTED['hex_token']}' WHERE ;\n"
            ),
            "k8s/broken.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
                f"data: {{TOKEN: {PLANTED['slack']}\n  : [\n"
            ),
            "app/broken.py": f"API_KEY = '{PLANTED['stripe']}\ndef (:\n",
            "app/suppressed.py": (
                f"TWILIO_KEY = '{PLANTED['twilio_api_key']}'  "
                "# prodready: ignore[SEC001] rotated test key\n"
            ),
        }
    )
    return files


def _secrets() -> list[str]:
    values = [v for v in PLANTED.values() if len(v) >= WINDOW]
    return [*values, *PEM_BODY, K8S_SECRET, COMPOSE_PASSWORD, REMOTE_TOKEN]


def _pieces(value: str) -> set[str]:
    """Every WINDOW-long piece of the value's secret part (public prefixes, hosts and JWT
    claims are alike for everyone and appear in the rules' documentation)."""
    parts = [value]
    if value.startswith("eyJ") and value.count(".") == 2:
        parts = value.split(".")[2:]  # header and claims are encoded JSON; the signature is the key
    elif "://" in value and "@" in value:
        parts = [value.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]]  # the password
    elif "AccountKey=" in value:
        parts = [value.split("AccountKey=", 1)[1]]
    elif value.startswith("https://hooks.slack.com/"):
        parts = [value.rsplit("/", 1)[1]]
    return {p[i : i + WINDOW] for p in parts for i in range(len(p) - WINDOW + 1)}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("planted")
    for rel, text in _files().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git = ["git", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True)
    # a remote URL with a token in it, as CI checkouts sometimes have: SARIF provenance reads it
    subprocess.run(
        [
            *git,
            "remote",
            "add",
            "origin",
            f"https://x-access-token:{REMOTE_TOKEN}@github.com/acme/api.git",
        ],
        check=True,
    )
    return root


def _outputs(
    repo: Path, tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    from analyzer.cli import main

    monkeypatch.chdir(repo)
    summary = tmp / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out: dict[str, str] = {}

    def run(label: str, *args: str | Path) -> int:
        capsys.readouterr()
        code = main([str(a) for a in args])
        stdout, stderr = capsys.readouterr()
        out[label] = stdout + "\n" + stderr
        return code

    for fmt in FORMATS:
        # every rule, audit ones included: no report of any finding may show a value
        assert run(fmt, "scan", ".", "--format", fmt, "--profile", "audit") == 1, out[fmt][-500:]
    out["summary"] = summary.read_text(encoding="utf-8")
    sarif = tmp / "also.sarif"
    run(
        "debug+strict",
        *("scan", ".", "--debug", "--strict", "--format", "json", "--sarif", sarif),
        *("--profile", "audit"),
    )
    out["sarif-file"] = sarif.read_text(encoding="utf-8")
    base = tmp / "baseline.json"
    assert run("baseline", "baseline", ".", "--output", base, "--profile", "audit") == 0
    out["baseline-file"] = base.read_text(encoding="utf-8")
    run(
        "hook",
        *("scan", "k8s/broken.yaml", "worker/Dockerfile", "app/broken.py", "--format", "text"),
        *("--profile", "audit"),
    )
    for rule in ("SEC001", "SEC004", "DF004"):
        run(f"explain {rule}", "explain", rule)
    return out


def test_no_secret_leaves_in_any_output(
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outputs = _outputs(repo, tmp_path, capsys, monkeypatch)
    doc = json.loads(outputs["json"].rsplit("\n", 2)[0])
    flagged = {f["path"] for f in doc["findings"]}
    assert set(_files()) - {"app/suppressed.py"} <= flagged | {"app/broken.py"}, (
        "every file is read"
    )
    notes = {f["path"] for f in doc["findings"] if f["code"] == "PR001"}
    assert {"worker/Dockerfile", "k8s/broken.yaml", "app/broken.py"} <= notes
    leaks = []
    for value in _secrets():
        pieces = _pieces(value)
        for label, text in outputs.items():
            hit = next((p for p in pieces if p in text), None)
            if hit is not None:
                leaks.append(f"{label}: {hit[:4]}… of a {len(value)}-char secret")
    assert not leaks, leaks
    assert len(outputs) >= len(FORMATS) + 5
