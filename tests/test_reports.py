"""The report formats, checked against what their readers require.

SARIF against the OASIS schema and GitHub's code-scanning rules, workflow
commands against GitHub's escaping and per-step limits, JSON by round trip.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from jsonschema import Draft4Validator  # type: ignore[import-untyped,unused-ignore]

from analyzer import __version__
from analyzer.core import catalog, checklist
from analyzer.core.errors import UsageError
from analyzer.core.model import Example, Finding, Rule, ScanResult, Severity
from analyzer.report import FORMATS, github, json_report, markdown, render, sarif, text

SCHEMA_PATH = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"
ANSI = re.compile(r"\x1b\[")


def _rule(code: str, name: str, severity: Severity, ids: tuple[str, ...], **kw: object) -> Rule:
    examples = (Example("bad", "x", "x", 1), Example("good", "x", "y"))
    return Rule(
        code=code,
        name=name,
        severity=severity,
        checklist=ids,
        summary=f"Summary of {name}.",
        why=f"Why {name} matters in production.",
        fix=f"Fix {name}.",
        examples=examples,
        **kw,  # type: ignore[arg-type]
    )


RULES = {
    r.code: r
    for r in (
        _rule(
            "K8S001",
            "container-without-resource-limits",
            Severity.WARNING,
            ("RES-1",),
            tags=("kubernetes",),
        ),
        _rule(
            "SEC001",
            "hardcoded-secret",
            Severity.ERROR,
            ("DATA-5", "SECRETS-2"),
            security_severity="9.1",
            tags=("secrets",),
        ),
        _rule("REPO001", "no-dependency-updates", Severity.NOTE, ("AUTH-1",), scope="repository"),
    )
}


def _finding(code: str, path: str, message: str, line: int | None = 3, **kw: object) -> Finding:
    rule = RULES.get(code)
    fields: dict[str, object] = {
        "severity": rule.severity if rule else Severity.WARNING,
        "checklist": rule.checklist if rule else (),
        "fingerprint": hashlib.sha256(f"{code}|{path}|{message}".encode()).hexdigest()[:20],
        "column": 5 if line is not None else None,
    }
    fields.update(kw)
    return Finding(code, path, message, line, **fields)  # type: ignore[arg-type]


def _result(findings: list[Finding], **kw: object) -> ScanResult:
    fields: dict[str, object] = {"files_scanned": 7, "kinds": {"kubernetes": 2}}
    fields.update(kw)
    return ScanResult("/tmp/repo", tuple(findings), RULES, **fields)  # type: ignore[arg-type]


API_MESSAGE = "container `api`, of Deployment: api has 50% CPU\nand no limit"
SECRET_MESSAGE = "TWILIO_AUTH_TOKEN holds a literal secret sk_l… (24 chars)"


@pytest.fixture
def mixed() -> ScanResult:
    return _result(
        [
            _finding("K8S001", "k8s/api deploy.yaml", API_MESSAGE, 12, end_line=12, end_column=20),
            _finding("SEC001", "app/settings.py", SECRET_MESSAGE, 4),
            _finding("REPO001", ".github/dependabot.yml", "no Dependabot | Renovate config", None),
            _finding(
                "K8S001",
                "k8s/worker.yaml",
                "container `worker` has no limit",
                8,
                suppression="limits set by the LimitRange, see ops#12",
            ),
            _finding("SEC001", "app/settings.py", "second <b>secret</b> *here*", 2, end_line=5),
        ],
        skipped_rules=("JS001",),
    )


# --- SARIF ------------------------------------------------------------------------------------


def _validate_sarif(log: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    errors = sorted(Draft4Validator(schema).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def _check_github_rules(log: dict[str, Any]) -> None:
    """What GitHub code scanning needs beyond the schema (docs: sarif-support-for-code-scanning)."""
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    for rule in rules:
        props = rule["properties"]
        assert len(rule["fullDescription"]["text"]) <= 1024
        assert len(rule["name"]) <= 255
        assert rule["help"]["markdown"] and rule["help"]["text"]
        assert len(props["tags"]) <= 20
        if "security-severity" in props:
            assert isinstance(props["security-severity"], str)
            assert 0.1 <= float(props["security-severity"]) <= 10.0
            assert "security" in props["tags"]
            assert "problem.severity" not in props
        else:
            assert props["problem.severity"] in ("error", "warning", "recommendation")
    assert len(run["results"]) <= 25_000
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["partialFingerprints"]["primaryLocationLineHash"]
        assert len(res["locations"]) == 1
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "\\" not in uri and " " not in uri


def test_sarif_is_valid_for_the_schema_and_for_github(mixed: ScanResult) -> None:
    log = json.loads(sarif.render(mixed))
    _validate_sarif(log)
    _check_github_rules(log)
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "prodready"
    assert driver["version"] == driver["semanticVersion"] == __version__
    assert driver["informationUri"] == sarif.PROJECT_URL
    assert run["automationDetails"] == {"id": "prodready/"}
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file:///")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")
    assert [r["id"] for r in driver["rules"]] == ["K8S001", "REPO001", "SEC001"]


def test_sarif_rule_metadata(mixed: ScanResult) -> None:
    driver = json.loads(sarif.render(mixed))["runs"][0]["tool"]["driver"]
    rules = {r["id"]: r for r in driver["rules"]}
    sec = rules["SEC001"]
    assert sec["properties"]["security-severity"] == "9.1"
    assert sec["properties"]["tags"][:3] == ["security", "DATA-5", "SECRETS-2"]
    assert "secrets" in sec["properties"]["tags"]
    assert sec["properties"]["checklist"] == ["DATA-5", "SECRETS-2"]
    assert sec["defaultConfiguration"] == {"level": "error"}
    assert sec["helpUri"].endswith("/blob/main/README.md#sec001")
    title = checklist.by_id()["SECRETS-2"].title
    assert title in sec["help"]["markdown"] and "Fix SEC001" not in sec["help"]["markdown"]
    assert "Fix hardcoded-secret." in sec["help"]["markdown"]
    assert sec["helpUri"] in sec["help"]["markdown"]
    assert rules["REPO001"]["properties"]["problem.severity"] == "recommendation"
    assert rules["K8S001"]["properties"]["problem.severity"] == "warning"


def test_sarif_results_locations_and_suppressions(mixed: ScanResult) -> None:
    results = json.loads(sarif.render(mixed))["runs"][0]["results"]
    by_uri: dict[str, list[dict[str, Any]]] = {}
    for res in results:
        loc = res["locations"][0]["physicalLocation"]
        by_uri.setdefault(loc["artifactLocation"]["uri"], []).append(res)
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert set(by_uri) == {
        "k8s/api%20deploy.yaml",
        "app/settings.py",
        ".github/dependabot.yml",
        "k8s/worker.yaml",
    }
    assert unquote("k8s/api%20deploy.yaml") == "k8s/api deploy.yaml"
    (api,) = by_uri["k8s/api%20deploy.yaml"]
    assert api["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 12,
        "startColumn": 5,
        "endLine": 12,
        "endColumn": 20,
    }
    assert api["message"]["text"].endswith("CPU\nand no limit")
    assert api["level"] == "warning" and api["properties"]["checklist"] == ["RES-1"]
    assert "suppressions" not in api
    (repo,) = by_uri[".github/dependabot.yml"]
    assert "region" not in repo["locations"][0]["physicalLocation"]
    (worker,) = by_uri["k8s/worker.yaml"]
    assert worker["suppressions"] == [
        {"kind": "inSource", "justification": "limits set by the LimitRange, see ops#12"}
    ]
    # Worst first; suppressed results last.
    assert [r["level"] for r in results][:2] == ["error", "error"]
    assert results[-1] is worker


def test_sarif_fingerprints_do_not_move_with_lines() -> None:
    before = _finding("K8S001", "k8s/a.yaml", "m", 3, fingerprint="abc123")
    after = _finding("K8S001", "k8s/a.yaml", "m", 40, fingerprint="abc123")
    prints = [
        json.loads(sarif.render(_result([f])))["runs"][0]["results"][0]["partialFingerprints"]
        for f in (before, after)
    ]
    assert prints[0] == prints[1] == {"primaryLocationLineHash": "abc123"}


def test_sarif_truncates_to_the_most_severe_and_says_so() -> None:
    findings = [_finding("REPO001", f"f{i}.txt", "n", None) for i in range(5)]
    findings += [_finding("SEC001", "s.py", f"secret {i}", i + 1) for i in range(3)]
    log = sarif.sarif_log(_result(findings), max_results=4)
    _validate_sarif(log)
    _check_github_rules(log)
    run = log["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["SEC001"] * 3 + ["REPO001"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["REPO001", "SEC001"]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("4 results were left out" in n["message"]["text"] for n in notes)


def test_sarif_without_findings_is_valid() -> None:
    log = json.loads(sarif.render(_result([])))
    _validate_sarif(log)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_sarif_clips_long_descriptions_and_tags() -> None:
    long = _rule(
        "K8S001",
        "container-without-resource-limits",
        Severity.WARNING,
        ("RES-1",),
        tags=tuple(f"t{i}" for i in range(30)),
    )
    long = Rule(**{**long.__dict__, "why": "word " * 400})
    result = ScanResult("/tmp/r", (_finding("K8S001", "a.yaml", "m"),), {"K8S001": long}, 1, {})
    log = json.loads(sarif.render(result))
    _validate_sarif(log)
    _check_github_rules(log)


def test_sarif_for_every_catalog_rule() -> None:
    """The real catalog must fit GitHub's limits (description length, tags, security-severity)."""
    rules = catalog.load()
    findings = [
        _finding(
            code,
            "README.md",
            "m",
            None if rule.scope == "repository" else 1,
            severity=rule.severity,
            checklist=rule.checklist,
        )
        for code, rule in rules.items()
    ]
    log = json.loads(sarif.render(ScanResult("/tmp/r", tuple(findings), rules, 1, {})))
    _validate_sarif(log)
    _check_github_rules(log)


