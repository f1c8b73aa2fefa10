"""`.env` files: `KEY=VALUE` lines as docker compose and python-dotenv read them.

Supported: blank lines and `#` comments, an optional `export ` prefix,
unquoted values (a ` #` starts a comment), single quotes (literal), double
quotes and backticks (escapes `\\n`, `\\"`, `\\\\`; may span lines, as PEM keys
do). A line that is none of these is reported once as a partial failure;
the other variables are still read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analyzer.core.model import SourceFile

_ASSIGN = re.compile(r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(?P<rest>.*)$")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "`": "`", "$": "$"}


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str = field(repr=False)  # may be a credential: never in a repr
    line: int = 0  # 1-based line of the name
    column: int = 1  # 1-based column where the value starts (after any opening quote)
    quoted: bool = False


@dataclass(frozen=True)
class EnvFile:
    path: str
    variables: tuple[EnvVar, ...]
    errors: tuple[tuple[int | None, str], ...] = ()


def parse(src: SourceFile) -> EnvFile:
    lines = src.text.split("\n")
    variables: list[EnvVar] = []
    errors: list[tuple[int | None, str]] = []
    i = 0
    while i < len(lines):
        number = i + 1
        line = lines[i].rstrip("\r")
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _ASSIGN.match(line)
        if not m:
            if not errors:  # one note says the file is odd; a note per line says nothing more
                errors.append((number, "line is not KEY=VALUE; the rest of the file was read"))
            continue
        rest = m.group("rest")
        column = m.start("rest") + 1
        quote = rest[:1]
        if quote in ("'", '"', "`"):
            value, used = _quoted(rest[1:], quote, lines, i)
            if value is None:
                errors.append((number, f"unterminated {quote}-quoted value of {m.group('name')}"))
                value, used = rest[1:], 0
            i += used
            variables.append(EnvVar(m.group("name"), value, number, column + 1, True))
        else:
            value = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
            variables.append(EnvVar(m.group("name"), value, number, column, False))
    return EnvFile(src.path, tuple(variables), tuple(errors))


def _quoted(first: str, quote: str, lines: list[str], next_index: int) -> tuple[str | None, int]:
    """The value inside quotes starting on `first`, and how many more lines it used."""
    out: list[str] = []
    used = 0
    text = first
    while True:
        j = 0
        while j < len(text):
            ch = text[j]
            if ch == "\\" and quote != "'" and j + 1 < len(text):
                nxt = text[j + 1]
                out.append(_ESCAPES.get(nxt, "\\" + nxt))
                j += 2
                continue
            if ch == quote:
                return "".join(out), used
            out.append(ch)
            j += 1
        if next_index + used >= len(lines):
            return None, used
        out.append("\n")
        text = lines[next_index + used].rstrip("\r")
        used += 1
