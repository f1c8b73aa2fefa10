"""GitLab Code Quality report (`artifacts: reports: codequality`).

GitLab requires, per issue: `description`, `check_name`, `fingerprint`,
`severity` (info, minor, major, critical, blocker) and `location.path` with
`location.lines.begin`; it shows the issues in the merge request widget and
the diff, and compares them across pipelines by fingerprint, so ours (which
holds no line number) keeps a moved finding the same issue. GitLab has no
notion of a suppressed issue: suppressed findings are left out.
"""

from __future__ import annotations

import json
from typing import Any

from analyzer.core.model import Finding, ScanResult, Severity
from analyzer.report.text import by_location, checklist_of, rule_name, severity_of

ENGINE = "prodready"
CRITICAL_SECURITY = 9.0  # GitHub's "critical" threshold, reused for GitLab's "blocker"

_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.NOTE: "info"}


def render(result: ScanResult, *, color: bool = False) -> str:
    return json.dumps(issues(result), indent=2) + "\n"


def issues(result: ScanResult) -> list[dict[str, Any]]:
    return [_issue(f, result) for f in by_location(result.active)]


def severity(f: Finding, result: ScanResult) -> str:
    """error -> critical (blocker for critical security rules), warning -> major, note -> info."""
    rule = result.rules.get(f.code)
    if rule is not None and rule.security_severity is not None:
        try:
            if float(rule.security_severity) >= CRITICAL_SECURITY:
                return "blocker"
        except ValueError:
            pass
    return _SEVERITY[severity_of(f, result.rules)]


def _issue(f: Finding, result: ScanResult) -> dict[str, Any]:
    name = rule_name(f.code, result.rules)
    ids = checklist_of(f, result.rules)
    description = f"{f.code} {f.message}" + (f" [{', '.join(ids)}]" if ids else "")
    rule = result.rules.get(f.code)
    lines: dict[str, int] = {"begin": f.line or 1}  # GitLab needs a line; 1 for a whole file
    if f.line is not None and f.end_line is not None and f.end_line > f.line:
        lines["end"] = f.end_line
    issue: dict[str, Any] = {
        "type": "issue",
        "engine_name": ENGINE,
        "check_name": f"{f.code} {name}".strip(),
        "description": description,
        "severity": severity(f, result),
        "fingerprint": f.fingerprint or _fallback_fingerprint(f),
        "location": {"path": f.path.removeprefix("./"), "lines": lines},
        "categories": ["Security"] if rule is not None and rule.is_security else ["Bug Risk"],
    }
    if rule is not None:
        issue["content"] = {"body": f"{rule.why}\n\nFix: {rule.fix}"}
    return issue


def _fallback_fingerprint(f: Finding) -> str:
    import hashlib

    return hashlib.sha256(f"{f.code}\0{f.path}\0{f.message}".encode()).hexdigest()[:32]