# --- github workflow commands -----------------------------------------------------------------


def test_github_escapes_data_and_properties() -> None:
    assert github.escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_annotation_lines(mixed: ScanResult) -> None:
    lines = github.render(mixed).splitlines()
    api = next(x for x in lines if "api%20deploy" in x or "api deploy" in x)
    assert api == (
        "::warning file=k8s/api deploy.yaml,line=12,endLine=12,col=5,endColumn=20,"
        "title=K8S001 container-without-resource-limits::"
        "container `api`, of Deployment: api has 50%25 CPU%0Aand no limit [RES-1]"
    )
    repo = next(x for x in lines if "dependabot" in x)
    assert repo.startswith("::notice file=.github/dependabot.yml,title=REPO001 ")
    assert "line=" not in repo
    multi = next(x for x in lines if "second" in x)
    assert "line=2,endLine=5," in multi and "col=" not in multi
    assert not any("worker" in x for x in lines)  # suppressed: no annotation
    for line in lines:
        if line.startswith("::"):
            command, _, message = line[2:].partition("::")
            assert "\n" not in message and "\r" not in message
            for prop in command.split(" ", 1)[1].split(","):
                key, _, value = prop.partition("=")
                assert ":" not in value and key


def test_github_respects_annotation_limits() -> None:
    findings = [_finding("SEC001", "app/x.py", f"error {i}", i + 1) for i in range(30)]
    findings += [_finding("K8S001", "k8s/a.yaml", f"warn {i}", i + 1) for i in range(12)]
    findings += [_finding("REPO001", f"doc{i}.md", f"note {i}", None) for i in range(10)]
    out = github.render(_result(findings))
    commands = [x for x in out.splitlines() if x.startswith("::")]
    kinds = [x.split(" ", 1)[0].split("::")[1] for x in commands]
    assert kinds.count("error") == 10 and kinds.count("warning") == 10
    assert kinds.count("notice") == 10  # nine notes plus the notice about the rest
    assert len(commands) <= 30
    assert "error 0" in commands[0] and "error 9" in commands[9]  # first by place
    assert commands[-1].startswith("::notice title=prodready::")
    assert "23 more findings not annotated" in commands[-1]  # 20 errors, 2 warnings, 1 note


