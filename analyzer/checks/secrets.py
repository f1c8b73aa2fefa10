"""Secrets rules (SEC001-SEC004): credentials committed in any text file.

Kept whole (about 550 lines): one classifier that every candidate passes through, in order;
splitting its filters apart would hide which one decides.

detect-secrets finds the candidates (analyzer.engines.detect_secrets_engine);
this module decides what each one is and reports it once:

- Supabase keys are told apart before anything else: a service-role JWT or an
  `sb_secret_` key bypasses row-level security (SEC002), while the anon JWT
  and `sb_publishable_` keys are public by design and never reported, even
  though detect-secrets' JWT and entropy plugins flag them.
- A private key block is SEC004 only when a key body follows its header, so
  code that merely mentions `-----BEGIN PRIVATE KEY-----` is not flagged.
- Every other candidate is SEC001 after the shared placeholder test
  (analyzer.core.secretvalues) and a few precision filters detect-secrets lacks
  (`secretName: tls`, `password_file: /run/...`, `sha256` digests, Twilio
  account SIDs, documentation keys like `AKIA...EXAMPLE`).
- Candidates of several plugins on the same span of a line (a Stripe key is
  also a high-entropy string) become one finding, the most specific.

Values are never shown: messages carry `redact(value)`, anchors a SHA-256.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from analyzer.checks.registry import ANY_TEXT, file_check
from analyzer.core.model import Finding, Severity, SourceFile
from analyzer.core.roles import is_dev_config, is_production, is_template_env
from analyzer.core.secretvalues import (
    is_placeholder,
    is_secret_name,
    literal_secret,
    redact,
    url_password,
)
from analyzer.engines import detect_secrets_engine as engine
from analyzer.parsers.envfile import EnvFile, EnvVar

HARDCODED = "SEC001"
SUPABASE_SERVICE = "SEC002"
ENV_FILE = "SEC003"
PRIVATE_KEY = "SEC004"
POSSIBLE = "SEC005"  # a guess from a name or randomness: its own rule, measured on its own

_SUPABASE_KEY = re.compile(r"(?<![A-Za-z0-9_])sb_(secret|publishable)_[A-Za-z0-9_\-]{16,}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]+\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
_PUBLIC_ROLES = frozenset({"anon"})

# Markers of documentation and test values inside otherwise token-shaped strings.
_FAKE = re.compile(
    r"x{5,}|example|placeholder|changeme|change_me|your[_-]|dummy|fake|redacted|0{10,}|\*{3,}|"
    r"<[a-z_-]+>|\.\.\.|change[-_ ]?(?:me|this|it)|change[-_ ]in[-_ ]prod|[-_]here$|tobemodified|"
    r"aqui$|^(?:demo|test|mock|sample)[-_]|^my[a-z]*(?:key|secret|token|password)$|^env[(:]|"
    r"1234567890|abcdef",
    re.IGNORECASE,
)
# Keys that are public by design: analytics project keys, publishable payment and Supabase keys.
_PUBLIC_PREFIXES = ("phc_", "pk_test_", "pk_live_", "sb_publishable_")
_FLAG_VALUE = re.compile(
    r"^(?:true|false|yes|no|on|off|none|null|nil|undefined|required|optional|string|str|text|"
    r"int|integer|bool|boolean|object|array|number|\d+(?:\.\d+)?[a-z]{0,2})$",
    re.IGNORECASE,
)
# Keys that say nothing about their value (`- name: X` / `value: …` pairs in manifests).
_GENERIC_KEYS = frozenset({"value", "default", "data", "string", "content"})
_SHORT_OK = frozenset({"Secret Keyword", "Basic Auth Credentials"})  # weak passwords are short
_TWILIO_SID = re.compile(r"^AC[0-9a-f]{32}$")
_ASSIGNED = re.compile(
    r"""([A-Za-z_][A-Za-z0-9_.\-]*)["'\]]*[ \t]*(?::[ \t]*[A-Za-z_][\w\[\], .|]*?[ \t]*)?"""
    r"""(?:=|:|=>|:=|==)[ \t]*(?:@?"|[bBrRuUfF]{0,2}['"`])?$"""
)
_AFTER_AT = re.compile(r"[^@\s]*@\[?([A-Za-z0-9_.\-:]+?)\]?(?::\d+)?(?:[/?#\s\"']|$)")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal"})
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
# `DB_PASSWORD`, `SEC004`: a variable name or a code, not a password (those mix cases).
_CONSTANT = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
# "Square OAuth secret": words and spaces only, a label rather than a passphrase.
_PROSE = re.compile(r"^[A-Za-z]+(?: [A-Za-z]+)+$")
# The stand-ins of documentation URLs (`https://user:pass@host`).
_DUMMY_WORDS = frozenset(
    {
        "pass",
        "pw",
        "pwd",
        "passwd",
        "user",
        "username",
        "foo",
        "bar",
        "baz",
        "xyz",
        "abc",
        "token",
        "key",
        "secret123",
        "password123",
    }
)
# Encrypted at rest, safe to commit: SOPS values and Bitnami SealedSecret data.
_ENCRYPTED = re.compile(r"^ENC\[[A-Z0-9_]+,")
_SEALED = re.compile(r"^kind:\s*SealedSecret\b", re.MULTILINE)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_KEYWORD_IN_NAME = re.compile(
    r"api_?key|auth_?key|service_?key|account_?key|db_?key|database_?key|priv_?key|private_?key|"
    r"client_?key|db_?pass|database_?pass|key_?pass|password|passwd|pwd|secret|contrase",
    re.IGNORECASE,
)
# The last word of a name that holds *about* a secret rather than the secret itself.
_META_WORDS = frozenset(
    {
        "annotation", "annotations", "name", "names", "ref", "reference", "file", "path", "dir", "id", "ids", "type",
        "length", "len", "field", "header", "policy", "namespace", "env", "var", "variable",
        "enabled", "mount", "provider", "manager", "store", "arn", "version", "count", "size",
        "hash", "prefix", "suffix", "label", "description", "help", "format", "regex",
        "pattern", "min", "max", "expiry", "expires", "ttl", "timeout", "rotation", "algorithm",
        "alg", "issuer", "audience", "secrets", "mode", "source", "template", "location", "uri",
        "keys", "required", "optional", "hint", "placeholder", "input",
    }
)  # fmt: skip
_HASH_WORDS = re.compile(
    r"sha|hash|digest|checksum|commit|integrity|etag|rev|fingerprint|uuid|guid|colou?r|nonce|"
    r"\balg\b",
    re.IGNORECASE,
)
_DIGEST_VALUE = re.compile(r"^(?:sha(?:1|224|256|384|512)|md5)[-:]", re.IGNORECASE)

