"""supabase/config.toml: values from `tomllib`, line numbers from a small line scanner.

`tomllib` gives the values but no positions. TOML's layout makes positions
cheap to recover without a second full parser: a key is a `key = value`
line, and its table is the last `[header]` (or `[[header]]`) line above it.
The scanner walks the lines once, tracks the current header, skips the
inside of multi-line strings and of arrays spread over several lines, and
records the line of every dotted key path (`auth.email.enable_confirmations`).
Inline tables are not descended into: a key inside one reports the line of
its parent key, which is where the inline table starts anyway.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Any

from analyzer.core.model import SourceFile
from analyzer.parsers import ParseError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=\s*(.*)$"""
)


@dataclass(frozen=True)
class SupabaseConfig:
    path: str
    data: dict[str, Any] = field(repr=False)
    lines: dict[str, int] = field(default_factory=dict)  # "auth.jwt_expiry" -> line

    def get(self, dotted: str) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def line(self, dotted: str) -> int | None:
        """The key's line, else its table header's line, else None."""
        while dotted:
            if dotted in self.lines:
                return self.lines[dotted]
            dotted = dotted.rpartition(".")[0]
        return None


def parse(src: SourceFile) -> SupabaseConfig:
    try:
        data = tomllib.loads(src.text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ParseError(f"invalid TOML: {exc}", int(match.group(1)) if match else None) from None
    return SupabaseConfig(src.path, data, key_lines(src.text))


def _key_parts(key: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", key)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def key_lines(text: str) -> dict[str, int]:
    """Line of every table header and key, as dotted paths."""
    out: dict[str, int] = {}
    section: list[str] = []
    depth = 0  # open brackets of a multi-line array
    closing = ""  # the delimiter of an open multi-line string
    for number, line in enumerate(text.split("\n"), start=1):
        if closing:
            if closing in line:
                closing = ""
            continue
        if depth:
            depth = max(0, depth + _bracket_balance(line))
            continue
        header = _HEADER.match(line)
        if header:
            section = _key_parts(header.group(1))
            out.setdefault(".".join(section), number)
            continue
        key = _KEY.match(line)
        if not key:
            continue
        path = ".".join([*section, *_key_parts(key.group(1))])
        out.setdefault(path, number)
        value = key.group(2)
        for quote in ('"""', "'''"):
            if value.lstrip().startswith(quote) and value.count(quote) == 1:
                closing = quote
        if not closing and value.lstrip().startswith("["):
            depth = max(0, _bracket_balance(value))
    return out


def _bracket_balance(text: str) -> int:
    """Opened minus closed brackets outside strings and comments."""
    balance = 0
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch == "[":
            balance += 1
        elif ch == "]":
            balance -= 1
    return balance
