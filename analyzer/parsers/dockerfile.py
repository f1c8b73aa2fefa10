"""Dockerfiles as instructions and stages, with exact lines and columns.

Kept whole (about 540 lines): one tokenizer and the stage model its single pass builds.

We tokenize ourselves instead of using the `dockerfile-parse` package: it
drops columns, does not keep the physical line of each continuation piece,
knows nothing of heredocs, and expands variables in ways that hide what the
author wrote. BuildKit's own grammar is small (parser directives, escape-char
continuations, comments, heredocs, JSON or shell form), so a single pass over
the lines is both faster and lets every finding point at the physical line
that holds the problem, which is what makes a PR annotation land in the diff.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

from analyzer.core.model import SourceFile
from analyzer.core.secretvalues import redact
from analyzer.parsers import ParseError

KEYWORDS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip
# Instructions whose leading `--flag=value` words are options, not arguments.
_FLAGGED = frozenset({"ADD", "COPY", "FROM", "RUN", "HEALTHCHECK"})
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})

_DIRECTIVE = re.compile(r"^#\s*([A-Za-z]+)\s*=\s*(\S+)\s*$")
_INSTRUCTION = re.compile(r"^(\s*)([A-Za-z][A-Za-z0-9_-]*)(?=\s|$)")
_HEREDOC = re.compile(r"(?<![<\w])<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VAR = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}$]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)

# Stage names that say "not for production": `dev`, `dev-envs`, `debug`, `test`, `local`...
_DEV_STAGE = re.compile(
    r"(?:^|[._-])(?:dev|devel|develop|development|devenv|debug|test|tests|testing|local)"
    r"(?:$|[._-])"
)

MAX_BYTES = 2_000_000  # a Dockerfile larger than this is generated data, not a build recipe


@dataclass(frozen=True)
class Instruction:
    """One instruction; `args` is its text after the keyword, continuations joined.

    `pieces` remembers where each physical chunk of `args` came from, so a
    check that finds something deep inside a 20-line RUN can report the
    line it is on rather than the RUN keyword.
    """

    keyword: str
    args: str
    line: int
    column: int
    end_line: int
    end_column: int
    flags: tuple[str, ...] = ()  # leading --options, as written (`--from=builder`)
    body: str = ""  # args without the leading flags
    exec_form: tuple[str, ...] | None = None  # JSON array form, when valid
    heredocs: tuple[str, ...] = ()  # heredoc bodies, in order
    heredoc_lines: tuple[int, ...] = ()  # line of each heredoc body's first line
    pieces: tuple[tuple[int, int, int], ...] = ()  # (offset in args, line, column)
    stage: int = -1  # index of the stage it belongs to; -1 before the first FROM

    def flag(self, name: str) -> str | None:
        """The value of `--name=value` (or "" for a bare `--name`), None when absent."""
        for f in self.flags:
            key, sep, value = f[2:].partition("=")
            if key.lower() == name.lower():
                return value if sep else ""
        return None

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of the character at `offset` in `args`."""
        line, col = self.line, self.column
        for start, p_line, p_col in self.pieces:
            if start > offset:
                break
            line, col = p_line, p_col + (offset - start)
        return line, col

    def body_position(self, offset: int) -> tuple[int, int]:
        """(line, column) of the character at `offset` in `body`."""
        return self.position(len(self.args) - len(self.body) + offset)

    def words(self) -> list[str]:
        """The arguments as the shell (or JSON) would split them; never raises."""
        if self.exec_form is not None:
            return list(self.exec_form)
        return split_words(self.body)

    def script(self) -> str:
        """What a RUN executes: its shell text plus any heredoc scripts, one per line block."""
        if self.exec_form is not None:
            return " ".join(self.exec_form)
        return "\n".join((self.body, *self.heredocs))

    def script_position(self, offset: int) -> tuple[int, int]:
        """(line, column) of `offset` in `script()`, heredoc bodies included."""
        if self.exec_form is not None or offset <= len(self.body):
            return self.body_position(min(offset, len(self.body)))
        rest = offset - len(self.body) - 1
        for text, first in zip(self.heredocs, self.heredoc_lines, strict=True):
            if rest <= len(text):
                before = text[:rest]
                return first + before.count("\n"), rest - (before.rfind("\n") + 1) + 1
            rest -= len(text) + 1
        return self.line, self.column


