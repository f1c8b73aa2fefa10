"""Workflow rules through the real scan: the `on:` True key, pinning policy, test and scan steps."""

from __future__ import annotations

from pathlib import Path

from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, write_tree

SHA = "263435318d21b8e681c14492fe198d362a7d2c83"


def _found(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, str, int | None]]:
    write_tree(tmp_path, files)
    return [
        (f.code, f.path, f.line) for f in scan(tmp_path, AUDIT).findings if f.code.startswith("WF")
    ]


def _wf(on: str, steps: str) -> str:
    return f"on: {on}\npermissions: {{contents: read}}\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"


def test_on_key_read_as_true_still_gives_triggers(tmp_path: Path) -> None:
    # `on:` unquoted is the YAML 1.1 boolean True; "on": quoted is the string.
    for i, on in enumerate(["[pull_request]", "\n  pull_request:\n    branches: [main]"]):
        root = tmp_path / str(i)
        found = _found(
            root,
            {
                ".github/workflows/ci.yml": _wf(on, "      - run: pytest -q\n"),
                "tests/test_a.py": "def test_a():\n    assert True\n",
            },
        )
        assert not [f for f in found if f[0] == "WF001"], on
    quoted = '"on": [pull_request]\npermissions: {contents: read}\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: pytest\n'
    assert not [
        f for f in _found(tmp_path / "q", {".github/workflows/ci.yml": quoted}) if f[0] == "WF001"
    ]


def test_tests_on_push_only_point_at_the_trigger(tmp_path: Path) -> None:
    found = _found(tmp_path, {".github/workflows/ci.yml": _wf("push", "      - run: make test\n")})
    assert ("WF001", ".github/workflows/ci.yml", 1) in found


def test_no_workflows_no_workflow_findings(tmp_path: Path) -> None:
    assert _found(tmp_path, {"tests/test_a.py": "def test_a():\n    pass\n"}) == []


def test_pinning_policy(tmp_path: Path) -> None:
    steps = (
        "      - uses: actions/checkout@v4\n"  # 7 first party, tag: fine
        "      - uses: github/codeql-action/init@v3\n"  # 8 first party: fine
        f"      - uses: docker/login-action@{SHA}\n"  # 9 SHA: fine
        "      - uses: docker/login-action@v3\n"  # 10 third party tag
        "      - uses: ./.github/actions/local\n"  # 11 local: fine
        "      - uses: someone/action@main\n"  # 12 branch
        f"      - uses: docker/login-action@{SHA[:12]}\n"  # 13 short sha
    )
    found = [
        f
        for f in _found(tmp_path, {".github/workflows/ci.yml": _wf("[pull_request]", steps)})
        if f[0] == "WF003"
    ]
    assert sorted(line for _, _, line in found) == [10, 12, 13]


def test_security_scan_detected_through_reusable_workflow(tmp_path: Path) -> None:
    found = _found(
        tmp_path,
        {
            ".github/workflows/ci.yml": "on: [pull_request]\npermissions: {contents: read}\njobs:\n  sec:\n    uses: ./.github/workflows/audit.yml\n",
            ".github/workflows/audit.yml": _wf("workflow_call", "      - run: pip-audit\n"),
        },
    )
    assert not [f for f in found if f[0] == "WF002"]


def test_permissions_absent_reported_once_per_file(tmp_path: Path) -> None:
    text = "on: [push]\njobs:\n  a:\n    runs-on: x\n    steps: [{run: echo}]\n  b:\n    runs-on: x\n    steps: [{run: echo}]\n"
    found = [f for f in _found(tmp_path, {".github/workflows/ci.yml": text}) if f[0] == "WF004"]
    assert found == [("WF004", ".github/workflows/ci.yml", 3)]
