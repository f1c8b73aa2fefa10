"""The terminal report, and the small helpers every format shares.

The helpers live here (the simplest format) rather than in the package
`__init__`, so that `analyzer.report` can import every format module without
an import cycle.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable, Iterable

from analyzer.core.model import Finding, Rule, ScanResult, Severity

SEVERITIES: tuple[Severity, ...] = (Severity.ERROR, Severity.WARNING, Severity.NOTE)

_ANSI = {
    Severity.ERROR: "\x1b[31m",
    Severity.WARNING: "\x1b[33m",
    Severity.NOTE: "\x1b[36m",
}
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"

_Paint = Callable[[str, str], str]


# --- shared helpers --------------------------------------------------------------------------


def severity_of(finding: Finding, rules: dict[str, Rule]) -> Severity:
    """The scan fills severity from the catalog; fall back to it (then warning) so a
    half-built finding still reports instead of crashing the report."""
    if finding.severity is not None:
        return finding.severity
    rule = rules.get(finding.code)
    return rule.severity if rule else Severity.WARNING


def checklist_of(finding: Finding, rules: dict[str, Rule]) -> tuple[str, ...]:
    """Same fallback as severity: the finding's own IDs, else its rule's."""
    if finding.checklist:
        return finding.checklist
    rule = rules.get(finding.code)
    return rule.checklist if rule else ()


def rule_name(code: str, rules: dict[str, Rule]) -> str:
    rule = rules.get(code)
    return rule.name if rule else ""


def by_location(findings: Iterable[Finding]) -> list[Finding]:
    """Path, line, column, code, then fingerprint: a total order, so output is reproducible."""
    return sorted(findings, key=lambda f: (*f.sort_key(), f.fingerprint, f.message))


def by_severity(findings: Iterable[Finding], rules: dict[str, Rule]) -> list[Finding]:
    """Worst first, then by location: what a reader (or a capped channel) should see first."""
    return sorted(by_location(findings), key=lambda f: -severity_of(f, rules).rank)


def counts(result: ScanResult) -> dict[str, int]:
    """Active findings per severity plus the suppressed count: the one summary all formats use."""
    out = {s.value: 0 for s in SEVERITIES}
    suppressed = 0
    for f in result.findings:
        if f.suppression is not None:
            suppressed += 1
        else:
            out[severity_of(f, result.rules).value] += 1
    out["suppressed"] = suppressed
    return out


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_sentence(result: ScanResult) -> str:
    """One line that says the verdict; shared by text, the github log and the job summary."""
    c = counts(result)
    total = c["error"] + c["warning"] + c["note"]
    files = plural(result.files_scanned, "file")
    tail = f"{c['suppressed']} suppressed" if c["suppressed"] else ""
    if total == 0:
        return f"No problems found in {files} scanned" + (f" ({tail})." if tail else ".")
    parts = ", ".join(plural(c[s.value], s.value) for s in SEVERITIES)
    return f"{plural(total, 'problem')} ({parts}) in {files} scanned" + (
        f"; {tail}." if tail else "."
    )


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """Neutralise control and format characters taken from scanned files.

    A path or message can carry terminal escapes or bidi overrides; printing them
    raw would let a repository rewrite the reviewer's terminal or hide text.
    """
    out: list[str] = []
    for ch in text:
        if ch in "\r\n" and keep_newlines:
            out.append(ch)
        elif ch in "\r\n\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf"):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


# --- the text format -------------------------------------------------------------------------


def render(result: ScanResult, *, color: bool = False) -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines: list[str] = []
    for path, group in itertools.groupby(by_location(result.active), key=lambda f: f.path):
        in_file = list(group)
        lines.append(paint(_BOLD, printable(path)))
        places = [_place(f) for f in in_file]
        width = max(len(p) for p in places)
        sev_width = max(len(severity_of(f, result.rules).value) for f in in_file)
        for place, f in zip(places, in_file, strict=True):
            lines.append(_line(f, result, place.ljust(width), sev_width, paint))
        lines.append("")
    if result.skipped_rules:
        lines.append(
            "Rules skipped (they could not run here): " + ", ".join(sorted(result.skipped_rules))
        )
    lines.append(paint(_BOLD, summary_sentence(result)))
    return "\n".join(lines) + "\n"


def _place(finding: Finding) -> str:
    if finding.line is None:
        return ""
    return f"{finding.line}:{finding.column}" if finding.column else str(finding.line)


def _line(f: Finding, result: ScanResult, place: str, sev_width: int, paint: _Paint) -> str:
    sev = severity_of(f, result.rules)
    name = rule_name(f.code, result.rules)
    ids = checklist_of(f, result.rules)
    parts = [
        f"  {place}  " if place else "  ",
        paint(_ANSI[sev], sev.value.ljust(sev_width)),
        "  ",
        f.code + (f" {paint(_DIM, name)}" if name else ""),
        "  ",
        printable(f.message),
    ]
    if ids:
        parts.append(f"  [{', '.join(ids)}]")
    return "".join(parts).rstrip()
