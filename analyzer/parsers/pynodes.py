"""One walk per syntax tree, shared by every rule, extractor and detector that asks for nodes.

Walking a tree is the dominant cost of Python analysis once parsing is done:
the FastAPI model, the code rules, the imports and bandit each asked their own
questions of the same tree, and each question was a full `ast.walk`. Here a
single breadth-first pass (the order `ast.walk` yields) records every node by
type and every child's parent; everything else reads lists. The index belongs
to its module (`PyModule.nodes`), so it lives exactly as long as the tree it indexes.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", bound=ast.AST)

_AST = ast.AST


class TreeIndex:
    """Nodes by exact type (in `ast.walk` order) and child -> parent, from one pass."""

    __slots__ = ("by_type", "calls", "named_calls", "order", "parents")

    def __init__(self, tree: ast.AST) -> None:
        by_type: dict[type, list[ast.AST]] = {}
        parents: dict[ast.AST, ast.AST] = {}
        todo: list[ast.AST] = [tree]
        append = todo.append
        i = 0
        while i < len(todo):
            node = todo[i]
            i += 1
            kind = type(node)
            got = by_type.get(kind)
            if got is None:
                by_type[kind] = [node]
            else:
                got.append(node)
            for name in _child_fields(kind):
                value = getattr(node, name, None)
                if value.__class__ is list:
                    for child in value:
                        if isinstance(child, _AST):
                            parents[child] = node
                            append(child)
                elif isinstance(value, _AST):
                    parents[value] = node
                    append(value)
        self.by_type = by_type
        self.parents = parents
        self.order = todo  # every node, in `ast.walk` order
        self.calls: list[tuple[str, ast.Call]] | None = None
        self.named_calls: list[tuple[str, ast.Call]] | None = None


# Fields that never hold a node worth indexing: names and flags, and the shared singleton
# markers (`ast.Load()`, `ast.Add()`...) that are a third of all nodes and no rule asks for.
_NOT_CHILDREN = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "module", "level", "kind", "type_comment",
     "conversion", "is_async"}
)  # fmt: skip


_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(kind: type) -> tuple[str, ...]:
    got = _FIELDS.get(kind)
    if got is None:
        fields: tuple[str, ...] = getattr(kind, "_fields", ())
        got = _FIELDS[kind] = tuple(f for f in fields if f not in _NOT_CHILDREN)
    return got


def of_type(ix: TreeIndex, *types: type[N]) -> list[N]:
    """Every node of these exact types in the tree (ast.walk order within each type)."""
    by_type = ix.by_type
    if len(types) == 1:
        return by_type.get(types[0], [])  # type: ignore[return-value]
    out: list[N] = []
    for t in types:
        out.extend(by_type.get(t, []))  # type: ignore[arg-type]
    return out


def calls(ix: TreeIndex, qualify: Callable[[ast.AST], str | None]) -> list[tuple[str, ast.Call]]:
    """(qualified name, call) of every call whose callee has a name, computed once per tree."""
    if ix.named_calls is None:
        ix.named_calls = [(name, call) for name, call in all_calls(ix, qualify) if name]
    return ix.named_calls


def all_calls(
    ix: TreeIndex, qualify: Callable[[ast.AST], str | None]
) -> list[tuple[str, ast.Call]]:
    """(qualified name or "", call) of every call, in walk order; names resolved once per tree."""
    if ix.calls is None:
        got = []
        for node in ix.by_type.get(ast.Call, []):
            assert isinstance(node, ast.Call)
            got.append((qualify(node.func) or "", node))
        ix.calls = got
    return ix.calls


def in_walk_order(ix: TreeIndex, *types: type[N]) -> list[N]:
    """Nodes of several types interleaved as `ast.walk` meets them, where the order decides."""
    wanted = frozenset(types)
    return [n for n in ix.order if type(n) in wanted]  # type: ignore[misc]


def parents(ix: TreeIndex) -> dict[ast.AST, ast.AST]:
    """Child -> parent for every node of the tree."""
    return ix.parents
