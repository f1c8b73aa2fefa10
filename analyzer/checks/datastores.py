"""Datastores the code talks to, left open (X002, X003).

Each judged only when the repository holds what it compares:
- X002: a Redis, PostgreSQL or MySQL the code connects to, run by the repository's manifests
  without authentication.
- X003: a connection URL in the code to a remote datastore host with no password, or to Redis
  without TLS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from analyzer.checks.registry import repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.core.vocabulary import ALL
from analyzer.facts.code_images import kubernetes_objects
from analyzer.facts.compose import env_names, services_of
from analyzer.facts.datastores import DRIVERS
from analyzer.facts.images import image_name as short_image_name
from analyzer.facts.kubernetes import containers
from analyzer.facts.summary import PySummary
from analyzer.parsers.yamlfile import YamlFile
from analyzer.parsers.yamlmarks import Mark, YamlMap, YamlSeq

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
        for kind, libs in DRIVERS.items():
            if kind not in out and any(q.split(".")[0] in libs for q in m.imports.values()):
                out[kind] = m.path
        for kind in m.url_kinds:
            out.setdefault(kind, m.path)
    return out


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
    for o in kubernetes_objects(results):
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
    short = short_image_name(image)
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
    out.update(o.name for o in kubernetes_objects(results) if o.kind == "Service")
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
