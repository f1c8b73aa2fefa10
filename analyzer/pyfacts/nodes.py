"""One walk per syntax tree, shared by every rule and detector that asks for nodes.

The judge and the checklist evidence look at every module of the repository,
each for a few node types; walking each tree once per question made them the
slowest part of a large scan. The index is kept beside the tree (weakly, so
it goes with the tree) and answers "all the calls of this module" from a list.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", bound=ast.AST)

_INDEX: weakref.WeakKeyDictionary[ast.AST, dict[type, list[ast.AST]]] = weakref.WeakKeyDictionary()
_CALLS: weakref.WeakKeyDictionary[ast.AST, list[tuple[str, ast.Call]]] = weakref.WeakKeyDictionary()


def _index(tree: ast.AST) -> dict[type, list[ast.AST]]:
    got = _INDEX.get(tree)
    if got is None:
        got = {}
        for node in ast.walk(tree):
            got.setdefault(type(node), []).append(node)
        _INDEX[tree] = got
    return got


def of_type(tree: ast.AST, *types: type[N]) -> list[N]:
    """Every node of these exact types in the tree (ast.walk order within each type)."""
    index = _index(tree)
    if len(types) == 1:
        return index.get(types[0], [])  # type: ignore[return-value]
    out: list[N] = []
    for t in types:
        out.extend(index.get(t, []))  # type: ignore[arg-type]
    return out


def calls(tree: ast.AST, qualify: Callable[[ast.AST], str | None]) -> list[tuple[str, ast.Call]]:
    """(qualified name, call) of every call whose callee has a name, computed once per tree."""
    got = _CALLS.get(tree)
    if got is None:
        got = []
        for node in of_type(tree, ast.Call):
            name = qualify(node.func)
            if name:
                got.append((name, node))
        _CALLS[tree] = got
    return got


_PARENTS: weakref.WeakKeyDictionary[ast.AST, dict[ast.AST, ast.AST]] = weakref.WeakKeyDictionary()


def parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    """Child -> parent for every node of the tree, built once and only when asked."""
    got = _PARENTS.get(tree)
    if got is None:
        got = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        _PARENTS[tree] = got
    return got
