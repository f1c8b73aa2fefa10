"""The command-line contract: exit codes, one-line errors, config, rules and explain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.core import catalog
from tests.conftest import run_cli, write_tree

BROKEN_YAML = "apiVersion: v1\nkind: Service\nmetadata: {name: api\n"


def _one_line_error(proc) -> None:  # type: ignore[no-untyped-def]
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("prodready: error:"), proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "--bogus"],
        ["scan", "--format", "xml", "."],
        ["scan", "--fail-on", "sometimes", "."],
        ["scan", "--jobs", "0", "."],
        ["scan", "--select", "NOPE999", "."],
        ["scan", "does-not-exist"],
        ["scan", "--config", "missing.toml", "."],
        ["scan", "--baseline", "missing.json", "."],
        ["scan", "--output", "r.sarif", "--sarif", "r.sarif", "."],
        ["explain", "XYZ999"],
        ["frobnicate"],
        [],
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    _one_line_error(run_cli(*args, cwd=tmp_path))


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ("[tool.prodready]\nignroe = ['K8S001']\n", "unknown key"),
        ("[tool.prodready]\nfail-on = 'sometimes'\n", "fail-on"),
        ("[tool.prodready]\nignore = 'K8S001\n", "invalid TOML"),
        ("[tool.prodready]\nexclude = [1, 2]\n", "exclude"),
        ("[tool.prodready]\nper-path-ignores = ['x']\n", "per-path-ignores"),
    ],
)
def test_invalid_config_is_a_usage_error(config: str, fragment: str, tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": config})
    proc = run_cli("scan", tmp_path)
    _one_line_error(proc)
    assert fragment in proc.stderr


def test_exit_codes_follow_fail_on(tmp_path: Path) -> None:
    write_tree(tmp_path, {"k8s/svc.yaml": BROKEN_YAML})  # one note finding (PR001)
    assert run_cli("scan", tmp_path).returncode == 0  # default fail-on: warning
    assert run_cli("scan", tmp_path, "--fail-on", "note").returncode == 1
    assert run_cli("scan", tmp_path, "--fail-on", "never").returncode == 0
    write_tree(tmp_path, {"pyproject.toml": "[tool.prodready]\nfail-on = 'note'\n"})
    assert run_cli("scan", tmp_path).returncode == 1
    assert run_cli("scan", tmp_path, "--fail-on", "error").returncode == 0


def test_clean_repository_exits_0_with_a_summary(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "hello\n"})
    proc = run_cli("scan", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()


def test_output_file_and_sarif_side_report(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {"k8s/svc.yaml": BROKEN_YAML})
    out, sarif = tmp_path / "r.json", tmp_path / "r.sarif"
    proc = run_cli("scan", repo, "--format", "json", "--output", out, "--sarif", sarif)
    assert proc.returncode == 0 and proc.stdout == ""
    doc = json.loads(out.read_text())
    assert [f["code"] for f in doc["findings"]] == ["PR001"]
    assert json.loads(sarif.read_text())["version"] == "2.1.0"


def test_select_and_ignore_accept_codes_names_checklist_ids_and_prefixes(tmp_path: Path) -> None:
    write_tree(tmp_path, {"k8s/svc.yaml": BROKEN_YAML})
    for args in (["--ignore", "PR001"], ["--ignore", "file-not-scanned"], ["--ignore", "PR"]):
        doc = json.loads(run_cli("scan", tmp_path, "--format", "json", *args).stdout)
        assert doc["findings"] == [], args
    doc = json.loads(run_cli("scan", tmp_path, "--format", "json", "--select", "PRE-1").stdout)
    assert [f["code"] for f in doc["findings"]] == ["PR001"]


def test_rules_lists_the_catalog(tmp_path: Path) -> None:
    proc = run_cli("rules", "--format", "json")
    assert proc.returncode == 0
    listed = json.loads(proc.stdout)
    assert [r["code"] for r in listed] == list(catalog.load())
    assert all(r["checklist"] and r["why"] and r["fix"] for r in listed)
    text = run_cli("rules").stdout
    assert f"{len(listed)} rules" in text


def test_explain_prints_why_fix_checklist_and_examples() -> None:
    for rule in catalog.load().values():
        proc = run_cli("explain", rule.code)
        assert proc.returncode == 0
        assert rule.why[:40] in proc.stdout.replace("\n", " ")
        assert all(cid in proc.stdout for cid in rule.checklist)
        assert "Bad (" in proc.stdout and "Good (" in proc.stdout
        break
    assert run_cli("explain", "file-not-scanned").returncode == 0


def test_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("prodready ")
