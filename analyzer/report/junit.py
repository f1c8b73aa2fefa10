"""JUnit XML for CI systems that display test reports (GitLab, Jenkins, Azure, CircleCI).

One test case per rule in effect, not per finding: a test's identity is its
name, and CI systems compare reports between runs by name ("newly failing",
flaky history). A per-finding name would carry a path and line, so a finding
that moves would look like one test fixed and another broken. A rule with
active findings fails, its failure text lists every place; a rule without
any passes, so the report also shows what was checked. Suppressed findings
do not fail their rule; they are listed in its system-out with their reason.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from analyzer.core.model import Finding, ScanResult
from analyzer.report.text import by_location, checklist_of, printable, rule_name, severity_of

SUITE = "prodready"


def render(result: ScanResult, *, color: bool = False) -> str:
    by_rule: defaultdict[str, list[Finding]] = defaultdict(list)
    for f in by_location(result.findings):
        by_rule[f.code].append(f)
    codes = sorted(set(result.rules) | set(by_rule))
    failures = sum(1 for c in codes if any(f.suppression is None for f in by_rule[c]))
    skipped = [c for c in codes if c in result.skipped_rules]
    suites = ET.Element("testsuites", name=SUITE, tests=str(len(codes)), failures=str(failures))
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=SUITE,
        tests=str(len(codes)),
        failures=str(failures),
        errors="0",
        skipped=str(len(skipped)),
    )
    for code in codes:
        suite.append(_case(code, by_rule[code], result))
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _case(code: str, findings: list[Finding], result: ScanResult) -> ET.Element:
    rule = result.rules.get(code)
    name = f"{code} {rule_name(code, result.rules)}".strip()
    prefix = code.rstrip("0123456789") or code
    case = ET.Element("testcase", name=name, classname=f"{SUITE}.{prefix}")
    active = [f for f in findings if f.suppression is None]
    suppressed = [f for f in findings if f.suppression is not None]
    if active:
        first = active[0]
        failure = ET.SubElement(
            case,
            "failure",
            message=_clean(f"{len(active)} finding(s): {first.path}: {first.message}"),
            type=severity_of(first, result.rules).value,
        )
        lines = [_line(f, result) for f in active]
        if rule is not None:
            lines += ["", f"Why: {rule.why}", f"Fix: {rule.fix}"]
        failure.text = _clean("\n".join(lines))
        case.set("file", _clean(first.path))
        if first.line is not None:
            case.set("line", str(first.line))
    elif code in result.skipped_rules:
        ET.SubElement(case, "skipped", message="the rule could not run in this environment")
    if suppressed:
        out = ET.SubElement(case, "system-out")
        out.text = _clean(
            "\n".join(f"suppressed: {_line(f, result)} ({f.suppression})" for f in suppressed)
        )
    return case


def _line(f: Finding, result: ScanResult) -> str:
    place = f.path if f.line is None else f"{f.path}:{f.line}"
    ids = checklist_of(f, result.rules)
    tail = f" [{', '.join(ids)}]" if ids else ""
    return f"{severity_of(f, result.rules).value} {place} {f.message}{tail}"


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    """XML 1.0 cannot hold most control characters, surrogates or U+FFFE/U+FFFF, even escaped."""
    return _NOT_XML.sub("\ufffd", printable(text, keep_newlines=True))
