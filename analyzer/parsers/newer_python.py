"""Python written for a newer interpreter than the one running prodready, read anyway.

`ast` parses only the grammar of the Python that runs it, so on 3.11 a valid module using
PEP 695 generics (`class Page[T]`, `type Alias = ...`), PEP 701 f-strings (`f"{x["a"]}"`),
PEP 758 `except A, B:` or PEP 750 t-strings is a syntax error, and every rule would go
silent on it. libcst follows the newest grammar: it parses such a module, the newer
constructs are rewritten into the nearest form this interpreter's `ast` accepts (type
parameters dropped, the except tuple parenthesised, inner string quotes swapped), and the
result is parsed with `ast`. Lines are kept, so every finding points where it should; the
rewriting only loses what no rule reads (type parameters, a t-string's template-ness).
"""

from __future__ import annotations

import ast

import libcst as cst

# A string whose backslash an f-string expression cannot hold before 3.12: it becomes this name.
STRING_PLACEHOLDER = "__prodready_string__"


# CPython's tokenizer refuses brackets nested more than 200 deep and blocks indented more than
# 100 levels, in every version; a text beyond either is not Python of any version.
MAX_BRACKETS = 200
MAX_TEXT = 1_000_000  # characters
MAX_LINE = 4_000
MAX_INDENT_LEVELS = 100


def _deeper_than_python_allows(text: str) -> bool:
    opened = text.count("(") + text.count("[") + text.count("{")
    if opened > MAX_BRACKETS:
        depth = 0
        for ch in text:
            if ch in "([{":
                depth += 1
                if depth > MAX_BRACKETS:
                    return True
            elif ch in ")]}":
                depth = max(0, depth - 1)
    indents = {len(line) - len(line.lstrip(" \t")) for line in text.splitlines() if line.strip()}
    return len(indents) > MAX_INDENT_LEVELS


class NotNewerPython(Exception):
    """The text is not valid Python of any version libcst knows: a real syntax error."""


def parse_newer(text: str, filename: str) -> tuple[ast.Module, tuple[str, ...]]:
    """The module's tree, and the newer constructs that had to be rewritten to get it."""
    if len(text) > MAX_TEXT or any(len(line) > MAX_LINE for line in text.splitlines()):
        # libcst holds the interpreter while it parses, so the per-file time budget cannot stop
        # it; it is slow on huge expressions. Hand-written modern Python is never this shape.
        raise NotNewerPython("too large or too long a line to read with a newer grammar")
    if _deeper_than_python_allows(text):
        # libcst's native parser recurses without a bound: deep enough input overflows the C
        # stack and ends the process. No Python accepts such a module anyway.
        raise NotNewerPython("nested more deeply than any Python version allows")
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise NotNewerPython(str(exc).splitlines()[0] if str(exc) else "syntax error") from None
    except Exception as exc:  # libcst's native parser refuses odd input in its own ways
        raise NotNewerPython(type(exc).__name__) from None
    rewriter = _Downgrade()
    try:
        code = module.visit(rewriter).code
        tree = ast.parse(code, filename=filename)
    except (SyntaxError, ValueError, cst.CSTValidationError) as exc:
        raise NotNewerPython(getattr(exc, "msg", None) or str(exc)) from None
    return tree, tuple(sorted(rewriter.seen))


