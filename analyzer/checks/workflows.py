"""GitHub Actions workflow rules: tests and security scans in CI, pinning, permissions, injection.

YAML 1.1 reads the key `on` as the boolean True, so triggers are looked up
under both. Whether a workflow runs the tests or a security scanner is read
from its `run:` commands and `uses:` actions; a job that calls a reusable
workflow of the repository is judged by that workflow's steps.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.checks.registry import file_check, repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.parsers.yamlfile import YamlFile
from analyzer.parsers.yamlmarks import Mark, YamlMap

KIND = "workflow"

# zizmor's default unpinned-uses policy: these owners' actions may be pinned to a tag.
FIRST_PARTY = ("actions/", "github/", "dependabot/")
_SHA = re.compile(r"^[0-9a-f]{40}$")
_PR_EVENTS = {"pull_request", "pull_request_target", "merge_group"}
TEST_COMMAND = re.compile(
    r"(?:^|[\s;&|(/\"'`])(?:pytest|py\.test|tox|nox|unittest|vitest|jest|mocha|playwright\s+test|"
    r"cypress\s+run|go\s+test|cargo\s+test|mvn\s+(?:-\S+\s+)*(?:test|verify)|gradlew?\s+test|"
    r"(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test(?::\S*)?|(?:make|just|task)\s+(?:\S+\s+)*"
    r"[\w-]*(?:test|check)[\w-]*|coverage\s+run|hatch\s+(?:run\s+)?test|phpunit|rspec|"
    r"[\w./-]*tests?[\w-]*\.sh)\b",
    re.MULTILINE,
)
SECURITY_COMMAND = re.compile(
    r"\b(?:pip-audit|safety\s+(?:check|scan)|bandit|semgrep|trivy|grype|snyk|osv-scanner|"
    r"gitleaks|trufflehog|detect-secrets|npm\s+audit|pnpm\s+audit|yarn\s+(?:npm\s+)?audit|"
    r"zizmor|prodready|checkov|kics|tfsec|hadolint|govulncheck|cargo\s+audit|dependency-check)\b",
    re.IGNORECASE,
)
SECURITY_ACTION = re.compile(
    r"^(?:github/codeql-action/|aquasecurity/trivy-action|snyk/actions|returntocorp/semgrep-action|"
    r"semgrep/semgrep-action|gitleaks/gitleaks-action|trufflesecurity/trufflehog|"
    r"pypa/gh-action-pip-audit|anchore/scan-action|actions/dependency-review-action|"
    r"ossf/scorecard-action|zizmorcore/zizmor-action|bridgecrewio/checkov-action|"
    r"prodready/prodready|google/osv-scanner-action|securego/gosec|PyCQA/bandit-action|"
    r"snyk/snyk|docker/scout-action|step-security/harden-runner)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Workflow:
    path: str
    doc: YamlMap

    @property
    def triggers(self) -> set[str]:
        on = self.doc.get("on", self.doc.get(True))
        if isinstance(on, str):
            return {on}
        if isinstance(on, list):
            return {str(e) for e in on}
        if isinstance(on, dict):
            return {str(k) for k in on}
        return set()

    @property
    def on_mark(self) -> Mark:
        key = "on" if "on" in self.doc else True
        return self.doc.key_mark(key)

    def jobs(self) -> list[tuple[str, YamlMap]]:
        jobs = self.doc.get("jobs")
        if not isinstance(jobs, YamlMap):
            return []
        return [(str(k), v) for k, v in jobs.items() if isinstance(v, YamlMap)]

    def steps(self) -> Iterator[tuple[str, YamlMap]]:
        for name, job in self.jobs():
            steps = job.get("steps")
            for step in steps if isinstance(steps, list) else []:
                if isinstance(step, YamlMap):
                    yield name, step


def workflows_of(results: Sequence[FileResult]) -> list[Workflow]:
    out: list[Workflow] = []
    for r in results:
        if r.kind == KIND and isinstance(r.facts, YamlFile):
            out.extend(Workflow(r.path, doc) for _, doc in r.facts.mappings())
    return out


def _one(parsed: Any) -> list[Workflow]:
    if not isinstance(parsed, YamlFile):
        return []
    return [Workflow(parsed.path, doc) for _, doc in parsed.mappings()]


def _finding(code: str, path: str, message: str, mark: Mark, anchor: str) -> Finding:
    return Finding(code, path, message, line=mark[0], column=mark[1], anchor=anchor)


# --------------------------------------------------------------------------- what a workflow does


def _commands(wf: Workflow, by_path: dict[str, Workflow], seen: frozenset[str]) -> list[str]:
    """Every `run:` and `uses:` of the workflow, local reusable workflows followed."""
    out: list[str] = []
    for _, job in wf.jobs():
        uses = job.get("uses")
        if isinstance(uses, str) and uses.startswith("./"):
            target = by_path.get(posixpath.normpath(uses[2:].split("@", 1)[0]))
            if target is not None and target.path not in seen:
                out.extend(_commands(target, by_path, seen | {target.path}))
            continue
        steps = job.get("steps")
        for step in steps if isinstance(steps, list) else []:
            if isinstance(step, YamlMap):
                out.extend(str(step[k]) for k in ("run", "uses") if isinstance(step.get(k), str))
    return out


def runs_tests(commands: list[str]) -> bool:
    return any(TEST_COMMAND.search(c) for c in commands)


def scans_security(commands: list[str]) -> bool:
    return any(SECURITY_COMMAND.search(c) or SECURITY_ACTION.match(c) for c in commands)


def has_tests(results: Sequence[FileResult]) -> bool:
    return any(_TEST_FILE.search(r.path) for r in results)


_TEST_FILE = re.compile(
    r"(?:^|/)(?:tests?/.+\.py|test_[^/]+\.py|[^/]+_test\.(?:py|go)|conftest\.py|"
    r"[^/]+\.(?:test|spec)\.[cm]?[jt]sx?|__tests__/.+\.[cm]?[jt]sx?)$"
)


@repo_check("WF001")
def tests_on_pull_requests(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Judged only where the scanned folder holds workflows and tests (or runs some)."""
    wfs = workflows_of(results)
    by_path = {posixpath.normpath(w.path): w for w in wfs}
    testing = [w for w in wfs if runs_tests(_commands(w, by_path, frozenset({w.path})))]
    if not wfs or not (testing or has_tests(results)):  # a workflow running tests shows some exist
        return
    if any(w.triggers & _PR_EVENTS for w in testing):
        return
    if testing:
        w = testing[0]
        yield _finding(
            "WF001",
            w.path,
            "this workflow runs the tests, but not on pull requests",
            w.on_mark,
            "tests-not-on-pull-request",
        )
        return
    yield Finding(
        "WF001",
        ".github/workflows/tests.yml",
        "no workflow runs the tests on pull requests",
        anchor="no-test-workflow",
    )


