"""One status for every checklist item: violated, verified, not applicable or needs review.

The order of precedence is the order of trust: an active finding beats any
evidence (one container without limits makes "limits on every container"
false), evidence beats applicability, and an item with neither stays "needs
review" with a hint of what a reviewer should look at. The mere absence of
findings never verifies an item.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.core import checklist
from analyzer.core.model import SCOPE, Evidence, Finding, ScanResult, Severity
from analyzer.evidence import detectable

VIOLATED = "violated"
VERIFIED = "verified"
NOT_APPLICABLE = "not applicable"
NEEDS_REVIEW = "needs review"
STATUSES = (VIOLATED, VERIFIED, NOT_APPLICABLE, NEEDS_REVIEW)


@dataclass(frozen=True)
class Scope:
    """What must exist in the repository for an item to apply, and what to say when it does not."""

    name: str  # matched against `scope:<name>` evidence
    kinds: tuple[str, ...]  # file kinds that show it exists (ScanResult.kinds)
    reason: str


_FRONTEND = Scope(
    "frontend", ("js",), "no frontend code (JavaScript, TypeScript, HTML or CSS) in the repository"
)
_DATABASE = Scope(
    "database",
    ("sql", "supabase-config"),
    "no database in the repository (no migrations, SQL, Supabase config or database client)",
)
_CONTAINERS = Scope(
    "containers",
    ("dockerfile", "compose", "kubernetes"),
    "no containers in the repository (no Dockerfile, compose file or Kubernetes manifest)",
)
_PYTHON = Scope("python", ("python",), "no Python service in the repository")

APPLIES: dict[str, Scope] = {
    **{f"FRONTEND-{n}": _FRONTEND for n in range(1, 6)},
    **{f"DB-{n}": _DATABASE for n in range(1, 6)},
    **{f"BACKUP-{n}": _DATABASE for n in range(1, 6)},
    "RES-1": _CONTAINERS,
    "BACKEND-5": _PYTHON,
}


@dataclass(frozen=True)
class ItemStatus:
    item: checklist.Item
    status: str
    findings: tuple[Finding, ...] = ()  # violated: the active findings naming the item
    evidence: tuple[Evidence, ...] = ()  # verified: what was found
    reason: str = ""  # not applicable: why
    hint: str = ""  # needs review: what a reviewer should check
    checked_by: tuple[str, ...] = ()  # rule codes in effect that check the item

    @property
    def checkable(self) -> bool:
        """A rule in effect or an evidence detector can decide the item statically."""
        return self.status != NOT_APPLICABLE and (
            bool(self.checked_by) or self.item.id in detectable()
        )


@dataclass(frozen=True)
class Readiness:
    """The readiness score: verified items among the applicable, statically checkable ones."""

    verified: int
    checkable: int

    @property
    def percent(self) -> int | None:
        return None if not self.checkable else round(100 * self.verified / self.checkable)


@functools.cache
def hints() -> dict[str, str]:
    text = (Path(__file__).parent / "review_hints.yaml").read_text(encoding="utf-8")
    raw = checklist.load_yaml(text)
    return {str(k): str(v) for k, v in (raw or {}).items()}


def evidence_of(result: ScanResult) -> tuple[Evidence, ...]:
    """The scan's evidence; empty until the scan computes it (ScanResult.evidence)."""
    found: Any = getattr(result, "evidence", ())
    return tuple(found or ())


def statuses(result: ScanResult, evidence: Sequence[Evidence]) -> list[ItemStatus]:
    """Every checklist item, in checklist order, with exactly one status."""
    named: dict[str, list[Finding]] = {}
    for f in _worst_first(result):
        rule = result.rules.get(f.code)
        for item_id in dict.fromkeys(f.checklist or (rule.checklist if rule else ())):
            named.setdefault(item_id, []).append(f)
    leads: dict[str, list[Finding]] = {}
    for f in getattr(result, "review", ()):
        if f.suppression is None:
            for item_id in dict.fromkeys(f.checklist):
                leads.setdefault(item_id, []).append(f)
    proofs: dict[str, list[Evidence]] = {}
    for e in evidence:
        proofs.setdefault(e.item_id, []).append(e)
    rules_for: dict[str, list[str]] = {}
    for code, rule in sorted(result.rules.items()):
        for item_id in rule.checklist:
            rules_for.setdefault(item_id, []).append(code)
    out: list[ItemStatus] = []
    for item in checklist.items():
        checked = tuple(rules_for.get(item.id, ()))
        if item.id in named:
            out.append(
                ItemStatus(item, VIOLATED, findings=tuple(named[item.id]), checked_by=checked)
            )
        elif item.id in leads:
            out.append(
                ItemStatus(item, NEEDS_REVIEW, hint=_lead_hint(leads[item.id]), checked_by=checked)
            )
        elif item.id in proofs:
            out.append(
                ItemStatus(item, VERIFIED, evidence=tuple(proofs[item.id]), checked_by=checked)
            )
        elif (scope := APPLIES.get(item.id)) is not None and not _present(scope, result, proofs):
            out.append(ItemStatus(item, NOT_APPLICABLE, reason=scope.reason, checked_by=checked))
        else:
            hint = hints().get(item.id, "Check this item by hand.")
            out.append(ItemStatus(item, NEEDS_REVIEW, hint=hint, checked_by=checked))
    return out


def _lead_hint(found: list[Finding]) -> str:
    """Why an item an audit rule flags is neither violated nor verified."""
    codes = ", ".join(sorted({f.code for f in found}))
    return (
        f"{len(found)} possible problem(s) from audit rule(s) {codes}, whose precision on real "
        "repositories is not high enough to report them by default; run "
        "`prodready scan --profile audit` and check them by hand."
    )


def _worst_first(result: ScanResult) -> list[Finding]:
    """Active findings, worst first, then by place (as every report orders them).

    Not imported from analyzer.report: the report package imports this module.
    """

    def rank(f: Finding) -> int:
        rule = result.rules.get(f.code)
        sev = f.severity or (rule.severity if rule else Severity.WARNING)
        return -sev.rank

    by_place = sorted(result.active, key=lambda f: (*f.sort_key(), f.fingerprint, f.message))
    return sorted(by_place, key=rank)


def _present(scope: Scope, result: ScanResult, proofs: dict[str, list[Evidence]]) -> bool:
    return SCOPE + scope.name in proofs or any(result.kinds.get(k) for k in scope.kinds)


def readiness(items: Sequence[ItemStatus]) -> Readiness:
    checkable = [s for s in items if s.checkable]
    return Readiness(sum(s.status == VERIFIED for s in checkable), len(checkable))


def counts(items: Sequence[ItemStatus]) -> dict[str, int]:
    return {status: sum(s.status == status for s in items) for status in STATUSES}


def by_section(items: Sequence[ItemStatus]) -> list[tuple[str, list[ItemStatus]]]:
    """The seed's sections in its order (`Seguridad / Protección de Datos`...)."""
    out: dict[str, list[ItemStatus]] = {}
    for s in items:
        out.setdefault(s.item.section, []).append(s)
    return list(out.items())
