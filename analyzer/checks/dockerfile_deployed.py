"""Dockerfile rules that depend on how the image is run (DF003, DF010).

Whether an image needs a HEALTHCHECK or several Uvicorn workers depends on the containers
that run it: a compose service with its own `healthcheck:` or `deploy.replicas`, Kubernetes
workloads whose probes check the pods (Kubernetes ignores HEALTHCHECK) or that run several
replicas. Which containers run which Dockerfile's image is the container view's answer
(analyzer.facts.workloads); when no container is known to run it, the repository's
Kubernetes workloads as a whole show the team's habit.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence

from analyzer.checks.dockerfile import finding, image_label, place_of
from analyzer.checks.registry import repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.facts.dockerfile import (
    Command,
    base_image,
    chain,
    command_text,
    healthcheck,
    is_dev_file,
    programs,
    variables,
)
from analyzer.facts.workloads import Image, Workload, Workloads, workloads
from analyzer.parsers.dockerfile import Dockerfile, Instruction

_SERVER = re.compile(
    r"\b(?:uvicorn|gunicorn|hypercorn|daphne|granian|nginx|httpd|caddy|traefik|envoy|haproxy|"
    r"celery|rq|dramatiq|arq|huey|flask|fastapi|node|npm|serve|next|java|php-fpm|puma|rails|"
    r"redis-server|postgres|mysqld|supervisord)\b"
)
# Official images of servers whose CMD (not visible here) starts a long-running service.
_SERVER_IMAGE = re.compile(
    r"(?:^|/)(?:nginx|nginx-unprivileged|openresty|httpd|caddy|traefik|envoy|haproxy|redis|"
    r"postgres|mysql|mariadb|mongo|rabbitmq|memcached|unit)(?::|@|$)",
    re.IGNORECASE,
)
_INIT_WRAPPERS = frozenset({"tini", "tini-static", "dumb-init", "catatonit", "--", "-g", "-s"})


def _runners(view: Workloads, image: Image) -> tuple[list[Workload], list[Workload]]:
    """(compose services, Kubernetes containers) that run the image; init and batch left out."""
    running = view.running(image.path)
    compose = [w for w in running if w.platform == "compose"]
    return compose, [w for w in running if w.platform == "kubernetes" and _long_running(w)]


def _long_running(w: Workload) -> bool:
    return not w.init and not w.batch


# --------------------------------------------------------------------------- DF003


def _is_service(df: Dockerfile, run: Command) -> bool:
    if any(i.keyword == "EXPOSE" for i in chain(df)):
        return True
    text = run.text()
    if text:
        return bool(_SERVER.search(text))
    return bool(_SERVER_IMAGE.search(base_image(df)))


@repo_check("DF003")
def missing_healthcheck(results: Sequence[FileResult]) -> Iterator[Finding]:
    view = workloads(results)
    pods = [w for w in view.kubernetes if _long_running(w)]
    for image in view.images.values():
        df = image.dockerfile
        services, mapped = _runners(view, image)
        if is_dev_file(df) or any(s.healthcheck for s in services):
            continue
        # Kubernetes ignores HEALTHCHECK: where probes check the pods, the image needs none.
        # Known containers of this image must all be probed; unknown: any probe shows the habit.
        if all(w.probed for w in mapped) if mapped else any(w.probed for w in pods):
            continue
        if healthcheck(df) is not None or not _is_service(df, image.command):
            continue
        yield finding(
            "DF003", df, df.shipped_stage.from_instruction,
            f"{image_label(df)} runs a service but defines no HEALTHCHECK.",
            "stage[final]:no-HEALTHCHECK",
        )  # fmt: skip


# --------------------------------------------------------------------------- DF010


def _runs_uvicorn(words: list[str]) -> bool:
    if not words:
        return False
    head = posixpath.basename(words[0])
    if head == "uvicorn":
        return True
    if head in ("uv", "poetry", "pipenv", "pdm", "hatch", "rye") and "run" in words[1:3]:
        return _runs_uvicorn(words[words.index("run") + 1 :])
    if head.startswith("python") and len(words) >= 3 and words[1] == "-m":
        return words[2] == "uvicorn"
    if head in ("opentelemetry-instrument", "ddtrace-run"):
        return _runs_uvicorn(words[1:])
    return head == "fastapi" and len(words) >= 2 and words[1] == "run"


def _uvicorn_instruction(run: Command) -> Instruction | None:
    """The instruction that starts Uvicorn itself, or None (also when a script hides it)."""
    if run.entrypoint is not None:
        if any(_runs_uvicorn(w) for w in programs(command_text(run.entrypoint))):
            return run.entrypoint
        first = (run.entrypoint.words() or [""])[0]
        if posixpath.basename(first) not in _INIT_WRAPPERS:
            return None  # an entrypoint script we cannot see may add workers
    if run.cmd is not None and any(_runs_uvicorn(w) for w in programs(command_text(run.cmd))):
        return run.cmd
    return None


@repo_check("DF010")
def single_uvicorn_process(results: Sequence[FileResult]) -> Iterator[Finding]:
    view = workloads(results)
    for image in view.images.values():
        services, mapped = _runners(view, image)
        if is_dev_file(image.dockerfile) or any(s.replicated for s in services):
            continue
        # One process per pod with several replicas is a sound design (judged by K8S rules).
        if any(w.replicated for w in (mapped or view.kubernetes)):
            continue
        yield from _single_uvicorn(image)


def _single_uvicorn(image: Image) -> Iterator[Finding]:
    df, run = image.dockerfile, image.command
    ins = _uvicorn_instruction(run)
    if ins is None:
        return
    if re.search(r"--workers\b|\bgunicorn\b", run.text()):
        return
    if "WEB_CONCURRENCY" in variables(df, chain(df)):
        return  # uvicorn reads its worker count from WEB_CONCURRENCY
    yield finding(
        "DF010", df, ins,
        f"{ins.keyword} starts Uvicorn without `--workers`, so the container serves every "
        "request from one process on one CPU core.",
        f"{ins.keyword}:uvicorn-no-workers",
        place_of(ins, "fastapi" if "uvicorn" not in ins.body else "uvicorn"),
    )  # fmt: skip