def test_github_notes_keep_all_ten_slots_when_nothing_overflows() -> None:
    findings = [_finding("REPO001", f"doc{i}.md", f"note {i}", None) for i in range(10)]
    out = github.render(_result(findings))
    commands = [x for x in out.splitlines() if x.startswith("::")]
    assert len(commands) == 10 and all(x.startswith("::notice file=") for x in commands)


def test_step_summary_lists_every_active_finding(mixed: ScanResult, tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    target.write_text("# earlier step\n", encoding="utf-8")
    github.write_step_summary(mixed, target, env={})
    content = target.read_text(encoding="utf-8")
    assert content.startswith("# earlier step\n## prodready")
    rows = [
        x
        for x in content.splitlines()
        if x.startswith("| error") or x.startswith("| warn") or x.startswith("| note")
    ]
    assert len(rows) == 4  # the suppressed finding is counted, not listed
    assert "| 2 | 1 | 1 | 1 | 7 |" in content
    api = next(r for r in rows if "api deploy" in r)
    assert "`k8s/api deploy.yaml:12`" in api
    assert "no limit" in api and "\n" not in api
    assert "no Dependabot \\| Renovate config" in content
    assert "\\<b\\>secret\\</b\\> \\*here\\*" in content
    # Every row has exactly the table's 5 cells: no unescaped pipe split a cell.
    for row in rows:
        assert len(re.split(r"(?<!\\)\|", row)) == 7


def test_step_summary_stays_under_the_limit(tmp_path: Path) -> None:
    findings = [_finding("SEC001", f"app/m{i}.py", "x" * 400, i + 1) for i in range(4000)]
    target = tmp_path / "summary.md"
    github.write_step_summary(_result(findings), target, env={})
    data = target.read_bytes()
    assert len(data) < 1024 * 1024
    assert b"more findings not listed" in data


# --- json ------------------------------------------------------------------------------------


def test_json_round_trips(mixed: ScanResult) -> None:
    out = json_report.render(mixed)
    doc = json.loads(out)
    assert doc["version"] == __version__ and doc["root"] == "/tmp/repo"
    assert doc["files_scanned"] == 7
    assert doc["summary"] == {"error": 2, "warning": 1, "note": 1, "suppressed": 1}
    assert doc["skipped_rules"] == ["JS001"]
    assert len(doc["findings"]) == 5
    paths = [(f["path"], f["line"] or 0) for f in doc["findings"]]
    assert paths == sorted(paths)
    worker = next(f for f in doc["findings"] if f["path"] == "k8s/worker.yaml")
    assert worker["suppressed"] is True
    assert worker["justification"] == "limits set by the LimitRange, see ops#12"
    api = next(f for f in doc["findings"] if f["path"] == "k8s/api deploy.yaml")
    assert api["message"] == mixed.findings[0].message
    assert api["name"] == "container-without-resource-limits"
    assert api["checklist"] == ["RES-1"] and api["severity"] == "warning"
    assert api["suppressed"] is False and api["justification"] is None
    repo = next(f for f in doc["findings"] if f["code"] == "REPO001")
    assert repo["line"] is None and repo["column"] is None
    assert json_report.render(mixed) == out
    reordered = _result(list(reversed(mixed.findings)), skipped_rules=("JS001",))
    assert json_report.render(reordered) == out


# --- text ------------------------------------------------------------------------------------


def test_text_groups_by_file_without_colour(mixed: ScanResult) -> None:
    out = text.render(mixed)
    assert not ANSI.search(out)
    lines = out.splitlines()
    assert lines[0] == ".github/dependabot.yml"
    assert "  note  REPO001 no-dependency-updates  no Dependabot | Renovate config  [AUTH-1]" in out
    assert "  12:5  warning  K8S001 container-without-resource-limits  container `api`" in out
    assert "CPU and no limit  [RES-1]" in out  # the newline does not break the line
    settings = lines.index("app/settings.py")
    assert lines[settings + 1].startswith("  2:5") and lines[settings + 2].startswith("  4:5")
    assert "worker" not in out
    assert lines[-1] == "4 problems (2 errors, 1 warning, 1 note) in 7 files scanned; 1 suppressed."
    assert "JS001" in out


def test_text_colour_only_when_asked(mixed: ScanResult) -> None:
    assert ANSI.search(text.render(mixed, color=True))


def test_text_neutralises_control_characters() -> None:
    out = text.render(_result([_finding("K8S001", "k8s/\x1b[31mevil.yaml", "bad\x1b]0;x\x07")]))
    assert "\x1b" not in out and "\x07" not in out


def test_text_when_clean() -> None:
    out = text.render(_result([_finding("K8S001", "a.yaml", "m", suppression="accepted")]))
    assert out == "No problems found in 7 files scanned (1 suppressed).\n"


# --- markdown --------------------------------------------------------------------------------


def test_markdown_groups_by_checklist_item(mixed: ScanResult) -> None:
    out = markdown.render(mixed)
    lines = out.splitlines()
    items = [i.id for i in checklist.items()]
    listed = [x.split("**")[1] for x in lines if x.startswith("- ") and "**" in x]
    assert listed == items  # every item once, in checklist order
    violated = [x.split("**")[1] for x in lines if x.startswith("- ") and "**violated**" in x]
    assert violated == sorted(["AUTH-1", "DATA-5", "SECRETS-2", "RES-1"], key=items.index)
    start = next(i for i, x in enumerate(lines) if "**DATA-5**" in x)
    data5 = "\n".join(lines[start + 1 : start + 3])
    assert data5.count("`SEC001`") == 2
    assert "k8s/worker.yaml" not in out
    assert "**needs review**" in next(x for x in lines if "**AUTH-2**" in x)


def test_markdown_escaping_keeps_code_spans_and_neutralises_markup() -> None:
    assert markdown.md_cell("container `a|b` has *no*\nlimit") == (
        "container `a\\|b` has \\*no\\* limit"
    )
    assert markdown.md_cell("`a|b`", table=False) == "`a|b`"
    assert markdown.md_cell("odd ` tick <i>") == "odd \\` tick \\<i\\>"
    assert markdown.md_code("dir/we`ird.yaml") == "dir/we\\`ird.yaml"
    assert markdown.md_cell("TWILIO_AUTH_TOKEN _x_") == "TWILIO_AUTH_TOKEN \\_x\\_"


# --- dispatch --------------------------------------------------------------------------------


def test_every_format_renders_through_the_registry(mixed: ScanResult) -> None:
    assert set(FORMATS) == {"text", "json", "sarif", "github", "markdown", "gitlab", "junit"}
    for fmt in FORMATS:
        out = render(fmt, mixed)
        assert out.endswith("\n")
        assert "sk_live" not in out
        assert not ANSI.search(out)
    with pytest.raises(UsageError):
        render("xml", mixed)


# --- pull requests: summary links, SARIF for several scans, provenance, size ------------------


def test_step_summary_links_each_finding_to_its_line_at_the_head_sha(
    mixed: ScanResult, tmp_path: Path
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"head": {"sha": "h" * 40}}}), encoding="utf-8")
    env = {
        "GITHUB_SERVER_URL": "https://github.example.com",
        "GITHUB_REPOSITORY": "acme/call-center",
        "GITHUB_SHA": "m" * 40,  # the merge commit: not what the links should show
        "GITHUB_EVENT_PATH": str(event),
    }
    target = tmp_path / "summary.md"
    github.write_step_summary(mixed, target, env=env)
    content = target.read_text(encoding="utf-8")
    base = "https://github.example.com/acme/call-center/blob/" + "h" * 40
    assert f"[`k8s/api deploy.yaml:12`]({base}/k8s/api%20deploy.yaml#L12)" in content
    assert f"({base}/app/settings.py#L2-L5)" in content  # a multi-line finding
    assert f"({base}/.github/dependabot.yml)" in content  # no line, no anchor
    push = dict(env, GITHUB_EVENT_PATH="")
    assert github.blob_base(push) == f"https://github.example.com/acme/call-center/blob/{'m' * 40}/"
    assert github.blob_base({}) is None


