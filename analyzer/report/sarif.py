"""SARIF 2.1.0 shaped for GitHub code scanning.

GitHub reads only part of SARIF and adds its own conventions (see
ANCHORS.md section 8): it shows `help.markdown` (not `helpUri`), uses the
first location only, matches alerts across commits by
`partialFingerprints.primaryLocationLineHash`, treats a rule with
`properties.security-severity` as a security rule, and accepts one run per
tool and category. Everything here follows from those facts.

Upload limits: 25,000 results per run (enforced below, worst first) and
10 MB per file *after gzip*. We do not measure the gzip size: at ~1 KB per
result, 25,000 results compress far below 10 MB, and the rules block only
holds rules that fired.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from analyzer import __version__, checklist
from analyzer.model import Finding, Rule, ScanResult, Severity
from analyzer.report.text import by_severity, checklist_of, severity_of

PROJECT_URL = "https://github.com/prodready/prodready"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "prodready"
AUTOMATION_ID = "prodready/"
SRCROOT = "%SRCROOT%"

MAX_RESULTS = 25_000  # GitHub: results per run
MAX_TAGS = 20  # GitHub: tags per rule (10 shown)
MAX_FULL_DESCRIPTION = 1024  # GitHub: rule fullDescription.text

_PROBLEM_SEVERITY = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.NOTE: "recommendation",
}


def render(result: ScanResult, *, color: bool = False) -> str:
    return json.dumps(sarif_log(result), indent=2) + "\n"


def sarif_log(result: ScanResult, *, max_results: int = MAX_RESULTS) -> dict[str, Any]:
    """The whole log as plain data; `max_results` is GitHub's cap, lowered only by tests."""
    # Active findings before suppressed ones, worst first: what survives a cut matters most.
    ordered = by_severity(
        [f for f in result.findings if f.suppression is None], result.rules
    ) + by_severity([f for f in result.findings if f.suppression is not None], result.rules)
    kept = ordered[:max_results]
    codes = sorted({f.code for f in kept})
    index = {code: i for i, code in enumerate(codes)}
    descriptors = [_descriptor(code, result, kept) for code in codes]
    notifications = _notifications(result, len(ordered) - len(kept), max_results)
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": PROJECT_URL,
                "rules": descriptors,
            }
        },
        "automationDetails": {"id": AUTOMATION_ID},
        "originalUriBaseIds": {SRCROOT: {"uri": root_uri(result.root)}},
        "columnKind": "unicodeCodePoints",
        "invocations": [invocation],
        "results": [_result(f, index[f.code], result) for f in kept],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def root_uri(root: str) -> str:
    """GitHub resolves %SRCROOT% itself; the absolute URI helps other SARIF viewers."""
    uri = Path(root).resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def artifact_uri(path: str) -> str:
    """Relative, posix, percent-encoded: a space or `#` in a file name must not break the URI."""
    posix = path.replace("\\", "/")
    while posix.startswith("./"):
        posix = posix[2:]
    return quote(posix, safe="/")


def help_uri(code: str) -> str:
    return f"{PROJECT_URL}/blob/main/README.md#{code.lower()}"


def _descriptor(code: str, result: ScanResult, kept: list[Finding]) -> dict[str, Any]:
    rule = result.rules.get(code)
    if rule is None:
        return _unknown_descriptor(code, kept)
    props: dict[str, Any] = {
        "tags": _tags(rule),
        "precision": rule.precision,
        "checklist": list(rule.checklist),
    }
    if rule.is_security:
        props["security-severity"] = rule.security_severity
    else:
        props["problem.severity"] = _PROBLEM_SEVERITY[rule.severity]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _clip(rule.why, MAX_FULL_DESCRIPTION)},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "helpUri": help_uri(rule.code),
        "defaultConfiguration": {"level": rule.severity.value},
        "properties": props,
    }


def _unknown_descriptor(code: str, kept: list[Finding]) -> dict[str, Any]:
    """A finding whose rule is not in effect (should not happen): still a valid, uploadable rule."""
    sample = next(f for f in kept if f.code == code)
    level = (sample.severity or Severity.WARNING).value
    return {
        "id": code,
        "name": code.lower(),
        "shortDescription": {"text": code},
        "fullDescription": {"text": code},
        "help": {"text": code, "markdown": code},
        "helpUri": help_uri(code),
        "defaultConfiguration": {"level": level},
        "properties": {"tags": [], "checklist": list(sample.checklist)},
    }


def _tags(rule: Rule) -> list[str]:
    tags = (["security"] if rule.is_security else []) + list(rule.checklist) + list(rule.tags)
    return list(dict.fromkeys(tags))[:MAX_TAGS]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _checklist_lines(rule: Rule, *, markdown: bool) -> list[str]:
    known = checklist.by_id()
    lines = []
    for item_id in rule.checklist:
        title = known[item_id].title if item_id in known else ""
        label = f"`{item_id}`" if markdown else item_id
        lines.append(f"- {label} {title}".rstrip())
    return lines


def _help_text(rule: Rule) -> str:
    return "\n".join(
        [
            rule.summary,
            "",
            rule.why,
            "",
            f"Fix: {rule.fix}",
            "",
            "Checklist items:",
            *_checklist_lines(rule, markdown=False),
            "",
            f"Reference: {help_uri(rule.code)}",
        ]
    )


def _help_markdown(rule: Rule) -> str:
    """GitHub renders this on the alert page; links must live here since helpUri is not shown."""
    link = f"[`{rule.code}` {rule.name} in the prodready rule reference]({help_uri(rule.code)})"
    return "\n".join(
        [
            f"**{rule.summary}**",
            "",
            rule.why,
            "",
            f"**How to fix:** {rule.fix}",
            "",
            "**Production checklist items:**",
            "",
            *_checklist_lines(rule, markdown=True),
            "",
            link,
        ]
    )


def _result(f: Finding, rule_index: int, result: ScanResult) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": artifact_uri(f.path), "uriBaseId": SRCROOT}
    }
    region = _region(f)
    if region:
        physical["region"] = region
    out: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": severity_of(f, result.rules).value,
        "message": {"text": f.message},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {"primaryLocationLineHash": _fingerprint(f)},
        "properties": {"checklist": list(checklist_of(f, result.rules))},
    }
    if f.suppression is not None:
        out["suppressions"] = [{"kind": "inSource", "justification": f.suppression}]
    return out


def _region(f: Finding) -> dict[str, int]:
    """No line means a repository-level finding: SARIF allows a location without a region."""
    if f.line is None or f.line < 1:
        return {}
    region = {"startLine": f.line}
    if f.column and f.column >= 1:
        region["startColumn"] = f.column
    if f.end_line and f.end_line >= f.line:
        region["endLine"] = f.end_line
    if f.end_column and f.end_column >= 1 and "startColumn" in region:
        region["endColumn"] = f.end_column
    return region


def _fingerprint(f: Finding) -> str:
    """Our fingerprint never contains line numbers; the fallback keeps the key present anyway."""
    if f.fingerprint:
        return f.fingerprint
    return hashlib.sha256(f"{f.code}\0{f.path}\0{f.message}".encode()).hexdigest()[:32]


def _notifications(result: ScanResult, dropped: int, limit: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if dropped:
        out.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{dropped} results were left out: GitHub accepts at most {limit} "
                    "results per run. The most severe ones are kept; run the json format for all."
                },
            }
        )
    for code in sorted(result.skipped_rules):
        out.append(
            {
                "level": "note",
                "message": {
                    "text": f"Rule {code} was skipped: it could not run in this environment."
                },
                "descriptor": {"id": code},
            }
        )
    return out
