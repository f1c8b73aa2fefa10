"""Rules that join the code with the manifests and proxies that run it (X001..X003).

Two jobs live here.

The shared view of who provides compression, security headers and rate
limiting: the FastAPI app itself, or the proxy in front of it (an nginx
`server` that proxies to the app, an ingress-nginx Ingress). API006/API008/
API013 (the app) and NGX001/NGX003/NGX004/NGX008 (nginx) consult it, so a
capability either side provides silences both, and when neither provides
it exactly one of them reports: the app rule. The app finding exists with or
without a proxy, so its fingerprint does not move when a proxy is added or
removed, and its message names the proxy files that do not help either.
nginx rules keep judging servers that are not in front of the app (a static
frontend, a proxy to another service), and report a fronting server only
when the gap is its own (another proxy in front of the app does it, the app
relies on the edge).

And the X rules, each judged only when the repository holds what they
compare (deployment manifests, the datastore's service):
- X001: an environment variable the code requires that no container running
  that code provides.
- X002: a Redis, PostgreSQL or MySQL the code connects to, run by the
  repository's manifests without authentication.
- X003: a connection URL in the code to a remote datastore host with no
  password, or to Redis without TLS.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from analyzer.checks.compose import Service, env_names, image_name, services_of
from analyzer.checks.kubernetes import Container, Obj, containers, objects_of, pod_labels
from analyzer.checks.registry import per_judge, repo_check
from analyzer.model import FileResult, Finding
from analyzer.parsers.dockerfile import Dockerfile, env_pairs
from analyzer.parsers.envfile import EnvFile
from analyzer.parsers.python import PyModule
from analyzer.parsers.yamlfile import YamlFile, dig
from analyzer.parsers.yamlmarks import Mark, YamlMap, YamlSeq
from analyzer.pyfacts import nodes
from analyzer.pyfacts.summary import ClassInfo, PySummary, SettingsField, UrlLiteral

ALL = "*"  # stands for "every header" / "every variable": a source we cannot read


# --------------------------------------------------------------------------- app and proxy


@dataclass(frozen=True)
class AppSide:
    """What the FastAPI application of the repository does for itself."""

    present: bool
    path: str  # module that creates the (first) app
    gzip: bool
    headers: frozenset[str]  # security header names it sets; {ALL} through a header library
    rate_limit: bool
    sensitive_routes: bool  # API013 would report routes when no proxy limits them


@dataclass(frozen=True)
class Proxy:
    """An nginx server or ingress-nginx Ingress in front of the app, and what it provides."""

    path: str
    label: str
    gzip: bool
    headers: frozenset[str]
    rate_limit: bool
    ident: str  # nginx Server.ident() or "ingress:<name>"


@dataclass(frozen=True)
class Sides:
    app: AppSide
    proxies: tuple[Proxy, ...]  # in front of the app (empty without an app)

    def edge_gzip(self) -> bool:
        return any(p.gzip for p in self.proxies)

    def edge_headers(self) -> frozenset[str]:
        return frozenset(h for p in self.proxies for h in p.headers)

    def edge_rate_limit(self) -> bool:
        return any(p.rate_limit for p in self.proxies)

    def fronting(self, ident: str) -> Proxy | None:
        return next((p for p in self.proxies if p.ident == ident), None)

    def proxy_files(self) -> str:
        return ", ".join(sorted({p.path for p in self.proxies}))


def app_side(results: Sequence[FileResult]) -> AppSide:
    mods = [r.facts.api for r in results if isinstance(r.facts, PySummary)]
    app_mods = [m for m in mods if m.app_code]
    apps = [m for m in app_mods if any(o.kind == "app" for o in m.owners)]
    libs = {lib for m in app_mods for lib in m.libs}
    headers = {h for m in app_mods for h in m.header_names}
    if "security-headers" in libs:
        headers.add(ALL)
    # Imported here: fastapi.py imports this module for the proxy's side.
    from analyzer.checks.fastapi import app_model, rate_limit_gaps

    gaps = bool(apps) and bool(rate_limit_gaps(app_model(results)))
    return AppSide(
        present=bool(apps),
        path=apps[0].path if apps else "",
        gzip="gzip" in libs,
        headers=frozenset(headers),
        rate_limit=bool(libs & {"ratelimit", "ratelimit-app"}),
        sensitive_routes=gaps,
    )


@per_judge
def sides(results: Sequence[FileResult]) -> Sides:
    app = app_side(results)
    if not app.present:
        return Sides(app, ())
    names = _service_names(results)
    proxies = [*_nginx_proxies(results, names), *_ingress_proxies(results, names)]
    return Sides(app, tuple(proxies))


_EXTERNAL_HOST = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$", re.I)
_SNIPPET_HEADER = re.compile(r"(?:add_header|more_set_headers)\s+[\"']?([A-Za-z0-9-]+)")


def _service_names(results: Sequence[FileResult]) -> dict[str, bool]:
    """Compose service and Kubernetes Service names -> whether they run the app's code."""
    out: dict[str, bool] = {}
    code_images = _code_images(results)
    for r in results:
        if r.kind == "compose" and isinstance(r.facts, YamlFile):
            for svc in services_of(r.facts):
                out[svc.name] = out.get(svc.name, False) or _runs_code(svc, code_images)
    workloads = [o for o in _k8s_objects(results) if containers(o)]
    for obj in _k8s_objects(results):
        if obj.kind != "Service":
            continue
        selector = dig(obj.node, "spec", "selector")
        matched = [
            w
            for w in workloads
            if isinstance(selector, dict)
            and selector
            and all(pod_labels(w).get(str(k)) == str(v) for k, v in selector.items())
        ]
        runs = not matched or any(_k8s_runs_code(c, code_images) for w in matched
                                  for c in containers(w))  # fmt: skip
        out[obj.name] = out.get(obj.name, False) or runs
    return out


