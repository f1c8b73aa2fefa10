"""nginx configuration files as a tree of directives with their line numbers.

A small tokenizer rather than `crossplane`: the original package has had no
release since 2022, its maintained fork (`nginx-crossplane`) installs under
the same module name, and both read files from disk by name and resolve
`include` through the filesystem, while prodready parses one file's text and
resolves includes later against the repository's own files (a container path
such as /etc/nginx/conf.d/*.conf names files that live elsewhere in the
repository). nginx's syntax is small: words, quoted strings, `;`, `{`, `}`,
`#` comments, and `${var}` inside words. Lua blocks (`*_by_lua_block`) hold
code with braces of its own and are skipped (parsed as an empty block).
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.core.model import SourceFile
from analyzer.parsers import ParseError

MAX_DEPTH = 100


@dataclass(frozen=True)
class Directive:
    """One directive; `block` is None for `name args;` and a tuple for `name args { ... }`."""

    name: str
    args: tuple[str, ...]
    line: int
    column: int
    block: tuple[Directive, ...] | None = None


@dataclass(frozen=True)
class NginxConfig:
    path: str
    directives: tuple[Directive, ...]
    errors: tuple[tuple[int | None, str], ...] = ()


@dataclass(frozen=True)
class _Token:
    text: str
    line: int
    column: int
    quoted: bool = False

    @property
    def special(self) -> bool:
        return not self.quoted and self.text in ("{", "}", ";")


def parse(src: SourceFile) -> NginxConfig:
    tokens = tokenize(src.text)
    directives, end = _block(tokens, 0, 0, None)
    if end != len(tokens):  # a stray `}` closed the top level early
        tok = tokens[end]
        raise ParseError('unexpected "}"', tok.line)
    return NginxConfig(src.path, directives)


def tokenize(text: str) -> list[_Token]:
    """Words, quoted strings and the three special characters, with 1-based places."""
    out: list[_Token] = []
    i, n, line, col = 0, len(text), 1, 1
    word: list[str] = []
    start = (1, 1)

    def flush() -> None:
        if word:
            out.append(_Token("".join(word), *start))
            word.clear()

    while i < n:
        ch = text[i]
        if ch == "\n":
            flush()
            i, line, col = i + 1, line + 1, 1
            continue
        if ch.isspace():
            flush()
            i, col = i + 1, col + 1
            continue
        if ch == "#" and not word:
            while i < n and text[i] != "\n":
                i += 1
            continue
        if not word:
            start = (line, col)
        if ch == "\\" and i + 1 < n:
            word.append(text[i : i + 2])
            i, col = i + 2, col + 2
            continue
        if ch == "{" and word and word[-1] == "$":  # ${var}: part of the word, not a block
            close = text.find("}", i)
            if close < 0 or "\n" in text[i:close]:
                raise ParseError('unexpected end of line, expecting "}"', line)
            word.append(text[i : close + 1])
            col += close + 1 - i
            i = close + 1
            continue
        if ch in "\"'" and not word:
            j = i + 1
            buf: list[str] = []
            while j < n and text[j] != ch:
                if text[j] == "\\" and j + 1 < n and text[j + 1] == ch:
                    buf.append(ch)
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            if j >= n:
                raise ParseError(f"unexpected end of file, expecting {ch}", line)
            out.append(_Token("".join(buf), line, col, quoted=True))
            consumed = text[i : j + 1]
            line += consumed.count("\n")
            col = len(consumed) - consumed.rfind("\n") if "\n" in consumed else col + len(consumed)
            i = j + 1
            continue
        if ch in "{};":
            flush()
            out.append(_Token(ch, line, col))
            i, col = i + 1, col + 1
            if ch == "{" and len(out) >= 2 and out[-2].text.endswith("_by_lua_block"):
                i, line, col = _skip_lua(text, i, line, col, out)
            continue
        word.append(ch)
        i, col = i + 1, col + 1
    flush()
    return out


def _skip_lua(text: str, i: int, line: int, col: int, out: list[_Token]) -> tuple[int, int, int]:
    """Skip a Lua block's body so its braces and semicolons do not count as nginx's."""
    depth, j, first = 1, i, line
    while j < len(text) and depth:
        ch = text[j]
        if ch in "\"'":  # a Lua string may hold braces
            end = text.find(ch, j + 1)
            while end > 0 and text[end - 1] == "\\":
                end = text.find(ch, end + 1)
            j = end + 1 if end > 0 else len(text)
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        j += 1
    if depth:
        raise ParseError("unexpected end of file in a Lua block", first)
    body = text[i : j - 1]  # dropped: no rule reads Lua code
    out.append(_Token("}", first + body.count("\n"), 1))
    return j, first + body.count("\n"), 1


def _block(
    tokens: list[_Token], pos: int, depth: int, opener: _Token | None
) -> tuple[tuple[Directive, ...], int]:
    """Directives from `pos` up to the `}` closing `opener` (or the end of the file)."""
    if depth > MAX_DEPTH:
        raise ParseError(f"blocks nested deeper than {MAX_DEPTH} levels", tokens[pos].line)
    out: list[Directive] = []
    words: list[_Token] = []
    while pos < len(tokens):
        tok = tokens[pos]
        pos += 1
        if not tok.special:
            words.append(tok)
            continue
        if tok.text == "}":
            if words:
                raise ParseError(f'directive "{words[0].text}" is not terminated by ";"', tok.line)
            if opener is None:
                return tuple(out), pos - 1
            return tuple(out), pos
        if not words:
            if tok.text == ";":
                continue  # an empty statement is harmless
            raise ParseError('unexpected "{"', tok.line)
        head = words[0]
        args = tuple(w.text for w in words[1:])
        if tok.text == ";":
            out.append(Directive(head.text, args, head.line, head.column))
        else:
            inner, pos = _block(tokens, pos, depth + 1, tok)
            out.append(Directive(head.text, args, head.line, head.column, inner))
        words = []
    if opener is not None:
        raise ParseError('unexpected end of file, expecting "}"', opener.line)
    if words:
        raise ParseError(f'directive "{words[0].text}" is not terminated by ";"', words[0].line)
    return tuple(out), pos
