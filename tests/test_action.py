"""The GitHub Action (action.yml): its shape, and its shell steps run as a runner would.

The structure tests guard what review tools (zizmor, actionlint) and GitHub
itself would reject or exploit: inputs interpolated into scripts, unpinned
actions, a missing shell. The execution tests run the action's own `run:`
steps with bash, in order, with the variables a GitHub runner provides, on a
copy of the bundled example repositories: the install step for real (once per
session, into RUNNER_TEMP), then the scan and the result steps. `uses:` steps
(the SARIF upload) need GitHub and are skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
ACTION = REPO / "action.yml"
WORKFLOW = REPO / "examples" / "workflows" / "prodready.yml"
SHA_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# A fabricated credential of examples/call-center: no report may ever show it.
TWILIO_TOKEN = "201bd783fda903fcef259a1adb26881c"


def _action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _steps() -> list[dict[str, Any]]:
    steps = _action()["runs"]["steps"]
    assert isinstance(steps, list)
    return steps


# --- structure -------------------------------------------------------------------------------


def test_action_is_composite_with_branding() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    assert action["name"] and action["description"]
    assert set(action["branding"]) == {"icon", "color"}


def test_inputs_have_descriptions_and_documented_defaults() -> None:
    inputs = _action()["inputs"]
    defaults = {k: v.get("default") for k, v in inputs.items()}
    assert defaults == {
        "path": ".",
        "fail-on": "warning",
        "sarif-file": "prodready.sarif",
        "upload-sarif": "true",
        "args": "",
        "diff-base": "auto",
        "comment": "false",
        "token": "${{ github.token }}",
        "strict": "false",
        "config": "",
    }
    for name, spec in inputs.items():
        assert spec.get("description", "").strip(), f"input {name} has no description"


def test_outputs_come_from_the_scan_step() -> None:
    outputs = _action()["outputs"]
    assert set(outputs) >= {"sarif-file", "findings", "exit-code"}
    step_ids = {s.get("id") for s in _steps()}
    for name, spec in outputs.items():
        assert spec.get("description", "").strip(), f"output {name} has no description"
        refs = re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", spec["value"])
        assert refs and all(step in step_ids for step, _ in refs), spec["value"]


def test_every_run_step_uses_bash_and_no_expression_reaches_a_script() -> None:
    """`${{ }}` inside `run:` is pasted into the script before bash parses it (injection)."""
    run_steps = [s for s in _steps() if "run" in s]
    assert len(run_steps) >= 3
    for step in run_steps:
        assert step.get("shell") == "bash", step.get("name")
        assert "${{" not in step["run"], f"expression inside run: of {step.get('name')}"


def test_actions_are_pinned_by_commit_sha_and_sarif_upload_always_runs() -> None:
    uses = [s for s in _steps() if "uses" in s]
    for step in uses:
        assert SHA_PINNED.match(step["uses"]), step["uses"]
    upload = [s for s in uses if s["uses"].startswith("github/codeql-action/upload-sarif@")]
    assert len(upload) == 1
    condition = upload[0]["if"]
    assert "always()" in condition and "inputs.upload-sarif == 'true'" in condition
    assert upload[0]["with"]["category"] == "${{ steps.scan.outputs.category }}"
    source = ACTION.read_text(encoding="utf-8")
    assert re.search(r"#\s*github/codeql-action v\d+\.\d+\.\d+", source), "cite the tag"


def test_example_workflow_has_least_privilege_and_pinned_checkout() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1: on == True
    assert {"pull_request", "push"} <= set(triggers)
    assert workflow["permissions"] == {"contents": "read"}
    job = next(iter(workflow["jobs"].values()))
    assert job["permissions"] == {
        "contents": "read",
        "security-events": "write",
        "pull-requests": "write",  # comment: "true"
    }
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert SHA_PINNED.match(checkout["uses"])
    for step in job["steps"]:
        assert "${{" not in step.get("run", "")


# --- execution -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepRun:
    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


@dataclass(frozen=True)
class ActionRun:
    steps: tuple[StepRun, ...]
    outputs: dict[str, str]  # the action's own outputs
    summary: str
    workspace: Path

    @property
    def returncode(self) -> int:
        """The job's view: the first failing step fails the action."""
        return next((s.returncode for s in self.steps if s.returncode), 0)

    @property
    def stdout(self) -> str:
        return "".join(s.stdout for s in self.steps)