_LABELS = {
    "AWS Access Key": "AWS access key",
    "Artifactory Credentials": "Artifactory credential",
    "Azure Storage Account access key": "Azure storage account key",
    "Basic Auth Credentials": "password in a URL",
    "Cloudant Credentials": "Cloudant credential",
    "Discord Bot Token": "Discord bot token",
    "GitHub Token": "GitHub token",
    "GitLab Token": "GitLab token",
    "Base64 High Entropy String": "high-entropy string",
    "Hex High Entropy String": "high-entropy hex string",
    "IBM Cloud IAM Key": "IBM Cloud IAM key",
    "IBM COS HMAC Credentials": "IBM COS HMAC credential",
    "JSON Web Token": "JSON web token",
    "Secret Keyword": "secret",
    "Mailchimp Access Key": "Mailchimp API key",
    "NPM tokens": "npm token",
    "OpenAI Token": "OpenAI API key",
    "PyPI Token": "PyPI token",
    "SendGrid API Key": "SendGrid API key",
    "Slack Token": "Slack token",
    "SoftLayer Credentials": "SoftLayer credential",
    "Square OAuth Secret": "Square OAuth secret",
    "Stripe Access Key": "Stripe live key",
    "Telegram Bot Token": "Telegram bot token",
    "Twilio API Key": "Twilio API key",
}
# Lower is more specific: it wins when several plugins report the same span.
_GENERIC_RANK = {
    "JSON Web Token": 2,
    "Basic Auth Credentials": 3,
    "Secret Keyword": 4,
    "Base64 High Entropy String": 5,
    "Hex High Entropy String": 6,
}
_KEY_KINDS = {
    "BEGIN RSA PRIVATE KEY": "RSA",
    "BEGIN DSA PRIVATE KEY": "DSA",
    "BEGIN EC PRIVATE KEY": "EC",
    "BEGIN OPENSSH PRIVATE KEY": "OpenSSH",
    "BEGIN PGP PRIVATE KEY BLOCK": "PGP",
    "BEGIN PRIVATE KEY": "PKCS#8",
    "BEGIN SSH2 ENCRYPTED PRIVATE KEY": "SSH2",
    "PuTTY-User-Key-File-2": "PuTTY",
}
_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{40,}")
_KEY_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY|-----END PGP PRIVATE KEY BLOCK|Private-MAC:")
_TOKEN_VALUE = re.compile(
    r"^(?:(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9_]{36,}|"
    r"gl(?:pat|dt|ft|rt)-[\w-]{20,}|[rs]k_live_[0-9A-Za-z]{24,}|xox[abposr]-[\w-]+|"
    r"SG\.[\w-]{22}\.[\w-]{43}|sk-[\w-]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY-----)"
)


