"""Secrets and transport security in code: secret defaults, TLS off, plain-text URLs.

The rules/python.yaml family of checklist items SECRETS-2 and DATA-2: a
literal secret as a setting's default (PY018), certificate verification
turned off (PY019; bandit's B501 adds what this rule misses) and `http://`
or `sslmode=disable` to a remote host (PY020).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from analyzer.checks.python.registry import finding, rule
from analyzer.core.model import Finding
from analyzer.core.secretvalues import literal_secret
from analyzer.core.vocabulary import (
    HTTPX_CLIENTS,
    HTTPX_FUNCS,
    REQUESTS_FUNCS,
    REQUESTS_SESSION,
    RETRYABLE,
    SESSION_METHODS,
)
from analyzer.facts.calls import (
    ModuleIndex,
    arg,
    dotted,
    is_const,
    kwarg,
    last_name,
    target_key,
)
from analyzer.parsers.python import PyModule

# --------------------------------------------------------------------------- PY018 secret defaults


_ENV_GETTERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
# Names with a secret word that hold text about secrets, not secrets: `JWT_TOKEN_PREFIX = "Token"`.
_NOT_A_SECRET_SUFFIX = re.compile(
    r"_(?:prefix|scheme|message|msg|error|text|label|title|description|header_name|key_name)$", re.I
)
# Values that say they are not production secrets.
_NON_PRODUCTION_VALUE = re.compile(r"test|dummy|fake|example|sample|insecure|not[-_ ]?secret", re.I)
_NON_PRODUCTION_MODULE = frozenset({"test", "tests", "testing", "dev", "development", "local"})


_ENUM_BASES = re.compile(r"(?:Enum|Flag|Choices)$")


def _enumeration(cls: ast.ClassDef) -> bool:
    """An Enum (or Django `TextChoices`): its members are labels (`REFRESH_TOKEN =
    "refresh_token"`, `client_secret = "polar_client_secret"`), never credentials."""
    return any(_ENUM_BASES.search(last_name(dotted(b))) for b in cls.bases)


def _own_label(name: str, value: str) -> bool:
    """The value spells the name it is assigned to (`API_KEY = "api_key"`)."""
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    return bool(words) and "_".join(words) in re.sub(r"[^a-z0-9]+", "_", value.lower())


def _default_literal(value: ast.AST | None, mod: PyModule) -> ast.Constant | None:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value
    if isinstance(value, ast.Call):
        name = mod.qualified_name(value.func) or ""
        if name in _ENV_GETTERS:
            d = arg(value, 1, "default")
            return d if isinstance(d, ast.Constant) and isinstance(d.value, str) else None
        if last_name(name) in ("SecretStr", "Field", "SecretBytes"):
            return _default_literal(arg(value, 0, "default"), mod)
    return None


@rule("PY018", app_code_only=True)
def secret_default_in_code(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    if PurePosixPath(mod.path).stem in _NON_PRODUCTION_MODULE:
        return  # settings/test.py, settings/dev.py: values for non-production environments
    scopes: list[list[ast.stmt]] = [mod.tree.body]
    scopes.extend(n.body for n in ix.nodes(ast.ClassDef) if not _enumeration(n))
    for body in scopes:
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                names = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                value: ast.AST | None = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                names, value = [stmt.target.id], stmt.value
            else:
                continue
            literal = _default_literal(value, mod)
            if literal is None:
                continue
            if body is mod.tree.body and literal is value:
                continue  # `NAME = "value"`: detect-secrets (SEC001) reports plain constants

            text = str(literal.value)
            if text.startswith(("eyJ", "sb_secret_")):
                continue  # a JWT or Supabase key: the secret rules (SEC00x) report it by its value
            if any(c.isspace() for c in text.strip()) or _NON_PRODUCTION_VALUE.search(text):
                continue  # prose ("unsupported authorization type") or a declared test value
            for name in names:
                if _NOT_A_SECRET_SUFFIX.search(name) or _own_label(name, text):
                    continue
                if literal_secret(name, text) is not None:
                    yield finding(
                        "PY018",
                        mod,
                        literal,
                        f"`{name}` has a literal secret as its default ({len(text)} characters, value "
                        "not shown): it ships in the image and in git history; make it required and "
                        "inject it from the environment or a secret manager.",
                        f"secret-default:{name}",
                    )


# --------------------------------------------------------------------------- PY019 TLS verification


_UNVERIFIED = frozenset({"ssl._create_unverified_context", "ssl._create_stdlib_context"})


@rule("PY019")
def tls_verification_disabled(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    for call, name in ix.calls:
        problem = None
        if name in REQUESTS_FUNCS | HTTPX_FUNCS | HTTPX_CLIENTS and is_const(
            kwarg(call, "verify"), False
        ):
            problem = "verify=False"
        elif (
            name.startswith("aiohttp.")
            or (isinstance(call.func, ast.Attribute) and call.func.attr in SESSION_METHODS)
        ) and (is_const(kwarg(call, "ssl"), False) or is_const(kwarg(call, "verify_ssl"), False)):
            problem = "ssl=False"
        elif name in _UNVERIFIED:
            problem = f"`{name}()`"
        elif isinstance(call.func, ast.Attribute) and call.func.attr in SESSION_METHODS:
            built = ix.receiver_call(call)
            if (
                built
                and built[0] in REQUESTS_SESSION | HTTPX_CLIENTS
                and is_const(kwarg(call, "verify"), False)
            ):
                problem = "verify=False"
        if problem:
            yield finding(
                "PY019",
                mod,
                call,
                f"TLS certificate verification is turned off ({problem}): anyone on the network "
                "path can read and change the traffic.",
                f"tls-off:{name}:{problem}",
            )
    for node in ix.nodes(ast.Assign):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Attribute) and t.attr == "verify" for t in node.targets)
            and is_const(node.value, False)
        ):
            yield finding(
                "PY019",
                mod,
                node,
                "TLS certificate verification is turned off (`session.verify = False`): anyone "
                "on the network path can read and change the traffic.",
                "tls-off:session.verify",
            )


# --------------------------------------------------------------------------- PY020 plain http

_LOCAL_HOST = re.compile(
    r"^(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[?::1\]?|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|"
    r"172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+|[^.]+|.+\.(?:local|localhost|internal|svc|cluster\.local|"
    r"test|example|invalid)|(?:www\.)?w3\.org|schemas\..+|json-schema\.org|purl\.org|"
    r"example\.(?:com|org|net)|xmlns\..+)$",
    re.I,
)
_URL_NAME = re.compile(r"url|uri|endpoint|host|base|api|webhook|callback|server|dsn", re.I)
_HTTP_URL = re.compile(r"^http://([^/:?#\s]+)", re.I)


@rule("PY020", app_code_only=True)
def insecure_connection_url(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    contexts: list[tuple[str, ast.AST | None]] = []
    for node in ix.nodes(ast.Assign, ast.AnnAssign, ast.keyword):
        if isinstance(node, ast.Assign):
            contexts.extend((target_key(t) or "", node.value) for t in node.targets)
        elif isinstance(node, ast.AnnAssign):
            contexts.append((target_key(node.target) or "", node.value))
        elif isinstance(node, ast.keyword) and node.arg:
            contexts.append((node.arg, node.value))
    for call, name in ix.calls:
        if name in RETRYABLE and call.args:
            contexts.append(("url", call.args[0]))
    reported: set[int] = set()
    for label, value in contexts:
        for const in _string_parts(value, mod):
            if id(const) in reported:
                continue
            text = str(const.value)
            problem = None
            if "sslmode=disable" in text.replace(" ", "").lower():
                problem = (
                    "`sslmode=disable` sends database traffic, passwords included, in clear text"
                )
            elif _URL_NAME.search(label):
                m = _HTTP_URL.match(text.strip())
                if m and not _LOCAL_HOST.match(m.group(1)):
                    problem = f"`http://{m.group(1)}` is plain HTTP to a remote host"
            if problem:
                reported.add(id(const))
                yield finding(
                    "PY020",
                    mod,
                    const,
                    f"{problem}: use TLS (`https://`, `sslmode=require` or stricter).",
                    f"insecure-url:{label}",
                )


def _string_parts(value: ast.AST | None, mod: PyModule) -> Iterator[ast.Constant]:
    if value is None:
        return
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        yield value
    elif isinstance(value, ast.JoinedStr):
        first = value.values[0] if value.values else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield first
    elif isinstance(value, ast.Call):
        callee = mod.qualified_name(value.func) or ""
        if callee in _ENV_GETTERS:
            yield from _string_parts(arg(value, 1, "default"), mod)
        elif last_name(callee) == "Field":
            yield from _string_parts(arg(value, 0, "default"), mod)
