"""The evidence record, the detector registry and the shared view of a repository's facts.

A detector states which checklist items it can verify, so the report knows
which items are statically checkable before any repository is scanned; it
gets a `RepoView` whose views (Kubernetes objects, compose services, app modules)
are built once per scan however many detectors read them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from analyzer.core.model import Evidence
from analyzer.facts.repo import RepoView

DetectorFn = Callable[[RepoView], Iterable[Evidence]]


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