def test_sarif_category_keeps_scans_of_one_repository_apart(
    mixed: ScanResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "services" / "api").mkdir(parents=True)
    assert sarif.category_for(".") == "prodready"
    assert sarif.category_for(tmp_path) == "prodready"
    assert sarif.category_for("services/api") == "prodready/services/api"
    assert sarif.category_for("/elsewhere") == "prodready"
    ids = {
        json.loads(sarif.render(mixed, category=c))["runs"][0]["automationDetails"]["id"]
        for c in (None, "prodready", "prodready/services/api", "/custom//name/")
    }
    assert ids == {"prodready/", "prodready/services/api/", "custom/name/"}


def _git_repo(root: Path, remote: str | None) -> str:
    import subprocess

    git = ["git", "-C", str(root), "-c", "user.name=a", "-c", "user.email=a@b.c"]
    subprocess.run([*git, "init", "-q", "-b", "feature/x"], check=True)
    (root / "f.txt").write_text("x\n", encoding="utf-8")
    subprocess.run([*git, "add", "f.txt"], check=True)
    subprocess.run([*git, "commit", "-qm", "c", "--no-gpg-sign"], check=True)
    if remote:
        subprocess.run([*git, "remote", "add", "origin", remote], check=True)
    out = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def test_sarif_version_control_provenance_from_git(tmp_path: Path) -> None:
    sha = _git_repo(tmp_path, "https://x-access-token:s3cr3t@github.com/acme/call-center.git")
    result = ScanResult(str(tmp_path), (_finding("K8S001", "k8s/a.yaml", "m"),), RULES, 1, {})
    log = json.loads(sarif.render(result))
    _validate_sarif(log)
    _check_github_rules(log)
    assert log["runs"][0]["versionControlProvenance"] == [
        {
            "repositoryUri": "https://github.com/acme/call-center.git",
            "revisionId": sha,
            "branch": "feature/x",
            "mappedTo": {"uriBaseId": "%SRCROOT%"},
        }
    ]
    assert "s3cr3t" not in json.dumps(log)
    assert "versionControlProvenance" not in json.loads(sarif.render(_result([])))["runs"][0]