def _read_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT: `name=value` lines and `name<<DELIM` ... `DELIM` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines()) if path.exists() else iter(())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for body in lines:
                if body == delimiter:
                    break
                block.append(body)
            outputs[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


def _lookup(
    expr: str,
    inputs: Mapping[str, str],
    steps: Mapping[str, dict[str, str]],
    github: Mapping[str, str],
) -> str:
    if m := re.fullmatch(r"inputs\.([\w-]+)", expr):
        return inputs[m.group(1)]
    if m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr):
        return steps.get(m.group(1), {}).get(m.group(2), "")
    if m := re.fullmatch(r"github\.([\w.-]+)", expr):
        return github.get(m.group(1), "")
    raise AssertionError(f"unexpected expression in action.yml: {expr}")


def _substitute(
    text: str,
    inputs: Mapping[str, str],
    steps: Mapping[str, dict[str, str]],
    github: Mapping[str, str] | None = None,
) -> str:
    """Evaluate the only expressions the action may use in `env:` and `outputs:`."""
    return EXPRESSION.sub(lambda m: _lookup(m.group(1), inputs, steps, github or {}), text)


def _condition(
    text: str,
    inputs: Mapping[str, str],
    steps: Mapping[str, dict[str, str]],
    github: Mapping[str, str],
    failed: bool,
) -> bool:
    """An `if:` as the runner reads it, for the operators action.yml uses."""
    if not text.strip():
        return not failed
    expr = EXPRESSION.sub(lambda m: m.group(1), text).replace("\n", " ")
    if "always()" not in expr and failed:
        return False
    names = r"(?:inputs|steps|github)\.[\w.-]+"
    expr = re.sub(names, lambda m: repr(_lookup(m.group(0), inputs, steps, github)), expr)
    expr = expr.replace("always()", "True").replace("&&", " and ").replace("||", " or ")
    expr = re.sub(r"!(?!=)", " not ", expr)
    return bool(eval(expr, {"__builtins__": {}}))


def _github_context(env: Mapping[str, str]) -> dict[str, str]:
    """The few `github.*` values action.yml reads, from the variables the runner sets."""
    context = {
        "event_name": env.get("GITHUB_EVENT_NAME", "push"),
        "repository": env.get("GITHUB_REPOSITORY", "acme/call-center"),
        "token": env.get("TEST_GITHUB_TOKEN", "ghs_defaultTestToken"),
    }
    if env.get("GITHUB_EVENT_PATH"):
        payload = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
        head_repo = (((payload.get("pull_request") or {}).get("head") or {}).get("repo")) or {}
        context["event.pull_request.head.repo.full_name"] = head_repo.get("full_name", "")
    return context


