"""Evidence in the service's Python code: the libraries it wires in and the calls that configure them.

An import alone proves little (a dependency can be unused), so most detectors
look for the call that turns the feature on (`add_middleware(GZipMiddleware)`,
`sentry_sdk.init(traces_sample_rate=...)`, a `Counter(...)` metric). Where the
import is the feature (a JSON log formatter library, a rate limiter wired by
decorators), the import line is named. Only application code counts, never
tests or scripts.

It is computed module by module where the tree is at hand (the pipeline calls
`module_evidence` while it summarizes a module) and kept on the summary, so a
re-scan never walks a tree again for it; what only every module together shows
is in analyzer.evidence.python_repo.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator

from analyzer.core.model import Evidence
from analyzer.core.vocabulary import (
    COOP,
    HEADER_SPELLING,
    PERMISSIONS_POLICY,
    RATE_LIMIT_LIBS,
    SECURITY_HEADERS,
)
from analyzer.evidence.core import detector
from analyzer.facts.pycode import (
    const_value,
    function_defs,
    import_names,
    is_under,
    route_where,
)
from analyzer.facts.repo import RepoView
from analyzer.parsers import pynodes as nodes
from analyzer.parsers.python import PyModule

# (item, what, module prefixes whose import is the evidence)
_IMPORTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("METRICS-1", "Prometheus metrics", ("prometheus_client", "prometheus_fastapi_instrumentator",
     "starlette_exporter", "starlette_prometheus", "aioprometheus", "opentelemetry.exporter.prometheus")),
    ("TRACE-1", "Distributed tracing", ("opentelemetry", "ddtrace", "jaeger_client", "elasticapm",
     "newrelic", "aws_xray_sdk")),
    ("TRACE-5", "APM", ("ddtrace", "elasticapm", "newrelic", "scout_apm", "aws_xray_sdk")),
    ("TRACE-2", "Correlation IDs", ("asgi_correlation_id", "starlette_context", "correlation_id")),
    ("LOG-1", "Structured logging", ("structlog", "pythonjsonlogger", "python_json_logger",
     "json_log_formatter", "ecs_logging", "json_logging")),
    ("LOG-3", "Central log shipping", ("watchtower", "logtail", "google.cloud.logging", "logging_loki",
     "graypy", "fluent", "logstash", "datadog_api_client.v2.api.logs_api", "axiom")),
    ("ATTACK-1", "Rate limiting", RATE_LIMIT_LIBS),
    ("ATTACK-2", "CSRF protection", ("fastapi_csrf_protect", "starlette_csrf", "asgi_csrf")),
    ("BACKEND-1", "Response cache", ("fastapi_cache", "aiocache", "cashews", "redis_cache")),
    ("BACKEND-3", "Pagination", ("fastapi_pagination",)),
    ("ERR-3", "Circuit breaker", ("pybreaker", "aiobreaker", "circuitbreaker", "purgatory")),
    ("ARCH-5", "Circuit breaker", ("pybreaker", "aiobreaker", "circuitbreaker", "purgatory")),
    ("SECRETS-1", "Secrets manager client", ("hvac", "google.cloud.secretmanager",
     "azure.keyvault.secrets", "infisical_client", "infisical", "onepasswordconnectsdk")),
    ("DATA-1", "Application-level encryption", ("cryptography.fernet",
     "cryptography.hazmat.primitives.ciphers.aead", "nacl.secret")),
    ("ALERT-1", "Error alerting", ("sentry_sdk", "rollbar", "bugsnag", "honeybadger", "airbrake")),
)  # fmt: skip
_GZIP = ("GZipMiddleware", "BrotliMiddleware", "CompressMiddleware")
_HEALTH_PATHS = re.compile(
    r"^/(api/)?(v\d+/)?(health|healthz|healthcheck|ready|readyz|readiness|live|livez|liveness|ping|status)/?$"
)
# DATA-4 credits the baseline four and the two policies an app often sets beside them
# (Permissions-Policy, Cross-Origin-Opener-Policy); CSP is DATA-3's evidence on its own.
_SECURITY_HEADERS = tuple(HEADER_SPELLING[h] for h in (*SECURITY_HEADERS, PERMISSIONS_POLICY, COOP))
_CORRELATION_HEADERS = frozenset({"x-request-id", "x-correlation-id", "x-trace-id", "traceparent"})
_METRIC_TYPES = ("Counter", "Histogram", "Gauge", "Summary")
_SECURITY_SCHEMES = ("HTTPBearer", "OAuth2PasswordBearer", "OAuth2AuthorizationCodeBearer",
                     "APIKeyHeader", "APIKeyCookie", "APIKeyQuery", "HTTPBasic", "OpenIdConnect")  # fmt: skip
_POOL_KWARGS = ("pool_size", "max_overflow", "pool_pre_ping", "pool_recycle", "pool_timeout",
                "min_size", "max_size", "max_connections", "maxconn", "minconn")  # fmt: skip
_POOL_FACTORIES = ("create_engine", "create_async_engine", "create_pool", "ConnectionPool",
                   "AsyncConnectionPool", "BlockingConnectionPool", "ThreadedConnectionPool",
                   "SimpleConnectionPool")  # fmt: skip


def _calls(mod: PyModule) -> Iterator[tuple[str, ast.Call]]:
    yield from nodes.calls(mod.nodes, mod.qualified_name)


def _last(qn: str) -> str:
    return qn.rsplit(".", 1)[-1]


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _libraries(mod: PyModule) -> Iterator[Evidence]:
    seen: set[str] = set()
    for name, line in import_names(mod):
        for item, text in _library_items(name):
            if item not in seen:
                seen.add(item)
                yield Evidence(item, text, mod.path, line)


@functools.lru_cache(maxsize=4096)
def _library_items(name: str) -> tuple[tuple[str, str], ...]:
    """(item, evidence text) an import of `name` proves; the same imports recur in every module."""
    return tuple(
        (item, f"{what}: `{next(p for p in prefixes if is_under(name, (p,)))}`")
        for item, what, prefixes in _IMPORTS
        if is_under(name, prefixes)
    )


def _app_wiring(mod: PyModule) -> Iterator[Evidence]:
    for qn, call in _calls(mod):
        last = _last(qn)
        if last == "add_middleware" and call.args:
            mw = mod.qualified_name(call.args[0]) or ""
            name = _last(mw)
            if name in _GZIP:
                yield Evidence("BACKEND-4", f"`{name}` added", mod.path, call.lineno)
            elif name == "HTTPSRedirectMiddleware":
                yield Evidence(
                    "DATA-2",
                    "`HTTPSRedirectMiddleware`",
                    mod.path,
                    call.lineno,
                )
            elif name == "CorrelationIdMiddleware" or "requestid" in name.lower():
                yield Evidence("TRACE-2", f"`{name}`", mod.path, call.lineno)
        elif last in ("exception_handler", "add_exception_handler"):
            what = ast.unparse(call.args[0]) if call.args else "errors"
            yield Evidence(
                "ERR-1",
                f"exception handler for `{what}`",
                mod.path,
                call.lineno,
            )
        elif last in (
            "start_as_current_span",
            "start_span",
            "start_transaction",
            "capture_span",
        ) or qn in ("ddtrace.tracer.trace",):
            yield Evidence(
                "TRACE-3",
                f"transactions traced (`{last}`)",
                mod.path,
                call.lineno,
            )
        elif last in ("instrument_app", "instrument") and "opentelemetry.instrumentation" in qn:
            yield Evidence(
                "TRACE-3",
                f"requests traced by `{qn.split('.')[2]}` instrumentation",
                mod.path,
                call.lineno,
            )
        elif last in (
            "TraceIdRatioBased",
            "ParentBased",
            "ParentBasedTraceIdRatio",
        ) and qn.startswith("opentelemetry"):
            yield Evidence("TRACE-4", f"trace sampler `{last}`", mod.path, call.lineno)
        elif qn == "sentry_sdk.init":
            yield Evidence(
                "ALERT-1",
                "errors reported to Sentry (`sentry_sdk.init`)",
                mod.path,
                call.lineno,
            )
            if (
                _kw(call, "traces_sample_rate") is not None
                or _kw(call, "traces_sampler") is not None
            ):
                yield Evidence(
                    "TRACE-4",
                    "Sentry trace sampling (`traces_sample_rate`)",
                    mod.path,
                    call.lineno,
                )
                yield Evidence(
                    "TRACE-5",
                    "Sentry performance monitoring",
                    mod.path,
                    call.lineno,
                )


def _header_names(mod: PyModule) -> Iterator[Evidence]:
    found: dict[str, int] = {}
    for node in nodes.of_type(mod.nodes, ast.Constant):
        if isinstance(node.value, str) and len(node.value) < 60:
            found.setdefault(node.value.lower(), node.lineno)
    if "content-security-policy" in found:
        yield Evidence(
            "DATA-3",
            "`Content-Security-Policy` header set",
            mod.path,
            found["content-security-policy"],
        )
    headers = [h for h in _SECURITY_HEADERS if h.lower() in found]
    if len(headers) >= 2:
        line = min(found[h.lower()] for h in headers)
        yield Evidence(
            "DATA-4",
            f"security headers set: {', '.join(headers)}",
            mod.path,
            line,
        )
    corr = sorted(_CORRELATION_HEADERS & set(found))
    if corr:
        yield Evidence(
            "TRACE-2",
            f"correlation header `{corr[0]}` handled",
            mod.path,
            found[corr[0]],
        )


def _routes(mod: PyModule) -> Iterator[Evidence]:
    for fn in function_defs(mod):
        route = route_where(fn)
        if route is None:
            continue
        _, path, where = route
        if _HEALTH_PATHS.match(path):
            yield Evidence(
                "HA-4",
                f"health endpoint {where}",
                mod.path,
                fn.lineno,
            )
        defaults = dict(
            zip(
                reversed([a.arg for a in fn.args.args]),
                reversed(fn.args.defaults),
                strict=False,
            )
        )
        defaults.update(
            {
                a.arg: d
                for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True)
                if d is not None
            }
        )
        for pname, default in defaults.items():
            if pname in ("limit", "page_size", "per_page", "size", "take") and isinstance(
                default, ast.Call
            ):
                bound = _kw(default, "le") or _kw(default, "lt")
                if bound is not None and _last(mod.qualified_name(default.func) or "") == "Query":
                    yield Evidence(
                        "BACKEND-3",
                        f"{where} pages results (`{pname}` bounded by `le={ast.unparse(bound)}`)",
                        mod.path,
                        fn.lineno,
                    )


def _authentication(mod: PyModule) -> Iterator[Evidence]:
    for qn, call in _calls(mod):
        last = _last(qn)
        if qn.startswith("fastapi.security.") and last in _SECURITY_SCHEMES:
            yield Evidence("AUTH-3", f"routes can depend on `{last}`", mod.path, call.lineno)
        if qn.endswith(".auth.get_user") or qn.endswith(".auth.get_claims"):
            yield Evidence(
                "AUTH-1",
                f"Supabase Auth verifies users (`auth.{last}`)",
                mod.path,
                call.lineno,
            )
        if (
            last == "decode"
            and qn.split(".")[0] in ("jwt", "jose")
            and const_value(_kw(call, "audience")) == "authenticated"
        ):
            yield Evidence(
                "AUTH-1",
                'Supabase JWTs verified (`audience="authenticated"`)',
                mod.path,
                call.lineno,
            )
        if last == "encode" and qn.split(".")[0] in ("jwt", "jose") and call.args:
            payload = call.args[0]
            if isinstance(payload, ast.Dict) and any(
                const_value(k) == "exp" for k in payload.keys if k is not None
            ):
                yield Evidence(
                    "AUTH-4",
                    "issued tokens expire (`exp` claim)",
                    mod.path,
                    call.lineno,
                )


def _retries(mod: PyModule) -> Iterator[Evidence]:
    for qn, call in _calls(mod):
        last = _last(qn)
        hit = None
        if qn.startswith("tenacity.") and last in (
            "wait_exponential",
            "wait_random_exponential",
            "wait_exponential_jitter",
        ):
            hit = f"`tenacity.{last}`"
        elif qn == "backoff.on_exception" and call.args and "expo" in ast.unparse(call.args[0]):
            hit = "`backoff.on_exception(backoff.expo)`"
        elif qn.startswith("stamina."):
            hit = "`stamina` retries"
        elif last == "Retry" and _kw(call, "backoff_factor") is not None:
            hit = "`Retry(backoff_factor=...)`"
        elif last in ("task", "shared_task") and const_value(_kw(call, "retry_backoff")) not in (
            None,
            False,
        ):
            hit = "Celery task with `retry_backoff`"
        if hit:
            yield Evidence(
                "ERR-2",
                f"retries with exponential backoff: {hit}",
                mod.path,
                call.lineno,
            )
            yield Evidence("ARCH-5", f"retry pattern: {hit}", mod.path, call.lineno)


def _data_access(mod: PyModule) -> Iterator[Evidence]:
    # migrations are not app code, yet they create the indexes
    for qn, call in _calls(mod):
        last = _last(qn)
        if qn.endswith("op.create_index") or (last == "Index" and qn.startswith("sqlalchemy")):
            yield Evidence("DB-1", f"index created (`{last}`)", mod.path, call.lineno)
        elif (
            last in ("Column", "mapped_column", "Field") and const_value(_kw(call, "index")) is True
        ):
            yield Evidence("DB-1", "indexed column (`index=True`)", mod.path, call.lineno)
        if not mod.is_app_code:
            continue
        if last in _POOL_FACTORIES:
            kws = [k.arg for k in call.keywords if k.arg in _POOL_KWARGS]
            if kws:
                yield Evidence(
                    "DB-2",
                    f"connection pool tuned: `{last}({', '.join(kws)})`",
                    mod.path,
                    call.lineno,
                )
        expiring = last == "setex" or (
            last == "set" and (_kw(call, "ex") is not None or _kw(call, "px") is not None)
        )
        if expiring and _uses_redis(mod):
            yield Evidence(
                "BACKEND-1",
                f"Redis cache entries expire (`{last}`)",
                mod.path,
                call.lineno,
            )
        if qn == "uvicorn.run" and _kw(call, "workers") is not None:
            yield Evidence(
                "BACKEND-5",
                "`uvicorn.run(workers=...)`",
                mod.path,
                call.lineno,
            )
    if mod.path.rsplit("/", 1)[-1] in (
        "gunicorn.conf.py",
        "gunicorn_conf.py",
        "gunicorn_config.py",
    ):
        for node in mod.tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "workers" for t in node.targets
            ):
                yield Evidence(
                    "BACKEND-5",
                    "Gunicorn `workers` set",
                    mod.path,
                    node.lineno,
                )


def _uses_redis(mod: PyModule) -> bool:
    return any(v.split(".")[0] in ("redis", "aioredis") for v in mod.imports.values())


def _json_formatter(mod: PyModule, node: ast.AST) -> bool:
    """A logging.Formatter subclass whose code calls json.dumps."""
    return (
        isinstance(node, ast.ClassDef)
        and any(_last(mod.qualified_name(b) or "") == "Formatter" for b in node.bases)
        and any(
            isinstance(n, ast.Call) and (mod.qualified_name(n.func) or "") == "json.dumps"
            for n in ast.walk(node)
        )
    )


def _logging_setup(mod: PyModule) -> Iterator[Evidence]:
    for node in nodes.of_type(mod.nodes, ast.ClassDef):
        if _json_formatter(mod, node):
            yield Evidence("LOG-1", f"JSON log formatter `{node.name}`", mod.path, node.lineno)
    for qn, call in _calls(mod):
        last = _last(qn)
        level = (
            _kw(call, "level")
            if last == "basicConfig"
            else (call.args[0] if last == "setLevel" and call.args else None)
        )
        if level is None:
            continue
        text = ast.unparse(level)
        if re.search(r"\b(DEBUG|NOTSET)\b|['\"]debug['\"]", text, re.IGNORECASE):
            continue
        yield Evidence("LOG-2", f"log level `{text}` set", mod.path, call.lineno)


def _custom_metrics(mod: PyModule) -> Iterator[Evidence]:
    for qn, call in _calls(mod):
        if qn.startswith("prometheus_client") and _last(qn) in _METRIC_TYPES and call.args:
            name = const_value(call.args[0])
            if isinstance(name, str):
                what = f"application metric `{name}` ({_last(qn)})"
                yield Evidence("METRICS-5", what, mod.path, call.lineno)
                yield Evidence("METRICS-3", what, mod.path, call.lineno)


def _code_documentation(mod: PyModule) -> Iterator[Evidence]:
    for qn, call in _calls(mod):
        if qn == "fastapi.FastAPI":
            off = _kw(call, "openapi_url")
            if not (isinstance(off, ast.Constant) and off.value in (None, "")):
                yield Evidence(
                    "DOCTECH-2",
                    "FastAPI serves its OpenAPI schema and `/docs`",
                    mod.path,
                    call.lineno,
                )
    for node in nodes.of_type(mod.nodes, ast.ClassDef):
        bases = [mod.qualified_name(b) or "" for b in node.bases]
        if any(b in ("pydantic_settings.BaseSettings", "pydantic.BaseSettings") for b in bases):
            yield Evidence(
                "SECRETS-2",
                f"settings come from the environment (`{node.name}(BaseSettings)`)",
                mod.path,
                node.lineno,
            )


def _load_tests(mod: PyModule) -> Iterator[Evidence]:
    if any(is_under(name, ("locust",)) for name, _ in import_names(mod)):
        yield Evidence("TEST-1", f"Locust load test `{mod.path}`", mod.path)


_APP_PARTS = (_libraries, _app_wiring, _header_names, _routes, _authentication, _retries,
              _logging_setup, _custom_metrics, _code_documentation)  # fmt: skip
_ALL_PARTS = (_data_access, _load_tests)  # tests, scripts and migrations count too


def module_evidence(mod: PyModule) -> tuple[Evidence, ...]:
    """The evidence one module shows by itself, computed where its tree is at hand.

    A part that fails on an odd module is skipped, as a failing detector is:
    evidence is a bonus, and missing evidence only leaves an item to review.
    """
    out: list[Evidence] = []
    parts = (*_APP_PARTS, *_ALL_PARTS) if mod.is_app_code else _ALL_PARTS
    for part in parts:
        try:
            out.extend(part(mod))
        except Exception:
            continue
    return tuple(out)


@detector(
    *sorted({item for item, _, _ in _IMPORTS}),
    "BACKEND-4", "DATA-2", "ERR-1", "TRACE-2", "TRACE-3", "TRACE-4", "TRACE-5", "ALERT-1",
    "DATA-3", "DATA-4", "HA-4", "BACKEND-3", "AUTH-1", "AUTH-3", "AUTH-4", "ERR-2", "ARCH-5",
    "DB-1", "DB-2", "BACKEND-1", "BACKEND-5", "LOG-1", "LOG-2", "METRICS-3", "METRICS-5",
    "DOCTECH-2", "SECRETS-2", "TEST-1",
)  # fmt: skip
def module_by_module(repo: RepoView) -> Iterator[Evidence]:
    for mod in repo.all_python:
        yield from mod.evidence
