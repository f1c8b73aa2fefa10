"""GitHub Actions workflow commands (annotations on the PR diff) and the job summary.

GitHub keeps at most 10 error, 10 warning and 10 notice annotations per step
(50 per job) and silently drops the rest, so we choose which ones show: worst
first, then by place. When anything is left out we say so in one `::notice::`
line; that line is itself a notice, so it takes one of the 10 notice slots and
at most 9 findings of severity note are annotated in that case. The job summary
(written by `write_step_summary`) lists every active finding, so nothing is lost.
The per-job cap of 50 is shared with every other step of the job, so we never
use more than the 30 a step can show.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from analyzer.core.model import Finding, ScanResult, Severity
from analyzer.report.markdown import md_cell, md_code
from analyzer.report.text import (
    SEVERITIES,
    by_severity,
    checklist_of,
    counts,
    plural,
    rule_name,
    severity_of,
    summary_sentence,
)

PER_LEVEL_LIMIT = 10  # GitHub: annotations per level per step
SUMMARY_LIMIT = 1024 * 1024  # GitHub: bytes of job summary per step
_SUMMARY_MARGIN = 4 * 1024  # room for the closing lines written after the table

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(text: str) -> str:
    """As actions/toolkit `escapeData`: a newline must not end the command early."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """As actions/toolkit `escapeProperty`: `:` and `,` delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: ScanResult, *, color: bool = False) -> str:
    chosen, omitted = select(result)
    lines = [annotation(f, result) for f in chosen]
    if omitted:
        lines.append(
            "::notice title=prodready::"
            + escape_data(
                f"{plural(omitted, 'more finding')} not annotated (GitHub shows at most "
                f"{PER_LEVEL_LIMIT} annotations per level per step); see the job summary."
            )
        )
    lines.append("prodready: " + _clean(summary_sentence(result)))
    return "\n".join(lines) + "\n"


def select(result: ScanResult) -> tuple[list[Finding], int]:
    """The annotations to emit (worst first) and how many active findings get none."""
    active = by_severity(result.active, result.rules)
    groups = {s: [f for f in active if severity_of(f, result.rules) is s] for s in SEVERITIES}
    overflow = any(len(g) > PER_LEVEL_LIMIT for g in groups.values())
    caps = {s: PER_LEVEL_LIMIT for s in SEVERITIES}
    if overflow:
        caps[Severity.NOTE] = PER_LEVEL_LIMIT - 1  # one notice slot says what was left out
    chosen = [f for s in SEVERITIES for f in groups[s][: caps[s]]]
    return chosen, len(active) - len(chosen)


def annotation(f: Finding, result: ScanResult) -> str:
    sev = severity_of(f, result.rules)
    props = [f"file={escape_property(f.path)}"]
    if f.line is not None:
        props.append(f"line={f.line}")
        single_line = f.end_line is None or f.end_line == f.line
        if f.end_line is not None:
            props.append(f"endLine={f.end_line}")
        # GitHub ignores columns on multi-line annotations; only send them when they count.
        if single_line and f.column:
            props.append(f"col={f.column}")
            if f.end_column:
                props.append(f"endColumn={f.end_column}")
    title = f"{f.code} {rule_name(f.code, result.rules)}".strip()
    props.append(f"title={escape_property(title)}")
    message = f.message
    ids = checklist_of(f, result.rules)
    if ids:
        message += f" [{', '.join(ids)}]"
    return f"::{_COMMAND[sev]} {','.join(props)}::{escape_data(_clean(message))}"


def _clean(text: str) -> str:
    """Drop control characters other than line breaks (which escape_data encodes)."""
    return "".join(ch for ch in text if ch in "\r\n\t" or (ord(ch) >= 0x20 and ch != "\x7f"))


# --- job summary ---------------------------------------------------------------------------


def blob_base(env: Mapping[str, str]) -> str | None:
    """`https://github.com/OWNER/REPO/blob/SHA/` from the runner's variables, else None.

    On a pull request the SHA is the head of the pull request (from the event
    payload), not the merge commit the runner checked out: the head commit
    belongs to the pull request for good, while merge commits are recreated.
    """
    server = env.get("GITHUB_SERVER_URL", "").rstrip("/")
    repository = env.get("GITHUB_REPOSITORY", "")
    sha = _head_sha(env)
    if not (server and repository and sha):
        return None
    return f"{server}/{repository}/blob/{sha}/"


def _head_sha(env: Mapping[str, str]) -> str:
    event = env.get("GITHUB_EVENT_PATH", "")
    if event:
        try:
            payload = json.loads(Path(event).read_text(encoding="utf-8"))
            sha = payload["pull_request"]["head"]["sha"]
            if isinstance(sha, str) and sha:
                return sha
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return env.get("GITHUB_SHA", "")


