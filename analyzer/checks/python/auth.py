"""Authentication: JWT expiry and verification, access-token lifetimes, session cookies.

The rules/python.yaml family of checklist items AUTH-4 and AUTH-5: tokens
issued without `exp` (PY014), decoded without verification (PY015), access
tokens that live longer than an hour (PY016) and session cookies without
`HttpOnly`/`Secure` or with `SameSite=None` (PY017).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator

from analyzer.checks.python.registry import finding, rule
from analyzer.core.model import Finding
from analyzer.facts.calls import (
    ModuleIndex,
    arg,
    const_number,
    const_str,
    dotted,
    has_kwargs_unpack,
    is_const,
    kwarg,
    last_name,
    walk_body,
)
from analyzer.parsers.python import PyModule

# --------------------------------------------------------------------------- PY014/PY015 JWT

_JWT_MODULES = ("jwt", "jose.jwt", "jwt.api_jwt")


def _jwt_function(name: str, fn: str) -> bool:
    return any(name == f"{m}.{fn}" for m in _JWT_MODULES)


@rule("PY014")
def jwt_without_expiry(ix: ModuleIndex) -> Iterator[Finding]:
    for call, name in ix.calls:
        if not _jwt_function(name, "encode"):
            continue
        payload = arg(call, 0, "payload") or arg(call, 0, "claims")
        if payload is not None and _payload_lacks_exp(ix, call, payload):
            yield finding(
                "PY014",
                ix.mod,
                call,
                "`jwt.encode` payload has no `exp` claim: the token is valid forever and cannot "
                "be expired by anything but rotating the signing key.",
                "jwt-no-exp",
            )


@rule("PY015")
def jwt_verification_disabled(ix: ModuleIndex) -> Iterator[Finding]:
    for call, name in ix.calls:
        if not _jwt_function(name, "decode"):
            continue
        problems = _decode_problems(call)
        if problems:
            yield finding(
                "PY015",
                ix.mod,
                call,
                f"`jwt.decode` with {', '.join(problems)}: forged or expired tokens are accepted.",
                f"jwt-unverified:{','.join(problems)}",
            )


def _dict_has_key(node: ast.Dict, key: str) -> bool | None:
    """True/False for a literal dict; None when `**other` may bring the key."""
    if any(k is None for k in node.keys):
        return None if key not in {const_str(k) for k in node.keys if k is not None} else True
    return key in {const_str(k) for k in node.keys}


def _payload_lacks_exp(ix: ModuleIndex, call: ast.Call, payload: ast.expr) -> bool:
    if isinstance(payload, ast.Dict):
        return _dict_has_key(payload, "exp") is False
    if not isinstance(payload, ast.Name):
        return False
    fn = ix.enclosing_function(call)
    scope: Iterable[ast.AST] = walk_body(fn) if fn is not None else ast.walk(ix.mod.tree)
    literal: ast.Dict | None = None
    for node in scope:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == payload.id for t in node.targets
        ):
            if not isinstance(node.value, ast.Dict):
                return False  # built elsewhere (a copy, a model dump): unknown
            literal = node.value
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            if isinstance(node.value, ast.Name) and node.value.id == payload.id:
                return False  # payload["exp"] = ... (or any key we cannot see)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id == payload.id:
                return False  # payload.update({...}) / setdefault(...)
    return literal is not None and _dict_has_key(literal, "exp") is False


def _decode_problems(call: ast.Call) -> list[str]:
    problems: list[str] = []
    options = kwarg(call, "options")
    if isinstance(options, ast.Dict):
        for k, v in zip(options.keys, options.values, strict=False):
            key = const_str(k)
            if key in ("verify_signature", "verify_exp") and is_const(v, False):
                problems.append(f'"{key}": False')
    if is_const(kwarg(call, "verify"), False):
        problems.append("verify=False")
    algorithms = kwarg(call, "algorithms")
    elts = algorithms.elts if isinstance(algorithms, (ast.List, ast.Tuple, ast.Set)) else []
    if any((const_str(e) or "").lower() == "none" for e in elts) or (
        (const_str(algorithms) or "").lower() == "none"
    ):
        problems.append('algorithm "none"')
    return problems


# --------------------------------------------------------------------------- PY016 lifetimes

_LIFETIME_NAME = re.compile(
    r"(?:access|jwt|token|auth).*(?:expire|expiry|expiration|lifetime|ttl|max_age|duration|valid)"
    r"|(?:expire|expiry|expiration|lifetime|ttl).*(?:access|jwt|token)",
    re.I,
)
_NOT_ACCESS_TOKEN = re.compile(
    r"refresh|reset|verif|invite|confirm|email|signup|magic|remember|otp|cache|lock", re.I
)
_UNITS = (
    (re.compile(r"(?:^|_)(?:days?)(?:$|_)", re.I), 86400.0),
    (re.compile(r"(?:^|_)(?:hours?|hrs?|h)(?:$|_)", re.I), 3600.0),
    (re.compile(r"(?:^|_)(?:minutes?|mins?|m)(?:$|_)", re.I), 60.0),
    (re.compile(r"(?:^|_)(?:seconds?|secs?|s)(?:$|_)|ttl|max_age|expires_in", re.I), 1.0),
)


def _lifetime_seconds(name: str, value: ast.AST | None, mod: PyModule) -> float | None:
    if value is None:
        return None
    if isinstance(value, ast.Call):
        callee = mod.qualified_name(value.func) or ""
        if callee in ("datetime.timedelta", "timedelta") or callee.endswith(".timedelta"):
            return _timedelta_seconds(value)
        if callee in ("Field", "pydantic.Field"):
            return _lifetime_seconds(name, arg(value, 0, "default"), mod)
        return None
    number = const_number(value)
    if number is None:
        return None
    for pattern, factor in _UNITS:
        if pattern.search(name):
            return number * factor
    return None


def _timedelta_seconds(call: ast.Call) -> float | None:
    factors = {
        "days": 86400.0,
        "hours": 3600.0,
        "minutes": 60.0,
        "seconds": 1.0,
        "weeks": 604800.0,
    }
    total = 0.0
    for i, a in enumerate(call.args[:3]):
        number = const_number(a)
        if number is None:
            return None
        total += number * (86400.0, 1.0, 1e-6)[i]
    for kw in call.keywords:
        number = const_number(kw.value)
        if kw.arg not in factors or number is None:
            if kw.arg in ("milliseconds", "microseconds"):
                continue
            return None
        total += number * factors[kw.arg]
    return total


def _is_access_lifetime(name: str) -> bool:
    return bool(_LIFETIME_NAME.search(name)) and not _NOT_ACCESS_TOKEN.search(name)


@rule("PY016", app_code_only=True)
def access_token_lifetime_too_long(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    for node in ix.nodes(ast.Assign, ast.AnnAssign, ast.Call):
        pairs: list[tuple[str, ast.AST | None, ast.AST]] = []
        if isinstance(node, ast.Assign):
            pairs = [(t.id, node.value, node) for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            pairs = [(node.target.id, node.value, node)]
        elif isinstance(node, ast.Call):
            callee = last_name(dotted(node.func)).lower()
            if ("access" in callee or "token" in callee) and not _NOT_ACCESS_TOKEN.search(callee):
                pairs = [
                    (kw.arg, kw.value, kw.value)
                    for kw in node.keywords
                    if kw.arg in ("expires_delta", "expires_in", "expiration", "lifetime", "ttl")
                ]
        for name, value, where in pairs:
            if not (_is_access_lifetime(name) or isinstance(node, ast.Call)):
                continue
            seconds = _lifetime_seconds(name, value, mod)
            if seconds is not None and seconds > 3600:
                yield finding(
                    "PY016",
                    mod,
                    where,
                    f"Access-token lifetime `{name}` is {_human(seconds)}: a stolen token stays valid "
                    "that long; keep access tokens at 1 hour or less and renew them with refresh tokens.",
                    f"token-lifetime:{name}",
                )


def _human(seconds: float) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{int(seconds // 86400)} day(s)"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} hour(s)"
    return f"{int(seconds // 60)} minute(s)"


# --------------------------------------------------------------------------- PY017 cookies

_SESSION_COOKIE = re.compile(r"session|token|auth|jwt|refresh|access|sid|remember|login", re.I)


@rule("PY017")
def session_cookie_without_secure_flags(ix: ModuleIndex) -> Iterator[Finding]:
    for call, _name in ix.calls:
        if not isinstance(call.func, ast.Attribute) or call.func.attr != "set_cookie":
            continue
        if has_kwargs_unpack(call):
            continue
        key = const_str(arg(call, 0, "key"))
        if key is None or not _SESSION_COOKIE.search(key):
            continue
        problems = []
        for flag in ("httponly", "secure"):
            value = kwarg(call, flag)
            if value is None or is_const(value, False):
                problems.append(f"{flag} not set")
        samesite = const_str(kwarg(call, "samesite"))
        if samesite is not None and samesite.lower() == "none":
            problems.append('samesite="none"')
        if problems:
            yield finding(
                "PY017",
                ix.mod,
                call,
                f"Cookie `{key}` set with {', '.join(problems)}: scripts (XSS) or plain-HTTP "
                "networks can read the session, or other sites can send it (CSRF).",
                f"cookie:{key}",
            )