@dataclass(frozen=True)
class Stage:
    index: int
    base: str  # the image as written after FROM (flags and AS removed)
    name: str | None  # the `AS name`, lower-cased
    instructions: tuple[Instruction, ...]  # FROM first

    @property
    def from_instruction(self) -> Instruction:
        return self.instructions[0]

    def of(self, *keywords: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword in keywords]


def _is_dev_stage(stage: Stage) -> bool:
    return stage.name is not None and bool(_DEV_STAGE.search(stage.name))


@dataclass(frozen=True)
class Dockerfile:
    path: str
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    global_args: tuple[Instruction, ...] = ()  # ARGs before the first FROM
    escape: str = "\\"
    errors: tuple[tuple[int | None, str], ...] = field(default=())

    @property
    def final_stage(self) -> Stage:
        return self.stages[-1]

    @property
    def shipped_stage(self) -> Stage:
        """The stage a production build produces.

        The last stage, unless it is named for development (`dev-envs`,
        `debug`, `test`): such a file is built for production with `--target`,
        and the last stage not named for development is the likely target.
        """
        for stage in reversed(self.stages):
            if not _is_dev_stage(stage):
                return stage
        return self.final_stage

    @property
    def development_only(self) -> bool:
        """Every stage is named for development: the file builds no production image."""
        return bool(self.stages) and all(_is_dev_stage(st) for st in self.stages)

    def stage_named(self, name: str) -> Stage | None:
        """An earlier stage a FROM or --from can name: by alias or by index."""
        low = name.lower()
        for st in self.stages:
            if st.name == low or str(st.index) == low:
                return st
        return None

    def lineage(self, stage: Stage) -> list[Stage]:
        """The stage and the stages it is built FROM, nearest first (inheritance order)."""
        chain = [stage]
        seen = {stage.index}
        current = stage
        while True:
            parent = self.stage_named(current.base)
            if parent is None or parent.index in seen or parent.index >= current.index:
                return chain
            chain.append(parent)
            seen.add(parent.index)
            current = parent


def split_words(text: str) -> list[str]:
    """Shell-like split that degrades to whitespace splitting on unbalanced quotes."""
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return text.split()


def expand(text: str, variables: dict[str, str | None]) -> str | None:
    """`text` with $VAR / ${VAR} / ${VAR:-default} replaced; None when a value is unknown."""
    unknown = False

    def sub(m: re.Match[str]) -> str:
        nonlocal unknown
        name = m.group(1) or m.group(4)
        op, alt = m.group(2), m.group(3) or ""
        value = variables.get(name)
        if op in (":-", "-"):
            return value if value else alt
        if op in (":+", "+"):
            return alt if value else ""
        if value is None:
            unknown = True
            return ""
        return value

    out = _VAR.sub(sub, text)
    return None if unknown else out


def parse(src: SourceFile) -> Dockerfile:
    text = src.text
    if len(text) > MAX_BYTES:
        raise ParseError(f"file is larger than {MAX_BYTES // 1_000_000} MB")
    _reject_binary(text)
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
    escape, first = _directives(lines)
    instructions, errors = _instructions(lines, first, escape)
    unknown = [e for e in errors if e[1].startswith("unknown instruction")]
    templated = ("unknown instruction '{{", "unknown instruction '{%")
    template = next((e for e in unknown if e[1].startswith(templated)), None)
    if template is not None:
        raise ParseError("template (contains {{ }} or {% %}); render it to scan it", template[0])
    if not instructions and not unknown:
        raise ParseError("no instructions")
    if len(unknown) > len(instructions) or not instructions:
        raise ParseError(
            f"not a Dockerfile: {len(unknown)} lines are not Dockerfile instructions",
            unknown[0][0],
        )
    last = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), None)
    if last is not None and instructions and _continues(lines[last], escape):
        # a truncated file (a bad merge, a cut paste): BuildKit joins what is there
        errors.append(
            (last + 1, "line continuation at end of file; the last instruction may be cut short")
        )
    return _stages(src.path, instructions, errors, escape)


def _reject_binary(text: str) -> None:
    if "\x00" in text:
        raise ParseError("binary content (NUL bytes)")
    sample = text[:8192]
    if not sample:
        return
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\x0c")
    odd = sum(1 for ch in sample if ch == "\ufffd")
    if (control + odd) / len(sample) > 0.05:
        raise ParseError("binary content (control characters)")


