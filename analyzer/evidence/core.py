"""The evidence record, the detector registry and the shared view of a repository's facts.

A detector states which checklist items it can verify, so the report knows
which items are statically checkable before any repository is scanned; it
gets a `Repo` whose views (Kubernetes objects, compose services, app modules)
are built once per scan however many detectors read them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from analyzer.model import FileResult

SCOPE = "scope:"  # item_id prefix of a presence fact ("the repository has a database")


@dataclass(frozen=True)
class Evidence:
    """A named piece of positive evidence for one checklist item, at a place.

    `item_id` is a checklist ID, or `scope:<what>` for a presence fact the
    report uses to decide which items apply (frontend, database...). `text`
    names what was found; it never quotes a value that could be a secret.
    """

    item_id: str
    text: str
    path: str
    line: int | None = None

    @property
    def place(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


class Repo:
    """The scan's file results, with the views detectors share, each built on first use."""

    def __init__(self, results: Sequence[FileResult]) -> None:
        self.results = results  # the scan's own list: views built by the judge are reused

    @functools.cached_property
    def paths(self) -> tuple[str, ...]:
        return tuple(sorted(r.path for r in self.results))

    def of_kind(self, kind: str) -> list[FileResult]:
        return [r for r in self.results if r.kind == kind and r.facts is not None]

    def matching(self, pattern: re.Pattern[str]) -> list[str]:
        """Paths (lower-cased match, original spelling returned) that match `pattern`."""
        return [p for p in self.paths if pattern.search(p.lower())]

    @functools.cached_property
    def k8s(self) -> Any:
        from analyzer.checks.kubernetes import Index

        return Index.build(self.results)

    @functools.cached_property
    def compose_services(self) -> list[Any]:
        from analyzer.checks.compose import services_of

        return [s for r in self.of_kind("compose") for s in services_of(r.facts)]

    @functools.cached_property
    def python(self) -> list[Any]:
        """Parsed Python modules that run in the deployed service (not tests or scripts)."""
        return [r.facts for r in self.of_kind("python") if getattr(r.facts, "is_app_code", False)]

    @functools.cached_property
    def all_python(self) -> list[Any]:
        return [r.facts for r in self.of_kind("python")]

    @functools.cached_property
    def commands(self) -> list[Command]:
        return _commands(self)

    @functools.cached_property
    def env(self) -> list[EnvSetting]:
        return _env_settings(self)


DetectorFn = Callable[[Repo], Iterable[Evidence]]


@dataclass(frozen=True)
class Detector:
    items: tuple[str, ...]
    fn: DetectorFn


DETECTORS: list[Detector] = []


def detector(*items: str) -> Callable[[DetectorFn], DetectorFn]:
    """Register `fn(repo) -> evidence`; `items` are the checklist IDs it may verify."""

    def register(fn: DetectorFn) -> DetectorFn:
        DETECTORS.append(Detector(items, fn))
        return fn

    return register


def first(evidence: Iterable[Evidence], n: int = 1) -> Iterator[Evidence]:
    """At most `n` of an iterable: one good example often says all a reviewer needs."""
    for i, e in enumerate(evidence):
        if i >= n:
            return
        yield e


def name_of(path: str) -> str:
    return PurePosixPath(path).name


@dataclass(frozen=True)
class Command:
    """A command line a container runs, wherever it is declared."""

    owner: str  # `Deployment api`, `compose service worker`, `Dockerfile`
    text: str
    path: str
    line: int | None


@dataclass(frozen=True)
class EnvSetting:
    """An environment variable a container gets; `value` is only read for non-secret names."""

    owner: str
    name: str
    value: str
    path: str
    line: int | None


def _words(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _commands(repo: Repo) -> list[Command]:
    """Container commands of Kubernetes workloads, compose services and Dockerfiles."""
    from analyzer.checks.kubernetes import containers

    out: list[Command] = []
    for obj in repo.k8s.objects:
        for c in containers(obj):
            text = " ".join(
                filter(None, (_words(c.node.get("command")), _words(c.node.get("args"))))
            )
            if text:
                key = "command" if "command" in c.node else "args"
                out.append(
                    Command(f"{obj.kind} {obj.name}", text, obj.path, c.node.key_mark(key)[0])
                )
    for svc in repo.compose_services:
        text = " ".join(
            filter(None, (_words(svc.data.get("entrypoint")), _words(svc.data.get("command"))))
        )
        if text:
            key = "command" if "command" in svc.data else "entrypoint"
            line = svc.data.key_mark(key)[0]
            out.append(Command(f"compose service {svc.name}", text, svc.path, line))
    for r in repo.of_kind("dockerfile"):
        for ins in r.facts.shipped_stage.of("CMD", "ENTRYPOINT"):
            out.append(Command("the image", " ".join(ins.words()), r.path, ins.line))
    return out


def _env_settings(repo: Repo) -> list[EnvSetting]:
    """Environment variables set by Kubernetes containers, compose services and Dockerfiles."""
    from analyzer.checks.compose import env_items
    from analyzer.checks.kubernetes import containers
    from analyzer.parsers.dockerfile import env_pairs

    out: list[EnvSetting] = []
    for obj in repo.k8s.objects:
        for c in containers(obj):
            env = c.node.get("env")
            for item in env if isinstance(env, list) else []:
                if isinstance(item, dict) and "name" in item:
                    line = item.key_mark("name")[0] if hasattr(item, "key_mark") else None
                    value = item.get("value")
                    out.append(
                        EnvSetting(
                            f"{obj.kind} {obj.name}",
                            str(item["name"]),
                            "" if value is None else str(value),
                            obj.path,
                            line,
                        )
                    )
        if obj.kind == "ConfigMap" and isinstance(obj.node.get("data"), dict):
            data = obj.node["data"]
            for key, value in data.items():
                line = data.key_mark(key)[0] if hasattr(data, "key_mark") else None
                out.append(
                    EnvSetting(f"ConfigMap {obj.name}", str(key), str(value), obj.path, line)
                )
    for svc in repo.compose_services:
        for name, value, mark in env_items(svc.data.get("environment")):
            owner = f"compose service {svc.name}"
            out.append(
                EnvSetting(owner, name, "" if value is None else str(value), svc.path, mark[0])
            )
    for r in repo.of_kind("dockerfile"):
        for ins in r.facts.shipped_stage.of("ENV"):
            for name, value, _ in env_pairs(ins):
                out.append(EnvSetting("the image", name, value, r.path, ins.line))
    return out
