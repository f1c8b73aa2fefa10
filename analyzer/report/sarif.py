"""SARIF 2.1.0 shaped for GitHub code scanning.

GitHub reads only part of SARIF and adds its own conventions (see
ANCHORS.md section 8): it shows `help.markdown` (not `helpUri`), uses the
first location only, matches alerts across commits by
`partialFingerprints.primaryLocationLineHash`, treats a rule with
`properties.security-severity` as a security rule, and accepts one run per
tool and category. Everything here follows from those facts.

Upload limits: 25,000 results per run and 10 MB per file *after gzip*; both
are enforced below by keeping the most severe results and saying in a tool
notification how many were left out. `automationDetails.id` is
`prodready/<scanned folder>/`: code scanning replaces the previous analysis
of the same category, so two scans of one repository (two services of a
monorepo) must not share one. The upload action only fills the id in when the
file has none, so the file decides. `versionControlProvenance` is read from
the local git repository (no network) when there is one.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from analyzer import __version__
from analyzer.core import checklist
from analyzer.core.model import Finding, Rule, ScanResult, Severity
from analyzer.report.text import by_severity, checklist_of, severity_of

PROJECT_URL = "https://github.com/prodready/prodready"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "prodready"
AUTOMATION_ID = "prodready/"  # the category of a scan of the repository's root
SRCROOT = "%SRCROOT%"

MAX_RESULTS = 25_000  # GitHub: results per run
MAX_GZIP_BYTES = 10 * 1000 * 1000  # GitHub: 10 MB per SARIF file, gzip-compressed
MAX_TAGS = 20  # GitHub: tags per rule (10 shown)
MAX_FULL_DESCRIPTION = 1024  # GitHub: rule fullDescription.text

_TRUNCATED = "prodready/results-truncated"

_PROBLEM_SEVERITY = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.NOTE: "recommendation",
}


def render(
    result: ScanResult,
    *,
    color: bool = False,
    category: str | None = None,
    max_gzip_bytes: int = MAX_GZIP_BYTES,
) -> str:
    """The log, cut to GitHub's result count and compressed size when it exceeds them."""
    provenance = version_control(result.root)
    log = sarif_log(result, category=category, provenance=provenance)
    text = _dumps(log)
    if _gzip_size(text) <= max_gzip_bytes:
        return text
    count = len(log["runs"][0]["results"])
    low, high = 0, count - 1  # the largest count that fits lies in [low, high]
    while low < high:
        mid = (low + high + 1) // 2
        trial = sarif_log(result, max_results=mid, category=category, provenance=provenance)
        if _gzip_size(_dumps(trial, size_limit=max_gzip_bytes)) <= max_gzip_bytes:
            low = mid
        else:
            high = mid - 1
    return _dumps(
        sarif_log(result, max_results=low, category=category, provenance=provenance),
        size_limit=max_gzip_bytes,
    )


def _dumps(log: dict[str, Any], *, size_limit: int | None = None) -> str:
    if size_limit is not None:
        _note_size_cut(log, size_limit)
    return json.dumps(log, indent=2) + "\n"


def _gzip_size(text: str) -> int:
    return len(gzip.compress(text.encode("utf-8"), compresslevel=6))


def _note_size_cut(log: dict[str, Any], limit: int) -> None:
    """Reword the count note: the cut was made for GitHub's size limit."""
    invocation = log["runs"][0]["invocations"][0]
    for note in invocation.get("toolExecutionNotifications", []):
        if note.get("descriptor", {}).get("id") == _TRUNCATED:
            dropped = note["message"]["text"].split(" ", 1)[0]
            note["message"]["text"] = (
                f"{dropped} results were left out: GitHub accepts SARIF files of at most "
                f"{limit / 1_000_000:g} MB gzipped. The most severe ones are kept; run the json "
                "format for all."
            )
            return


def category_for(root: str | Path) -> str:
    """`prodready` for the working directory, `prodready/services/api` for a folder in it."""
    path = Path(root).resolve()
    cwd = Path.cwd().resolve()
    if path == cwd or not path.is_relative_to(cwd):
        return TOOL_NAME
    return f"{TOOL_NAME}/{path.relative_to(cwd).as_posix()}"


def automation_id(category: str | None) -> str:
    """GitHub: `category/run-id`; an empty run id keeps one analysis per category."""
    if not category:
        return AUTOMATION_ID
    cleaned = "/".join(part for part in category.strip().split("/") if part)
    return (cleaned or TOOL_NAME) + "/"


def sarif_log(
    result: ScanResult,
    *,
    max_results: int = MAX_RESULTS,
    category: str | None = None,
    provenance: dict[str, Any] | None = None,
) -> dict[str, Any]:
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
        "automationDetails": {"id": automation_id(category)},
        "originalUriBaseIds": {SRCROOT: {"uri": root_uri(result.root)}},
        "columnKind": "unicodeCodePoints",
        "invocations": [invocation],
        "results": [_result(f, index[f.code], result) for f in kept],
    }
    if provenance:
        run["versionControlProvenance"] = [provenance]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


# --- version control -------------------------------------------------------------------------


def version_control(root: str | Path) -> dict[str, Any] | None:
    """SARIF versionControlDetails of the git work tree holding `root`; None outside git."""
    where = Path(root)
    top = _git(where, "rev-parse", "--show-toplevel")
    revision = _git(where, "rev-parse", "--verify", "--quiet", "HEAD")
    if not top or not revision:
        return None
    uri = repository_uri(_git(where, "remote", "get-url", "origin"), Path(top))
    details: dict[str, Any] = {"repositoryUri": uri, "revisionId": revision}
    branch = _git(where, "symbolic-ref", "--quiet", "--short", "HEAD") or os.environ.get(
        "GITHUB_REF", ""
    )
    if branch:
        details["branch"] = branch
    if Path(top).resolve() == where.resolve():
        details["mappedTo"] = {"uriBaseId": SRCROOT}
    return details


def repository_uri(remote: str, top: Path) -> str:
    """The remote as a URI without credentials; the local folder when there is no remote."""
    remote = remote.strip()
    if not remote:
        return top.resolve().as_uri()
    if "://" in remote:
        parts = urlsplit(remote)
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        if parts.scheme == "ssh" and parts.username:
            host = f"{parts.username}@{host}"
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    if ":" in remote and not remote.startswith(("/", ".")):  # scp-like user@host:owner/repo
        userhost, _, path = remote.partition(":")
        host = userhost.rpartition("@")[2]
        user = userhost.rpartition("@")[0]
        return f"ssh://{user + '@' if user else ''}{host}/{path.lstrip('/')}"
    return (top / remote).resolve().as_uri()


def _git(where: Path, *args: str) -> str:
    try:
        proc = subprocess.run(
            ["git", "-C", str(where), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


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
                "descriptor": {"id": _TRUNCATED},
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
