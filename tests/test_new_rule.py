"""The rule scaffolder, end to end, in a copy of the checkout.

The copy gets new rules from the real command; then the copy's own catalog,
command line and example tests must see them, and its modules must stay
lint-clean. The stub's bad example must fail the example tests: a scaffold that
passed them would be a rule that checks nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.checks import registry
from analyzer.core import catalog
from analyzer.pipeline.discover import classify
from analyzer.tools.skeletons import SKELETONS
from tests.conftest import REPO

_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def _next_code(prefix: str) -> str:
    numbers = [int(c[len(prefix) :]) for c in catalog.load() if c.rstrip("0123456789") == prefix]
    return f"{prefix}{max(numbers) + 1:03}"


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("checkout")
    for folder in ("analyzer", "rules"):
        shutil.copytree(REPO / folder, root / folder, ignore=_IGNORE)
    (root / "tests").mkdir()
    for name in ("conftest.py", "test_rule_examples.py"):
        shutil.copy2(REPO / "tests" / name, root / "tests" / name)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, root / name)
    return root


def _run(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(copy), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True, timeout=300
    )


def _snapshot(copy: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(copy)): p.read_bytes()
        for folder in ("analyzer", "rules")
        for p in sorted((copy / folder).rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_a_scaffolded_rule_is_in_the_catalog_and_fails_its_bad_example(copy: Path) -> None:
    k8s, sql = _next_code("K8S"), _next_code("SQL")
    new = _run(copy, "-m", "analyzer.tools.new_rule", k8s, "pod-without-owner-label",
               "--checklist", "RES-1,HA-4", "--severity", "note")  # fmt: skip
    assert new.returncode == 0, new.stderr
    assert "rules/kubernetes.yaml" in new.stdout and "pod_without_owner_label()" in new.stdout
    # SQL's module registers repository checks only: the file check's imports are added
    new = _run(copy, "-m", "analyzer.tools.new_rule", sql, "table-without-owner-comment")
    assert new.returncode == 0, new.stderr
    touched = [line.split(":")[0] for line in new.stdout.splitlines() if ".py:" in line]
    assert len(touched) == 1

    rules = _run(copy, "-m", "analyzer", "rules")
    assert rules.returncode == 0, rules.stderr
    listed = {line.split()[0]: line.split() for line in rules.stdout.splitlines() if line.strip()}
    assert listed[k8s][1:3] == ["note", "pod-without-owner-label"]
    assert listed[sql][1:3] == ["warning", "table-without-owner-comment"]
    explain = _run(copy, "-m", "analyzer", "explain", k8s)
    assert explain.returncode == 0, explain.stderr
    assert f"{k8s} pod-without-owner-label (note)" in explain.stdout
    assert "RES-1" in explain.stdout and "HA-4" in explain.stdout
    assert "Bad (k8s/api.yaml, reported at line 8)" in explain.stdout

    examples = _run(copy, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "tests/test_rule_examples.py", "-k", f"{k8s} or {sql} or every")  # fmt: skip
    assert examples.returncode == 1, examples.stdout
    for code in (k8s, sql):
        assert f"FAILED tests/test_rule_examples.py::test_example[{code}-bad0]" in examples.stdout
        assert f"test_bad_example_with_only_its_rule_selected[{code}-bad0]" in examples.stdout
    assert f"{k8s} not reported at k8s/api.yaml:8" in examples.stdout
    assert "4 failed, 4 passed" in examples.stdout  # the good examples and check/rule pairing

    lint = _run(copy, "-m", "ruff", "check", "--no-cache", "analyzer", touched[0])
    assert lint.returncode == 0, lint.stdout
    fmt = _run(copy, "-m", "ruff", "format", "--check", "--no-cache", "analyzer")
    assert fmt.returncode == 0, fmt.stdout
    docs = _run(copy, "-m", "analyzer.tools.docs", "README.md")
    assert docs.returncode == 0, docs.stderr
    assert f'<a id="{k8s.lower()}"></a>' in (copy / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("K8S001", "pod-without-owner"), "K8S001 already exists"),
        (("K8S900", "container-without-resource-limits"), "already K8S001's"),
        (("K8S900", "pod-without-owner", "--checklist", "RES-1,NOPE-9"), "unknown checklist ID"),
        (("ZZ001", "pod-without-owner"), "prefix ZZ"),
        (("K8S9", "pod-without-owner"), "three digits"),
        (("K8S900", "Pod_Without"), "kebab-case"),
    ],
)
def test_refusals_are_one_line_and_write_nothing(
    copy: Path, args: tuple[str, ...], message: str
) -> None:
    before = _snapshot(copy)
    run = _run(copy, "-m", "analyzer.tools.new_rule", *args)
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and message in run.stderr, run.stderr
    assert _snapshot(copy) == before


@pytest.mark.parametrize("kind", sorted(SKELETONS))
def test_every_skeleton_is_read_as_its_kind(kind: str) -> None:
    skeleton = SKELETONS[kind]
    expected = "other" if kind == "text" else kind
    assert skeleton.kind == (registry.ANY_TEXT if kind == "text" else kind)
    assert classify(skeleton.path, skeleton.text) == expected
    assert 1 <= skeleton.line <= skeleton.text.count("\n")


_MODULES = {
    "first_party_only.py": '"""Doc."""\n\nfrom __future__ import annotations\n\n'
    "from analyzer.core.model import Finding\n\nX = Finding\n",
    "long_line.py": "from analyzer.core.model import (\n    Example,\n    FileResult,\n"
    "    FixExample,\n    Rule,\n    ScanResult,\n    Severity,\n    SourceFile,\n)\n"
    "from analyzer.facts.repo import RepoView\n\nY = (Example, FileResult, FixExample, Rule, "
    "ScanResult, Severity, SourceFile, RepoView)\n",
    "no_imports.py": '"""Doc."""\n\nZ = 1\n',
    "by_type.py": "import re\nfrom typing import TYPE_CHECKING, cast\n\nimport yaml\n\n"
    "W = (re, TYPE_CHECKING, cast, yaml)\n",
}


def test_added_imports_are_where_ruff_sorts_them(tmp_path: Path) -> None:
    from analyzer.tools.imports import add_imports

    wanted = [
        ("collections.abc", "Iterator"),
        ("typing", "Any"),
        ("analyzer.core.model", "Finding"),
        ("analyzer.checks.registry", "repo_check"),
    ]
    for name, source in _MODULES.items():
        added = add_imports(source, wanted)
        (tmp_path / name).write_text(added + "\n\nUSED = (Iterator, Any, Finding, repo_check)\n")
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", "I,F",
         "--line-length", "100", "--config", "lint.isort.known-first-party = ['analyzer']", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout
