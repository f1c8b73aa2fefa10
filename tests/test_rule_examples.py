"""Every example of every rule in rules/*.yaml, run through the real scan.

A bad example must produce its rule at the line it names; a good example
must produce no finding of its rule. This is what makes the documentation
trustworthy: `prodready explain` prints exactly what is tested here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.checks import registry
from analyzer.core import catalog
from analyzer.core.model import Example, Rule
from analyzer.engines import semgrep_engine
from analyzer.pipeline.scan import scan
from tests.conftest import write_tree

CASES = [
    pytest.param(rule, ex, id=f"{rule.code}-{ex.verdict}{i}")
    for rule in catalog.load().values()
    for i, ex in enumerate(rule.examples)
]


def _found(rule: Rule, example: Example, tmp_path: Path) -> list[tuple[str, int | None]]:
    # A repository-level bad example names the file the fix would create; it stays absent.
    absent = example.verdict == "bad" and example.line is None and not example.text
    main: dict[str, str | bytes] = {} if absent else {example.path: example.text}
    if example.binary_size is not None:  # a PNG signature, then zeros: binary to any reader
        main = {example.path: b"\x89PNG\r\n\x1a\n" + b"\0" * (example.binary_size - 8)}
    write_tree(tmp_path, {**main, **dict(example.also)})
    result = scan(tmp_path)
    return [(f.path, f.line) for f in result.findings if f.code == rule.code]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_example(rule: Rule, example: Example, tmp_path: Path) -> None:
    if rule.code in semgrep_engine.codes() and not semgrep_engine.available():
        pytest.skip("needs the optional semgrep engine (pip install 'prodready[semgrep]')")
    found = _found(rule, example, tmp_path)
    if example.verdict == "bad":
        assert (example.path, example.line) in found, (
            f"{rule.code} not reported at line {example.line}; got {found}"
        )
    else:
        assert found == [], f"{rule.code} fired on a good example: {found}"


def test_every_rule_has_a_check() -> None:
    assert set(catalog.load()) <= registry.registered_codes()


def test_every_check_has_a_rule() -> None:
    assert registry.registered_codes() <= set(catalog.load())
