"""Request values that become code: HTML built by string interpolation (PY024).

The rules/python.yaml family of checklist items ATTACK-3 and ATTACK-4. SQL
from strings (PY021), shell commands (PY022) and Jinja2 without autoescape
(PY023) are bandit's tests (analyzer.checks.python.bandit).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from analyzer.checks.python.registry import finding, rule
from analyzer.core.model import Finding
from analyzer.facts.calls import ModuleIndex, arg, const_str, dotted, kwarg

_HTML_RESPONSES = frozenset({"fastapi.responses.HTMLResponse", "starlette.responses.HTMLResponse"})
_PLAIN_RESPONSES = frozenset(
    {"fastapi.responses.Response", "starlette.responses.Response", "fastapi.Response"}
)
_ESCAPERS = ("escape", "quote", "quoteattr", "bleach.clean", "clean", "sanitize")


@rule("PY024", app_code_only=True)
def html_response_from_input(ix: ModuleIndex) -> Iterator[Finding]:
    for call, name in ix.calls:
        if name in _PLAIN_RESPONSES:
            if (const_str(kwarg(call, "media_type")) or "").split(";")[0] != "text/html":
                continue
        elif name not in _HTML_RESPONSES:
            continue
        content = arg(call, 0, "content")
        if content is not None and _interpolates_unescaped(content):
            yield finding(
                "PY024",
                ix.mod,
                call,
                "HTML response built by string interpolation without escaping: a value from the "
                "request becomes markup (XSS); render a template with autoescape or escape each value.",
                "html-from-input",
            )


def _interpolates_unescaped(node: ast.AST) -> bool:
    values: list[ast.AST] = []
    if isinstance(node, ast.JoinedStr):
        values = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        if not any(
            isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(node)
        ):
            return False
        values = [n for n in (node.left, node.right) if not isinstance(n, ast.Constant)]
        values = [v for v in values if not isinstance(v, ast.BinOp)] + [
            x
            for v in values
            if isinstance(v, ast.BinOp)
            for x in (v.left, v.right)
            if not isinstance(x, ast.Constant)
        ]
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
    ):
        values = [*node.args, *(k.value for k in node.keywords)]
    return any(not _escaped(v) for v in values)


def _escaped(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name) and node.id.isupper():
        return True  # a module constant
    return isinstance(node, ast.Call) and dotted(node.func).endswith(_ESCAPERS)
