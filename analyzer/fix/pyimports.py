"""Adds an import or the module logger to a libcst module, where a person would put them.

`import logging` goes among the standard-library imports; a `from` import joins
an existing one of the same module, else is sorted among the imports of the
same package, else follows the imports; the logger comes right after the
imports, and a logger the module already has is reused.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import libcst as cst

from analyzer.fix.cstnodes import spaced_comma


def logger_name(text: str) -> str | None:
    """The module's logger: an existing `x = logging.getLogger(...)`, else `logger` when free."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    bound: set[str] = set()
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
                if isinstance(target, cst.Name):
                    if _is_get_logger(small.value):
                        return target.value
                    bound.add(target.value)
            elif isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(
                small.names, cst.ImportStar
            ):
                bound.update(
                    (
                        cst.helpers.get_full_name_for_node(a.asname.name)
                        if a.asname
                        else cst.helpers.get_full_name_for_node(a.name)
                    )
                    or ""
                    for a in small.names
                )
    return None if "logger" in bound else "logger"


def _is_get_logger(value: cst.BaseExpression) -> bool:
    if not isinstance(value, cst.Call):
        return False
    name = cst.helpers.get_full_name_for_node(value.func) or ""
    return name in ("logging.getLogger", "getLogger")


def _import_top(stmt: cst.BaseStatement) -> str | None:
    """The top-level module a plain import line imports (`os` for `from os.path import x`)."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if isinstance(small, cst.Import):
        return (cst.helpers.get_full_name_for_node(small.names[0].name) or "").split(".")[0]
    if isinstance(small, cst.ImportFrom):
        if small.relative:
            return "."
        return (cst.helpers.get_full_name_for_node(small.module) or "").split(".")[0]  # type: ignore[arg-type]
    return None


def _header(body: Sequence[cst.BaseStatement]) -> tuple[int, int]:
    """(start, end) of the leading import block, after any docstring."""
    start = 0
    if body and isinstance(body[0], cst.SimpleStatementLine):
        first = body[0].body[0]
        if isinstance(first, cst.Expr) and isinstance(
            first.value, (cst.SimpleString, cst.ConcatenatedString)
        ):
            start = 1
    end = start
    while end < len(body) and _import_top(body[end]) is not None:
        end += 1
    return start, end


def _has_import_logging(body: Sequence[cst.BaseStatement]) -> bool:
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import) and any(
                    a.asname is None and cst.helpers.get_full_name_for_node(a.name) == "logging"
                    for a in small.names
                ):
                    return True
    return False


def _blank(n: int = 1) -> list[cst.EmptyLine]:
    return [cst.EmptyLine() for _ in range(n)]


def ensure_logger(module: cst.Module, name: str) -> cst.Module:
    body = list(module.body)
    start, end = _header(body)
    if not _has_import_logging(body):
        new = cst.parse_statement("import logging\n")
        tops = [(i, _import_top(body[i]) or "") for i in range(start, end)]
        std = [(i, t) for i, t in tops if t in sys.stdlib_module_names and t != "__future__"]
        later = [i for i, t in std if t > "logging"]
        others = [i for i, t in tops if t != "__future__"]
        if later:
            at = later[0]
            new = new.with_changes(leading_lines=body[at].leading_lines)
            body[at] = body[at].with_changes(leading_lines=())
        elif std:
            at = std[-1][0] + 1
        elif others:
            at = others[0]
            new = new.with_changes(leading_lines=body[at].leading_lines)
            body[at] = body[at].with_changes(leading_lines=_blank())
        elif end > start:  # only `from __future__` imports
            at = end
            new = new.with_changes(leading_lines=_blank())
        else:
            at = start
            lead = body[at].leading_lines if at < len(body) else ()
            new = new.with_changes(leading_lines=_blank() if start else lead)
            if at < len(body):
                body[at] = body[at].with_changes(leading_lines=())
        body.insert(at, new)
        end += 1
    if logger_name(cst.Module(body=body).code) == name and not _defines(body, name):
        assign = cst.parse_statement(f"{name} = logging.getLogger(__name__)\n")
        body.insert(end, assign.with_changes(leading_lines=_blank()))
        if end + 1 < len(body):
            nxt = body[end + 1]
            want = 2 if isinstance(nxt, (cst.FunctionDef, cst.ClassDef)) else 1
            lead = list(nxt.leading_lines)
            blanks = _leading_blanks(lead)
            if blanks < want:
                body[end + 1] = nxt.with_changes(leading_lines=_blank(want - blanks) + lead)
    return module.with_changes(body=body)


def _leading_blanks(lines: list[cst.EmptyLine]) -> int:
    n = 0
    for line in lines:
        if line.comment is not None:
            break
        n += 1
    return n


def _defines(body: Sequence[cst.BaseStatement], name: str) -> bool:
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets
                ):
                    return True
    return False


def ensure_from_import(module: cst.Module, source: str, name: str) -> cst.Module:
    body = list(module.body)
    for i, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        small = stmt.body[0]
        if (
            isinstance(small, cst.ImportFrom)
            and not small.relative
            and cst.helpers.get_full_name_for_node(small.module) == source  # type: ignore[arg-type]
            and not isinstance(small.names, cst.ImportStar)
        ):
            names = list(small.names)
            if any(
                a.asname is None and cst.helpers.get_full_name_for_node(a.name) == name
                for a in names
            ):
                return module
            pos = next(
                (
                    k
                    for k, a in enumerate(names)
                    if (cst.helpers.get_full_name_for_node(a.name) or "") > name
                ),
                len(names),
            )
            alias = cst.ImportAlias(cst.Name(name))
            if pos < len(names):
                comma = (
                    names[pos - 1].comma
                    if pos > 0 and isinstance(names[pos - 1].comma, cst.Comma)
                    else spaced_comma()
                )
                names.insert(pos, alias.with_changes(comma=comma))
            else:
                between = next(
                    (a.comma for a in names[:-1] if isinstance(a.comma, cst.Comma)), spaced_comma()
                )
                last = names[-1]
                names[-1] = last.with_changes(comma=between)
                names.append(alias.with_changes(comma=last.comma))
            body[i] = stmt.with_changes(body=[small.with_changes(names=names)])
            return module.with_changes(body=body)
    start, end = _header(body)
    new = cst.parse_statement(f"from {source} import {name}\n")
    top = source.split(".")[0]
    same = [i for i in range(start, end) if _import_top(body[i]) == top]
    later = [i for i in same if _from_module(body[i]) > source]
    if later:  # sorted among the imports of the same package, as isort would
        at = later[0]
        new = new.with_changes(leading_lines=body[at].leading_lines)
        body[at] = body[at].with_changes(leading_lines=())
        body.insert(at, new)
    else:
        body.insert(same[-1] + 1 if same else end, new)
    return module.with_changes(body=body)


def _from_module(stmt: cst.BaseStatement) -> str:
    """The module of a `from x import y` line; "" for other lines (`import x` sorts first)."""
    if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.ImportFrom):
        small = stmt.body[0]
        if small.module is not None and not small.relative:
            return cst.helpers.get_full_name_for_node(small.module) or ""
    return ""
