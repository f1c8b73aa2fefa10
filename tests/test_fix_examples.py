"""Every documented fix is a round trip: before -> after exactly, rule silent, second run a no-op."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer import fix
from analyzer.core import catalog
from analyzer.core.config import Config
from analyzer.core.model import FixExample
from analyzer.fix.base import FixOptions
from analyzer.pipeline.scan import scan
from tests.conftest import write_tree

# CMP007's fix needs a configured pin (never a guessed tag)
OPTIONS = FixOptions(pins={"redis": "7.2-alpine", "ghcr.io/acme/api": "1.4.2"})


CASES = [
    pytest.param(rule.code, ex, id=f"{rule.code}-{i}")
    for rule in catalog.load().values()
    for i, ex in enumerate(rule.fix_examples)
]


def test_every_fixable_rule_has_a_fixer_and_examples() -> None:
    fixable = [r for r in catalog.load().values() if r.fixable]
    assert fixable
    for rule in fixable:
        assert rule.code in fix.FAMILIES, rule.code
        assert rule.fix_examples, rule.code
        assert rule.fix_safety in ("safe", "unsafe")


@pytest.mark.parametrize(("code", "example"), CASES)
def test_fix_example_round_trip(tmp_path: Path, code: str, example: FixExample) -> None:
    ex = example
    root = write_tree(tmp_path, {**dict(ex.also), ex.path: ex.before})
    config = Config(select=(code,))
    assert any(f.code == code for f in scan(root, config).active), "before must be reported"
    first = fix.run(root, config, unsafe=True, options=OPTIONS)
    assert (root / ex.path).read_text(encoding="utf-8") == ex.after
    for path, text in ex.also:  # the files a fix reads are never edited
        assert (root / path).read_text(encoding="utf-8") == text
    assert not [f for f in scan(root, config).active if f.code == code]
    assert not first.remaining
    second = fix.run(root, config, unsafe=True, options=OPTIONS)
    assert second.changes == ()
    assert (root / ex.path).read_text(encoding="utf-8") == ex.after


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    unsafe = next(r for r in catalog.load().values() if r.fix_safety == "unsafe")
    ex = unsafe.fix_examples[0]
    root = write_tree(tmp_path, {ex.path: ex.before})
    outcome = fix.run(root, Config(select=(unsafe.code,)), options=OPTIONS)
    assert outcome.changes == ()
    assert (root / ex.path).read_text(encoding="utf-8") == ex.before
    assert [f.code for f in outcome.remaining] == [unsafe.code]