@dataclass(frozen=True)
class _Candidate:
    """A secret about to be reported: which rule, where, and what to say."""

    code: str
    line: int
    column: int | None
    rank: int
    message: str
    value: str = field(repr=False)
    anchor_source: str = field(repr=False, default="")
    guessed: bool = False  # found by a name or by randomness, not by the token's own format

    def span(self) -> tuple[int, int] | None:
        if self.column is None:
            return None
        return self.column, self.column + len(self.value)

    def overlaps(self, other: _Candidate) -> bool:
        if self.line != other.line:
            return False
        a, b = self.span(), other.span()
        if a is None or b is None:
            return self.value in other.value or other.value in self.value
        return a[0] < b[1] and b[0] < a[1]


@file_check(ANY_TEXT, HARDCODED, SUPABASE_SERVICE, PRIVATE_KEY, POSSIBLE)
def hardcoded_secrets(src: SourceFile) -> Iterator[Finding]:
    """Credentials in any text file: one finding per secret and line.

    Minified bundles, lock files and other generated text are not read line by line (their
    "entropy" is code); tokens of a known format are still looked for in them.
    """
    if engine.skips_file(src.path):
        hits = engine.typed_hits(src.path, src.text)
    else:
        hits = engine.scan_text(src.path, src.text, src.kind)
    yield from _reported(src, hits)


def typed_secrets(src: SourceFile) -> list[Finding]:
    """Tokens of a known format only, for text too large for every rule to read."""
    return list(_reported(src, engine.typed_hits(src.path, src.text)))


def _reported(src: SourceFile, hits: list[engine.RawHit]) -> Iterator[Finding]:
    tokens = list(_supabase_tokens(src.text))
    if not hits and not tokens:
        return
    lines = src.text.split("\n")
    public = [t for t in tokens if t.code == ""]
    candidates = [t for t in tokens if t.code]
    sealed = bool(_SEALED.search(src.text))
    for hit in hits:
        if sealed and hit.value.startswith("Ag") and len(hit.value) > 40:
            continue  # a SealedSecret's encryptedData only the cluster's controller can open
        cand = _classify(hit, lines, src.path)
        if cand is None or any(cand.overlaps(p) for p in public):
            continue
        candidates.append(cand)
    kept: list[_Candidate] = []
    on_line: dict[int, list[_Candidate]] = {}  # candidates overlap on one line only
    for cand in sorted(candidates, key=lambda c: (c.line, c.rank, c.column or 0)):
        same = on_line.setdefault(cand.line, [])
        if not any(cand.overlaps(k) for k in same):
            kept.append(cand)
            same.append(cand)
    for cand in sorted(kept, key=lambda c: (c.line, c.column or 0)):
        yield Finding(
            # a guess is not near-certain: it is a rule of its own, with its own precision
            POSSIBLE if cand.guessed and cand.code == HARDCODED else cand.code,
            src.path,
            cand.message,
            line=cand.line,
            column=cand.column,
            anchor=_sha256(cand.anchor_source or cand.value),
            severity=Severity.WARNING if cand.guessed and cand.code != HARDCODED else None,
        )


@file_check("env", ENV_FILE)
def committed_env_file(env: EnvFile) -> Iterator[Finding]:
    """A deployable `.env` holding real values; templates (`.env.example`) are left to SEC001."""
    if is_template_env(env.path):
        return
    secret = [v for v in env.variables if _env_secret(v)]
    if not secret:
        return
    names = ", ".join(f"`{v.name}`" for v in secret[:4])
    more = f" and {len(secret) - 4} more" if len(secret) > 4 else ""
    count = f"{len(secret)} secret value" + ("s" if len(secret) > 1 else "")
    yield Finding(
        ENV_FILE,
        env.path,
        f"Environment file `{PurePosixPath(env.path).name}` holds {count} ({names}{more}) "
        "and is committed to the repository.",
        line=secret[0].line,
        column=1,
        anchor="committed-env-file",
    )