@repo_check("WF002")
def security_scanning(results: Sequence[FileResult]) -> Iterator[Finding]:
    wfs = workflows_of(results)
    if not wfs:
        return
    by_path = {posixpath.normpath(w.path): w for w in wfs}
    if any(scans_security(_commands(w, by_path, frozenset({w.path}))) for w in wfs):
        return
    # The fix is a job in the workflow that already runs on pull requests.
    host = next((w for w in sorted(wfs, key=lambda w: w.path) if w.triggers & _PR_EVENTS), None)
    host = host or min(wfs, key=lambda w: w.path)
    yield _finding(
        "WF002",
        host.path,
        "no workflow runs a security scan (SAST, dependency audit or secret scan)",
        host.doc.key_mark("jobs") if "jobs" in host.doc else host.doc.mark,
        "no-security-scan",
    )


# --------------------------------------------------------------------------- per-file rules


def _uses(wf: Workflow) -> Iterator[tuple[str, YamlMap]]:
    """(reference, the mapping holding `uses`) for steps and reusable-workflow jobs."""
    for _, job in wf.jobs():
        if isinstance(job.get("uses"), str):
            yield job["uses"], job
    for _, step in wf.steps():
        if isinstance(step.get("uses"), str):
            yield step["uses"], step


@file_check(KIND, "WF003")
def unpinned_actions(parsed: Any) -> Iterator[Finding]:
    for wf in _one(parsed):
        for ref, holder in _uses(wf):
            if ref.startswith(("./", "docker://")) or "@" not in ref:
                if "@" not in ref and not ref.startswith(("./", "docker://")):
                    yield _finding(
                        "WF003",
                        wf.path,
                        f'action "{ref}" has no version at all',
                        holder.value_mark("uses"),
                        f"uses:{ref}",
                    )
                continue
            name, version = ref.rsplit("@", 1)
            if _SHA.match(version) or name.lower().startswith(FIRST_PARTY):
                continue
            yield _finding(
                "WF003",
                wf.path,
                f'third-party action "{name}" is pinned to "{version}", a movable reference, '
                "not a commit SHA",
                holder.value_mark("uses"),
                f"uses:{name}",
            )


