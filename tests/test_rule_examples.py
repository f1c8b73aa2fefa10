"""Every example of every rule in rules/*.yaml, run through the real scan.

A bad example must produce its rule at the line it names, also when its rule
is the only one selected; a good example must produce no finding of its rule.
This is what makes the documentation trustworthy: `prodready explain` prints
exactly what is tested here.

The scans write no result cache: each test starts with an empty one, so it
would only be written, never read, and writing it is most of a small scan's time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from analyzer.checks import registry
from analyzer.core import catalog
from analyzer.core.config import Config
from analyzer.core.model import Example, Rule
from analyzer.engines import semgrep_engine
from analyzer.pipeline.scan import scan
from tests.conftest import write_tree


def _cases(verdicts: tuple[str, ...]) -> list[object]:
    """One case per example, except that a semgrep rule's examples of one verdict share a tree:
    each semgrep run costs seconds, and its rules match file by file."""
    out: list[object] = []
    for rule in catalog.load().values():
        for verdict in verdicts:
            mine = [ex for ex in rule.examples if ex.verdict == verdict]
            if rule.code in semgrep_engine.codes():
                out.append(pytest.param(rule, tuple(mine), id=f"{rule.code}-{verdict}"))
                continue
            first = rule.examples.index(mine[0])  # ids number the rule's examples in order
            out += [
                pytest.param(rule, (ex,), id=f"{rule.code}-{verdict}{first + i}")
                for i, ex in enumerate(mine)
            ]
    return out


def _files(example: Example) -> dict[str, str | bytes]:
    # A repository-level bad example names the file the fix would create; it stays absent.
    absent = example.verdict == "bad" and example.line is None and not example.text
    main: dict[str, str | bytes] = {} if absent else {example.path: example.text}
    if example.binary_size is not None:  # a PNG signature, then zeros: binary to any reader
        main = {example.path: b"\x89PNG\r\n\x1a\n" + b"\0" * (example.binary_size - 8)}
    return {**main, **dict(example.also)}


def _found(
    rule: Rule, examples: Sequence[Example], tmp_path: Path, config: Config | None = None
) -> list[tuple[str, int | None]]:
    files: dict[str, str | bytes] = {}
    for example in examples:
        more = _files(example)
        assert not set(more) & set(files), f"{rule.code}: examples share a path"
        files.update(more)
    write_tree(tmp_path, files)
    # a rule's examples test its logic, whatever tier its measured precision puts it in
    result = scan(tmp_path, config or Config(profile="audit"), cache=False)
    return [(f.path, f.line) for f in result.findings if f.code == rule.code]


def _needs_semgrep(rule: Rule) -> None:
    if rule.code in semgrep_engine.codes() and not semgrep_engine.available():
        pytest.skip("needs the optional semgrep engine (pip install 'prodready[semgrep]')")


@pytest.mark.parametrize(("rule", "examples"), _cases(("bad", "good")))
def test_example(rule: Rule, examples: tuple[Example, ...], tmp_path: Path) -> None:
    _needs_semgrep(rule)
    found = _found(rule, examples, tmp_path)
    for example in examples:
        if example.verdict == "bad":
            assert (example.path, example.line) in found, (
                f"{rule.code} not reported at {example.path}:{example.line}; got {found}"
            )
        else:
            assert found == [], f"{rule.code} fired on a good example: {found}"


@pytest.mark.parametrize(("rule", "examples"), _cases(("bad",)))
def test_bad_example_with_only_its_rule_selected(
    rule: Rule, examples: tuple[Example, ...], tmp_path: Path
) -> None:
    """`--select CODE` runs one rule alone: it must not lean on facts another rule gathers."""
    _needs_semgrep(rule)
    found = _found(rule, examples, tmp_path, Config(select=(rule.code,)))
    for example in examples:
        assert (example.path, example.line) in found, (
            f"{rule.code} alone not reported at {example.path}:{example.line}; got {found}"
        )


def test_every_rule_has_a_check() -> None:
    assert set(catalog.load()) <= registry.registered_codes()


def test_every_check_has_a_rule() -> None:
    assert registry.registered_codes() <= set(catalog.load())
