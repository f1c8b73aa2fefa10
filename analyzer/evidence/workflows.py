"""Evidence in GitHub Actions workflows: tests on pull requests, security scans, deployments.

A step is read as its `uses:` action (owner/name, version dropped) and its
`run:` script; a workflow's triggers decide whether a step gates changes
(pull_request, push) or runs on a schedule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from analyzer.core.model import Evidence
from analyzer.evidence.core import detector
from analyzer.facts.repo import RepoView
from analyzer.parsers.yamlmarks import YamlMap

_TESTS = re.compile(
    r"(^|[\s;&|(])(pytest|py\.test|tox|nox|(python\d?(\.\d+)?|uv run|poetry run)\s+-m\s+(pytest|unittest)"
    r"|(npm|yarn|pnpm|bun)\s+(run\s+)?test|vitest|jest|make\s+(test|check)|go\s+test|hatch\s+(run\s+)?test)\b"
)
_SAST_ACTIONS = re.compile(
    r"^(github/codeql-action/analyze|returntocorp/semgrep-action|semgrep/semgrep-action|"
    r"securego/gosec|prodready/prodready|pycqa/bandit-action|shiftleft/scan-action|"
    r"snyk/actions/[\w-]+|zaproxy/action-[\w-]+|gitleaks/gitleaks-action|trufflesecurity/trufflehog|"
    r"aquasecurity/trivy-action|anchore/scan-action|pypa/gh-action-pip-audit|"
    r"actions/dependency-review-action|google/osv-scanner-action[\w/-]*|ossf/scorecard-action)$"
)
_SAST_RUN = re.compile(
    r"\b(bandit|semgrep|pip-audit|safety\s+(check|scan)|trivy|grype|osv-scanner|gitleaks|"
    r"trufflehog|detect-secrets|npm\s+audit|yarn\s+audit|pnpm\s+audit|prodready|zap-(baseline|full-scan)"
    r"|snyk\s+test|checkov|tfsec|hadolint)\b"
)
_VULN = re.compile(
    r"trivy|grype|pip-audit|safety|osv-scanner|npm\s+audit|yarn\s+audit|pnpm\s+audit|snyk|"
    r"anchore|dependency-review"
)
_SECRET_SCAN = re.compile(r"gitleaks|trufflehog|detect-secrets|prodready")
_DAST = re.compile(r"zaproxy|zap-(baseline|full-scan|api-scan)|nuclei|owasp-zap")
_DEPLOY_RUN = re.compile(
    r"\b(kubectl\s+(apply|set\s+image|rollout\s+restart)|helm\s+(upgrade|install)|flyctl\s+deploy|"
    r"fly\s+deploy|gcloud\s+run\s+deploy|gcloud\s+app\s+deploy|aws\s+ecs\s+update-service|"
    r"az\s+webapp|az\s+containerapp\s+update|vercel\s+(deploy\s+)?--prod|netlify\s+deploy|"
    r"railway\s+up|docker\s+stack\s+deploy|kustomize\s+build|argocd\s+app\s+sync|"
    r"supabase\s+db\s+push|serverless\s+deploy|sam\s+deploy|cdk\s+deploy|terraform\s+apply)\b"
)
_DEPLOY_ACTIONS = re.compile(
    r"^(azure/webapps-deploy|azure/k8s-deploy|google-github-actions/deploy-cloudrun|"
    r"aws-actions/amazon-ecs-deploy-task-definition|superfly/flyctl-actions[\w/-]*|"
    r"appleboy/ssh-action|akhileshns/heroku-deploy|amondnet/vercel-action|"
    r"cloudflare/wrangler-action|deliverybot/helm|azure/container-apps-deploy-action)$"
)
_ROLLBACK = re.compile(
    r"helm\s+(upgrade|install)\b[^\n]*--(atomic|rollback-on-failure)|kubectl\s+rollout\s+undo|helm\s+rollback"
)
_VERIFY = re.compile(
    r"kubectl\s+rollout\s+status|helm\s+test|smoke|curl\b[^\n]*(health|ready|status)|"
    r"wget\b[^\n]*(health|ready)"
)
_LOAD = re.compile(
    r"\bk6\s+run\b|\blocust\b[^\n]*--headless|\bartillery\s+run\b|grafana/k6-action|\bjmeter\b"
)
_BACKUP = re.compile(r"\b(pg_dump|pg_dumpall|supabase\s+db\s+dump|mysqldump|mongodump)\b")


_DELIVERY_TRIGGERS = frozenset({"push", "release", "workflow_run", "workflow_dispatch", "schedule"})


@dataclass(frozen=True)
class Step:
    path: str
    line: int
    uses: str  # owner/name[/path] without the @version, or ""
    run: str
    triggers: frozenset[str]


def _triggers(doc: YamlMap) -> frozenset[str]:
    # YAML 1.1 reads the bare key `on` as the boolean true
    on = doc.get("on", doc.get(True))
    if isinstance(on, str):
        return frozenset({on})
    if isinstance(on, list):
        return frozenset(str(x) for x in on)
    if isinstance(on, dict):
        return frozenset(str(k) for k in on)
    return frozenset()


def steps(repo: RepoView) -> list[Step]:
    out: list[Step] = []
    for r in repo.of_kind("workflow"):
        for _, doc in r.facts.mappings():
            triggers = _triggers(doc)
            jobs = doc.get("jobs")
            for job in jobs.values() if isinstance(jobs, dict) else []:
                if not isinstance(job, YamlMap):
                    continue
                if isinstance(job.get("uses"), str):  # a reusable workflow call
                    out.append(
                        Step(r.path, job.key_mark("uses")[0], _action(job["uses"]), "", triggers)
                    )
                for step in job.get("steps") or []:
                    if isinstance(step, YamlMap):
                        uses = _action(step.get("uses"))
                        run = str(step.get("run") or "")
                        key = "uses" if uses else "run" if run else None
                        line = step.key_mark(key)[0] if key else step.mark[0]
                        out.append(Step(r.path, line, uses, run, triggers))
    return out


def _action(uses: Any) -> str:
    return str(uses).split("@", 1)[0].lower() if isinstance(uses, str) else ""


def _gates(step: Step) -> bool:
    return bool(step.triggers & {"pull_request", "pull_request_target", "push", "merge_group"})


def _what(step: Step, pattern: re.Pattern[str]) -> str:
    if step.uses:
        return step.uses
    m = pattern.search(step.run)
    return (m.group(0).strip() if m else step.run.split("\n", 1)[0])[:60]


@detector("TEST-3", "TEST-4")
def ci_tests(repo: RepoView) -> Iterator[Evidence]:
    test_files = [r.path for r in repo.of_kind("python") if r.facts.is_test] + [
        p for p in repo.paths if re.search(r"\.(test|spec)\.[jt]sx?$", p)
    ]
    for step in steps(repo):
        if _TESTS.search(step.run) and _gates(step):
            on = "pull requests" if {"pull_request", "merge_group"} & step.triggers else "pushes"
            yield Evidence(
                "TEST-3",
                f"tests run on {on}: `{_what(step, _TESTS)}`",
                step.path,
                step.line,
            )
            if test_files:
                yield Evidence(
                    "TEST-4",
                    f"{len(test_files)} test files run automatically by `{step.path}`",
                    step.path,
                    step.line,
                )
            return


@detector("TEST-5", "PRE-1", "MAINT-3", "DATA-5", "POST-3")
def ci_security(repo: RepoView) -> Iterator[Evidence]:
    for step in steps(repo):
        hit = bool(_SAST_ACTIONS.match(step.uses)) or bool(_SAST_RUN.search(step.run))
        if not hit:
            continue
        what = _what(step, _SAST_RUN)
        text = f"security scan in CI: `{what}`"
        yield Evidence("TEST-5", text, step.path, step.line)
        yield Evidence("PRE-1", text, step.path, step.line)
        both = step.uses + " " + step.run
        if _VULN.search(both):
            yield Evidence(
                "MAINT-3",
                f"vulnerability scan in CI: `{what}`",
                step.path,
                step.line,
            )
        if _SECRET_SCAN.search(both):
            yield Evidence("DATA-5", f"secret scan in CI: `{what}`", step.path, step.line)
        if _DAST.search(both):
            yield Evidence(
                "POST-3",
                f"dynamic security scan (DAST): `{what}`",
                step.path,
                step.line,
            )


@detector("DEPLOY-1", "DEPLOY-3", "DEPLOY-4", "POST-1", "PRE-2", "DB-4", "BACKUP-1")
def ci_delivery(repo: RepoView) -> Iterator[Evidence]:
    all_steps = steps(repo)
    deploying = set()
    for step in all_steps:
        deploys = bool(_DEPLOY_ACTIONS.match(step.uses) or _DEPLOY_RUN.search(step.run))
        if deploys and step.triggers & _DELIVERY_TRIGGERS:
            deploying.add(step.path)
            what = _what(step, _DEPLOY_RUN)
            yield Evidence(
                "DEPLOY-1",
                f"deployment from CI: `{what}`",
                step.path,
                step.line,
            )
        if _ROLLBACK.search(step.run):
            m = _ROLLBACK.search(step.run)
            yield Evidence(
                "DEPLOY-3",
                f"automatic rollback: `{m.group(0) if m else ''}`",
                step.path,
                step.line,
            )
        if _LOAD.search(step.run) or _LOAD.search(step.uses):
            yield Evidence(
                "PRE-2",
                f"load test in CI: `{_what(step, _LOAD)}`",
                step.path,
                step.line,
            )
        if "schedule" in step.triggers and _BACKUP.search(step.run):
            what = _what(step, _BACKUP)
            yield Evidence(
                "DB-4",
                f"scheduled backup workflow: `{what}`",
                step.path,
                step.line,
            )
            yield Evidence(
                "BACKUP-1",
                f"scheduled backup workflow: `{what}`",
                step.path,
                step.line,
            )
    for step in all_steps:
        if step.path in deploying and _VERIFY.search(step.run):
            what = _what(step, _VERIFY)
            yield Evidence(
                "DEPLOY-4",
                f"post-deployment check: `{what}`",
                step.path,
                step.line,
            )
            yield Evidence("POST-1", f"post-deployment check: `{what}`", step.path, step.line)