def _upstream_hosts(server: Any, host: str) -> list[str]:
    for parent in server.parents:
        for up in parent.all("upstream"):
            if up.args[:1] == (host,):
                return [_host(s.args[0]) for s in up.all("server") if s.args]
    return [host]


def _host(target: str) -> str:
    text = target.split("://", 1)[-1]
    text = text.split("/", 1)[0]
    return text.rsplit(":", 1)[0] if not text.startswith("[") else text


def _to_app(host: str, names: dict[str, bool]) -> bool:
    """Whether a proxied host is the app: a name of the app's service, a local or unknown one."""
    if "$" in host or host.startswith("unix"):
        return True
    short = host.split(".", 1)[0]
    if host in names:
        return names[host]
    if short in names and not _EXTERNAL_HOST.match(host):
        return names[short]
    return not _EXTERNAL_HOST.match(host) or host.endswith((".svc", ".svc.cluster.local"))


def _nginx_proxies(results: Sequence[FileResult], names: dict[str, bool]) -> Iterator[Proxy]:
    # Imported here: nginx.py imports this module for the same facts.
    from analyzer.checks.nginx import header_facts, server_gzips, tree_of

    headers = {h.server.ident(): h for h in header_facts(results)}
    for s in tree_of(results).serving():
        targets = [
            _host(d.args[0])
            for d in s.node.walk()
            if d.name in ("proxy_pass", "uwsgi_pass", "grpc_pass") and d.args
        ]
        hosts = [h for t in targets for h in _upstream_hosts(s, t)]
        if not hosts or not any(_to_app(h, names) for h in hosts):
            continue
        hf = headers.get(s.ident())
        sent = set(hf.sent) if hf is not None else set()
        if s.opaque:
            sent.add(ALL)
        yield Proxy(
            path=s.node.path,
            label=f"{s.label()} ({s.node.path})",
            gzip=s.opaque or server_gzips(s),
            headers=frozenset(sent),
            rate_limit=s.opaque or s.anywhere("limit_req"),
            ident=s.ident(),
        )


def _ingress_proxies(results: Sequence[FileResult], names: dict[str, bool]) -> Iterator[Proxy]:
    objs = _k8s_objects(results)
    controller = {}
    for o in objs:
        data = o.node.get("data") if o.kind == "ConfigMap" else None
        if isinstance(data, YamlMap):
            controller.update({str(k): str(v).lower() for k, v in data.items()})
    controller_gzip = controller.get("use-gzip") == "true" or controller.get("enable-brotli") == (
        "true"
    )
    for o in objs:
        if o.kind != "Ingress":
            continue
        ann = dig(o.node, "metadata", "annotations")
        ann = {str(k): str(v) for k, v in ann.items()} if isinstance(ann, dict) else {}
        klass = str(dig(o.node, "spec", "ingressClassName") or "") + ann.get(
            "kubernetes.io/ingress.class", ""
        )
        ours = {k.split("/", 1)[1]: v for k, v in ann.items() if k.startswith("nginx.ingress.")}
        if "nginx" not in klass and not ours:
            continue
        backends = [str(b) for b in _ingress_backends(o.node)]
        if backends and not any(names.get(b, True) for b in backends):
            continue
        snippet = " ".join(v for k, v in ours.items() if k.endswith("snippet"))
        headers = {h.lower() for h in _SNIPPET_HEADER.findall(snippet)}
        if "add-headers" in controller or "custom-headers" in ours:
            headers.add(ALL)
        yield Proxy(
            path=o.path,
            label=f"{o.label()} ({o.path})",
            gzip=controller_gzip
            or ours.get("enable-compression", "").lower() == "true"
            or "gzip on" in snippet,
            headers=frozenset(headers),
            rate_limit=any(
                k in ours
                for k in ("limit-rps", "limit-rpm", "limit-connections", "global-rate-limit")
            )
            or "limit_req" in snippet,
            ident=f"ingress:{o.ident}",
        )