class _Downgrade(cst.CSTTransformer):
    """Rewrites the syntax of Python 3.12+ into 3.10/3.11 syntax of the same shape."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        if updated.type_parameters is not None:
            self.seen.add("type parameters (PEP 695)")
            return updated.with_changes(type_parameters=None)
        return updated

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        if updated.type_parameters is not None:
            self.seen.add("type parameters (PEP 695)")
            return updated.with_changes(type_parameters=None)
        return updated

    def leave_TypeAlias(self, original: cst.TypeAlias, updated: cst.TypeAlias) -> cst.Assign:
        self.seen.add("type alias statement (PEP 695)")
        return cst.Assign(
            targets=[cst.AssignTarget(target=updated.name)],
            value=updated.value,
            semicolon=updated.semicolon,
        )

    def leave_ExceptHandler(
        self, original: cst.ExceptHandler, updated: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        return updated.with_changes(type=self._parenthesised(updated.type))

    def leave_ExceptStarHandler(
        self, original: cst.ExceptStarHandler, updated: cst.ExceptStarHandler
    ) -> cst.ExceptStarHandler:
        return updated.with_changes(type=self._parenthesised(updated.type))

    def _parenthesised(self, kind: cst.BaseExpression | None) -> cst.BaseExpression | None:
        """`except A, B:` (PEP 758) as `except (A, B):`."""
        if isinstance(kind, cst.Tuple) and not kind.lpar:
            self.seen.add("unparenthesised except tuple (PEP 758)")
            return kind.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return kind

    def leave_TemplatedString(
        self, original: cst.TemplatedString, updated: cst.TemplatedString
    ) -> cst.BaseExpression:
        self.seen.add("template string (PEP 750)")
        parts: list[cst.BaseFormattedStringContent] = []
        for part in updated.parts:
            if isinstance(part, cst.TemplatedStringText):
                parts.append(cst.FormattedStringText(value=part.value))
            elif isinstance(part, cst.TemplatedStringExpression):
                parts.append(cst.FormattedStringExpression(expression=part.expression))
        start = updated.start.replace("t", "f").replace("T", "F")
        fstring = cst.FormattedString(
            parts=parts, start=start, end=updated.end, lpar=updated.lpar, rpar=updated.rpar
        )
        return _fitted(fstring, self.seen)

    def leave_FormattedString(
        self, original: cst.FormattedString, updated: cst.FormattedString
    ) -> cst.BaseExpression:
        return _fitted(updated, self.seen)


def _fitted(node: cst.FormattedString, seen: set[str]) -> cst.BaseExpression:
    """The f-string unchanged when 3.11 reads it, else with its inner strings re-quoted;
    a one-line f-string nested too deep to re-quote becomes a placeholder name."""
    if _reads(node):
        return node
    seen.add("f-string quotes or backslashes (PEP 701)")
    outer = node.end
    other = "'" if '"' in outer else '"'
    parts: list[cst.BaseFormattedStringContent] = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringExpression):
            part = part.with_changes(expression=part.expression.visit(_Requote(outer, other)))
        parts.append(part)
    requoted = node.with_changes(parts=parts)
    if _reads(requoted) or "\n" in _code(requoted):
        return requoted  # a multi-line one keeps its lines; ast will say what it refuses
    return cst.Name(STRING_PLACEHOLDER, lpar=node.lpar, rpar=node.rpar)


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _reads(node: cst.CSTNode) -> bool:
    try:
        ast.parse(_code(node), mode="eval")
    except SyntaxError:
        return False
    return True


class _Requote(cst.CSTTransformer):
    """Inner strings take the quote the enclosing f-string does not use; a backslash, which a
    3.11 f-string expression cannot hold at all, turns the string into a placeholder name."""

    def __init__(self, outer: str, other: str) -> None:
        super().__init__()
        self.outer = outer
        self.other = other

    def leave_SimpleString(
        self, original: cst.SimpleString, updated: cst.SimpleString
    ) -> cst.BaseExpression:
        value = updated.value
        if "\\" in value or (self.other in _body(value) and self.outer[0] in value):
            return cst.Name(STRING_PLACEHOLDER)
        prefix_end = len(value) - len(value.lstrip("rbuRBUfF"))
        prefix, rest = value[:prefix_end], value[prefix_end:]
        quote = rest[:3] if rest[:3] in ('"""', "'''") else rest[:1]
        if self.outer[0] not in quote:
            return updated
        new_quote = self.other * len(quote)
        return updated.with_changes(
            value=prefix + new_quote + rest[len(quote) : -len(quote)] + new_quote
        )

    def leave_FormattedString(
        self, original: cst.FormattedString, updated: cst.FormattedString
    ) -> cst.BaseExpression:
        if self.outer[0] in updated.start:
            start = updated.start.replace(self.outer[0], self.other)
            end = updated.end.replace(self.outer[0], self.other)
            return updated.with_changes(start=start, end=end)
        return updated


def _body(value: str) -> str:
    stripped = value.lstrip("rbuRBUfF")
    quote = stripped[:3] if stripped[:3] in ('"""', "'''") else stripped[:1]
    return stripped[len(quote) : -len(quote)]
