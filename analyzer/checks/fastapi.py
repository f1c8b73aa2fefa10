"""FastAPI rules (API001..API019): the app's own code, and the app beside what runs it.

Rules about one call (`FastAPI(debug=True)`, CORS `*` with credentials, a
request body typed `dict`) are file rules over a module's FastAPI facts.
Everything that depends on how routers are wired (dependencies at router,
`include_router` and app level, `Annotated` aliases declared in another
module, full paths behind prefixes) is judged once over the application
model of the whole repository (analyzer.facts.fastapi.app.AppModel), as are
the "the app has no X" rules and the cross-file rules comparing probes,
healthchecks and worker counts with the app and the containers that run it.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.checks.registry import file_check, repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.facts.compose import Service, services_of
from analyzer.facts.edges import sides
from analyzer.facts.fastapi.app import AppModel, FullRoute
from analyzer.facts.fastapi.module import FACTS_KIND
from analyzer.facts.fastapi.names import PAGINATION_PARAMS, PAGINATION_WORDS, name_words
from analyzer.facts.fastapi.records import ModuleFacts, Owner
from analyzer.facts.kubernetes import Container, containers, objects_of
from analyzer.facts.repo import as_view
from analyzer.facts.routes import app_model, rate_limit_gaps, served_routes, unauthenticated
from analyzer.parsers.dockerfile import Dockerfile
from analyzer.parsers.yamlfile import YamlFile, dig
from analyzer.parsers.yamlmarks import YamlMap, YamlSeq

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
_SERVER = re.compile(r"(?:^|/)(?:uvicorn|gunicorn|hypercorn|granian|fastapi)$")


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


# --------------------------------------------------------------------------- the judge


@dataclass(frozen=True)
class ServerCmd:
    """An ASGI server command line as a container runs it."""

    port: int | None  # None: set through a variable we cannot read
    workers: int | None
    where: str  # file that holds the command
    line: int | None
    column: int | None


def server_command(words: Sequence[str]) -> tuple[int | None, int | None] | None:
    """(port, workers) of a uvicorn/gunicorn/hypercorn/fastapi command; None if it runs none."""
    words = list(words)
    if (
        len(words) >= 3
        and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash")
        and words[1]
        in (
            "-c",
            "-lc",
            "-ec",
        )
    ):
        try:
            inner = shlex.split(words[2])
        except ValueError:
            inner = words[2].split()
        for piece in re.split(r"&&|;|\|\||&", " ".join(inner)):
            found = server_command(piece.split())
            if found is not None:
                return found
        return None
    start = None
    server = ""
    for i, w in enumerate(words):
        base = w.rsplit("/", 1)[-1]
        if _SERVER.search(base):
            start, server = i, base
            break
        if (
            base in ("python", "python3")
            and i + 2 < len(words)
            and words[i + 1] == "-m"
            and words[i + 2] in ("uvicorn", "gunicorn", "hypercorn")
        ):
            start, server = i + 2, words[i + 2]
            break
    if start is None:
        return None
    if server == "fastapi" and not (start + 1 < len(words) and words[start + 1] == "run"):
        return None
    port: int | None = 8000
    workers: int | None = 1
    args = words[start + 1 :]
    for i, w in enumerate(args):
        key, eq, val = w.partition("=")
        if not eq:
            val = args[i + 1] if i + 1 < len(args) else ""
        if key in ("--port", "-p") and server != "gunicorn":
            port = int(val) if val.isdigit() else None
        elif key in ("--bind", "-b"):
            tail = val.rsplit(":", 1)[-1] if ":" in val else ""
            port = int(tail) if tail.isdigit() else (None if "$" in val else port)
        elif key in ("--workers", "-w"):
            workers = int(val) if val.isdigit() else None
    return port, workers


@dataclass(frozen=True)
class Probe:
    path: str  # file of the probe
    line: int
    column: int
    http_path: str
    port: int | None
    what: str  # "liveness probe of container api" ...
    server: ServerCmd | None
    cpu: float | None
    runs_app: bool


def _dockerfiles(results: Sequence[FileResult]) -> dict[str, Dockerfile]:
    return {r.path: r.facts for r in results if isinstance(r.facts, Dockerfile)}


def _dockerfile_server(df: Dockerfile) -> ServerCmd | None:
    stage = df.shipped_stage
    cmds = stage.of("CMD") or []
    entry = stage.of("ENTRYPOINT") or []
    words: list[str] = []
    line = col = None
    if entry:
        words += entry[-1].words()
        line, col = entry[-1].line, entry[-1].column
    if cmds:
        words += cmds[-1].words()
        line, col = cmds[-1].line, cmds[-1].column
    found = server_command(words)
    if found is None:
        return None
    return ServerCmd(found[0], found[1], df.path, line, col)


def _only_server_dockerfile(dfs: dict[str, Dockerfile]) -> ServerCmd | None:
    servers = [s for s in (_dockerfile_server(d) for d in dfs.values()) if s is not None]
    return servers[0] if len(servers) == 1 else None


def _cpu(value: Any) -> float | None:
    if value is None:
        return None
    text = str(value).strip().strip('"')
    try:
        return float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        return None


def _k8s_probes(results: Sequence[FileResult], dfs: dict[str, Dockerfile]) -> Iterator[Probe]:
    fallback = _only_server_dockerfile(dfs)
    for r in results:
        if r.kind != "kubernetes" or not isinstance(r.facts, YamlFile):
            continue
        for obj in objects_of(r.path, r.facts):
            for c in containers(obj):
                if c.init and not c.sidecar:
                    continue
                yield from _container_probes(c, fallback)


def _container_probes(c: Container, fallback: ServerCmd | None) -> Iterator[Probe]:
    words = [str(w) for w in (c.node.get("command") or [])] + [
        str(w) for w in (c.node.get("args") or [])
    ]
    server: ServerCmd | None = None
    if words:
        found = server_command(words)
        if found is not None:
            key = "command" if "command" in c.node else "args"
            mark = c.node.key_mark(key)
            server = ServerCmd(found[0], found[1], c.owner.path, mark[0], mark[1])
        runs_app = found is not None
    else:
        image = str(c.node.get("image") or "")
        runs_app = fallback is not None and "/" in image
        server = fallback if runs_app else None
    ports = {}
    for p in c.node.get("ports") or []:
        if isinstance(p, YamlMap) and isinstance(p.get("containerPort"), int):
            ports[str(p.get("name", ""))] = p["containerPort"]
    cpu = _cpu(dig(c.node, "resources", "limits", "cpu"))
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = c.node.get(key)
        get = probe.get("httpGet") if isinstance(probe, YamlMap) else None
        if not isinstance(get, YamlMap) or not isinstance(get.get("path"), str):
            continue
        port = get.get("port")
        number = port if isinstance(port, int) else ports.get(str(port)) if port else None
        if isinstance(port, str) and port.isdigit():
            number = int(port)
        mark = get.value_mark("path")
        yield Probe(
            c.owner.path,
            mark[0],
            mark[1],
            get["path"],
            number,
            f"{key} of {c.label()}",
            server,
            cpu,
            runs_app,
        )
    if server is not None and not any(
        isinstance(c.node.get(k), YamlMap) and "httpGet" in c.node[k]
        for k in ("livenessProbe", "readinessProbe")
    ):
        yield Probe(c.owner.path, c.mark[0], c.mark[1], "", None, c.label(), server, cpu, True)


_CURL_URL = re.compile(
    r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d+))?(/[^\s'\"]*)?"
)


def _compose_probes(results: Sequence[FileResult], dfs: dict[str, Dockerfile]) -> Iterator[Probe]:
    for r in results:
        if r.kind != "compose" or not isinstance(r.facts, YamlFile):
            continue
        for svc in services_of(r.facts):
            server = _compose_server(svc, dfs)
            cpu = _cpu(
                dig(svc.data, "deploy", "resources", "limits", "cpus") or svc.data.get("cpus")
            )
            hc = svc.data.get("healthcheck")
            test = hc.get("test") if isinstance(hc, YamlMap) else None
            text = _words(test)
            m = _CURL_URL.search(text)
            if m and isinstance(hc, YamlMap):
                mark = hc.value_mark("test")
                if isinstance(test, YamlSeq):
                    idx = next((i for i, t in enumerate(test) if m.group(0) in str(t)), 0)
                    mark = test.item_mark(idx)
                port = int(m.group(1)) if m.group(1) else 80
                yield Probe(r.path, mark[0], mark[1], m.group(2) or "/", port,
                            f"healthcheck of service `{svc.name}`", server, cpu,
                            server is not None)  # fmt: skip
            elif server is not None:
                yield Probe(r.path, svc.mark[0], svc.mark[1], "", None,
                            f"service `{svc.name}`", server, cpu, True)  # fmt: skip


def _compose_server(svc: Service, dfs: dict[str, Dockerfile]) -> ServerCmd | None:
    command = svc.data.get("command")
    if command is not None:
        words = [str(w) for w in command] if isinstance(command, list) else _split(str(command))
        found = server_command(words)
        if found is None:
            return None
        mark = svc.data.key_mark("command")
        return ServerCmd(found[0], found[1], svc.path, mark[0], mark[1])
    build = svc.data.get("build")
    if build is None:
        return None
    context = build if isinstance(build, str) else str(build.get("context", "."))
    dockerfile = (
        "Dockerfile" if isinstance(build, str) else str(build.get("dockerfile", "Dockerfile"))
    )
    path = posixpath.normpath(posixpath.join(posixpath.dirname(svc.path), context, dockerfile))
    df = dfs.get(path)
    return _dockerfile_server(df) if df is not None else None


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _path_regex(template: str) -> re.Pattern[str]:
    out = []
    pos = 0
    for m in re.finditer(r"\{([A-Za-z_]\w*)(:path)?(?::[^}]*)?\}", template):
        out.append(re.escape(template[pos : m.start()]))
        out.append(".*" if m.group(2) else "[^/]+")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out).rstrip("/") + "/?")


def _serves(model: AppModel, path: str) -> bool | None:
    """Whether the app serves `path`; None when routes could not all be resolved."""
    clean = path.split("?", 1)[0].rstrip("/") or "/"
    paths = [fr.path for fr in model.routes if fr.module.app_code]
    if model.unresolved_includes or any(p is None for p in paths):
        return None
    for p in paths:
        assert p is not None
        if _path_regex(p or "/").fullmatch(clean) or _path_regex(p or "/").fullmatch(clean + "/"):
            return True
    for p, prefix in model.served:
        base = p.rstrip("/")
        if clean == (base or "/") or (prefix and clean.startswith(base + "/")):
            return True
    return False


@repo_check("API017", "API018", "API019")
def check_judge(results: Sequence[FileResult]) -> Iterator[Finding]:
    model = app_model(results)
    apps = _apps(model)
    dfs = _dockerfiles(results)
    probes = [*_k8s_probes(results, dfs), *_compose_probes(results, dfs)]
    app_file = apps[0].module.path if apps else ""
    seen_workers: set[tuple[str, int | None]] = set()
    for p in probes:
        if apps and p.runs_app and p.http_path:
            served = _serves(model, p.http_path)
            if served is False:
                yield _finding(
                    "API017",
                    p.path,
                    f"The {p.what} requests `{p.http_path}`, which the app ({app_file}) does "
                    "not serve: the probe fails and the container is restarted or never "
                    "becomes ready.",
                    p.line,
                    p.column,
                    f"API017:{p.what}:{p.http_path}",
                )
            server = p.server
            if (
                server is not None
                and server.port is not None
                and p.port is not None
                and (server.port != p.port)
            ):
                other = "" if server.where == p.path else f" in {server.where}"
                yield _finding(
                    "API018",
                    p.path,
                    f"The {p.what} checks port {p.port}, but the server listens on port "
                    f"{server.port} (its command{other}).",
                    p.line,
                    p.column,
                    f"API018:{p.what}",
                )
        server = p.server
        if server is None or server.workers is None or p.cpu is None or server.line is None:
            continue
        ceiling = int(2 * p.cpu + 1)
        key = (server.where, server.line)
        if server.workers > ceiling and key not in seen_workers:
            seen_workers.add(key)
            other = "" if server.where == p.path else f" ({p.path} sets the limit)"
            yield _finding(
                "API019",
                server.where,
                f"The server starts {server.workers} workers for a CPU limit of {p.cpu:g} "
                f"(at most 2 x CPU + 1 = {ceiling}){other}: workers fight for CPU and memory.",
                server.line,
                server.column,
                f"API019:{p.what}",
            )
