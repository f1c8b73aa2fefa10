"""DF001: switch to an unprivileged user before the stage's command, as one inserted line.

A numeric `USER 10001:10001` needs no `useradd` (which distroless and
scratch images lack, and whose spelling differs on Alpine), and satisfies
Kubernetes' `runAsNonRoot`. It is unsafe: the app may write to directories
owned by root, or bind a port below 1024, so the change needs a person's look.
"""

from __future__ import annotations

from collections.abc import Sequence

from analyzer.core.model import Finding, SourceFile
from analyzer.fix.base import FileContext, FileFix, FixOptions
from analyzer.parsers import ParseError
from analyzer.parsers import dockerfile as parser

CODES = ("DF001",)
USER_LINE = "USER 10001:10001"


def fix(
    text: str,
    findings: Sequence[Finding],
    options: FixOptions,
    context: FileContext | None = None,
) -> FileFix:
    try:
        parsed = parser.parse(SourceFile("Dockerfile", "dockerfile", text))
    except ParseError as exc:
        return FileFix(text, (), tuple((f, f"unparsable Dockerfile: {exc}") for f in findings))
    lines = text.splitlines(keepends=True)
    inserts: dict[int, list[Finding]] = {}  # 0-based line index -> findings fixed by a USER there
    skipped: list[tuple[Finding, str]] = []
    for f in findings:
        stage = next((s for s in parsed.stages if f.line is not None and _spans(s, f.line)), None)
        if stage is None:
            skipped.append((f, "no stage at that line"))
            continue
        commands = stage.of("CMD", "ENTRYPOINT")
        at = commands[-1].line - 1 if commands else stage.instructions[-1].end_line
        if any(u.line > at for u in stage.of("USER")):
            skipped.append((f, "the stage switches user after its command; a person must decide"))
            continue
        while commands and at > 0 and lines[at - 1].lstrip().startswith("#"):
            at -= 1  # keep the command's own comment next to it
        inserts.setdefault(at, []).append(f)
    eol = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    for at in sorted(inserts, reverse=True):
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())] if at < len(lines) else ""
        if at >= len(lines) and lines and not lines[-1].endswith("\n"):
            lines[-1] += eol
        lines.insert(at, f"{indent}{USER_LINE}{eol}")
    fixed = tuple(f for fs in inserts.values() for f in fs)
    return FileFix("".join(lines) if fixed else text, fixed, tuple(skipped))


def _spans(stage: parser.Stage, line: int) -> bool:
    return stage.instructions[0].line <= line <= stage.instructions[-1].end_line
