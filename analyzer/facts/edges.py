"""Who provides compression, security headers and rate limiting: the app, or a proxy in front.

The FastAPI app itself, or the proxy in front of it (an nginx `server` that proxies to the
app, an ingress-nginx Ingress). API006/API008/API013 (the app) and NGX001/NGX003/NGX004/NGX008
(nginx) consult this view, so a capability either side provides silences both, and when
neither provides it exactly one of them reports: the app rule. The app finding exists with or
without a proxy, so its fingerprint does not move when a proxy is added or removed, and its
message names the proxy files that do not help either. nginx rules keep judging servers that
are not in front of the app (a static frontend, a proxy to another service), and report a
fronting server only when the gap is its own (another proxy in front of the app does it, the
app relies on the edge).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.core.model import FileResult
from analyzer.core.vocabulary import ALL
from analyzer.facts.code_images import (
    built_images,
    container_runs_code,
    kubernetes_objects,
    service_runs_code,
)
from analyzer.facts.compose import services_of
from analyzer.facts.kubernetes import containers, pod_labels
from analyzer.facts.nginx import header_facts, server_gzips, tree_of
from analyzer.facts.repo import shared
from analyzer.facts.routes import app_model, rate_limit_gaps
from analyzer.facts.summary import PySummary
from analyzer.parsers.yamlfile import YamlFile, dig
from analyzer.parsers.yamlmarks import YamlMap


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
    gaps = bool(apps) and bool(rate_limit_gaps(app_model(results)))
    return AppSide(
        present=bool(apps),
        path=apps[0].path if apps else "",
        gzip="gzip" in libs,
        headers=frozenset(headers),
        rate_limit=bool(libs & {"ratelimit", "ratelimit-app"}),
        sensitive_routes=gaps,
    )


@shared
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
    code_images = built_images(results)
    for r in results:
        if r.kind == "compose" and isinstance(r.facts, YamlFile):
            for svc in services_of(r.facts):
                out[svc.name] = out.get(svc.name, False) or service_runs_code(svc, code_images)
    workloads = [o for o in kubernetes_objects(results) if containers(o)]
    for obj in kubernetes_objects(results):
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
        runs = not matched or any(container_runs_code(c, code_images) for w in matched
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
    objs = kubernetes_objects(results)
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
