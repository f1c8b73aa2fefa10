"""The bundled example repositories, scanned end to end through the real CLI.

call-center holds a problem for every rule; call-center-fixed is the same
service done right and must come out clean. Every SARIF report is validated
against the OASIS schema, and no report may contain a secret planted there.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path

import jsonschema
import pytest

from analyzer.core import catalog
from tests.conftest import REPO, run_cli

BAD = REPO / "examples" / "call-center"
FIXED = REPO / "examples" / "call-center-fixed"
SCHEMA = json.loads((REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
NOT_EXPECTED_ON_EXAMPLES = {"PR001", "PR002"}  # about the scan itself, not the service


@cache
def _scan(root: Path, fmt: str, profile: str = "audit") -> tuple[int, str]:
    proc = run_cli("scan", root, "--format", fmt, "--profile", profile)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, proc.stdout


def validate_sarif(doc: dict) -> None:  # type: ignore[type-arg]
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    for rule in rules:
        assert rule["properties"]["checklist"]
        if "security" in rule["properties"].get("tags", []):
            assert 0.1 <= float(rule["properties"]["security-severity"]) <= 10.0
    for result in run["results"]:
        assert result["properties"]["checklist"]
        assert result["partialFingerprints"]["primaryLocationLineHash"]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_every_rule_fires_on_the_bad_example() -> None:
    code, out = _scan(BAD, "json")
    assert code == 1
    doc = json.loads(out)
    fired = {f["code"] for f in doc["findings"]}
    skipped = set(doc["skipped_rules"])  # an optional engine that is not installed
    missing = set(catalog.load()) - fired - NOT_EXPECTED_ON_EXAMPLES - skipped
    assert not missing, f"rules with no finding on examples/call-center: {sorted(missing)}"
    assert not fired & NOT_EXPECTED_ON_EXAMPLES, "the example must parse cleanly"


def test_default_profile_reports_exactly_its_rules_on_the_bad_example() -> None:
    code, out = _scan(BAD, "json", "default")
    assert code == 1
    doc = json.loads(out)
    fired = {f["code"] for f in doc["findings"]}
    rules = catalog.load()
    default = {c for c, r in rules.items() if r.precision in catalog.DEFAULT_TIERS}
    missing = default - fired - NOT_EXPECTED_ON_EXAMPLES - set(doc["skipped_rules"])
    assert not missing, f"default-profile rules silent on examples/call-center: {sorted(missing)}"
    assert fired <= default, f"audit rules reported by default: {sorted(fired - default)}"


def test_fixed_example_is_clean() -> None:
    code, out = _scan(FIXED, "json")
    findings = json.loads(out)["findings"]
    assert findings == [] and code == 0, [(f["code"], f["path"], f["line"]) for f in findings]


@pytest.mark.parametrize("root", [BAD, FIXED], ids=["bad", "fixed"])
def test_sarif_of_examples_validates(root: Path) -> None:
    validate_sarif(json.loads(_scan(root, "sarif")[1]))


def _planted_secrets() -> set[str]:
    """Every credential-looking literal of the bad example, read from its files."""
    values: set[str] = set()
    pattern = re.compile(
        r"(?:AKIA[0-9A-Z]{16}|eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+|sb_secret_\w+|[0-9a-f]{32}|"
        r"(?<=[=:] )['\"]?[A-Za-z0-9+/_!@#$%^&*-]{12,}['\"]?$)",
        re.MULTILINE,
    )
    for path in BAD.rglob("*"):
        if path.is_file() and path.suffix not in {".md"}:
            text = path.read_text(encoding="utf-8", errors="ignore")
            values.update(m.group(0).strip("'\"") for m in pattern.finditer(text))
            if "PRIVATE KEY-----" in text:
                body = text.split("PRIVATE KEY-----", 1)[1].splitlines()
                values.update(line for line in body if len(line) > 40)
    specific = re.compile(r"^(?:AKIA|eyJ|sb_secret_)")
    return {
        v
        for v in values
        if len(v) >= 12 and (specific.match(v) or (re.search(r"\d", v) and re.search(r"[a-z]", v)))
    }


def test_no_report_contains_a_planted_secret(tmp_path: Path) -> None:
    secrets = _planted_secrets()
    assert len(secrets) >= 5
    summary = tmp_path / "summary.md"
    outputs = []
    for fmt in ("text", "json", "sarif", "github", "markdown"):
        proc = run_cli("scan", BAD, "--format", fmt, env={"GITHUB_STEP_SUMMARY": str(summary)})
        outputs += [proc.stdout, proc.stderr]
    base = tmp_path / "baseline.json"
    run_cli("baseline", BAD, "--output", base)
    outputs += [base.read_text(), summary.read_text(), run_cli("explain", "SEC001").stdout]
    everything = "\n".join(outputs)
    leaked = sorted(s for s in secrets if s in everything)
    assert not leaked, f"{len(leaked)} secret value(s) leaked into reports"
    assert os.path.getsize(summary) > 0
