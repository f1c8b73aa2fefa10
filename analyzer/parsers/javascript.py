"""JavaScript and TypeScript (`.js .jsx .ts .tsx .mjs .cjs`): a tokenizer, not a parser.

The built-in frontend rules look for names (`import.meta.env.VITE_…`), a few
object keys in build configs and route declarations; none needs a syntax
tree, but all must ignore what sits in comments, and some must ignore string
contents. So the text is kept with every comment blanked (`code`) and with
string contents blanked as well (`bare`), both with offsets and line breaks
unchanged, so a match's offset is the offset in the file. Rules that need
real JS semantics (data flowing into `innerHTML`) run through semgrep
(analyzer.engines.semgrep_engine), which reads `text`.

Heuristics a tokenizer cannot avoid: a `/` starts a regular expression
after an operator, an opening bracket or a keyword, and division otherwise;
quotes in JSX text (`<p>Don't</p>`) open a string that ends with the line,
since JS strings cannot span lines, so the damage stays on that line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analyzer.core.model import SourceFile

# After these, a `/` begins a regular expression literal rather than a division.
_REGEX_AFTER = frozenset("(,=:[!&|?{};+-*%<>~^")
_REGEX_KEYWORDS = ("return", "typeof", "case", "do", "else", "in", "of", "void", "yield", "await")
_WORD_END = re.compile(r"([A-Za-z_$][\w$]*)\s*$")


@dataclass(frozen=True)
class JsFile:
    path: str
    text: str = field(repr=False)  # the file as read: semgrep scans this
    code: str = field(repr=False)  # comments blanked (strings kept)
    bare: str = field(repr=False)  # comments and string contents blanked (quotes kept)
    errors: tuple[tuple[int | None, str], ...] = ()

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of an offset into text, code or bare (they align)."""
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - self.text.rfind("\n", 0, offset)


def parse(src: SourceFile) -> JsFile:
    code, bare, problem = _blank(src.text)
    errors = ((problem[0], problem[1]),) if problem else ()
    return JsFile(src.path, src.text, code, bare, errors)


def _blank(text: str) -> tuple[str, str, tuple[int, str] | None]:
    """(comments blanked, comments and strings blanked, first unterminated construct)."""
    code = list(text)
    bare = list(text)
    n = len(text)
    i = 0
    braces: list[int] = []  # template-literal `${` depths: 0 means "inside a ${ } expression"
    problem: tuple[int, str] | None = None

    while i < n:
        ch = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if ch == "/" and nxt == "/":
            end = text.find("\n", i)
            end = n if end < 0 else end
            _blank_range(code, i, end)
            _blank_range(bare, i, end)
            i = end
        elif ch == "/" and nxt == "*":
            end = text.find("*/", i + 2)
            if end < 0:
                problem = problem or (text.count("\n", 0, i) + 1, "unterminated /* comment")
                end = n
            else:
                end += 2
            _blank_range(code, i, end)
            _blank_range(bare, i, end)
            i = end
        elif ch in "'\"":
            end = _string_end(text, i + 1, ch)
            _blank_range(bare, i + 1, end - 1 if text[end - 1 : end] == ch and end > i + 1 else end)
            i = end
        elif ch == "`":
            i = _template(text, i + 1, bare, braces)
        elif ch == "/" and _regex_allowed(text, i):
            end = _regex_end(text, i + 1)
            _blank_range(bare, i + 1, end - 1)
            i = end
        elif ch == "{" and braces:
            braces[-1] += 1
            i += 1
        elif ch == "}" and braces:
            if braces[-1] == 0:  # the `}` closing a `${`: back inside the template literal
                braces.pop()
                i = _template(text, i + 1, bare, braces)
            else:
                braces[-1] -= 1
                i += 1
        else:
            i += 1
    return "".join(code), "".join(bare), problem


def _string_end(text: str, i: int, quote: str) -> int:
    """Offset just past a '…' or "…" string; a line break ends an unterminated one."""
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == quote:
            return i + 1
        if ch == "\n":
            return i
        i += 1
    return n


def _template(text: str, i: int, bare: list[str], braces: list[int]) -> int:
    """Blank a template literal's text up to its end or its next `${`; return where to go on."""
    n = len(text)
    start = i
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "`":
            _blank_range(bare, start, i)
            return i + 1
        if ch == "$" and i + 1 < n and text[i + 1] == "{":
            _blank_range(bare, start, i)
            braces.append(0)
            return i + 2
        i += 1
    _blank_range(bare, start, n)
    return n


def _blank_range(target: list[str], start: int, end: int) -> None:
    for k in range(start, min(end, len(target))):
        if target[k] not in "\n\r":
            target[k] = " "


def _regex_allowed(text: str, i: int) -> bool:
    before = text[max(0, i - 40) : i].rstrip()
    if not before:
        return True
    if before[-1] in _REGEX_AFTER:
        return not before.endswith(("++", "--"))
    m = _WORD_END.search(before)
    return bool(m and m.group(1) in _REGEX_KEYWORDS)


def _regex_end(text: str, i: int) -> int:
    """Offset just past a regex literal's closing `/` (flags are ordinary word characters)."""
    n = len(text)
    in_class = False
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "\n":
            return i  # not a regex after all; stop at the line end
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "/" and not in_class:
            return i + 1
        i += 1
    return n
