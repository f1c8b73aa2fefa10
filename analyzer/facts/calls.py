"""Small questions the code-level Python rules ask of an `ast` tree.

Every rule here works on one module's tree and its resolved imports
(analyzer.parsers.python.PyModule); these helpers answer the recurring
questions: what a call's keyword is, whether a value is a literal, which
function encloses a node, whether a function is a FastAPI route handler,
and what a variable was built from. One parent map per module (a single
`ast.walk`) makes the "what encloses this node" questions cheap.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from analyzer.core.vocabulary import ROUTE_DECORATORS
from analyzer.parsers import pynodes as nodes
from analyzer.parsers.python import PyModule

APP_FACTORIES = frozenset(
    {
        "fastapi.FastAPI",
        "fastapi.APIRouter",
        "fastapi.routing.APIRouter",
        "fastapi.applications.FastAPI",
        "starlette.applications.Starlette",
    }
)
_Scope = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class ModuleIndex:
    """A module's tree with the links rules need: parents, calls, assignments by name."""

    mod: PyModule
    parents: dict[ast.AST, ast.AST] = field(repr=False)
    calls: tuple[tuple[ast.Call, str], ...] = field(repr=False)  # (call, qualified name or "")
    built_from: dict[str, ast.Call] = field(repr=False)  # variable/attribute name -> its call
    by_type: dict[type, list[ast.AST]] = field(repr=False)  # one walk, read by every rule

    def nodes(self, *types: type) -> list[Any]:
        """Every node of these types, in walk order, without walking the tree again."""
        if len(types) == 1:
            return self.by_type.get(types[0], [])
        return [n for t in types for n in self.by_type.get(t, [])]

    def top_statement(self, node: ast.AST) -> ast.AST:
        """The module-level statement that contains `node`."""
        cur = node
        while True:
            parent = self.parents.get(cur)
            if parent is None or parent is self.mod.tree:
                return cur
            cur = parent

    def enclosing_function(self, node: ast.AST) -> _Scope | None:
        cur = self.parents.get(node)
        while cur is not None:
            if isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return cur
            cur = self.parents.get(cur)
        return None

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        cur = self.parents.get(node)
        while cur is not None:
            yield cur
            cur = self.parents.get(cur)

    def in_main_block(self, node: ast.AST) -> bool:
        """Inside `if __name__ == "__main__":`: a command-line entry, not the service."""
        return any(isinstance(a, ast.If) and is_main_test(a.test) for a in self.ancestors(node))

    def under_condition(self, node: ast.AST) -> bool:
        """Inside an `if`/conditional expression (other than the `__main__` guard)."""
        return any(
            (isinstance(a, ast.If) and not is_main_test(a.test)) or isinstance(a, ast.IfExp)
            for a in self.ancestors(node)
        )

    def receiver_call(self, call: ast.Call) -> tuple[str, ast.Call] | None:
        """For `client.get(...)`: the qualified name and call that built `client`, if known."""
        func = call.func
        if not isinstance(func, ast.Attribute):
            return None
        key = target_key(func.value)
        built = self.built_from.get(key) if key else None
        if built is None:
            return None
        return self.mod.qualified_name(built.func) or "", built


def index(mod: PyModule) -> ModuleIndex:
    """The rules' view of a module, read from the tree's one shared walk (`nodes.index`)."""
    shared = mod.nodes
    by_type = shared.by_type
    calls: list[tuple[ast.Call, str]] = []
    built: dict[str, ast.Call] = {}
    calls.extend((call, name) for name, call in nodes.all_calls(mod.nodes, mod.qualified_name))
    for node in nodes.in_walk_order(mod.nodes, ast.Assign, ast.AnnAssign, ast.With, ast.AsyncWith):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            if isinstance(node.value, ast.Call):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    key = target_key(t)
                    if key:
                        built.setdefault(key, node.value)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.context_expr, ast.Call) and item.optional_vars is not None:
                    key = target_key(item.optional_vars)
                    if key:
                        built.setdefault(key, item.context_expr)
    calls.sort(key=lambda c: (c[0].lineno, c[0].col_offset))
    return ModuleIndex(mod, shared.parents, tuple(calls), built, by_type)


def target_key(node: ast.AST) -> str | None:
    """`client` and `self.client` both key as "client": the name a method call goes through."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def is_main_test(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def kwarg(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def has_kwargs_unpack(call: ast.Call) -> bool:
    return any(kw.arg is None for kw in call.keywords)


def arg(call: ast.Call, position: int, name: str) -> ast.expr | None:
    """A parameter given by keyword or by position."""
    value = kwarg(call, name)
    if value is not None:
        return value
    if len(call.args) > position and not any(
        isinstance(a, ast.Starred) for a in call.args[: position + 1]
    ):
        return call.args[position]
    return None


def is_const(node: ast.AST | None, value: object) -> bool:
    return (
        isinstance(node, ast.Constant) and type(node.value) is type(value) and node.value == value
    )


def const_str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def const_number(node: ast.AST | None) -> float | None:
    """Evaluate `60 * 24 * 8`, `3600`, `1.5 * 60`; None for anything not purely numeric."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        if isinstance(node.value, bool):
            return None
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = const_number(node.operand)
        return -inner if inner is not None else None
    if isinstance(node, ast.BinOp):
        left, right = const_number(node.left), const_number(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Div) and right:
            return left / right
        if isinstance(node.op, ast.Pow) and abs(right) < 64:
            return float(left**right)
    return None


def last_name(qualified: str) -> str:
    return qualified.rsplit(".", 1)[-1]


def route_handlers(ix: ModuleIndex) -> list[_Scope]:
    """Functions decorated `@<app or router>.get/post/...` where the object is built here.

    Deliberately local: the object must be assigned in this module from
    `FastAPI()`/`APIRouter()` (aliases resolved), which is how handlers are
    written in practice and needs no cross-module view.
    """
    apps = {
        name
        for name, call in ix.built_from.items()
        if (ix.mod.qualified_name(call.func) or "") in APP_FACTORIES
    }
    out: list[_Scope] = []
    if not apps:
        return out
    for node in ix.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
        for dec in node.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            if (
                isinstance(target, ast.Attribute)
                and target.attr in ROUTE_DECORATORS
                and target_key(target.value) in apps
            ):
                out.append(node)
                break
    return out


def walk_body(fn: _Scope) -> Iterator[ast.AST]:
    """Every node of a function's body, its decorators and arguments excluded."""
    for stmt in fn.body:
        yield from ast.walk(stmt)


def dotted(node: ast.AST) -> str:
    """`self.settings.token` -> "self.settings.token" (best effort, for messages)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(dotted(node.func) + "()")
    return ".".join(reversed(parts))
