"""Serving rules (API017..API019): probes, healthchecks and worker counts against the server.

A probe passes review in its manifest and fails in production when the app does not serve
its path, when the server listens on another port, or when the server starts more workers
than the container has CPU for. Each container's command is the container view's answer
(analyzer.facts.workloads): the manifest's command over the image's ENTRYPOINT and CMD, the
image being the Dockerfile that builds it, FROM chain included. A container whose image is
not known is not judged against some other Dockerfile's server.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from analyzer.checks.fastapi import _apps
from analyzer.checks.registry import repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.facts.fastapi.app import AppModel
from analyzer.facts.routes import app_model
from analyzer.facts.workloads import Run, Workloads, workloads

_SERVER = re.compile(r"(?:^|/)(?:uvicorn|gunicorn|hypercorn|granian|fastapi)$")


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
    shell = words[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash") if words else False
    if len(words) >= 3 and shell and words[1] in ("-c", "-lc", "-ec"):
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
    """A probe or healthcheck with what it is compared with: the server and the CPU limit."""

    path: str  # file of the probe
    line: int
    column: int
    http_path: str
    port: int | None
    what: str  # "livenessProbe of container api" ...
    server: ServerCmd | None
    cpu: float | None

    @property
    def runs_app(self) -> bool:
        return self.server is not None


def _server(run: Run | None) -> ServerCmd | None:
    found = server_command(run.words) if run is not None else None
    if run is None or found is None:
        return None
    return ServerCmd(found[0], found[1], run.path, run.line, run.column)


def _probes(view: Workloads) -> Iterator[Probe]:
    """The HTTP probes of every container, and for a server without one, the container itself.

    The container itself stands for its command when no liveness or readiness probe is an
    HTTP check, so the worker count is still compared with the CPU limit.
    """
    for w in (*view.kubernetes, *view.compose):
        if w.init:
            continue
        server = _server(view.run(w))
        for p in w.probes:
            if p.http_path is not None:
                what = f"{p.kind} of {w.label}"
                yield Probe(p.path, *p.mark, p.http_path, p.port, what, server, w.cpu)
        http = any(p.http and p.kind != "startupProbe" for p in w.probes)
        if server is not None and not http:
            yield Probe(w.path, *w.mark, "", None, w.label, server, w.cpu)


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
    app_file = apps[0].module.path if apps else ""
    seen_workers: set[tuple[str, int | None]] = set()
    for p in _probes(workloads(results)):
        server = p.server
        if apps and p.runs_app and p.http_path:
            if _serves(model, p.http_path) is False:
                yield Finding(
                    "API017",
                    p.path,
                    f"The {p.what} requests `{p.http_path}`, which the app ({app_file}) does "
                    "not serve: the probe fails and the container is restarted or never "
                    "becomes ready.",
                    line=p.line,
                    column=p.column,
                    anchor=f"API017:{p.what}:{p.http_path}",
                )
            if server is not None and None not in (server.port, p.port) and server.port != p.port:
                other = "" if server.where == p.path else f" in {server.where}"
                yield Finding(
                    "API018",
                    p.path,
                    f"The {p.what} checks port {p.port}, but the server listens on port "
                    f"{server.port} (its command{other}).",
                    line=p.line,
                    column=p.column,
                    anchor=f"API018:{p.what}",
                )
        if server is None or server.workers is None or p.cpu is None or server.line is None:
            continue
        ceiling = int(2 * p.cpu + 1)
        key = (server.where, server.line)
        if server.workers > ceiling and key not in seen_workers:
            seen_workers.add(key)
            other = "" if server.where == p.path else f" ({p.path} sets the limit)"
            yield Finding(
                "API019",
                server.where,
                f"The server starts {server.workers} workers for a CPU limit of {p.cpu:g} "
                f"(at most 2 x CPU + 1 = {ceiling}){other}: workers fight for CPU and memory.",
                line=server.line,
                column=server.column,
                anchor=f"API019:{p.what}",
            )