def _runner_env(workspace: Path, runner_temp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env.pop("VIRTUAL_ENV", None)
    summary = runner_temp / "step_summary.md"
    summary.touch()
    env.update(
        CI="true",
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_ACTION_PATH=str(REPO),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_ENV=str(runner_temp / "github_env"),
        GITHUB_PATH=str(runner_temp / "github_path"),
        RUNNER_TEMP=str(runner_temp),
        # The runner's python3: this interpreter stands in for actions/setup-python.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


def run_action(
    workspace: Path,
    runner_temp: Path,
    only: str | None = None,
    env: Mapping[str, str] | None = None,
    **inputs: str,
) -> ActionRun:
    """Run the `run:` steps of action.yml like a runner: bash, in order, `if:` honoured.

    `env` adds runner variables (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, ...);
    the `github` context of expressions is read from them as the runner fills both.
    """
    action = _action()
    base_env = dict(_runner_env(workspace, runner_temp), **(env or {}))
    github = _github_context(base_env)
    values = {
        name: _substitute(str(spec.get("default", "")), {}, {}, github)
        for name, spec in action["inputs"].items()
    }
    values.update({name.replace("_", "-"): value for name, value in inputs.items()})
    step_outputs: dict[str, dict[str, str]] = {}
    runs: list[StepRun] = []
    for index, step in enumerate(action["runs"]["steps"]):
        if "uses" in step or (only is not None and step.get("id") != only):
            continue
        failed = any(r.returncode for r in runs)
        if not _condition(str(step.get("if", "")), values, step_outputs, github, failed):
            continue
        output_file = runner_temp / f"output-{index}"
        output_file.write_text("", encoding="utf-8")
        env = dict(base_env, GITHUB_OUTPUT=str(output_file))
        for key, raw in (step.get("env") or {}).items():
            env[key] = _substitute(str(raw), values, step_outputs)
        script = runner_temp / f"step-{index}.sh"
        script.write_text(step["run"], encoding="utf-8")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        outputs = _read_outputs(output_file)
        if "id" in step:
            step_outputs[step["id"]] = outputs
        runs.append(
            StepRun(step.get("name", ""), proc.returncode, proc.stdout, proc.stderr, outputs)
        )
    action_outputs = {
        name: _substitute(spec["value"], values, step_outputs)
        for name, spec in action["outputs"].items()
    }
    summary = Path(base_env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    return ActionRun(tuple(runs), action_outputs, summary, workspace)


@pytest.fixture(scope="session")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RUNNER_TEMP with prodready installed by the action's own install step, once."""
    temp = tmp_path_factory.mktemp("runner-temp")
    workspace = tmp_path_factory.mktemp("install-workspace")
    install = run_action(workspace, temp, only="install")
    assert install.returncode == 0, install.steps[0].stderr[-3000:]
    assert (Path(install.steps[0].outputs["bin"]) / "prodready").exists()
    return temp


def _git_workspace(root: Path, example: str) -> Path:
    """A repository holding one bundled example, committed, as actions/checkout leaves it."""
    workspace = root / "workspace"
    shutil.copytree(REPO / "examples" / example, workspace)
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com"]
    git += ["-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=workspace, check=True)
    subprocess.run([*git, "add", "-A"], cwd=workspace, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "checkout"], cwd=workspace, check=True)
    return workspace


def _fresh_temp(runner_temp: Path, tmp_path: Path) -> Path:
    """A per-test RUNNER_TEMP that shares the session's installed venv."""
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    (temp / "prodready-venv").symlink_to(runner_temp / "prodready-venv")
    return temp


def _annotations(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith(("::error ", "::warning "))]


@pytest.mark.slow
def test_action_on_the_problem_repository_annotates_uploads_and_fails(
    runner_temp: Path, tmp_path: Path
) -> None:
    workspace = _git_workspace(tmp_path, "call-center")
    run = run_action(workspace, _fresh_temp(runner_temp, tmp_path))
    scan = next(s for s in run.steps if s.name == "Scan")
    assert scan.returncode == 0, scan.stderr  # the scan step lets the upload run
    assert run.outputs["exit-code"] == "1", scan.stderr
    assert run.returncode == 1
    assert run.outputs["sarif-file"] == "prodready.sarif"
    sarif = json.loads((workspace / "prodready.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    unsuppressed = [r for r in results if not r.get("suppressions")]
    assert unsuppressed and run.outputs["findings"] == str(len(unsuppressed))
    annotations = _annotations(scan.stdout)
    assert annotations, scan.stdout[:2000]
    assert any("file=Dockerfile," in a for a in annotations), annotations[:5]
    assert run.summary.strip()
    for text in (scan.stdout, scan.stderr, run.summary, json.dumps(sarif)):
        assert TWILIO_TOKEN not in text


@pytest.mark.slow
def test_action_on_the_fixed_repository_passes_with_no_findings(
    runner_temp: Path, tmp_path: Path
) -> None:
    workspace = _git_workspace(tmp_path, "call-center-fixed")
    run = run_action(workspace, _fresh_temp(runner_temp, tmp_path))
    scan = next(s for s in run.steps if s.name == "Scan")
    assert run.outputs["exit-code"] == "0", scan.stdout[-3000:] + scan.stderr[-3000:]
    assert run.returncode == 0
    assert run.outputs["findings"] == "0"
    sarif = json.loads((workspace / "prodready.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"] == []
    assert _annotations(scan.stdout) == []


@pytest.mark.slow
def test_fail_on_never_reports_without_failing_and_args_reach_the_cli(
    runner_temp: Path, tmp_path: Path
) -> None:
    workspace = _git_workspace(tmp_path, "call-center")
    run = run_action(
        workspace,
        _fresh_temp(runner_temp, tmp_path),
        fail_on="never",
        sarif_file="reports/out.sarif",
        args="--select DF --no-cache",
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert run.outputs["exit-code"] == "0"
    assert run.outputs["sarif-file"] == "reports/out.sarif"
    sarif = json.loads((workspace / "reports" / "out.sarif").read_text(encoding="utf-8"))
    rule_ids = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert any(rule.startswith("DF") for rule in rule_ids), rule_ids
    assert not any(rule.startswith(("CMP", "K8S")) for rule in rule_ids), rule_ids


@pytest.mark.slow
def test_inputs_are_data_not_code_and_errors_fail_with_exit_2(
    runner_temp: Path, tmp_path: Path
) -> None:
    workspace = _git_workspace(tmp_path, "call-center")
    run = run_action(
        workspace,
        _fresh_temp(runner_temp, tmp_path),
        path="$(touch injected-path)",
        args="; touch injected-args",
    )
    assert not list(workspace.glob("injected-*"))
    assert not list(Path.cwd().glob("injected-*"))
    assert run.outputs["exit-code"] == "2"
    assert run.outputs["sarif-file"] == ""
    assert run.returncode == 2
    assert "::error title=prodready::" in run.stdout


# --- pull requests ---------------------------------------------------------------------------

PR_FILES = ("Dockerfile", "docker-compose.yml", "k8s/api.yaml")
GIT = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", "-c", "commit.gpgsign=false"]


# Findings in files the pull request did not touch, caused by what it changed:
# Dockerfile.worker's missing HEALTHCHECK was covered by the compose healthcheck the
# change removed, and the recordings service needs RECORDINGS_BUCKET, which the changed
# compose file and manifest no longer provide (X001).
CAUSED_ELSEWHERE = ("Dockerfile.worker", "app/services/recordings.py")
# Both come from audit rules (DF003, X001): the pull-request tests ask for every rule.
AUDIT_ARGS = "--profile audit"


def _pull_request_repo(root: Path) -> tuple[Path, str, str]:
    """call-center whose last commit turns three fixed files into their broken versions."""
    repo = root / "origin"
    shutil.copytree(REPO / "examples" / "call-center", repo)
    for name in PR_FILES:
        shutil.copy(REPO / "examples" / "call-center-fixed" / name, repo / name)

    def git(*args: str) -> str:
        done = subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True)
        return done.stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "base")
    base = git("rev-parse", "HEAD")
    for name in PR_FILES:
        shutil.copy(REPO / "examples" / "call-center" / name, repo / name)
    git("commit", "-qam", "the pull request")
    return repo, base, git("rev-parse", "HEAD")


def _pr_env(tmp_path: Path, base: str, head: str, **extra: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    payload = {
        "pull_request": {
            "number": 7,
            "base": {"sha": base},
            "head": {"sha": head, "repo": {"full_name": "acme/call-center"}},
        }
    }
    event.write_text(json.dumps(payload), encoding="utf-8")
    return {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/call-center",
        "GITHUB_SHA": "f" * 40,  # the merge commit the runner checks out
        **extra,
    }


def _places(workspace: Path, sarif_file: str = "prodready.sarif") -> set[str]:
    log = json.loads((workspace / sarif_file).read_text(encoding="utf-8"))
    return {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }


@pytest.mark.slow
def test_pull_request_reports_what_the_three_changed_files_introduced(
    runner_temp: Path, tmp_path: Path
) -> None:
    workspace, base, head = _pull_request_repo(tmp_path)
    run = run_action(
        workspace,
        _fresh_temp(runner_temp, tmp_path),
        env=_pr_env(tmp_path, base, head),
        args=AUDIT_ARGS,
    )
    scan = next(s for s in run.steps if s.name == "Scan")
    assert run.outputs["diff-base"] == base, scan.stdout[-2000:] + scan.stderr[-2000:]
    assert run.outputs["exit-code"] == "1" and run.returncode == 1
    # Dockerfile.worker did not change, but its missing HEALTHCHECK was covered by the
    # compose healthcheck the pull request removed: a cross-file finding the change caused.
    assert _places(workspace) == {*PR_FILES, *CAUSED_ELSEWHERE}
    annotations = _annotations(scan.stdout)
    assert annotations
    assert all(
        re.search(r"file=([^,]+),", a).group(1) in {*PR_FILES, *CAUSED_ELSEWHERE}  # type: ignore[union-attr]
        for a in annotations
    )
    levels = [a.split(" ", 1)[0] for a in annotations]
    assert levels == sorted(levels, key=["::error", "::warning"].index)  # worst first
    assert levels.count("::error") <= 10 and levels.count("::warning") <= 10
    findings = int(run.outputs["findings"])
    rows = [
        line
        for line in run.summary.splitlines()
        if line.startswith(("| error", "| warning", "| note"))
    ]
    assert len(rows) == findings  # the summary lists every finding, annotated or not
    link = f"https://github.com/acme/call-center/blob/{head}/k8s/api.yaml#L"
    assert link in run.summary
    sarif = json.loads((workspace / "prodready.sarif").read_text(encoding="utf-8"))
    sarif_run = sarif["runs"][0]
    assert sarif_run["automationDetails"]["id"] == "prodready/"
    assert sarif_run["versionControlProvenance"][0]["revisionId"] == head
    assert TWILIO_TOKEN not in run.summary + scan.stdout


@pytest.mark.slow
def test_push_scans_everything(runner_temp: Path, tmp_path: Path) -> None:
    workspace, base, head = _pull_request_repo(tmp_path)
    env = _pr_env(tmp_path, base, head, GITHUB_EVENT_NAME="push")
    run = run_action(workspace, _fresh_temp(runner_temp, tmp_path), env=env)
    assert run.outputs["diff-base"] == ""
    assert len(_places(workspace)) > 3


@pytest.mark.slow
def test_shallow_checkout_fetches_the_base_commit(runner_temp: Path, tmp_path: Path) -> None:
    origin, base, head = _pull_request_repo(tmp_path)
    subprocess.run(
        [*GIT, "config", "uploadpack.allowAnySHA1InWant", "true"], cwd=origin, check=True
    )
    workspace = tmp_path / "checkout"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", origin.as_uri(), str(workspace)],
        check=True,
        capture_output=True,
    )
    run = run_action(
        workspace,
        _fresh_temp(runner_temp, tmp_path),
        env=_pr_env(tmp_path, base, head),
        args=AUDIT_ARGS,
    )
    assert run.outputs["diff-base"] == base, run.stdout[-2000:]
    assert _places(workspace) == {*PR_FILES, *CAUSED_ELSEWHERE}
    # an unreachable base: a warning, and everything is scanned rather than nothing
    (tmp_path / "again").mkdir()
    missing = run_action(
        workspace,
        _fresh_temp(runner_temp, tmp_path / "again"),
        env=_pr_env(tmp_path, "0" * 40, head),
    )
    assert missing.outputs["diff-base"] == ""
    assert "::warning title=prodready::base commit" in missing.stdout
    assert len(_places(workspace)) > 3


@pytest.mark.slow
def test_comment_true_posts_one_review_on_the_changed_lines(
    runner_temp: Path, tmp_path: Path
) -> None:
    from tests.test_review import FakeGitHub, Handler, Server

    workspace, base, head = _pull_request_repo(tmp_path)
    server = Server(("127.0.0.1", 0), Handler)
    changed = {name: set(range(1, 400)) for name in PR_FILES}  # what the fake's diff holds
    server.state = FakeGitHub(diff_lines=changed)
    import threading

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        api = f"http://127.0.0.1:{server.server_address[1]}/api/v3"
        env = _pr_env(tmp_path, base, head, GITHUB_API_URL=api)
        run = run_action(
            workspace,
            _fresh_temp(runner_temp, tmp_path),
            env=env,
            comment="true",
            token="ghs_loopbackTestToken0123456789",
            args=AUDIT_ARGS,
        )
    finally:
        server.shutdown()
        server.server_close()
    gh = server.state
    review_step = next(s for s in run.steps if s.name == "Review comments")
    assert review_step.returncode == 0, review_step.stderr
    assert len(gh.reviews) == 1  # one review, however its comments had to be posted
    review = gh.reviews[0]
    assert review["commit_id"] == head
    commented = {c["path"] for c in gh.comments}
    assert commented and commented <= set(PR_FILES)  # never outside the diff
    listed = review["body"].count("\n- `")  # the rest is listed in the review body
    assert len(gh.comments) + listed == int(run.outputs["findings"])
    assert "Dockerfile.worker" in review["body"]
    assert run.returncode == 1  # the comments do not change the verdict


@pytest.mark.slow
def test_strict_and_trusted_config_keep_a_pull_request_from_switching_checks_off(
    runner_temp: Path, tmp_path: Path
) -> None:
    workspace = _git_workspace(tmp_path, "call-center-fixed")
    compose = workspace / "docker-compose.yml"
    # the pull request silences a problem it introduces, inline and in the tree's config
    compose.write_text(
        compose.read_text(encoding="utf-8")
        .replace("services:\n", "services:\n  # prodready: ignore[CMP008] needed for the demo\n", 1)
        .replace(
            "    image:", "    privileged: true  # prodready: ignore[CMP008] demo\n    image:", 1
        ),
        encoding="utf-8",
    )
    (workspace / ".prodready.toml").write_text('ignore = ["CMP008"]\n', encoding="utf-8")
    for sub in "abc":
        (tmp_path / sub).mkdir()
    lenient = run_action(workspace, _fresh_temp(runner_temp, tmp_path / "a"), fail_on="error")
    assert lenient.outputs["exit-code"] == "0", lenient.stdout[-2000:]
    strict = run_action(
        workspace, _fresh_temp(runner_temp, tmp_path / "b"), fail_on="error", strict="true"
    )
    assert strict.outputs["exit-code"] == "1", (
        strict.stdout[-3000:] + "".join(s.stderr for s in strict.steps)[-2000:]
    )
    assert "CMP008" in strict.stdout
    # a trusted config replaces the tree's: its `ignore` no longer applies (inline
    # suppressions still do without strict, so this run has none)
    compose.write_text(
        compose.read_text(encoding="utf-8").replace("  # prodready: ignore[CMP008] demo", ""),
        encoding="utf-8",
    )
    trusted = tmp_path / "trusted.toml"
    trusted.write_text("fail-on = 'error'\n", encoding="utf-8")
    with_config = run_action(
        workspace, _fresh_temp(runner_temp, tmp_path / "c"), fail_on="error", config=str(trusted)
    )
    assert with_config.outputs["exit-code"] == "1"  # the tree's own ignore is not read
