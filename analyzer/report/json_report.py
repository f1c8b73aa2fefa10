"""The machine-readable report: a stable document scripts and dashboards can diff.

Field names and order are part of the contract; findings are sorted by place so
two scans of the same tree give byte-identical output.
"""

from __future__ import annotations

import json
from typing import Any

from analyzer import __version__
from analyzer.core.model import Finding, ScanResult
from analyzer.report import checklist as cr
from analyzer.report.text import by_location, checklist_of, counts, rule_name, severity_of


def document(result: ScanResult) -> dict[str, Any]:
    """The report as plain data (for callers that embed it rather than print it)."""
    return {
        "version": __version__,
        "root": result.root,
        "files_scanned": result.files_scanned,
        "summary": counts(result),
        "findings": [_finding(f, result) for f in by_location(result.findings)],
        "skipped_rules": sorted(result.skipped_rules),
        **checklist_document(result),
    }


def checklist_document(result: ScanResult) -> dict[str, Any]:
    """The readiness score and one entry per checklist item, in checklist order."""
    items = cr.statuses(result, cr.evidence_of(result))
    score = cr.readiness(items)
    return {
        "readiness": {
            "score": score.percent,
            "verified": score.verified,
            "checkable": score.checkable,
            "counts": cr.counts(items),
        },
        "checklist": [_item(s) for s in items],
    }


def _item(s: cr.ItemStatus) -> dict[str, Any]:
    return {
        "id": s.item.id,
        "section": s.item.section,
        "title": s.item.title,
        "status": s.status,
        "findings": [
            {"code": f.code, "path": f.path, "line": f.line, "fingerprint": f.fingerprint}
            for f in s.findings
        ],
        "evidence": [{"text": e.text, "path": e.path, "line": e.line} for e in s.evidence],
        "reason": s.reason or None,
        "hint": s.hint or None,
        "checked_by": list(s.checked_by),
    }


def render(result: ScanResult, *, color: bool = False) -> str:
    """The document with one finding (one checklist item) per line.

    Readable in a terminal or a diff, and written by json's C encoder: with
    `indent=` json falls back to its pure-Python encoder, which took longer
    than the rest of a warm re-scan on a large repository.
    """
    lines = []
    for key, value in document(result).items():
        head = f"  {json.dumps(key)}: "
        if isinstance(value, list) and value:
            items = ",\n".join(f"    {json.dumps(v)}" for v in value)
            lines.append(f"{head}[\n{items}\n  ]")
        else:
            lines.append(head + json.dumps(value))
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _finding(f: Finding, result: ScanResult) -> dict[str, Any]:
    return {
        "code": f.code,
        "name": rule_name(f.code, result.rules),
        "severity": severity_of(f, result.rules).value,
        "checklist": list(checklist_of(f, result.rules)),
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "end_column": f.end_column,
        "message": f.message,
        "fingerprint": f.fingerprint,
        "suppressed": f.suppression is not None,
        "justification": f.suppression,
    }