def _directives(lines: list[str]) -> tuple[str, int]:
    """The escape character and the index of the first line after the parser directives."""
    escape = "\\"
    seen: set[str] = set()
    for i, raw in enumerate(lines):
        m = _DIRECTIVE.match(raw.strip())
        if not m or not raw.lstrip().startswith("#"):
            return escape, i
        name = m.group(1).lower()
        if name in seen:  # a repeated directive is an ordinary comment (BuildKit)
            return escape, i
        seen.add(name)
        if name == "escape" and m.group(2) in ("\\", "`"):
            escape = m.group(2)
    return escape, len(lines)


def _instructions(
    lines: list[str], start: int, escape: str
) -> tuple[list[Instruction], list[tuple[int | None, str]]]:
    out: list[Instruction] = []
    errors: list[tuple[int | None, str]] = []
    i = start
    n = len(lines)
    stage = -1
    while i < n:
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        m = _INSTRUCTION.match(raw)
        if m is None or m.group(2).upper() not in KEYWORDS:
            word = (m.group(2) if m else stripped.split()[0])[:40]
            errors.append((i + 1, f"unknown instruction {_quotable(word)}"))
            i = _skip_continued(lines, i, escape)
            continue
        keyword = m.group(2).upper()
        column = len(m.group(1)) + 1
        rest_start = m.end()
        args, pieces, last = _join(lines, i, rest_start, escape)
        lead = len(args) - len(args.lstrip())
        pieces = _shift(pieces, lead, len(args))
        args = args.strip()
        flags, body = _flags(keyword, args)
        exec_form = _exec_form(body) if keyword not in ("ENV", "ARG", "LABEL") else None
        heredocs: list[tuple[str, int]] = []
        end = last
        if keyword in _HEREDOC_KEYWORDS and exec_form is None and "<<" in body:
            heredocs, end, err = _heredocs(lines, last + 1, body)
            if err:
                errors.append((i + 1, err))
        end_text = lines[end] if end < n else ""
        stage += keyword == "FROM"
        out.append(
            Instruction(
                keyword=keyword,
                args=args,
                line=i + 1,
                column=column,
                end_line=end + 1,
                end_column=len(end_text) + 1,
                flags=flags,
                body=body,
                exec_form=exec_form,
                heredocs=tuple(h for h, _ in heredocs),
                heredoc_lines=tuple(first for _, first in heredocs),
                pieces=tuple(pieces),
                stage=stage,
            )
        )
        i = end + 1
    return out, errors


_TYPO = re.compile(r"[A-Za-z]{1,16}")


def _quotable(word: str) -> str:
    """The word for an error message: a keyword typo (`RUNN`) or a template, never a secret.

    A stray line of a Dockerfile is sometimes a pasted credential; notes are printed in
    public CI logs, so anything but a short run of letters is shown redacted.
    """
    if _TYPO.fullmatch(word) or word.startswith(("{{", "{%")):
        return repr(word)
    return f"`{redact(word)}`"


def _continues(line: str, escape: str) -> bool:
    return line.rstrip().endswith(escape)


def _skip_continued(lines: list[str], i: int, escape: str) -> int:
    while i < len(lines) and _continues(lines[i], escape):
        i += 1
    return i + 1


def _join(
    lines: list[str], i: int, col0: int, escape: str
) -> tuple[str, list[tuple[int, int, int]], int]:
    """Args of the instruction starting at line index i: (text, pieces, last line index).

    Comment lines and empty lines inside a continuation are dropped, as
    BuildKit does; the escape character and what follows it are removed and
    the pieces are concatenated without adding a space.
    """
    parts: list[str] = []
    pieces: list[tuple[int, int, int]] = []
    offset = 0
    segment, col = lines[i][col0:], col0 + 1
    while True:
        more = _continues(segment, escape)
        chunk = segment.rstrip()[:-1] if more else segment
        pieces.append((offset, i + 1, col))
        parts.append(chunk)
        offset += len(chunk)
        if not more:
            return "".join(parts), pieces, i
        i += 1
        while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
            i += 1
        if i >= len(lines):
            return "".join(parts), pieces, len(lines) - 1
        segment, col = lines[i], 1


def _shift(pieces: list[tuple[int, int, int]], lead: int, total: int) -> list[tuple[int, int, int]]:
    """Pieces re-based after `lead` leading characters of the joined text are stripped."""
    out: list[tuple[int, int, int]] = []
    ends = [p[0] for p in pieces[1:]] + [total]
    for (off, line, col), end in zip(pieces, ends, strict=True):
        if end <= lead and end < total:
            continue  # the whole piece was leading whitespace
        if off < lead:
            out.append((0, line, col + (lead - off)))
        else:
            out.append((off - lead, line, col))
    return out or [(0, pieces[0][1], pieces[0][2])]


