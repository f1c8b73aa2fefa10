"""A rule's precision tier is earned on real code, not declared: the catalog may not claim
more than the precision ledger measured (bench/ledger/precision.yaml, written by
`python bench/ledger.py run --write-precision`), and `error` is for very-high rules only."""

from __future__ import annotations

from pathlib import Path

import yaml

from analyzer.core import catalog
from analyzer.core.model import Severity

MEASURED = Path(__file__).resolve().parent.parent / "bench" / "ledger" / "precision.yaml"
RANK = {name: i for i, (name, _) in enumerate(catalog.TIERS)}  # 0 is the best


def _measured() -> dict[str, dict[str, object]]:
    data = yaml.safe_load(MEASURED.read_text(encoding="utf-8")) or {}
    assert isinstance(data, dict)
    return data


def test_no_rule_claims_more_than_the_ledger_measured() -> None:
    rules = catalog.load()
    over = {
        code: (rules[code].precision, m["tier"])
        for code, m in _measured().items()
        if code in rules and RANK[rules[code].precision] < RANK[str(m["tier"])]
    }
    assert not over, f"catalog precision above the measured tier (claimed, measured): {over}"


def test_measured_tiers_follow_from_the_counts() -> None:
    for code, m in _measured().items():
        true, false = int(str(m["true"])), int(str(m["false"]))
        assert m["tier"] == catalog.tier_of(true / (true + false)), code


def test_error_is_reserved_for_very_high_precision() -> None:
    loose = [
        code
        for code, r in catalog.load().items()
        if r.severity is Severity.ERROR and r.precision != "very-high"
    ]
    assert not loose, f"error severity on rules below very-high precision: {loose}"


def test_tier_of() -> None:
    assert catalog.tier_of(1.0) == "very-high"
    assert catalog.tier_of(0.95) == "very-high"
    assert catalog.tier_of(0.9) == "high"
    assert catalog.tier_of(0.7) == "medium"
    assert catalog.tier_of(0.2) == "low"