def test_repository_uri_forms(tmp_path: Path) -> None:
    assert sarif.repository_uri("git@github.com:acme/app.git", tmp_path) == (
        "ssh://git@github.com/acme/app.git"
    )
    assert sarif.repository_uri("https://u:p@ghe.local:8443/a/b", tmp_path) == (
        "https://ghe.local:8443/a/b"
    )
    assert sarif.repository_uri("", tmp_path) == tmp_path.resolve().as_uri()
    assert sarif.repository_uri("../up.git", tmp_path).startswith("file:///")


def test_sarif_stays_under_the_gzipped_size_limit_and_says_so() -> None:
    import gzip
    import random

    rng = random.Random(7)
    findings = [
        _finding("K8S001", f"k8s/m{i}.yaml", "".join(rng.choices("abcdefgh", k=300)), i + 1)
        for i in range(300)
    ]
    findings.append(_finding("SEC001", "app/s.py", "the secret", 1))
    result = _result(findings)
    full = sarif.render(result)
    limit = len(gzip.compress(full.encode())) // 3
    text = sarif.render(result, max_gzip_bytes=limit)
    assert len(gzip.compress(text.encode(), compresslevel=6)) <= limit
    log = json.loads(text)
    _validate_sarif(log)
    _check_github_rules(log)
    results = log["runs"][0]["results"]
    assert 0 < len(results) < 301
    assert results[0]["ruleId"] == "SEC001"  # the most severe survive
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    cut = [n for n in notes if "gzipped" in n["message"]["text"]]
    assert cut and cut[0]["message"]["text"].startswith(f"{301 - len(results)} results")


