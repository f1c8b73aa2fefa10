"""Small builders and tests of libcst nodes that the Python fixes share.

Each builds a node the way a person writes it (`name=value` without spaces, a
comma followed by one space, a call's existing layout kept), so a fix adds
text that reads like its surroundings.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst


def keyword_of(arg: cst.Arg) -> str | None:
    return arg.keyword.value if arg.keyword is not None else None


def spaced_comma() -> cst.Comma:
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )


def append_arg(args: Sequence[cst.Arg], *new: cst.Arg) -> list[cst.Arg]:
    """Append arguments the way the call is written (one line, or one per line with a trailing comma)."""
    out = list(args)
    for arg in new:
        if not out:
            out.append(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT))
            continue
        last = out[-1]
        between = next(
            (a.comma for a in out[:-1] if isinstance(a.comma, cst.Comma)), spaced_comma()
        )
        if isinstance(last.comma, cst.Comma):  # a trailing comma: keep it trailing
            out[-1] = last.with_changes(comma=between)
            out.append(arg.with_changes(comma=last.comma))
        else:
            out[-1] = last.with_changes(comma=between)
            out.append(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT))
    return out


def newline(to: str) -> cst.ParenthesizedWhitespace:
    """A line break inside brackets, the next line starting with `to`."""
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=[],
        indent=False,
        last_line=cst.SimpleWhitespace(to),
    )


def may_take_default(params: cst.Parameters) -> list[cst.Param]:
    """Required parameters that can be given a default and keep the signature valid:
    keyword-only ones, and positional ones with no required parameter after them."""
    out = list(params.kwonly_params)
    for p in reversed(params.params):
        if p.default is not None:
            continue
        if any(q.default is None for q in params.params[params.params.index(p) + 1 :]):
            break
        out.append(p)
    return out


def is_query(node: cst.BaseExpression | None) -> bool:
    func = node.func if isinstance(node, cst.Call) else None
    return (isinstance(func, cst.Name) and func.value == "Query") or (
        isinstance(func, cst.Attribute) and func.attr.value == "Query"
    )


def query_call(node: cst.BaseExpression | None) -> cst.Call | None:
    return node if isinstance(node, cst.Call) and is_query(node) else None


def annotated_query(annotation: cst.Annotation | None) -> cst.Call | None:
    sub = annotation.annotation if annotation is not None else None
    if not isinstance(sub, cst.Subscript):
        return None
    for element in sub.slice:
        index = element.slice
        if isinstance(index, cst.Index) and is_query(index.value):
            return index.value  # type: ignore[return-value]
    return None


def is_pass(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, cst.Pass) for s in stmt.body
    )