def _ingress_backends(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        svc = node.get("service")
        if isinstance(svc, dict) and "name" in svc:
            yield svc["name"]
        if "serviceName" in node:
            yield node["serviceName"]
        for v in node.values():
            yield from _ingress_backends(v)
    elif isinstance(node, list):
        for v in node:
            yield from _ingress_backends(v)


# --------------------------------------------------------------------------- who runs the code

_THIRD_PARTY = re.compile(
    r"^(?:nginx|traefik|envoy|haproxy|caddy|busybox|alpine|ubuntu|debian|curl|postgres(?:ql)?|"
    r"postgis|mysql|mariadb|redis|valkey|keydb|mongo|memcached|rabbitmq|elasticsearch|"
    r"opensearch|minio|prometheus|grafana|alertmanager|node-exporter|jaeger.*|otel.*|"
    r"opentelemetry-collector.*|loki|promtail|fluent.*|vector|pgbouncer|adminer|pgadmin4|"
    r"mailhog|mailpit|localstack|kong|gotrue|postgrest|realtime|storage-api|studio|"
    r"cloudflared|certbot|redis-exporter|postgres-exporter|supabase/.*)$",
    re.I,
)
_CODE_COMMAND = re.compile(r"\b(?:uvicorn|gunicorn|hypercorn|celery|rq|arq|dramatiq|python3?)\b")


def _short_image(image: str) -> str:
    return image_name(image).rsplit("/", 1)[-1]


def _code_images(results: Sequence[FileResult]) -> set[str]:
    """Images built from the repository's Dockerfiles by compose (`build:` with `image:`)."""
    out = set()
    for r in results:
        if r.kind == "compose" and isinstance(r.facts, YamlFile):
            for svc in services_of(r.facts):
                if "build" in svc.data and svc.data.get("image"):
                    out.add(image_name(str(svc.data["image"])))
    return out


def _runs_code(svc: Service, code_images: set[str]) -> bool:
    if "build" in svc.data:
        return True
    image = str(svc.data.get("image") or "")
    return bool(image) and image_name(image) in code_images


def _k8s_runs_code(c: Container, code_images: set[str]) -> bool:
    image = str(c.node.get("image") or "")
    if image and image_name(image) in code_images:
        return True
    command = " ".join(str(w) for key in ("command", "args") for w in c.node.get(key) or [])
    if _CODE_COMMAND.search(command):
        return True
    # An image of the team's own registry path (`ghcr.io/acme/api`), not a public one.
    vendor = re.search(r"(?:^|/)(?:bitnami|library|prom|grafana|otel|jaegertracing|"
                       r"curlimages|supabase|minio|hashicorp)/", image)  # fmt: skip
    return "/" in image and not vendor and not _THIRD_PARTY.match(_short_image(image))


def _k8s_objects(results: Sequence[FileResult]) -> list[Obj]:
    return [
        o
        for r in results
        if r.kind == "kubernetes" and isinstance(r.facts, YamlFile)
        for o in objects_of(r.path, r.facts)
    ]


# --------------------------------------------------------------------------- X001 environment


@dataclass(frozen=True)
class EnvNeed:
    name: str
    path: str
    line: int
    column: int
    how: str
    case_sensitive: bool = True


_PLATFORM_VARS = frozenset(
    {"PORT", "HOST", "HOSTNAME", "HOME", "PATH", "USER", "PWD", "LANG", "TZ", "SHELL", "TERM",
     "PYTHONPATH", "K_SERVICE", "K_REVISION", "POD_NAME", "POD_NAMESPACE", "NODE_NAME",
     "WEB_CONCURRENCY", "GITHUB_ACTIONS", "CI"}
)  # fmt: skip
_SETTINGS_BASES = ("BaseSettings",)
_SIMPLE_TYPES = frozenset(
    {"str", "int", "float", "bool", "bytes", "SecretStr", "SecretBytes", "Path", "EmailStr",
     "Optional", "Literal", "list", "List", "dict", "Dict", "set", "tuple", "Union", "None",
     "Annotated", "Json", "IPvAnyAddress", "UUID"}
)  # fmt: skip


def module_needs(mod: PyModule) -> Iterator[EnvNeed]:
    if not any(q == "os" or q.startswith("os.") for q in mod.imports.values()):
        return  # no `os`, no os.environ / os.getenv: nothing to find here
    parents = nodes.parents(mod.tree)
    for node in nodes.of_type(mod.tree, ast.Subscript, ast.Call):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and mod.qualified_name(node.value) == "os.environ"
        ):
            key = node.slice
            ok = isinstance(key, ast.Constant) and isinstance(key.value, str)
            if ok and not _guarded(node, parents):
                name = str(key.value)  # type: ignore[attr-defined]
                yield EnvNeed(name, mod.path, node.lineno, node.col_offset + 1,
                              f'`os.environ["{name}"]`')  # fmt: skip
        elif isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
            q = mod.qualified_name(node.func)
            arg = node.args[0]
            if (
                q in ("os.getenv", "os.environ.get")
                and isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and _used_without_fallback(node, parents)
                and not _guarded(node, parents)
            ):
                yield EnvNeed(arg.value, mod.path, node.lineno, node.col_offset + 1,
                              f'`{q}("{arg.value}")` used without a fallback')  # fmt: skip