# --- GitLab Code Quality and JUnit ------------------------------------------------------------


def test_gitlab_code_quality_has_the_required_fields(mixed: ScanResult) -> None:
    """GitLab's documented required fields, types and severities (ci/testing/code_quality)."""
    issues = json.loads(render("gitlab", mixed))
    assert isinstance(issues, list) and len(issues) == 4  # suppressed finding left out
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str) and issue["check_name"]
        assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert isinstance(issue["location"]["path"], str)
        assert isinstance(issue["location"]["lines"]["begin"], int)
        assert issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    by_check = {(i["check_name"], i["location"]["path"]): i for i in issues}
    api = by_check[("K8S001 container-without-resource-limits", "k8s/api deploy.yaml")]
    assert api["severity"] == "major" and api["location"]["lines"] == {"begin": 12}
    assert "[RES-1]" in api["description"]
    secret = next(i for i in issues if i["location"]["lines"].get("end") == 5)
    assert secret["severity"] == "blocker"  # security-severity 9.1
    repo = by_check[("REPO001 no-dependency-updates", ".github/dependabot.yml")]
    assert repo["severity"] == "info" and repo["location"]["lines"] == {"begin": 1}
    assert "sk_live" not in render("gitlab", mixed)


def test_junit_one_testcase_per_rule_failing_with_its_findings(mixed: ScanResult) -> None:
    import xml.etree.ElementTree as ET

    out = render("junit", mixed)
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(out.encode("utf-8"))
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {
        "K8S001 container-without-resource-limits",
        "SEC001 hardcoded-secret",
        "REPO001 no-dependency-updates",
    }
    assert suite.get("tests") == "3" and suite.get("failures") == "3"
    k8s = cases["K8S001 container-without-resource-limits"]
    failure = k8s.find("failure")
    assert failure is not None and failure.get("type") == "warning"
    assert "k8s/api deploy.yaml:12" in (failure.text or "")
    assert "k8s/worker.yaml" not in (failure.text or "")  # suppressed: not a failure...
    assert "limits set by the LimitRange" in (k8s.findtext("system-out") or "")  # ...but shown
    assert cases["SEC001 hardcoded-secret"].find("failure").get("type") == "error"  # type: ignore[union-attr]
    clean = ET.fromstring(render("junit", _result([])).encode("utf-8")).find("testsuite")
    assert clean is not None and clean.get("failures") == "0" and clean.get("tests") == "3"
    assert all(c.find("failure") is None for c in clean.findall("testcase"))


