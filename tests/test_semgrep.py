"""FE002 and FE003 through semgrep, and what happens when semgrep is not there.

Tests that need semgrep skip when it is not installed (it is the optional
`semgrep` extra); the no-semgrep path is tested with `PRODREADY_SEMGREP=off`,
which makes the engine behave exactly as if semgrep were absent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.engines import semgrep_engine
from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, REPO, run_cli, write_tree

# semgrep starts in about 2 s: these count as tests of an external tool (marker `slow`)
needs_semgrep = pytest.mark.skipif(
    not semgrep_engine.available(), reason="semgrep (the optional extra) is not installed"
)

SINKS = """\
import DOMPurify from "dompurify";
export function Note({ html, name }: { html: string; name: string }) {
  const el = document.getElementById("x")!;
  el.innerHTML = html;
  el.innerHTML = "<b>constant</b>";
  el.outerHTML = `<b>${name}</b>`;
  el.innerHTML = DOMPurify.sanitize(html);
  document.write(name);
  el.insertAdjacentHTML("beforeend", html);
  el.textContent = html;
  return (
    <>
      <div className="n" dangerouslySetInnerHTML={{ __html: html }} />
      <div dangerouslySetInnerHTML={{ __html: "<br/>" }} />
      <div dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(html) }} />
    </>
  );
}
"""

EVALS = """\
export function run(expr, body) {
  eval(expr);
  eval("1 + 1");
  const f = new Function("a", body);
  const g = new Function("a", "return a");
  const root = Function("return this")();
  return window.eval(expr);
}
"""


def _found(root: Path, code: str) -> list[tuple[str, int | None]]:
    return sorted((f.path, f.line) for f in scan(root, AUDIT).findings if f.code == code)


@pytest.mark.slow
@needs_semgrep
def test_html_sinks_and_eval_in_one_scan(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "frontend/src/Note.tsx": SINKS,
            "frontend/src/run.js": EVALS,
            "frontend/src/legacy.cjs": "module.exports = (s) => eval(s);\n",
            "frontend/src/clean.ts": "export const two = 1 + 1;\n",
            "frontend/src/formula.js": "// prodready: ignore[FE003] formulas come from our config\n"
            "eval(formula);\n",
        },
    )
    result = scan(tmp_path, AUDIT)
    found = sorted(
        (f.code, f.path, f.line) for f in result.findings if f.code in ("FE002", "FE003")
    )
    assert found == [
        ("FE002", "frontend/src/Note.tsx", 4),
        ("FE002", "frontend/src/Note.tsx", 6),
        ("FE002", "frontend/src/Note.tsx", 8),
        ("FE002", "frontend/src/Note.tsx", 9),
        ("FE002", "frontend/src/Note.tsx", 13),
        ("FE003", "frontend/src/formula.js", 2),
        ("FE003", "frontend/src/legacy.cjs", 1),
        ("FE003", "frontend/src/run.js", 2),
        ("FE003", "frontend/src/run.js", 4),
        ("FE003", "frontend/src/run.js", 7),
    ]
    assert len({f.fingerprint for f in result.findings}) == len(result.findings)
    suppressed = {f.path: f.suppression for f in result.findings if f.suppression}
    assert suppressed == {"frontend/src/formula.js": "formulas come from our config"}


@needs_semgrep
def test_tests_bundles_and_vendored_code_are_not_scanned(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "web/src/__tests__/a.test.tsx": "eval(x);\n",
            "web/tests/helpers.js": "eval(x);\n",
            "web/dist/assets/index-3f2a.js": "eval(x);\n",
            "web/public/vendor/jquery.min.js": "eval(x);\n",
            "web/src/widget.stories.tsx": "eval(x);\n",
            "web/node_modules/x/index.js": "eval(x);\n",
        },
    )
    assert _found(tmp_path, "FE003") == []


@pytest.mark.slow
@needs_semgrep
def test_hook_mode_reports_on_the_named_files_only(tmp_path: Path) -> None:
    write_tree(tmp_path, {"src/a.js": "eval(formula);\n", "src/b.js": "eval(other);\n"})
    hook = scan(tmp_path, paths=[tmp_path / "src" / "b.js"])
    assert [(f.code, f.path) for f in hook.findings] == [("FE003", "src/b.js")]


def test_rule_files_name_catalog_codes() -> None:
    from analyzer.core import catalog

    codes = semgrep_engine.codes()
    assert codes == {"FE002", "FE003"}
    assert codes <= set(catalog.load())


def test_without_semgrep_its_rules_are_skipped_not_passed(tmp_path: Path) -> None:
    """`PRODREADY_SEMGREP=off` behaves as an absent semgrep: no findings, rules listed skipped."""
    write_tree(tmp_path, {"src/run.js": "eval(expr);\n"})
    off = {"PRODREADY_SEMGREP": "off"}
    proc = run_cli("scan", tmp_path, "--format", "json", env=off)
    assert proc.returncode == 0, proc.stderr
    assert [f["code"] for f in json.loads(proc.stdout)["findings"]] == []
    code = (
        "import json; from analyzer.engines import semgrep_engine as e; "
        "print(json.dumps([e.available(), e.skipped_rules({'FE001', 'FE002', 'FE003'}), "
        "e.skipped_rules({'FE001'})]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "", "PYTHONPATH": str(REPO), **off},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(out) == [False, ["FE002", "FE003"], []]


def test_reports_list_semgrep_rules_as_skipped(tmp_path: Path) -> None:
    write_tree(tmp_path, {"src/run.js": "eval(expr);\n"})
    proc = run_cli("scan", tmp_path, "--format", "json", env={"PRODREADY_SEMGREP": "off"})
    assert json.loads(proc.stdout)["skipped_rules"] == ["FE002", "FE003"]
    text = run_cli("scan", tmp_path, env={"PRODREADY_SEMGREP": "off"}).stdout
    assert "Rules skipped" in text and "FE002" in text


@pytest.mark.slow
@needs_semgrep
def test_semgrep_runs_again_only_when_a_file_it_reads_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Its start-up is most of a warm re-scan: unchanged frontend files reuse its hits."""
    real = semgrep_engine.executable()
    assert real is not None
    log = tmp_path / "semgrep-runs.log"
    wrapper = tmp_path / "semgrep-counting"
    wrapper.write_text(f'#!/bin/sh\necho run >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PRODREADY_SEMGREP", str(wrapper))
    semgrep_engine.executable.cache_clear()  # it is looked up once per process
    request.addfinalizer(semgrep_engine.executable.cache_clear)
    monkeypatch.setenv("PRODREADY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PRODREADY_NO_CACHE", raising=False)
    root = write_tree(tmp_path / "repo", {"web/src/Note.tsx": SINKS, "web/src/run.js": EVALS})

    def runs_and_findings() -> tuple[int, list[tuple[str, str, int | None]]]:
        found = sorted(
            (f.code, f.path, f.line)
            for f in scan(root, AUDIT).findings
            if f.code in ("FE002", "FE003")
        )
        return len(log.read_text().splitlines()) if log.exists() else 0, found

    first_runs, first = runs_and_findings()
    again_runs, again = runs_and_findings()
    assert first_runs == 1 and first
    assert (again_runs, again) == (1, first)
    (root / "web/src/run.js").write_text(EVALS + "export const again = (s) => eval(s);\n")
    changed_runs, changed = runs_and_findings()
    assert changed_runs == 2
    assert (
        len([f for f in changed if f[1] == "web/src/run.js"])
        == len([f for f in first if f[1] == "web/src/run.js"]) + 1
    )
