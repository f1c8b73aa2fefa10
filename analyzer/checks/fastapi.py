"""FastAPI rules (API001..API016): the app's routes, middleware and capabilities.

Rules about one call (`FastAPI(debug=True)`, CORS `*` with credentials, a
request body typed `dict`) are file rules over a module's FastAPI facts.
Everything that depends on how routers are wired (dependencies at router,
`include_router` and app level, `Annotated` aliases declared in another
module, full paths behind prefixes) is judged once over the application
model of the whole repository (analyzer.facts.fastapi.app.AppModel), as are
the "the app has no X" rules. The rules comparing probes, healthchecks and
worker counts with the app and the containers that run it are in
analyzer.checks.serving.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.checks.registry import file_check, repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.facts.compose import services_of
from analyzer.facts.edges import sides
from analyzer.facts.fastapi.app import AppModel, FullRoute
from analyzer.facts.fastapi.module import FACTS_KIND
from analyzer.facts.fastapi.names import PAGINATION_PARAMS, PAGINATION_WORDS, name_words
from analyzer.facts.fastapi.records import ModuleFacts, Owner
from analyzer.facts.kubernetes import containers, objects_of
from analyzer.facts.repo import as_view
from analyzer.facts.routes import app_model, rate_limit_gaps, served_routes, unauthenticated
from analyzer.parsers.dockerfile import Dockerfile
from analyzer.parsers.yamlfile import YamlFile, dig

# Paths that are public by nature: probes, metrics, API docs, and the routes that give a token.
_EXEMPT_PATH = re.compile(
    r"(?:^|/)(?:health[\w-]*|healthz|livez|readyz|ready|live|liveness|readiness|ping|status|"
    r"heartbeat|metrics|docs|redoc|openapi\.json|favicon\.ico|robots\.txt|version)/?$|"
    r"(?:^|/)(?:login|logout|signin|sign-in|signup|sign-up|register|token|refresh|auth|oauth2?|"
    r"password[\w-]*|reset-password|forgot-password|recover[\w-]*|verify[\w-]*|callback|"
    r"magic-link|otp|confirm[\w-]*)(?:/|$)",
    re.I,
)
_HEALTH_PATH = re.compile(
    r"(?:^|/)(?:health[\w-]*|healthz|livez|readyz|ready|live|liveness|readiness|ping|"
    r"heartbeat)/?$",
    re.I,
)
# Query parameters that size one page of a list: unbounded, a client asks for every row.
_PAGE_SIZE_PARAMS = ("limit", "per_page", "page_size", "pagesize", "size", "take", "max_results")
_CREDENTIAL_WORDS = frozenset({"login", "logout", "signin", "signup", "register", "health"})


def _public_routes(results: Sequence[FileResult]) -> tuple[str, ...]:
    """`public-routes` of the configuration: routes the team declared open on purpose."""
    return as_view(results).config.public_routes


def _is_public(path: str | None, public: Sequence[str]) -> bool:
    if path is None:
        return False
    clean = path.rstrip("/") or "/"
    return any(clean == p.rstrip("/") or clean.startswith(p.rstrip("/") + "/") for p in public)


def _finding(code: str, path: str, message: str, line: int | None, column: int | None,
             anchor: str) -> Finding:  # fmt: skip
    return Finding(code, path, message, line=line, column=column, anchor=anchor)


# --------------------------------------------------------------------------- file rules


@file_check(FACTS_KIND, "API007", "API014", "API015")
def check_module(facts: ModuleFacts) -> Iterator[Finding]:
    if not facts.app_code:
        return
    for owner in facts.owners:
        if owner.debug_true is not None:
            line, col = owner.debug_true
            yield _finding(
                "API014",
                facts.path,
                f"`{owner.var}` is created with `debug=True`: errors return full tracebacks "
                "to any client.",
                line,
                col,
                f"debug:{owner.var}",
            )
    for mw in facts.middlewares:
        if mw.cors_wildcard_credentials:
            yield _finding(
                "API007",
                facts.path,
                "CORSMiddleware allows every origin (`*`) together with `allow_credentials=True`: "
                "any website can make credentialed requests and read the answers.",
                mw.line,
                mw.column,
                "cors-wildcard-credentials",
            )
    for route in facts.routes:
        for p in route.params:
            if p.body_like:
                yield _finding(
                    "API015",
                    facts.path,
                    f"Route `{route.function}` takes `{p.name}: {p.annotation}`: the request "
                    "body is accepted unvalidated; declare a Pydantic model.",
                    p.line,
                    p.column,
                    f"body:{route.function}:{p.name}",
                )


# --------------------------------------------------------------------------- route rules


def _route_label(fr: FullRoute) -> str:
    path = fr.path if fr.path is not None else fr.loose_path
    return f"{'/'.join(fr.route.methods)} {path} (`{fr.route.function}`)"


def _signed(model: AppModel, fr: FullRoute) -> bool:
    if fr.route.signature_evidence:
        return True
    return any(model.dep_has(d, fr.module.path, "signature") for d in fr.deps)


def _route_finding(code: str, fr: FullRoute, message: str) -> Finding:
    return _finding(
        code,
        fr.module.path,
        message,
        fr.route.line,
        fr.route.column,
        f"{code}:{fr.route.function}:{','.join(fr.route.methods)}",
    )


@repo_check("API001", "API002", "API004", "API005", "API013")
def check_routes(results: Sequence[FileResult]) -> Iterator[Finding]:
    model = app_model(results)
    public = _public_routes(results)
    for fr in served_routes(model):
        route = fr.route
        if route.telephony or "twilio" in fr.loose_path.lower():
            if not _signed(model, fr) and unauthenticated(model, fr):
                yield _route_finding(
                    "API002",
                    fr,
                    f"Webhook {_route_label(fr)} answers telephony callbacks without validating "
                    "the provider's request signature (e.g. Twilio `RequestValidator` on "
                    "`X-Twilio-Signature`): anyone can forge call events.",
                )
        elif not (
            fr.dev_only
            or set(route.methods) <= _PREFLIGHT  # a CORS preflight carries no credentials
            or _gives_credentials(fr)
            or _is_public(fr.path, public)
            or not unauthenticated(model, fr)
        ):
            yield _route_finding(
                "API001",
                fr,
                f"Route {_route_label(fr)} has no authentication dependency at route, "
                "router, include_router or app level.",
            )
        yield from _pagination(model, fr)
    # A limit_req in the nginx/ingress in front of the app counts (analyzer.facts.edges).
    gaps = rate_limit_gaps(model)
    both = sides(results) if gaps else None
    if both is None or both.edge_rate_limit():
        return
    also = f" (nor does the proxy in front of it, {both.proxy_files()})" if both.proxies else ""
    for fr in gaps:
        yield _route_finding(
            "API013",
            fr,
            f"Route {_route_label(fr)} logs in, sends codes or places calls but has no rate "
            f"limit (slowapi, fastapi-limiter){also}: it can be brute-forced or run up the bill.",
        )


_PREFLIGHT = frozenset({"OPTIONS", "HEAD"})


def _gives_credentials(fr: FullRoute) -> bool:
    """Probes, docs and the routes that hand out a token: public by nature."""
    words = name_words(fr.route.function)
    return bool(_EXEMPT_PATH.search(fr.loose_path) or words & _CREDENTIAL_WORDS)


def _literal(fr: FullRoute) -> str:
    return "".join(v for k, v in fr.route.path or () if k == "lit")


def _paginated(model: AppModel, fr: FullRoute) -> bool:
    if any(p.name.lower() in PAGINATION_PARAMS for p in fr.route.params):
        return True
    for d in fr.deps:
        if d.target and name_words(d.target.rsplit(".", 1)[-1]) & PAGINATION_WORDS:
            return True
    return "Page[" in fr.route.response_model or "LimitOffsetPage" in fr.route.response_model


def _pagination(model: AppModel, fr: FullRoute) -> Iterator[Finding]:
    route = fr.route
    if "GET" in route.methods and route.whole_table and not _paginated(model, fr):
        line, col, what = route.whole_table
        yield _finding(
            "API004",
            fr.module.path,
            f"List endpoint {_route_label(fr)} returns a whole table ({what}) with no "
            "limit/offset or cursor: the response grows with the data.",
            line,
            col,
            f"API004:{route.function}",
        )
    for p in route.params:
        if p.name.lower() in _PAGE_SIZE_PARAMS and p.int_like and not p.bounded:
            yield _finding(
                "API005",
                fr.module.path,
                f"Query parameter `{p.name}` of {_route_label(fr)} has no upper bound: a "
                f"client can ask for every row (use `Query(..., le=100)`).",
                p.line,
                p.column,
                f"API005:{route.function}:{p.name}",
            )


# --------------------------------------------------------------------------- app-level rules


@dataclass(frozen=True)
class _App:
    module: ModuleFacts
    owner: Owner


def _apps(model: AppModel) -> list[_App]:
    """Apps of application code that serve at least one route (or include a router)."""
    out = []
    for mod, owner in model.apps:
        if not mod.app_code:
            continue
        has_routes = any(fr.app == owner for fr in model.routes) or any(
            inc.parent == owner.ref for m in model.modules for inc in m.includes
        )
        if has_routes:
            out.append(_App(mod, owner))
    return out


_CAPABILITIES: tuple[tuple[str, str, str], ...] = (
    (
        "API006",
        "gzip",
        "No response compression: the app adds no `GZipMiddleware` (and no proxy in the "
        "repository compresses), so JSON lists travel uncompressed.",
    ),
    (
        "API009",
        "exception-handlers",
        "No exception handler is registered on the app (`@app.exception_handler` or "
        "`add_exception_handler`): unexpected errors get FastAPI's default answers and no "
        "consistent error body or logging.",
    ),
    (
        "API011",
        "metrics",
        "No Prometheus metrics are exposed (prometheus_client, "
        "prometheus-fastapi-instrumentator, starlette-exporter): request rates, latencies and "
        "errors cannot be scraped or alerted on.",
    ),
    (
        "API012",
        "tracing",
        "No distributed tracing: no OpenTelemetry (or other tracer) instrumentation in the "
        "code, the container command or the manifests.",
    ),
    (
        "API016",
        "request-id",
        "No request-ID / correlation-ID middleware: log lines of one request cannot be tied "
        "together across services.",
    ),
)


@repo_check("API003", "API006", "API008", "API009", "API010", "API011", "API012", "API016")
def check_app_capabilities(results: Sequence[FileResult]) -> Iterator[Finding]:
    model = app_model(results)
    apps = _apps(model)
    if not apps:
        return
    libs = set(model.app_libs())
    if any(m.exception_handlers for m in model.modules if m.app_code):
        libs.add("exception-handlers")
    if _external_tracing(results):
        libs.add("tracing")
    if "tracing" in libs:
        libs.add("request-id")  # trace IDs correlate the logs of one request
    headers = {h for m in model.modules if m.app_code for h in m.header_names}
    # The nginx/ingress in front of the app may compress and send the headers for it.
    both = sides(results)
    if both.edge_gzip():
        libs.add("gzip")
    if both.edge_headers():
        libs.add("security-headers")
    proxy = f"; nor does the proxy in front of it ({both.proxy_files()})" if both.proxies else ""
    public = _public_routes(results)
    for app in apps:
        anchor = f"app:{app.module.module}:{app.owner.var}"
        where = f"app `{app.owner.var}` ({app.module.path})"
        for code, need, message in _CAPABILITIES:
            if need not in libs:
                place = where + proxy if code == "API006" else where
                yield _finding(code, app.module.path, f"{message} [{place}]", None, None,
                               f"{code}:{anchor}")  # fmt: skip
        if not headers and "security-headers" not in libs:
            yield _finding(
                "API008",
                app.module.path,
                "No security headers are set (Content-Security-Policy, Strict-Transport-"
                "Security, X-Content-Type-Options, X-Frame-Options) by the app or a "
                f"middleware [{where}{proxy}].",
                None,
                None,
                f"API008:{anchor}",
            )
        routes = [fr for fr in model.routes if fr.app == app.owner]
        if not any(_HEALTH_PATH.search(fr.loose_path) for fr in routes) and not any(
            _HEALTH_PATH.search(p) for p, _ in model.served
        ):
            yield _finding(
                "API010",
                app.module.path,
                f"No health route (`/health`, `/healthz`, `/ready`...) [{where}]: probes and "
                "load balancers cannot tell whether the app is up.",
                None,
                None,
                f"API010:{anchor}",
            )
        guarded = [
            fr
            for fr in routes
            if not _EXEMPT_PATH.search(fr.loose_path) and not _is_public(fr.path, public)
        ]
        if guarded and all(unauthenticated(model, fr) for fr in routes):
            # Judged on what is wired, not on what is imported: a JWT helper no route
            # depends on protects nothing.
            yield _finding(
                "API003",
                app.module.path,
                f"{where.capitalize()} serves {len(guarded)} route(s) and none of them is "
                "protected: no security scheme, JWT or Supabase auth check, auth dependency or "
                "authentication middleware is applied anywhere.",
                None,
                None,
                f"API003:{anchor}",
            )


def _external_tracing(results: Sequence[FileResult]) -> bool:
    """`opentelemetry-instrument`/`ddtrace-run` wrappers and the OTel operator's injection."""
    for r in results:
        if isinstance(r.facts, Dockerfile):
            if any(
                re.search(r"opentelemetry-instrument|ddtrace-run", ins.args)
                for ins in r.facts.instructions
            ):
                return True
        elif isinstance(r.facts, YamlFile) and r.kind in ("kubernetes", "compose"):
            for obj in objects_of(r.path, r.facts) if r.kind == "kubernetes" else []:
                ann = dig(obj.node, "spec", "template", "metadata", "annotations")
                if isinstance(ann, dict) and any(
                    str(k).startswith("instrumentation.opentelemetry.io/inject") for k in ann
                ):
                    return True
                for c in containers(obj):
                    if "opentelemetry-instrument" in _words(c.node.get("command")) + _words(
                        c.node.get("args")
                    ):
                        return True
            if r.kind == "compose":
                for svc in services_of(r.facts):
                    if "opentelemetry-instrument" in _words(svc.data.get("command")):
                        return True
    return False


def _words(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)