def test_junit_keeps_markup_characters_of_a_finding() -> None:
    """A message or path with XML's own characters reads back exactly as it was found."""
    import xml.etree.ElementTree as ET

    message = """query built with "<select>" & 'quotes' ]]> stays readable"""
    odd = Finding("K8S001", "k8s/a&b <c>.yaml", message, 3, severity=Severity.WARNING)
    case = ET.fromstring(render("junit", _result([odd])).encode("utf-8")).find(
        "testsuite/testcase[@name='K8S001 container-without-resource-limits']"
    )
    assert case is not None and case.get("file") == "k8s/a&b <c>.yaml"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == f"1 finding(s): k8s/a&b <c>.yaml: {message}"
    assert f"warning k8s/a&b <c>.yaml:3 {message} [RES-1]" in (failure.text or "").splitlines()


def test_junit_survives_control_characters() -> None:
    import xml.etree.ElementTree as ET

    message = "bell \x07, \x00 nul, \uffff and \ud800"  # what decoding leniently can yield
    nasty = Finding("K8S001", "k8s/a\x1b[31m.yaml", message, 3, severity=Severity.WARNING)
    root = ET.fromstring(render("junit", _result([nasty])).encode("utf-8"))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    # the finding is still there, its unprintable characters shown as escapes or U+FFFD
    shown = "warning k8s/a\\x1b[31m.yaml:3 bell \\x07, \\x00 nul, \ufffd and \ufffd [RES-1]"
    assert shown in (failure.text or "").splitlines()