def link(f: Finding, base: str) -> str:
    """GitHub's blob URL of the finding's file, with `#L5` or `#L5-L9` for its lines."""
    url = base + quote(f.path.removeprefix("./"), safe="/")
    if f.line is not None:
        url += f"#L{f.line}"
        if f.end_line is not None and f.end_line > f.line:
            url += f"-L{f.end_line}"
    return url


def step_summary(
    result: ScanResult, *, budget: int = SUMMARY_LIMIT, links: str | None = None
) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY, kept within `budget` bytes (UTF-8).

    `links` is a `blob_base`: each location then links to its file and line.
    """
    c = counts(result)
    head = [
        "## prodready",
        "",
        md_cell(summary_sentence(result)),
        "",
        "| Errors | Warnings | Notes | Suppressed | Files scanned |",
        "| ---: | ---: | ---: | ---: | ---: |",
        (
            f"| {c['error']} | {c['warning']} | {c['note']} | {c['suppressed']} "
            f"| {result.files_scanned} |"
        ),
        "",
    ]
    _, omitted = select(result)
    if omitted:
        head += [
            (
                f"{plural(omitted, 'finding')} below had no annotation on the diff "
                f"(GitHub shows at most {PER_LEVEL_LIMIT} per level per step)."
            ),
            "",
        ]
    if result.skipped_rules:
        head += ["Rules skipped: " + md_cell(", ".join(sorted(result.skipped_rules))), ""]
    active = by_severity(result.active, result.rules)
    if not active:
        return "\n".join(head) + "\n"
    head += [
        "| Severity | Rule | Location | Message | Checklist |",
        "| --- | --- | --- | --- | --- |",
    ]
    text = "\n".join(head) + "\n"
    used = len(text.encode("utf-8"))
    limit = budget - _SUMMARY_MARGIN
    rows: list[str] = []
    for n, f in enumerate(active):
        row = _row(f, result, links) + "\n"
        size = len(row.encode("utf-8"))
        if used + size > limit:
            rows.append(
                f"\n_{plural(len(active) - n, 'more finding')} not listed: the job summary is "
                "limited to 1 MiB. Use the json or sarif format for the full list._\n"
            )
            break
        rows.append(row)
        used += size
    return text + "".join(rows)


def write_step_summary(
    result: ScanResult, path: str | Path, env: Mapping[str, str] | None = None
) -> None:
    """Append (GitHub concatenates what every step writes) within what is left of the limit."""
    target = Path(path)
    existing = target.stat().st_size if target.exists() else 0
    budget = max(SUMMARY_LIMIT - existing, _SUMMARY_MARGIN * 2)
    links = blob_base(os.environ if env is None else env)
    # the checklist verdict first (readiness, statuses, violated items), then every finding
    from analyzer.report.markdown import summary_markdown  # markdown imports this module

    head = summary_markdown(result, max_bytes=budget // 2, link_base=links or "") + "\n"
    head += silencers_markdown(result)
    with target.open("a", encoding="utf-8") as out:
        out.write(head)
        out.write(step_summary(result, budget=budget - len(head.encode("utf-8")), links=links))


def _row(f: Finding, result: ScanResult, links: str | None = None) -> str:
    sev = severity_of(f, result.rules)
    name = rule_name(f.code, result.rules)
    rule = f"`{f.code}` {md_cell(name)}".rstrip()
    place = f.path if f.line is None else f"{f.path}:{f.line}"
    location = md_code(place)
    if links is not None:
        location = f"[{location}]({link(f, links)})"
    ids = ", ".join(checklist_of(f, result.rules))
    return f"| {sev.value} | {rule} | {location} | {md_cell(f.message)} | {ids} |"


MAX_SILENCERS = 200


def silencers_markdown(result: ScanResult) -> str:
    """Every suppression comment and configured ignore, so a new one shows in review.

    A pull request can silence a check in a comment or in the configuration; listing
    them all in the job summary (whether or not they silence anything today) lets a
    reviewer see the new line rather than the absence of a finding.
    """
    if not result.silencers:
        return ""
    lines = [
        "### Suppressions and ignores",
        "",
        "| Where | Rules | Reason or key | Applied |",
        "| --- | --- | --- | --- |",
    ]
    for sil in result.silencers[:MAX_SILENCERS]:
        rules = ", ".join(sil.rules) or "(none)"
        applied = "yes" if sil.applied else "no"
        reason = sil.reason or "(no reason: not applied)"
        lines.append(f"| {md_code(sil.where)} | {md_cell(rules)} | {md_cell(reason)} | {applied} |")
    more = len(result.silencers) - MAX_SILENCERS
    if more > 0:
        lines.append(f"\n_{more} more not listed._")
    return "\n".join(lines) + "\n\n"
