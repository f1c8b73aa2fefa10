"""The checklist report in Markdown: the production checklist, item by item.

Every item of the checklist appears once, in the seed's order and under the
seed's headings, with one status (analyzer.report.checklist): the findings
that violate it, the evidence that verifies it, why it does not apply, or
what a reviewer should check. A summary with the readiness score comes
first, so the file answers "are we ready?" before "what is wrong?". The
same summary, with the violated items only, is the GitHub job summary
(`summary_markdown`), kept within a byte budget.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

from analyzer.core import checklist
from analyzer.core.model import Evidence, Finding, ScanResult
from analyzer.report import checklist as cr
from analyzer.report.text import (
    by_severity,
    checklist_of,
    plural,
    rule_name,
    severity_of,
    summary_sentence,
)

_ICON = {cr.VIOLATED: "❌", cr.VERIFIED: "✅", cr.NOT_APPLICABLE: "➖", cr.NEEDS_REVIEW: "🔍"}
EVIDENCE_SHOWN = 5  # per item; the rest are counted
SUMMARY_BUDGET = 512 * 1024  # bytes: half of GitHub's 1 MiB job summary, the rest for other steps

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


def unmapped(result: ScanResult) -> list[Finding]:
    """Findings naming no known checklist item; listed apart so none is dropped."""
    known = checklist.by_id()
    return [
        f
        for f in by_severity(result.active, result.rules)
        if not any(i in known for i in checklist_of(f, result.rules))
    ]


def render(result: ScanResult, *, color: bool = False) -> str:
    return report(result, cr.evidence_of(result))


def report(result: ScanResult, evidence: Sequence[Evidence], *, link_base: str = "") -> str:
    """The full checklist report; links are relative to the scanned root unless `link_base`."""
    items = cr.statuses(result, evidence)
    lines = ["# Production readiness checklist", "", *summary_lines(result, items), ""]
    top = ""
    for section, group in cr.by_section(items):
        main, _, sub = section.partition(" / ")
        if main != top:
            lines += [f"## {md_cell(main, table=False)}", ""]
            top = main
        lines += [f"### {md_cell(sub or main, table=False)}", ""]
        for s in group:
            lines += item_lines(s, result, link_base)
        lines.append("")
    others = unmapped(result)
    if others:
        lines += ["## Findings without a checklist item", ""]
        lines += [finding_line(f, result, link_base) for f in others]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def summary_lines(result: ScanResult, items: Sequence[cr.ItemStatus]) -> list[str]:
    """Verdict, readiness score, counts per status and per section."""
    score = cr.readiness(items)
    pct = "n/a" if score.percent is None else f"{score.percent}%"
    lines = [
        md_cell(summary_sentence(result)),
        "",
        f"**Readiness score: {pct}**: {score.verified} of {score.checkable} applicable items "
        "that prodready can check statically are verified by evidence in the repository "
        '(see the README, "The checklist report").',
        "",
        "| Status | Items |",
        "| --- | ---: |",
    ]
    counts = cr.counts(items)
    lines += [f"| {_ICON[s]} {s.capitalize()} | {counts[s]} |" for s in cr.STATUSES]
    lines += [
        "",
        "| Section | Violated | Verified | Not applicable | Needs review |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for section, group in cr.by_section(items):
        c = cr.counts(group)
        cells = " | ".join(str(c[s]) for s in cr.STATUSES)
        lines.append(f"| {md_cell(section)} | {cells} |")
    if result.skipped_rules:
        names = ", ".join(sorted(result.skipped_rules))
        lines += [
            "",
            f"Rules that could not run here (their items are not verified): {md_cell(names)}",
        ]
    return lines


def item_lines(s: cr.ItemStatus, result: ScanResult, link_base: str = "") -> list[str]:
    head = (
        f"- {_ICON[s.status]} **{s.item.id}** {md_cell(s.item.title, table=False)}: **{s.status}**"
    )
    if s.status == cr.VIOLATED:
        return [head] + ["  " + finding_line(f, result, link_base) for f in s.findings]
    if s.status == cr.VERIFIED:
        shown = [
            f"  - {md_cell(e.text, table=False)} ({link(e.path, e.line, link_base)})"
            for e in s.evidence[:EVIDENCE_SHOWN]
        ]
        more = len(s.evidence) - EVIDENCE_SHOWN
        if more > 0:
            shown.append(f"  - and {plural(more, 'more piece')} of evidence")
        return [head, *shown]
    if s.status == cr.NOT_APPLICABLE:
        return [f"{head}: {md_cell(s.reason, table=False)}"]
    line = f"{head}: {md_cell(s.hint, table=False)}"
    if s.checked_by:
        line += f" _(No finding from {', '.join(s.checked_by)}; that alone does not verify it.)_"
    return [line]


def link(path: str, line: int | None, base: str = "") -> str:
    """`[path:line](path#Lline)`: GitHub opens the file at the line."""
    place = path if line is None else f"{path}:{line}"
    target = base + quote(path) + (f"#L{line}" if line is not None else "")
    return f"[{md_code(place, table=False)}]({target})"


def finding_line(f: Finding, result: ScanResult, link_base: str = "") -> str:
    sev = severity_of(f, result.rules).value
    name = rule_name(f.code, result.rules)
    rule = f"`{f.code}` {md_cell(name, table=False)}".rstrip()
    message = md_cell(f.message, table=False)
    return f"- **{sev}** {rule} at {link(f.path, f.line, link_base)}: {message}"


def summary_markdown(
    result: ScanResult, max_bytes: int = SUMMARY_BUDGET, *, link_base: str = ""
) -> str:
    """The job summary: verdict, score, tables, then the violated items, within `max_bytes`.

    Items are added whole, worst first in checklist order, until the budget
    would be exceeded; the rest are counted in a closing line that says the
    summary was truncated. `link_base` (e.g. `https://github.com/o/r/blob/<sha>/`)
    makes the file links absolute, which a job summary needs.
    """
    items = cr.statuses(result, cr.evidence_of(result))
    closing_room = 400  # the truncation note
    text = "\n".join(["## prodready: production readiness", "", *summary_lines(result, items), ""])
    violated = [s for s in items if s.status == cr.VIOLATED]
    if not violated:
        return _clip(text + "\nNo checklist item is violated.\n", max_bytes)
    text += "\n### Violated items\n\n"
    used = len(text.encode("utf-8"))
    for n, s in enumerate(violated):
        block = "\n".join(item_lines(s, result, link_base)) + "\n"
        size = len(block.encode("utf-8"))
        if used + size + closing_room > max_bytes:
            left = len(violated) - n
            note = (
                f"\n_Truncated: {plural(left, 'more violated item')} not listed (the job summary "
                f"is kept under {max_bytes // 1024} KiB). The markdown or json format has them all._\n"
            )
            return _clip(text + note, max_bytes)
        text += block
        used += size
    return text


def _clip(text: str, max_bytes: int) -> str:
    """Never exceed the budget, even when the tables alone are larger (a tiny budget)."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[: max(0, max_bytes - 4)].decode("utf-8", "ignore") + "\n"
