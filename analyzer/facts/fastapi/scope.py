"""Names as one module sees them: what an expression refers to, and paths written with constants.

A name is kept as the qualified name it has across the repository (`app.api.deps.get_user`),
so the app model can find what it names in another module; a path or prefix built from
constants keeps the constants as references, filled in once every module is known.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from analyzer.facts.fastapi.records import Part, Text
from analyzer.parsers.python import PyModule


@dataclass(frozen=True)
class Scope:
    mod: PyModule

    def ref(self, node: ast.AST) -> str | None:
        """A global qualified name: imported names resolved, local ones prefixed by the module."""
        q = self.mod.qualified_name(node)
        if q is None:
            return None
        head = q.split(".")[0].split("(")[0]
        root = _root_name(node)
        if root is not None and root not in self.mod.imports and head == root:
            return f"{self.mod.module}.{q}" if self.mod.module else q
        return q

    def qn(self, node: ast.AST) -> str:
        return self.mod.qualified_name(node) or ""

    def text(self, node: ast.AST | None) -> Text:
        """A path as parts: literals and references to constants; None when not knowable."""
        if node is None:
            return ()
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return (("lit", node.value),)
        if isinstance(node, ast.JoinedStr):
            parts: list[Part] = []
            for v in node.values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    parts.append(("lit", v.value))
                elif isinstance(v, ast.FormattedValue):
                    sub = self.text(v.value)
                    if sub is None:
                        return None
                    parts.extend(sub)
            return tuple(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.text(node.left), self.text(node.right)
            return None if left is None or right is None else left + right
        if isinstance(node, (ast.Name, ast.Attribute)):
            r = self.ref(node)
            return (("ref", r),) if r else None
        return None


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return node.id if isinstance(node, ast.Name) else None


def list_items(node: ast.AST | None) -> list[ast.expr]:
    """The elements of a literal list, tuple or set; nothing for any other expression."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return list(node.elts)
    return []
