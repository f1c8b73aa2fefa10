"""What a module shows the app can do: metrics, tracing, rate limiting, request ids, security
headers, authentication, compression.

A capability counts once the application code has it anywhere (an import, a middleware, an
initialisation call): the "the app has no X" rules read the union over the app's modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from analyzer.core.vocabulary import RATE_LIMIT_LIBS
from analyzer.facts.fastapi.names import (
    AUTH_LIBS,
    CODE_SECURITY_HEADERS,
    GZIP,
    HEADER_LIBS,
    METRICS_LIBS,
    REQUEST_ID_LIBS,
    TRACING_LIBS,
)
from analyzer.facts.fastapi.records import FunctionInfo, Middleware, Owner
from analyzer.facts.fastapi.scope import Scope
from analyzer.parsers import pynodes as nodes


def capabilities(
    scope: Scope,
    functions: dict[str, FunctionInfo],
    middlewares: Iterable[Middleware],
    owners: Iterable[Owner],
) -> tuple[frozenset[str], frozenset[str]]:
    """(capabilities, security header names) the module shows.

    Reads the module's functions and middlewares as already extracted: an auth check in a
    function or an authenticating middleware gives "auth".
    """
    libs: set[str] = set()
    modules = set(scope.mod.imports.values())
    for q in modules:
        if q.startswith(METRICS_LIBS):
            libs.add("metrics")
        if q.startswith(TRACING_LIBS):
            libs.add("tracing")
        if q.startswith(RATE_LIMIT_LIBS):
            libs.add("ratelimit")
        if q.startswith(REQUEST_ID_LIBS):
            libs.add("request-id")
        if q.startswith(HEADER_LIBS) and not q.startswith("fastapi.security"):
            libs.add("security-headers")
        if q.startswith(AUTH_LIBS):
            libs.add("auth")
        if q in GZIP:
            libs.add("gzip")
    for node in nodes.of_type(scope.mod.nodes, ast.Call):
        if isinstance(node, ast.Call):
            q = scope.qn(node.func)
            if q == "sentry_sdk.init" and any(
                k.arg in ("traces_sample_rate", "traces_sampler", "enable_tracing")
                for k in node.keywords
            ):
                libs.add("tracing")
            if q.endswith((".auth.get_user", ".auth.sign_in_with_password")):
                libs.add("auth")
            if (q.endswith("SlowAPIMiddleware") or q.endswith("SlowAPIASGIMiddleware")) or any(
                scope.qn(a).endswith("SlowAPIMiddleware") for a in node.args
            ):
                libs.add("ratelimit-app")
    for m in middlewares:
        if m.ref.endswith(("SlowAPIMiddleware", "SlowAPIASGIMiddleware")):
            libs.add("ratelimit-app")
        if m.request_id:
            libs.add("request-id")
        if m.auth_evidence:
            libs.add("auth")
        if m.ref in GZIP:
            libs.add("gzip")
    for o in owners:
        if any(r in GZIP for r in o.middleware_refs):
            libs.add("gzip")
    if any(f.auth_evidence for f in functions.values()):
        libs.add("auth")
    strings = {
        n.value.lower()
        for n in nodes.of_type(scope.mod.nodes, ast.Constant)
        if isinstance(n.value, str) and len(n.value) < 64
    }
    headers = frozenset(strings & CODE_SECURITY_HEADERS)
    if any(is_request_id(s) for s in strings if s.startswith("x-")):
        libs.add("request-id")
    return frozenset(libs), headers


def is_request_id(s: str) -> bool:
    """Whether a name or string is about request or correlation ids."""
    low = s.lower().replace("_", "-")
    return any(
        k in low for k in ("x-request-id", "x-correlation-id", "request-id-middleware",
                           "correlationid", "requestid")
    )  # fmt: skip