def _flags(keyword: str, args: str) -> tuple[tuple[str, ...], str]:
    if keyword not in _FLAGGED:
        return (), args
    flags: list[str] = []
    rest = args
    while rest.startswith("--"):
        m = re.match(r"--[A-Za-z][A-Za-z0-9-]*(?:=(?:\"[^\"]*\"|'[^']*'|\S)*)?", rest)
        if not m:
            break
        flags.append(m.group(0))
        rest = rest[m.end() :].lstrip()
    return tuple(flags), rest


def _exec_form(body: str) -> tuple[str, ...] | None:
    if not body.startswith("["):
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _heredocs(lines: list[str], start: int, body: str) -> tuple[list[tuple[str, int]], int, str]:
    """Bodies of the `<<WORD` heredocs opened in `body`, read from line index `start` on.

    Returns ((body, 1-based line of its first line) ..., index of the last line
    consumed, error or ""). An unterminated heredoc runs to the end of the
    file, as BuildKit reads it.
    """
    bodies: list[tuple[str, int]] = []
    i = start
    last = start - 1
    for m in _HEREDOC.finditer(body):
        strip_tabs, word = m.group(1) == "-", m.group(3)
        content: list[str] = []
        first = i + 1
        while i < len(lines):
            candidate = lines[i].lstrip("\t") if strip_tabs else lines[i]
            i += 1
            if candidate == word:
                break
            content.append(candidate)
        else:
            bodies.append(("\n".join(content), first))
            return bodies, len(lines) - 1, f"heredoc <<{word} is not terminated"
        bodies.append(("\n".join(content), first))
        last = i - 1
    return bodies, max(last, start - 1), ""


def _stages(
    path: str,
    instructions: list[Instruction],
    errors: list[tuple[int | None, str]],
    escape: str,
) -> Dockerfile:
    stages: list[Stage] = []
    global_args: list[Instruction] = []
    current: list[Instruction] = []
    base, name = "", None

    def close() -> None:
        if current:
            stages.append(Stage(len(stages), base, name, tuple(current)))

    for ins in instructions:
        if ins.keyword == "FROM":
            close()
            base, name = _from_parts(ins)
            current = [ins]
        elif not current:
            if ins.keyword == "ARG":
                global_args.append(ins)
            else:
                errors.append((ins.line, f"{ins.keyword} before the first FROM"))
        else:
            current.append(ins)
    close()
    if not stages:
        raise ParseError("no FROM instruction", instructions[0].line)
    return Dockerfile(
        path=path,
        instructions=tuple(instructions),
        stages=tuple(stages),
        global_args=tuple(global_args),
        escape=escape,
        errors=tuple(errors),
    )


def _from_parts(ins: Instruction) -> tuple[str, str | None]:
    words = ins.body.split()
    if not words:
        return "", None
    name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
    return words[0], name


def arg_defaults(ins: Instruction) -> list[tuple[str, str | None, int]]:
    """(name, default or None, offset in body) for each `NAME[=value]` of an ARG."""
    out: list[tuple[str, str | None, int]] = []
    for m in re.finditer(r"([A-Za-z_][A-Za-z0-9_]*)(?:=(\"[^\"]*\"|'[^']*'|\S*))?", ins.body):
        if m.start() and not ins.body[m.start() - 1].isspace():
            continue
        value = m.group(2)
        out.append((m.group(1), _unquote(value) if value is not None else None, m.start()))
    return out


def env_pairs(ins: Instruction) -> list[tuple[str, str, int]]:
    """(name, value, offset in body) of an ENV (or LABEL): `K=V ...` or the legacy `K V`."""
    body = ins.body
    if re.match(r"^[^\s=]+\s", body) and "=" not in body.split(None, 1)[0]:
        name, _, value = body.partition(" ")
        return [(name, _unquote(value.strip()), 0)]
    out: list[tuple[str, str, int]] = []
    pattern = r"(?<!\S)([^\s=]+)=(\"(?:\\.|[^\"\\])*\"|'[^']*'|(?:\\.|\S)*)"
    for m in re.finditer(pattern, body):
        out.append((m.group(1), _unquote(m.group(2)), m.start()))
    return out


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return re.sub(r"\\(.)", r"\1", value)