@file_check(KIND, "WF004")
def permissions(parsed: Any) -> Iterator[Finding]:
    for wf in _one(parsed):
        jobs = wf.jobs()
        top = wf.doc.get("permissions")
        if top == "write-all":
            yield _finding(
                "WF004",
                wf.path,
                "the workflow grants write-all permissions to every job",
                wf.doc.value_mark("permissions"),
                "permissions:write-all",
            )
        for name, job in jobs:
            if job.get("permissions") == "write-all":
                yield _finding(
                    "WF004",
                    wf.path,
                    f'job "{name}" grants write-all permissions',
                    job.value_mark("permissions"),
                    f"jobs.{name}.permissions:write-all",
                )
        if "permissions" in wf.doc or not jobs:
            continue
        bare = [name for name, job in jobs if "permissions" not in job]
        if bare:
            node = wf.doc["jobs"]
            yield _finding(
                "WF004",
                wf.path,
                "no `permissions` for the workflow or for job(s) "
                f"{', '.join(bare)}: they get the repository's default token scopes",
                node.key_mark(bare[0]) if isinstance(node, YamlMap) else wf.doc.key_mark("jobs"),
                "permissions:absent",
            )


_HEAD_REF = re.compile(
    r"github\.event\.pull_request\.head\.(?:sha|ref)|github\.head_ref|refs/pull/"
)


@file_check(KIND, "WF005")
def pull_request_target_checkout(parsed: Any) -> Iterator[Finding]:
    for wf in _one(parsed):
        if "pull_request_target" not in wf.triggers:
            continue
        for job, step in wf.steps():
            uses = str(step.get("uses") or "")
            with_ = step.get("with")
            if not uses.startswith("actions/checkout") or not isinstance(with_, YamlMap):
                continue
            ref = str(with_.get("ref") or "")
            if _HEAD_REF.search(ref):
                yield _finding(
                    "WF005",
                    wf.path,
                    f'job "{job}" checks out the pull request\'s code in a pull_request_target '
                    "workflow, which runs with the repository's secrets",
                    with_.value_mark("ref"),
                    f"jobs.{job}:checkout-head",
                )


_INJECTABLE = re.compile(
    r"\$\{\{\s*(github\.(?:event\.(?:issue\.(?:title|body)|pull_request\.(?:title|body|head\.ref|"
    r"head\.label|head\.repo\.default_branch)|comment\.body|review\.body|review_comment\.body|"
    r"discussion\.(?:title|body)|head_commit\.(?:message|author\.(?:name|email))|"
    r"commits\b[^}]*|pages\b[^}]*|workflow_run\.head_branch|workflow_run\.head_commit\.message)|"
    r"head_ref))\s*\}\}"
)


@file_check(KIND, "WF006")
def template_injection(parsed: Any) -> Iterator[Finding]:
    for wf in _one(parsed):
        for job, step in wf.steps():
            run = step.get("run")
            if not isinstance(run, str):
                continue
            for m in _INJECTABLE.finditer(run):
                line, col = step.value_mark("run")
                if "\n" in run.rstrip("\n"):  # a block scalar starts on the next line
                    line += 1 + run.count("\n", 0, m.start())
                yield _finding(
                    "WF006",
                    wf.path,
                    f'job "{job}" expands {m.group(1)}, which an outsider controls, '
                    "directly into a shell script",
                    (line, col),
                    f"jobs.{job}:run:{m.group(1)}",
                )
