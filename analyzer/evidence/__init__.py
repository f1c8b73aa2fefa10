"""Positive evidence: what a repository shows it does right, item by item of the checklist.

Rules find what is wrong; detectors here find what is demonstrably in place
(a readiness probe, a Dependabot config, a Prometheus instrumentator). The
checklist report calls an item "verified" only on such evidence, never on the
mere absence of findings. `collect` runs in the judge phase over every
FileResult (files without facts included: many detectors read paths only).
"""

from __future__ import annotations

from collections.abc import Sequence

from analyzer.core.model import SCOPE, Evidence, FileResult
from analyzer.evidence import (
    containers,
    frontend,
    kubernetes,
    kubernetes_operations,
    nginx,
    python_code,
    python_repo,
    repository,
    sql,
    supabase,
    workflows,
)
from analyzer.evidence.core import DETECTORS, Detector, detector
from analyzer.facts.repo import as_view

__all__ = ["DETECTORS", "SCOPE", "Detector", "Evidence", "collect", "detectable", "detector"]
_MODULES = (containers, frontend, kubernetes, kubernetes_operations, nginx, python_code,
            python_repo, repository, sql, supabase, workflows)  # fmt: skip  # registered on import


def collect(results: Sequence[FileResult]) -> tuple[Evidence, ...]:
    """Every piece of evidence in the repository, sorted and without duplicates.

    A detector that fails on an odd file is skipped: evidence is a bonus, and
    missing evidence only leaves an item "needs review", never wrongly verified.
    """
    repo = as_view(results)
    found: set[Evidence] = set()
    for d in DETECTORS:
        try:
            found.update(d.fn(repo))
        except Exception:
            continue
    return tuple(sorted(found, key=lambda e: (e.item_id, e.path, e.line or 0, e.text)))


def detectable() -> frozenset[str]:
    """Checklist IDs some detector can verify: the statically checkable items, with the rules'."""
    return frozenset(i for d in DETECTORS for i in d.items)