def _env_secret(var: EnvVar) -> bool:
    value = var.value.strip()
    if _TOKEN_VALUE.match(value) or _supabase_role(value) == "service":
        return not _looks_fake(value)
    if _URL.match(value) and url_password(value) is None:
        return False  # `postgres://app@db/app`: a DSN-named variable, but nothing secret in it
    secret = literal_secret(var.name, value)
    return secret is not None and not _looks_fake(secret) and _supabase_role(secret) != "public"


def _classify(hit: engine.RawHit, lines: list[str], path: str) -> _Candidate | None:
    """The rule and message for one detect-secrets hit, or None when it is not a secret."""
    raw = lines[hit.line - 1].rstrip("\r") if hit.line <= len(lines) else ""
    if hit.secret_type == "Private Key":
        return _private_key(hit, lines, raw)
    value = hit.value
    guessed = hit.secret_type in _GUESSES or (
        hit.secret_type in _GUESSES_OUTSIDE_PRODUCTION and not is_production(path)
    )
    if _elided(raw, hit):
        return None  # `xoxp-1-Mi0yLTU5...MDkw`: shortened on purpose, not usable
    if guessed and (is_dev_config(path) or not is_production(path) or path.startswith(".github/")):
        # `password = "incorrect"` in a test, an alphabet in vendored jQuery, a sample TLS key
        # in docs, a CI service container's password: only a token's own format counts there
        return None
    if guessed and _resource_path(value):
        return None  # `projects/123/locations/global/...`, `REGISTRY/cartservice`
    role = _supabase_role(value)
    if role == "public":
        return None
    if role == "service":
        return _service_role(hit.line, hit.column, value, "JWT")
    if is_placeholder(value) or _looks_fake(value) or value.startswith(_PUBLIC_PREFIXES):
        return None
    if len(value) < 8 and hit.secret_type not in _SHORT_OK:
        return None  # a token pattern matched a prefix and nothing after it
    key = _assigned_name(raw, hit.column)
    if guessed and key and _words(key)[-1:] and _words(key)[-1] in _ID_WORDS:
        return None  # `id = "prj_9YDP…"` in a Terraform import block, `client_id`
    if hit.secret_type == "Secret Keyword" and not _keyword_value_ok(
        key or _name_before(raw, hit.column), value
    ):
        return None
    if hit.secret_type == "Hex High Entropy String" and _about_a_digest(key, lines, hit.line):
        return None
    if hit.secret_type.endswith("High Entropy String") and _DIGEST_VALUE.match(value):
        return None
    if _TWILIO_SID.match(value):
        return None  # an account SID names the account; the auth token next to it is the secret
    if hit.secret_type == "Basic Auth Credentials" and _local_url(raw, hit.column):
        return None  # a development default (`postgres:postgres@localhost`), not a deployed one
    label = _LABELS.get(hit.secret_type, hit.secret_type)
    if hit.secret_type == "Slack Token" and value.startswith("https://"):
        label = "Slack webhook URL"
    named = key and key.lower() not in _GENERIC_KEYS
    where = f" assigned to `{key}`" if named and hit.secret_type != "Basic Auth Credentials" else ""
    return _Candidate(
        HARDCODED,
        hit.line,
        hit.column,
        _GENERIC_RANK.get(hit.secret_type, 1),
        f"Hardcoded {label} `{redact(value)}`{where}.",
        value,
        # random-looking and assigned to a credential's name: as certain as a token's format
        guessed=guessed
        and not (
            bool(key)
            and is_secret_name(key or "")
            and (hit.secret_type != "Secret Keyword" or _random_looking(value))
        ),
    )


# Detectors that guess from a name or from randomness; typed detectors (AWS, GitHub, Stripe...)
# match a token's own format and stay on everywhere, tests included.
_GUESSES = frozenset(
    {
        "Secret Keyword",
        "Base64 High Entropy String",
        "Hex High Entropy String",
        # a secret-sounding name and a value of a common length, nothing of the token's own
        "IBM Cloud IAM Key",
        "IBM COS HMAC Credentials",
        "Cloudant Credentials",
        "SoftLayer Credentials",
    }
)
# Real formats whose samples fill documentation and tests: a JWT's header says nothing of
# whether it grants anything, a URL's password may belong to a test database.
_GUESSES_OUTSIDE_PRODUCTION = frozenset({"JSON Web Token", "Basic Auth Credentials"})


