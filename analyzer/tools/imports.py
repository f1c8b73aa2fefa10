"""Adds `from MODULE import NAME` to a module's source, where ruff's isort would put it.

A scaffolded check must leave its module lint-clean, so a missing name joins the
existing `from MODULE import ...` statement, or a new statement goes into its
section (future, standard library, third party, this package) in sorted order.
Statements carrying comments are left as they are: rewriting them would drop
the comments.
"""

from __future__ import annotations

import ast
import re
import sys

LINE_LENGTH = 100  # [tool.ruff] line-length
FIRST_PARTY = ("analyzer", "tests", "bench")
_SECTIONS = ("future", "stdlib", "third-party", "first-party")


def add_imports(source: str, wanted: list[tuple[str, str]]) -> str:
    """`source` with every (module, name) of `wanted` bound at module level."""
    for module, name in wanted:
        if name not in _top_level_names(ast.parse(source)):
            source = _add(source, module, name)
    return source


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _add(source: str, module: str, name: str) -> str:
    lines = source.splitlines(keepends=True)
    imports = _header_imports(ast.parse(source))
    for node in imports:
        if isinstance(node, ast.ImportFrom) and node.module == module and not node.level:
            text = "".join(lines[node.lineno - 1 : node.end_lineno])
            if "#" in text:
                continue
            members = [(a.name, a.asname) for a in node.names] + [(name, None)]
            lines[node.lineno - 1 : node.end_lineno] = [_render(module, members)]
            return "".join(lines)
    new = _render(module, [(name, None)])
    section = _section(module)
    same = [n for n in imports if _section(_module_of(n)) == section]
    later = [
        n for n in same if isinstance(n, ast.ImportFrom) and _key(_module_of(n)) > _key(module)
    ]
    if later:
        at = later[0].lineno - 1
    elif same:
        at = max(n.end_lineno or n.lineno for n in same)
    else:  # the module's first import of this section: a group of its own
        rank = _SECTIONS.index(section)
        before = [n for n in imports if _SECTIONS.index(_section(_module_of(n))) < rank]
        after = [n for n in imports if _SECTIONS.index(_section(_module_of(n))) > rank]
        if before:
            at, new = max(n.end_lineno or n.lineno for n in before), "\n" + new
        elif after:
            at, new = after[0].lineno - 1, new + "\n"
        else:  # no import at all: blank lines around it, after the docstring
            at = _after_docstring(source)
            following = lines[at] if at < len(lines) else "\n"
            new = ("\n" if at else "") + new + ("" if not following.strip() else "\n")
    lines[at:at] = [new]
    return "".join(lines)


def _header_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The module-level imports before its first other statement (the docstring aside)."""
    out: list[ast.Import | ast.ImportFrom] = []
    for i, node in enumerate(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(node)
        elif not (i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            break
    return out


def _after_docstring(source: str) -> int:
    tree = ast.parse(source)
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return first.end_lineno or first.lineno
    return 0


def _module_of(node: ast.Import | ast.ImportFrom) -> str:
    if isinstance(node, ast.ImportFrom):
        return node.module or ""
    return node.names[0].name


def _section(module: str) -> str:
    top = module.split(".")[0]
    if top == "__future__":
        return "future"
    if top in FIRST_PARTY:
        return "first-party"
    return "stdlib" if top in sys.stdlib_module_names else "third-party"


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Case-insensitive, numbers by value: isort's order within a section."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"(\d+)", text.lower())
        if part
    )


def _key(module: str) -> tuple[tuple[int, int | str], ...]:
    return _natural(module)


def _member_key(
    member: tuple[str, str | None],
) -> tuple[int, tuple[tuple[int, int | str], ...], str]:
    """Constants, then classes, then everything else (ruff's `order-by-type`)."""
    name = member[0]
    if len(name) > 1 and name.isupper():
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return kind, _natural(name), name


def _render(module: str, members: list[tuple[str, str | None]]) -> str:
    parts = [n if a is None else f"{n} as {a}" for n, a in sorted(set(members), key=_member_key)]
    one = f"from {module} import {', '.join(parts)}\n"
    if len(one) - 1 <= LINE_LENGTH:
        return one
    return f"from {module} import (\n" + "".join(f"    {p},\n" for p in parts) + ")\n"
