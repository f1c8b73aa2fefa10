"""The package's layers, as its import graph shows them: data flows one way, from parsers to facts
to rules, and nothing imports against that flow.

The graph is read from the source (module-level, in-function and TYPE_CHECKING imports alike),
so a cycle hidden behind a late import or a type-only import fails here as surely as a
top-level one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "analyzer"

# Lower layers first. A module may import its own layer (without cycles) and any layer below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("analyzer", "analyzer.core"),
    ("analyzer.parsers", "analyzer.engines"),
    ("analyzer.facts",),
    ("analyzer.checks", "analyzer.evidence"),
    ("analyzer.pipeline",),
    ("analyzer.report", "analyzer.fix"),
    ("analyzer.cli", "analyzer.__main__", "analyzer.tools"),
)
# Packages of one layer that must not import each other: rules and detectors both read facts.
APART: tuple[tuple[str, str], ...] = (("analyzer.checks", "analyzer.evidence"),)


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imported(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported module of the package, line) for every import statement anywhere in `path`."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "analyzer":
                    yield _known(alias.name), node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != "analyzer":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (sub if sub in MODULES else _known(target)), node.lineno


def _known(name: str) -> str:
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


GRAPH: dict[str, dict[str, int]] = {
    m: {t: line for t, line in _imported(m, p) if t != m} for m, p in MODULES.items()
}


def _layer(module: str) -> tuple[int, str]:
    best: tuple[int, str] | None = None
    for rank, packages in enumerate(LAYERS):
        for pkg in packages:
            if (module == pkg or module.startswith(pkg + ".")) and (
                best is None or len(pkg) > len(best[1])
            ):
                best = (rank, pkg)
    assert best is not None, f"{module} belongs to no layer: add it to LAYERS"
    return best


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        _layer(module)


def test_no_import_against_the_layer_order() -> None:
    wrong = []
    for module, targets in sorted(GRAPH.items()):
        rank, pkg = _layer(module)
        for target, line in sorted(targets.items()):
            t_rank, t_pkg = _layer(target)
            apart = (pkg, t_pkg) in APART or (t_pkg, pkg) in APART
            if t_rank > rank or apart:
                wrong.append(
                    f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} {module} -> {target}"
                )
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(GRAPH):
        if root in index:
            continue
        work = [(root, iter(sorted(GRAPH[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(GRAPH.get(child, {})))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle() -> None:
    cycles = _cycles()
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b": 1}, "b": {"a": 1}}, [["a", "b"]]),
        ({"a": {"b": 1}, "b": {"c": 1}, "c": {}}, []),
        ({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}, [["a", "b", "c"]]),
    ],
)
def test_cycle_finder_finds_cycles(
    graph: dict[str, dict[str, int]], expected: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finder itself must see a cycle, or the test above could never fail."""
    monkeypatch.setattr(f"{__name__}.GRAPH", graph)
    assert _cycles() == expected


def test_relative_and_late_imports_are_read(tmp_path: Path) -> None:
    """An import inside a function or under TYPE_CHECKING counts like a top-level one."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from analyzer.pipeline import scan\n"
        "def f():\n    from analyzer.core import model\n"
    )
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    got = {t for t, _ in _imported("analyzer.core.x", path)}
    assert {"analyzer.pipeline.scan", "analyzer.core.model"} <= got