def _elided(raw: str, hit: engine.RawHit) -> bool:
    if hit.column is None:
        return False
    after = raw[hit.column - 1 + len(hit.value) : hit.column + len(hit.value) + 2]
    return after.startswith(("...", "\u2026"))


_PATH_SEGMENT = re.compile(r"^[\w.:@-]+$")


def _resource_path(value: str) -> bool:
    """A slash-separated name (a cloud resource path, an image with a template registry)."""
    segments = value.split("/")
    if len(segments) < 2 or not all(_PATH_SEGMENT.match(seg) for seg in segments):
        return False
    return len(segments) >= 4 or any(_CONSTANT.match(seg) and "_" in seg for seg in segments)


def _about_a_digest(key: str | None, lines: list[str], number: int) -> bool:
    """A hex string named or introduced as a hash (`sha256 = "…"`, SBOM `"alg": "SHA-256"`)."""
    if key and key.lower() not in _GENERIC_KEYS:
        return bool(_HASH_WORDS.search(key))
    previous = lines[number - 2] if number >= 2 else ""
    return bool(_HASH_WORDS.search(lines[number - 1]) or _HASH_WORDS.search(previous))


# Lower-case words joined by `_ . : -`: an identifier, an event or a config key, not a value.
_LABEL = re.compile(r"^[a-z][a-z0-9]*(?:[_.:/-][a-z0-9]+)+$")
_SECRET_WORD = re.compile(
    r"(?:^|[_.:/-])(?:api|key|keys|token|tokens|secret|secrets|password|pass|auth|access|client)(?:$|[_.:/-])"
)
_SENTENCE = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}|[.!?:]\s*$")


def _same_words(key: str | None, value: str) -> bool:
    if not key:
        return False
    words = {
        w for w in re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower()) if w
    }
    return bool(words) and set(re.split(r"[_.:/-]", value)) <= words | {"the", "of"}


def _keyword_value_ok(key: str | None, value: str) -> bool:
    """KeywordDetector's hit holds a credential, not a reference, a flag, a name or prose."""
    v = value.strip()
    if len(v) < 4 or _FLAG_VALUE.match(v) or _CONSTANT.match(v) or _PROSE.match(v):
        return False
    if _SENTENCE.search(v) or any(ch.isalpha() and not ch.isascii() for ch in v):
        return False  # a message or a translation ("Clé API invalide"), not a credential
    if _LABEL.match(v) and (_SECRET_WORD.search(v) or _same_words(key, v)):
        return False  # the name of a secret (`"unstructured_api_key"`, `"api_key.create"`)
    if v.startswith(("/", "./", "../", "~/")) and " " not in v:
        return False  # a path to a secret file
    if key and _KEYWORD_IN_NAME.search(key):
        words = _words(key)
        keyword_at = next((i for i, w in enumerate(words) if _KEYWORD_IN_NAME.search(w)), 0)
        if any(w in _META_WORDS for w in words[keyword_at:]):
            return False  # `LoggerSecretNameKey`, `storageSecretNameAnnotation`: about a secret
        if words and words[-1] == "secret" and _OBJECT_NAME.match(v):
            return False  # `DefaultStorageSpecSecret = "storage-config"`: a Secret's name
    return True


def _words(name: str) -> list[str]:
    return [
        w
        for w in re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower().replace("-", "_").split("_")
        if w
    ]


# A Kubernetes object name made of words (`storage-config`, `db-credentials`).
_OBJECT_NAME = re.compile(r"^[a-z]{2,}(?:-[a-z]{2,})+$")
# What names an object rather than guards it: an ID is looked up, never kept secret.
_ID_WORDS = frozenset(
    {"id", "ids", "uuid", "guid", "arn", "thumbprint", "thumbprints", "fingerprint", "etag"}
)


# How far before a value its name is looked for: an assignment's name and annotation fit in
# far less, and searching a whole minified line before every hit made such files quadratic.
_NAME_WINDOW = 256


def _before(raw: str, column: int) -> str:
    return raw[max(0, column - 1 - _NAME_WINDOW) : column - 1]


def _name_before(raw: str, column: int | None) -> str | None:
    """The identifier a value is assigned to: the last name before it on the line."""
    if not column:
        return None
    names = _IDENT.findall(_before(raw, column))
    return names[-1] if names else None


def _assigned_name(raw: str, column: int | None) -> str | None:
    """The name a value is assigned to (`name = "`, `name: `, `NAME=`, `"name": "`), if any."""
    if not column:
        return None
    m = _ASSIGNED.search(_before(raw, column))
    return m.group(1) if m else None


def _local_url(raw: str, column: int | None) -> bool:
    """The basic-auth password at `column` belongs to a URL on the developer's own machine."""
    if not column:
        return False
    m = _AFTER_AT.match(raw, column - 1)
    if m is None:
        return False
    host = m.group(1).lower()
    return host in _LOCAL_HOSTS or bool(_DOCUMENTATION_HOST.search(host))


# RFC 2606 / 6761 names, reserved so that documentation and tests never reach a real host.
_DOCUMENTATION_HOST = re.compile(
    r"(?:^|\.)example\.(?:com|org|net)$|\.(?:example|test|invalid|localhost)$"
)


def _private_key(hit: engine.RawHit, lines: list[str], raw: str) -> _Candidate | None:
    """SEC004 when a key body follows the header; a bare header string is code, not a key."""
    header = hit.value
    start = raw.find(header)
    rest = raw[start + len(header) :] if start >= 0 else ""
    body_lines = [rest.replace("\\n", "\n").replace("\\r", "")]
    for following in lines[hit.line : hit.line + 200]:
        if _KEY_END.search(following):
            break
        body_lines.append(following.strip())
    body = "".join(body_lines)
    if not _KEY_BODY.search(body[:2000].replace("\n", "")):
        return None
    sample = body.replace("\n", "")
    if _FAKE.search(sample[:200]) or len(set(sample)) < 10:
        return None
    kind = _KEY_KINDS.get(header, "")
    col = raw.find("-----BEGIN") + 1 or (start + 1 if start >= 0 else None)
    return _Candidate(
        PRIVATE_KEY,
        hit.line,
        col,
        0,
        f"{kind + ' ' if kind else ''}private key is committed in this file.",
        header,
        anchor_source=body,
    )


def _supabase_tokens(text: str) -> Iterator[_Candidate]:
    """Supabase keys by their own shape; public ones come back with an empty code (to suppress)."""
    found: list[tuple[int, str, str]] = []
    if "sb_" in text:
        found += [(m.start(), m.group(0), m.group(1)) for m in _SUPABASE_KEY.finditer(text)]
    if "eyJ" in text:
        found += [(m.start(), m.group(0), "jwt") for m in _JWT.finditer(text)]
    line, counted = 1, 0
    for offset, value, what in sorted(found):
        line += text.count("\n", counted, offset)
        counted = offset
        column = offset - text.rfind("\n", 0, offset)
        if what == "publishable" or (what == "jwt" and _supabase_role(value) == "public"):
            yield _Candidate("", line, column, 0, "", value)
        elif what == "secret" and not _looks_fake(value):
            yield _service_role(line, column, value, "sb_secret")
        elif what == "jwt" and _supabase_role(value) == "service":
            yield _service_role(line, column, value, "JWT")


def _service_role(line: int, column: int | None, value: str, form: str) -> _Candidate:
    what = "secret API key" if form == "sb_secret" else "service-role key"
    return _Candidate(
        SUPABASE_SERVICE,
        line,
        column,
        0,
        f"Supabase {what} `{redact(value)}` is committed; it bypasses row-level security.",
        value,
    )


def _supabase_role(value: str) -> str | None:
    """'service' or 'public' for Supabase keys, None for anything else.

    The JWT payload is decoded without verification (we only need the role
    claim), and never printed.
    """
    v = value.strip()
    if v.startswith("sb_secret_"):
        return "service"
    if v.startswith("sb_publishable_"):
        return "public"
    m = _JWT.search(v)
    if not m:
        return None
    payload = m.group(0).split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    role = claims.get("role") if isinstance(claims, dict) else None
    if claims.get("iss") == "supabase-demo" if isinstance(claims, dict) else False:
        return "public"  # the Supabase CLI's local keys: the same in every install, published
    if role == "service_role":
        return "service"
    if role in _PUBLIC_ROLES:
        return "public"
    return None


def _random_looking(value: str) -> bool:
    """Generated, not typed by a person: long, no spaces, and lower, upper case and digits."""
    return (
        len(value) >= 12
        and not any(c.isspace() for c in value)
        and any(c.islower() for c in value)
        and any(c.isupper() for c in value)
        and any(c.isdigit() for c in value)
    )


def _looks_fake(value: str) -> bool:
    v = value.strip()
    return (
        is_placeholder(v)
        or bool(_FAKE.search(v))
        or len(set(v)) <= 2
        or v.lower() in _DUMMY_WORDS
        or bool(_ENCRYPTED.match(v))
    )


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