def _guarded(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside a `try` (a KeyError is handled), an `if` or the `__main__` block."""
    cur = parents.get(node)
    while cur is not None:
        if isinstance(cur, (ast.Try, ast.If, ast.IfExp)) or type(cur).__name__ == "TryStar":
            return True
        cur = parents.get(cur)
    return False


def _used_without_fallback(call: ast.Call, parents: dict[ast.AST, ast.AST]) -> bool:
    """`int(os.getenv("X"))`, `os.getenv("X").split()`: None would crash right there."""
    parent = parents.get(call)
    if isinstance(parent, ast.Call) and call in parent.args:
        name = parent.func.id if isinstance(parent.func, ast.Name) else ""
        return name not in ("bool", "print", "str", "repr", "isinstance", "getattr")
    return isinstance(parent, ast.Attribute) or (
        isinstance(parent, ast.Subscript) and parent.value is call
    )


@dataclass(frozen=True)
class _SettingsClass:
    name: str
    info: ClassInfo
    path: str


def class_infos(mod: PyModule) -> tuple[ClassInfo, ...]:
    """Classes with bases, their settings configuration and the fields that may be required."""
    out = []
    for c in nodes.of_type(mod.tree, ast.ClassDef):
        if not c.bases:
            continue
        fields = tuple(f for stmt in c.body for f in [_field_syntax(mod, stmt)] if f is not None)
        bases = tuple(mod.qualified_name(b) or "" for b in c.bases)
        out.append(ClassInfo(c.name, c.lineno, bases, _config_of(c), fields))
    return tuple(out)


def _settings_classes(mods: list[PySummary]) -> list[_SettingsClass]:
    classes = {(m.path, c.name): _SettingsClass(c.name, c, m.path) for m in mods for c in m.classes}
    settings_names: set[str] = set()
    changed = True
    while changed:  # subclasses of settings classes, across modules, by name
        changed = False
        for sc in classes.values():
            if sc.name in settings_names:
                continue
            for q in sc.info.bases:
                last = q.rsplit(".", 1)[-1]
                if (
                    q.startswith(("pydantic", "pydantic_settings")) and last in _SETTINGS_BASES
                ) or (last in settings_names):
                    settings_names.add(sc.name)
                    changed = True
    return [sc for sc in classes.values() if sc.name in settings_names]


def _config_of(node: ast.ClassDef) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for stmt in node.body:
        if (
            isinstance(stmt, (ast.Assign, ast.AnnAssign))
            and isinstance(stmt.value, ast.Call)
            and any(
                isinstance(t, ast.Name) and t.id == "model_config"
                for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
            )
        ):
            for kw in stmt.value.keywords:
                if kw.arg:
                    out[kw.arg] = _literal(kw.value)
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            for item in stmt.body:
                if isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name):
                    out[item.targets[0].id] = _literal(item.value)
    return out


def _literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ALL


def _settings_needs(mods: list[PySummary]) -> Iterator[EnvNeed]:
    classes = _settings_classes(mods)
    called = _instantiated(mods)
    by_name = {sc.name: sc for sc in classes}
    for sc in classes:
        users = [c for c in classes if c.name == sc.name or _inherits(c, sc.name, by_name)]
        if not any(u.name in called for u in users):
            continue  # a base class or an unused one: what is required depends on its users
        config: dict[str, Any] = {}
        for u in reversed(users):
            config.update(u.info.config)
        if config.get("secrets_dir") or config.get("env_nested_delimiter") == ALL:
            continue
        prefix = config.get("env_prefix", "")
        if prefix == ALL:
            continue
        sensitive = config.get("case_sensitive") is True
        given = {k for u in users for k in called.get(u.name, ())}
        for f in sc.info.fields:
            if f.name.startswith("_") or f.name == "model_config" or ALL in given:
                continue
            if f.name in given:
                continue
            name = f.alias if f.alias is not None else str(prefix) + f.name
            yield EnvNeed(name, sc.path, f.line, f.column,
                          f"settings field `{f.name}` of `{sc.name}` (no default)",
                          sensitive)  # fmt: skip


def _inherits(c: _SettingsClass, name: str, by_name: dict[str, _SettingsClass]) -> bool:
    seen: set[str] = set()
    todo = [c]
    while todo:
        cur = todo.pop()
        for base in cur.info.bases:
            last = base.rsplit(".", 1)[-1]
            if last == name:
                return True
            if last in by_name and last not in seen:
                seen.add(last)
                todo.append(by_name[last])
    return False


def instantiated(mod: PyModule) -> dict[str, tuple[str, ...]]:
    """Class name -> keyword arguments it is called with in this module."""
    out: dict[str, set[str]] = {}
    for node in nodes.of_type(mod.tree, ast.Call):
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(
            f, ast.Attribute) else ""  # fmt: skip
        if name:
            out.setdefault(name, set()).update(k.arg or ALL for k in node.keywords)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _instantiated(mods: list[PySummary]) -> dict[str, set[str]]:
    """Class name -> keyword arguments it is called with, over the repository's code."""
    out: dict[str, set[str]] = {}
    for m in mods:
        for name, kws in m.instantiated.items():
            out.setdefault(name, set()).update(kws)
    return out


def _field_syntax(mod: PyModule, stmt: ast.stmt) -> SettingsField | None:
    """A field whose own annotation and value allow it to be required (no default)."""
    if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
        return None
    field = stmt.target.id
    names = {n.id for n in ast.walk(stmt.annotation) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(stmt.annotation) if isinstance(n, ast.Attribute)}
    if "ClassVar" in names or not all(
        n in _SIMPLE_TYPES or n.endswith(("Dsn", "Url", "Str")) or n in ("typing", "pydantic")
        for n in names
    ):
        return None
    alias = None
    value = stmt.value
    if value is not None:
        if not (isinstance(value, ast.Call) and (mod.qualified_name(value.func) or "")
                .endswith("Field")):  # fmt: skip
            if not (isinstance(value, ast.Constant) and value.value is Ellipsis):
                return None
        else:
            kws = {k.arg: k.value for k in value.keywords}
            if "default" in kws or "default_factory" in kws:
                return None
            if value.args and not (
                isinstance(value.args[0], ast.Constant) and value.args[0].value is Ellipsis
            ):
                return None
            for key in ("validation_alias", "alias", "env"):
                node = kws.get(key)
                if node is None:
                    continue
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    alias = node.value
                    break
                return None  # AliasChoices, a list of names: any of several may be set
    return SettingsField(field, stmt.lineno, stmt.col_offset + 1, alias)


@dataclass(frozen=True)
class _Runner:
    what: str  # 'service `api` (docker-compose.yml)'
    path: str
    context: str | None  # build context directory (compose services that build)
    image: str
    provides: frozenset[str]


def _env_files(results: Sequence[FileResult]) -> dict[str, frozenset[str]]:
    return {
        posixpath.normpath(r.path): frozenset(v.name for v in r.facts.variables)
        for r in results
        if isinstance(r.facts, EnvFile)
    }


def _compose_runners(
    results: Sequence[FileResult], envs: dict[str, frozenset[str]], code_images: set[str]
) -> Iterator[_Runner]:
    for r in results:
        if r.kind != "compose" or not isinstance(r.facts, YamlFile):
            continue
        base = posixpath.dirname(r.path)
        for svc in services_of(r.facts):
            if not _runs_code(svc, code_images):
                continue
            names = set(env_names(svc.data.get("environment")))
            env_file = svc.data.get("env_file")
            files = env_file if isinstance(env_file, list) else [env_file] if env_file else []
            for f in files:
                p = f.get("path") if isinstance(f, dict) else f
                full = posixpath.normpath(posixpath.join(base, str(p)))
                names |= envs.get(full, frozenset({ALL}))
            build = svc.data.get("build")
            context = None
            if build is not None:
                ctx = build if isinstance(build, str) else str(build.get("context", "."))
                context = posixpath.normpath(posixpath.join(base, ctx))
            yield _Runner(f"service `{svc.name}` ({r.path})", r.path, context,
                          image_name(str(svc.data.get("image") or "")), frozenset(names))  # fmt: skip


def _k8s_runners(results: Sequence[FileResult], code_images: set[str]) -> Iterator[_Runner]:
    objs = _k8s_objects(results)
    sources: dict[tuple[str, str], frozenset[str]] = {}
    for o in objs:
        if o.kind in ("ConfigMap", "Secret"):
            keys = {str(k) for sect in ("data", "stringData", "binaryData")
                    for k in (o.node.get(sect) or {})}  # fmt: skip
            sources[(o.kind, o.name)] = frozenset(keys)
    for o in objs:
        for c in containers(o):
            if c.fragment or (c.init and not c.sidecar) or not _k8s_runs_code(c, code_images):
                continue
            names: set[str] = set()
            for e in c.node.get("env") or []:
                if isinstance(e, dict) and "name" in e:
                    names.add(str(e["name"]))
            for e in c.node.get("envFrom") or []:
                if not isinstance(e, dict):
                    continue
                prefix = str(e.get("prefix") or "")
                for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    ref = e.get(key)
                    if isinstance(ref, dict):
                        found = sources.get((kind, str(ref.get("name"))), frozenset({ALL}))
                        names |= {k if k == ALL else prefix + k for k in found}
            yield _Runner(f"{c.label()} ({o.path})", o.path, None,
                          image_name(str(c.node.get("image") or "")), frozenset(names))  # fmt: skip


def _under(path: str, folder: str) -> bool:
    return folder in ("", ".") or path == folder or path.startswith(folder.rstrip("/") + "/")


@repo_check("X001")
def missing_environment(results: Sequence[FileResult]) -> Iterator[Finding]:
    if any(r.kind == "helm" for r in results):
        return  # a chart provides environment we do not render
    mods = [r.facts for r in results if isinstance(r.facts, PySummary) and r.facts.is_app_code]
    if not mods:
        return
    code_images = _code_images(results)
    envs = _env_files(results)
    compose = list(_compose_runners(results, envs, code_images))
    k8s = list(_k8s_runners(results, code_images))
    if not compose and not k8s:
        return
    dockerfiles = [r.facts for r in results if isinstance(r.facts, Dockerfile)]
    baked = {
        name
        for df in dockerfiles
        for ins in df.shipped_stage.of("ENV")
        for name, _, _ in env_pairs(ins)
    }
    contexts = {posixpath.dirname(df.path) for df in dockerfiles}
    contexts |= {r.context for r in compose if r.context is not None}
    needs = [n for m in mods for n in m.env_needs]
    needs += list(_settings_needs(mods))
    reported: set[tuple[str, str]] = set()
    for need in needs:
        if need.name in _PLATFORM_VARS or (need.path, need.name) in reported:
            continue
        if not any(_under(need.path, c) for c in contexts):
            continue  # no image of the repository ships this file
        runners = _runners_of(need.path, compose, k8s)
        if not runners:
            continue
        provided = set(baked).union(*(r.provides for r in runners))
        if ALL in provided or _provided(need, provided):
            continue
        reported.add((need.path, need.name))
        files = sorted({r.path for r in runners})
        yield Finding(
            "X001",
            need.path,
            f"{need.how} requires the environment variable `{need.name}`, but no container "
            f"running this code sets it (checked {', '.join(files)}): it fails at start-up "
            "or on first use.",
            line=need.line,
            column=need.column,
            anchor=f"X001:{need.name}",
        )


def _provided(need: EnvNeed, provided: set[str]) -> bool:
    if need.case_sensitive:
        return need.name in provided
    return need.name.upper() in {p.upper() for p in provided}


def _runners_of(path: str, compose: list[_Runner], k8s: list[_Runner]) -> list[_Runner]:
    mine = [r for r in compose if r.context is not None and _under(path, r.context)]
    images = {r.image for r in mine if r.image}
    mine += [r for r in compose if r.context is None and r.image in images]
    if images:
        mine += [r for r in k8s if r.image in images]
    else:
        mine += k8s
    return mine


# --------------------------------------------------------------------------- X002 / X003 datastores

_DRIVERS = {
    "redis": ("redis", "aioredis", "rq", "arq", "celery", "dramatiq", "fastapi_limiter"),
    "postgres": (
        "sqlalchemy",
        "sqlmodel",
        "asyncpg",
        "psycopg",
        "psycopg2",
        "databases",
        "tortoise",
        "peewee",
        "pg8000",
    ),
    "mysql": ("pymysql", "MySQLdb", "aiomysql", "asyncmy", "mysql"),
}
_URL_SCHEME = re.compile(
    r"^(redis|rediss|postgres|postgresql|mysql|mariadb)(?:\+[a-z0-9]+)?://", re.I
)
_STORE_IMAGE = {
    "redis": re.compile(r"^(?:redis(?:-stack(?:-server)?)?|valkey|keydb)$"),
    "postgres": re.compile(r"^(?:postgres(?:ql)?|postgis|timescaledb(?:-ha)?)$"),
    "mysql": re.compile(r"^(?:mysql(?:-server)?|mariadb|percona(?:-server)?)$"),
}
_LOCAL = re.compile(r"^(?:localhost|127\.\d+\.\d+\.\d+|::1|0\.0\.0\.0|host\.docker\.internal)$")


def _connects(mods: list[PySummary]) -> dict[str, str]:
    """Datastore kind -> the first app module that talks to it (driver import or URL)."""
    out: dict[str, str] = {}
    for m in mods:
        for kind, libs in _DRIVERS.items():
            if kind not in out and any(q.split(".")[0] in libs for q in m.imports.values()):
                out[kind] = m.path
        for kind in m.url_kinds:
            out.setdefault(kind, m.path)
    return out


def url_kinds(mod: PyModule) -> tuple[str, ...]:
    """Datastores named by URL literals of the module, in the order the tree shows them."""
    out: list[str] = []
    for node in nodes.of_type(mod.tree, ast.Constant):
        if isinstance(node.value, str):
            match = _URL_SCHEME.match(node.value)
            if match:
                scheme = match.group(1).lower()
                kind = "redis" if scheme.startswith("redis") else (
                    "mysql" if scheme in ("mysql", "mariadb") else "postgres")  # fmt: skip
                if kind not in out:
                    out.append(kind)
    return tuple(out)


def _env_value(env: dict[str, str], *keys: str) -> str:
    for k in keys:
        if k in env:
            return str(env[k]).strip().strip("'\"").lower()
    return ""


def _open_store(kind: str, env: dict[str, str], command: str, image: str) -> str | None:
    """Why the datastore accepts clients without a password; None when it does not."""
    if kind == "postgres":
        if _env_value(env, "POSTGRES_HOST_AUTH_METHOD", "POSTGRESQL_HOST_AUTH_METHOD") == "trust":
            return "POSTGRES_HOST_AUTH_METHOD=trust lets every client in without a password"
        return None
    if kind == "mysql":
        for key in ("MYSQL_ALLOW_EMPTY_PASSWORD", "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD",
                    "ALLOW_EMPTY_PASSWORD"):  # fmt: skip
            if _env_value(env, key) in ("yes", "true", "1"):
                return f"{key} accepts a root account without a password"
        return None
    if _env_value(env, "ALLOW_EMPTY_PASSWORD") in ("yes", "true", "1"):
        return "ALLOW_EMPTY_PASSWORD=yes runs Redis without a password"
    if "bitnami" in image:
        return None  # bitnami images refuse to start without REDIS_PASSWORD
    if (
        re.search(r"requirepass|--aclfile|\.conf\b", command, re.I)
        or any(k.upper() in ("REDIS_PASSWORD", "REDIS_PASSWORD_FILE") for k in env)
        or "requirepass" in env.get("REDIS_ARGS", "")
    ):
        return None
    if re.search(r"--bind\s+127\.0\.0\.1(?:\s|$)", command):
        return None
    return "Redis runs without `requirepass`: anyone who reaches the port reads and writes it"


def _env_marks(env: Any) -> dict[str, Mark]:
    out: dict[str, Mark] = {}
    if isinstance(env, YamlMap):
        out = {str(k): env.key_mark(k) for k in env}
    elif isinstance(env, YamlSeq):
        for i, item in enumerate(env):
            if isinstance(item, str):
                out[item.partition("=")[0].strip()] = env.item_mark(i)
            elif isinstance(item, YamlMap) and "name" in item:
                out[str(item["name"])] = item.key_mark("name")
    return out


@dataclass(frozen=True)
class _Store:
    kind: str
    what: str
    path: str
    mark: Mark
    reason: str


def _stores(results: Sequence[FileResult]) -> Iterator[_Store]:
    for r in results:
        if r.kind == "compose" and isinstance(r.facts, YamlFile):
            for svc in services_of(r.facts):
                image = str(svc.data.get("image") or "")
                kind = _store_kind(image)
                if kind is None or kind == "redis":
                    continue  # compose Redis without a password is CMP006's finding
                env = env_names(svc.data.get("environment"))
                reason = _open_store(kind, env, "", image)
                if reason:
                    marks = _env_marks(svc.data.get("environment"))
                    mark = next((m for k, m in marks.items() if k.upper() in reason.upper()),
                                svc.mark)  # fmt: skip
                    yield _Store(kind, f"service `{svc.name}`", r.path, mark, reason)
    for o in _k8s_objects(results):
        for c in containers(o):
            image = str(c.node.get("image") or "")
            kind = _store_kind(image)
            if kind is None or c.init:
                continue
            env = {
                str(e["name"]): str(e.get("value", ALL))
                for e in c.node.get("env") or []
                if isinstance(e, dict) and "name" in e
            }
            if c.node.get("envFrom"):
                env.setdefault("REDIS_PASSWORD", ALL)  # may come from a Secret
            command = " ".join(str(w) for key in ("command", "args")
                               for w in c.node.get(key) or [])  # fmt: skip
            reason = _open_store(kind, env, command, image)
            if reason:
                marks = _env_marks(c.node.get("env"))
                mark = next((m for k, m in marks.items() if k.upper() in reason.upper()),
                            c.node.key_mark("image") if "image" in c.node else c.mark)  # fmt: skip
                yield _Store(kind, c.label(), o.path, mark, reason)


def _store_kind(image: str) -> str | None:
    if not image:
        return None
    short = _short_image(image)
    return next((k for k, rx in _STORE_IMAGE.items() if rx.match(short)), None)


_NAMES = {"redis": "Redis", "postgres": "PostgreSQL", "mysql": "MySQL"}


@repo_check("X002")
def open_datastores(results: Sequence[FileResult]) -> Iterator[Finding]:
    mods = [r.facts for r in results if isinstance(r.facts, PySummary) and r.facts.is_app_code]
    users = _connects(mods)
    for store in _stores(results):
        user = users.get(store.kind)
        if user is None:
            continue
        yield Finding(
            "X002",
            store.path,
            f"{_NAMES[store.kind]} of {store.what}, which the code connects to ({user}), "
            f"accepts clients without authentication: {store.reason}.",
            line=store.mark[0],
            column=store.mark[1],
            anchor=f"X002:{store.kind}:{store.what}",
        )


_CREDENTIAL_KWARGS = ("password", "connect_args", "ssl", "ssl_context", "ssl_cert_reqs")


def url_literals(mod: PyModule) -> tuple[UrlLiteral, ...]:
    out = []
    parents = nodes.parents(mod.tree)
    for node in nodes.of_type(mod.tree, ast.Constant):
        if isinstance(node.value, str) and _URL_SCHEME.match(node.value.strip()):
            parent = parents.get(node)
            beside = isinstance(parent, ast.Call) and any(
                k.arg in _CREDENTIAL_KWARGS for k in parent.keywords
            )
            out.append(UrlLiteral(node.value, node.lineno, node.col_offset + 1, beside))
    return tuple(out)


@repo_check("X003")
def unauthenticated_urls(results: Sequence[FileResult]) -> Iterator[Finding]:
    mods = [r.facts for r in results if isinstance(r.facts, PySummary) and r.facts.is_app_code]
    local = _local_names(results)
    for mod in mods:
        for url in mod.urls:
            problem = _url_problem(url.value.strip(), local)
            if problem is None or url.credentials_beside:
                continue  # the credential or TLS is passed beside the URL
            yield Finding(
                "X003",
                mod.path,
                problem,
                line=url.line,
                column=url.column,
                anchor=f"X003:{problem.split(':', 1)[0]}",
            )


def _local_names(results: Sequence[FileResult]) -> set[str]:
    """Hosts that are the repository's own containers: their manifests are judged instead."""
    out: set[str] = set()
    for r in results:
        if r.kind == "compose" and isinstance(r.facts, YamlFile):
            out.update(s.name for s in services_of(r.facts))
    out.update(o.name for o in _k8s_objects(results) if o.kind == "Service")
    return out


def _url_problem(url: str, local: Iterable[str]) -> str | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return None
    if not host or "{" in url or "$" in url or _LOCAL.match(host) or host in set(local):
        return None
    if "." not in host:
        return None  # a container or cluster name: the manifests that run it are judged
    if "sslmode=disable" in url.replace(" ", "").lower():
        return None  # PY020 reports this very URL
    scheme = parts.scheme.split("+", 1)[0].lower()
    store = _NAMES["redis" if scheme.startswith("redis") else
                   "mysql" if scheme in ("mysql", "mariadb") else "postgres"]  # fmt: skip
    if not parts.password:
        return (
            f"`{scheme}://{host}`: connection URL to the remote {store} host `{host}` carries "
            "no password: the server accepts unauthenticated clients, or the code connects "
            "with credentials kept nowhere reviewable."
        )
    if scheme == "redis":
        return (
            f"`redis://{host}`: Redis traffic to the remote host `{host}` travels in clear "
            "text, password included (use `rediss://`)."
        )
    return None
