"""The checklist report in Markdown: the production checklist, item by item.

Today an item is either violated (it has findings) or has no finding. The
full report will add "verified", "not applicable" and "needs human review";
those are more statuses of `ItemReport`, computed in `item_reports`, so the
rendering below only grows a section per status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer import checklist
from analyzer.model import Finding, ScanResult
from analyzer.report.text import by_severity, checklist_of, rule_name, severity_of, summary_sentence

VIOLATED = "violated"
NO_FINDING = "no finding"

# `_` inside a word (SNAKE_CASE names) cannot start emphasis in GFM: left as is for readability.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~&]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")


def md_cell(text: str, *, table: bool = True) -> str:
    """Text from scanned files as inert Markdown: one line, no markup, safe in a table cell.

    A message can quote a file name or a value with `|`, `*`, `<tag>` or a line
    break; unescaped they would split table cells, start emphasis or vanish as HTML.
    Balanced backticks stay code spans (messages name things that way); inside a
    span backslash escapes do not work, so only the `|` a table needs is escaped.
    """
    one_line = " ".join(text.replace("\r", "\n").split("\n"))
    parts = one_line.split("`")
    if len(parts) % 2 == 0:  # an odd number of backticks: no code spans at all
        return _MD_SPECIAL.sub(r"\\\1", one_line)
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(_MD_SPECIAL.sub(r"\\\1", part))
        elif part.strip():
            out.append(md_code(part, table=table))
        else:
            out.append("\\`" + _MD_SPECIAL.sub(r"\\\1", part) + "\\`")
    return "".join(out)


def md_code(text: str, *, table: bool = True) -> str:
    """A code span for a path or name; falls back to escaped text if it holds a backtick."""
    one_line = " ".join(text.replace("\r", "\n").split("\n"))
    if "`" in one_line:
        return _MD_SPECIAL.sub(r"\\\1", one_line)
    # GFM splits table cells at `|` before it finds code spans, even inside them.
    return "`" + (one_line.replace("|", "\\|") if table else one_line) + "`"


@dataclass(frozen=True)
class ItemReport:
    item: checklist.Item
    findings: tuple[Finding, ...]

    @property
    def status(self) -> str:
        return VIOLATED if self.findings else NO_FINDING


def item_reports(result: ScanResult) -> list[ItemReport]:
    """Every checklist item in checklist order, with the active findings that name it."""
    named: dict[str, list[Finding]] = {}
    for f in by_severity(result.active, result.rules):
        for item_id in dict.fromkeys(checklist_of(f, result.rules)):
            named.setdefault(item_id, []).append(f)
    return [ItemReport(item, tuple(named.get(item.id, ()))) for item in checklist.items()]


def unmapped(result: ScanResult) -> list[Finding]:
    """Findings naming no known checklist item; listed apart so none is dropped."""
    known = checklist.by_id()
    return [
        f
        for f in by_severity(result.active, result.rules)
        if not any(i in known for i in checklist_of(f, result.rules))
    ]


def render(result: ScanResult, *, color: bool = False) -> str:
    reports = item_reports(result)
    violated = [r for r in reports if r.status == VIOLATED]
    clean = [r for r in reports if r.status == NO_FINDING]
    lines = [
        "# Production readiness checklist",
        "",
        md_cell(summary_sentence(result)),
        "",
        f"{len(violated)} of {len(reports)} checklist items have findings.",
        "",
        "## Items with findings",
        "",
    ]
    if not violated:
        lines += ["None.", ""]
    for report in violated:
        lines += [f"### {report.item.id} {md_cell(report.item.title)}", ""]
        lines += [_finding_line(f, result) for f in report.findings]
        lines.append("")
    others = unmapped(result)
    if others:
        lines += ["## Findings without a checklist item", ""]
        lines += [_finding_line(f, result) for f in others]
        lines.append("")
    lines += ["## Items with no finding", ""]
    lines += [f"- {r.item.id} {md_cell(r.item.title)}" for r in clean] or ["None."]
    return "\n".join(lines) + "\n"


def _finding_line(f: Finding, result: ScanResult) -> str:
    sev = severity_of(f, result.rules).value
    name = rule_name(f.code, result.rules)
    place = f.path if f.line is None else f"{f.path}:{f.line}"
    rule = f"`{f.code}` {md_cell(name, table=False)}".rstrip()
    message = md_cell(f.message, table=False)
    return f"- **{sev}** {rule} at {md_code(place, table=False)}: {message}"
