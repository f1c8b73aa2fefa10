"""Repository-level rules: what a production service keeps beside its code.

Dependabot or Renovate, pinned dependencies, tests, load tests, alert rules,
backups, architecture docs, runbooks, a changelog, NetworkPolicies. Each is
judged from the list of files (and the parsed facts where they tell more),
and only where it applies: no Dependabot finding without a dependency
manifest, no backup finding without a database the repository deploys, no
NetworkPolicy finding without Kubernetes workloads. A folder that is not a
deployable service (a README, a library of snippets, a test fixture) gets
no finding at all. Findings have no line: they name the file where the fix
would go.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence
from typing import Any

from analyzer.checks.registry import ANY_TEXT, file_check, repo_check
from analyzer.core.model import FileResult, Finding, SourceFile
from analyzer.facts.kubernetes import containers
from analyzer.facts.repo import RepoView, as_view
from analyzer.parsers.yamlfile import YamlFile, dig

_MANIFEST = re.compile(
    r"(?:^|/)(?:requirements[^/]*\.(?:txt|in)|pyproject\.toml|Pipfile|setup\.py|setup\.cfg|"
    r"package\.json|go\.mod|Cargo\.toml|Gemfile|pom\.xml|build\.gradle(?:\.kts)?|composer\.json)$"
)
_UPDATER = re.compile(
    r"^(?:\.github/dependabot\.ya?ml|(?:\.github/|\.gitlab/)?renovate\.json5?|"
    r"\.renovaterc(?:\.json5?)?)$"
)
_TEST = re.compile(
    r"(?:^|/)(?:tests?/.+\.py|test_[^/]+\.py|[^/]+_test\.(?:py|go)|conftest\.py|"
    r"[^/]+\.(?:test|spec)\.[cm]?[jt]sx?|__tests__/.+\.[cm]?[jt]sx?)$"
)
_LOAD_TEST = re.compile(
    r"(?:^|/)(?:locustfile[^/]*\.py|[^/]*\.k6\.[jt]s|(?:load|perf|performance|stress)"
    r"[-_]?tests?/.+|k6/.+\.[jt]s|artillery[^/]*\.ya?ml|vegeta[^/]*|gatling/.+)$",
    re.IGNORECASE,
)
_ALERT_FILE = re.compile(
    r"(?:^|/)(?:[^/]*alert[^/]*\.ya?ml|[^/]*\.rules(?:\.ya?ml)?|rules/[^/]+\.ya?ml|"
    r"alertmanager[^/]*\.ya?ml|grafana/provisioning/alerting/.+)$",
    re.IGNORECASE,
)
_ARCH_DOC = re.compile(
    r"(?:^|/)(?:architecture[^/]*|design[^/]*|adrs?/.+|decisions/.+|workspace\.dsl|"
    r"[^/]*\.c4)$",
    re.IGNORECASE,
)
_RUNBOOK = re.compile(r"(?:^|/)[^/]*(?:runbook|playbook|operations|on-?call)[^/]*(?:/|$)", re.I)
_CHANGELOG = re.compile(
    r"(?:^|/)(?:CHANGELOG|CHANGES|HISTORY|NEWS|RELEASES?(?:[-_]NOTES)?)(?:\.[a-z]+)?$|"
    r"(?:^|/)(?:\.changeset|changelog\.d|newsfragments)/|(?:^|/)release-please-config\.json$",
    re.IGNORECASE,
)
_DEV_COMPOSE = re.compile(r"(?:dev|local|test|override|ci)[^/]*\.ya?ml$", re.IGNORECASE)
_DATABASE_IMAGE = re.compile(
    r"(?:^|/)(?:postgres(?:ql)?|postgis|timescaledb[\w-]*|mysql|mariadb|mongo(?:db)?|"
    r"supabase/postgres)(?::|@|$)",
    re.IGNORECASE,
)
_BACKUP = re.compile(
    r"pg_dump|pg_basebackup|pgbackrest|wal-g|wal-e|barman|mysqldump|mongodump|velero|"
    r"restic|borg|\bbackups?\b",
    re.IGNORECASE,
)
_BACKUP_KINDS = {"ScheduledBackup", "Backup", "Schedule", "VolumeSnapshot", "PerconaPGBackup"}
_POLICY_KINDS = {
    "NetworkPolicy",
    "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "GlobalNetworkPolicy",
    "AuthorizationPolicy",
}
_WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def _at(code: str, path: str, message: str) -> Finding:
    return Finding(code, path, message, anchor=f"{code}:{path}")


@repo_check("REPO001")
def dependency_updates(results: Sequence[FileResult]) -> Iterator[Finding]:
    repo = as_view(results)
    if not repo.any_path(_MANIFEST) or repo.any_path(_UPDATER) or _renovate_action(repo):
        return
    yield _at(
        "REPO001",
        ".github/dependabot.yml",
        "dependencies are declared but nothing (Dependabot, Renovate) proposes their updates",
    )


def _renovate_action(repo: RepoView) -> bool:
    return any(
        "renovatebot/" in str(dig(step, "uses") or "")
        for r in repo.kinds("workflow")
        for _, doc in r.facts.mappings()
        for job in (doc.get("jobs") or {}).values()
        if isinstance(job, dict)
        for step in (job.get("steps") or [])
        if isinstance(step, dict)
    )


# --------------------------------------------------------------------------- pinning

_REQUIREMENTS = re.compile(r"(?:^|/)requirements[^/]*\.txt$|(?:^|/)requirements/[^/]+\.txt$")
_REQ_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")


@file_check(ANY_TEXT, "REPO002")
def unpinned_requirements(source: Any) -> Iterator[Finding]:
    """One finding per requirements file, at its first unpinned line.

    A file with `--hash` lines is a lock in pip's own format; one that applies
    constraints (`-c`) takes its pins from there.
    """
    if not isinstance(source, SourceFile) or not _REQUIREMENTS.search(source.path):
        return
    lines = source.text.split("\n")
    if any("--hash" in ln or ln.strip().startswith(("-c ", "--constraint")) for ln in lines):
        return
    loose: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, 1):
        text = raw.split(" #", 1)[0].split(";", 1)[0].strip()
        if not text or text.startswith(("#", "-")) or "://" in text or text.startswith("."):
            continue
        m = _REQ_NAME.match(text)
        if m and not re.match(r"^===?\s*[\w.*+!-]+$", m.group(3).strip()):
            loose.append((number, m.group(1)))
    if not loose:
        return
    names = ", ".join(n for _, n in loose[:5]) + (
        f" and {len(loose) - 5} more" if len(loose) > 5 else ""
    )
    yield Finding(
        "REPO002",
        source.path,
        f"{len(loose)} requirement(s) without an exact `==` version: {names}",
        line=loose[0][0],
        column=1,
        anchor="unpinned-requirements",
    )


# --------------------------------------------------------------------------- tests


@repo_check("REPO003")
def no_tests(results: Sequence[FileResult]) -> Iterator[Finding]:
    repo = as_view(results)
    if repo.deployable and not repo.any_path(_TEST):
        yield _at("REPO003", "tests/", "the service has application code but no tests")


@repo_check("REPO004")
def no_load_tests(results: Sequence[FileResult]) -> Iterator[Finding]:
    repo = as_view(results)
    if not repo.deployable or repo.any_path(_LOAD_TEST):
        return
    if any(
        str(v).split(".")[0] == "locust"
        for r in repo.kinds("python")
        for v in getattr(r.facts, "imports", {}).values()
    ):
        return
    yield _at("REPO004", "loadtests/", "no load test (Locust, k6, Artillery, Vegeta)")


# --------------------------------------------------------------------------- operations


@repo_check("REPO005")
def no_alert_rules(results: Sequence[FileResult]) -> Iterator[Finding]:
    repo = as_view(results)
    if not repo.deployable or repo.any_path(_ALERT_FILE):
        return
    index = repo.k8s
    if index.of_kind("PrometheusRule", "VMRule", "AlertmanagerConfig"):
        return
    yield _at(
        "REPO005",
        "monitoring/alerts.yml",
        "no alert rules (Prometheus, Alertmanager, PrometheusRule)",
    )


def _databases(repo: RepoView) -> list[str]:
    found: list[str] = []
    for r in repo.kinds("compose"):
        if _DEV_COMPOSE.search(posixpath.basename(r.path)) or ".devcontainer/" in f"/{r.path}":
            continue
        for _, doc in r.facts.mappings():
            services = doc.get("services")
            for svc in services.values() if isinstance(services, dict) else []:
                image = str(svc.get("image") or "") if isinstance(svc, dict) else ""
                if _DATABASE_IMAGE.search(image):
                    found.append(r.path)
    index = repo.k8s
    for obj in index.workloads(*_WORKLOAD_KINDS):
        if any(_DATABASE_IMAGE.search(str(c.node.get("image") or "")) for c in containers(obj)):
            found.append(obj.path)
    if index.of_kind("Cluster", "PostgresCluster", "postgresql"):
        found.extend(o.path for o in index.of_kind("Cluster", "PostgresCluster", "postgresql"))
    return found


def _has_backup(repo: RepoView) -> bool:
    index = repo.k8s
    if index.of_kind(*_BACKUP_KINDS):
        return True
    for obj in index.of_kind("CronJob"):
        for c in containers(obj):
            text = " ".join(str(c.node.get(k) or "") for k in ("image", "command", "args"))
            if _BACKUP.search(text) or _BACKUP.search(obj.name):
                return True
    for r in repo.kinds("compose"):
        for _, doc in r.facts.mappings():
            services = doc.get("services")
            for name, svc in services.items() if isinstance(services, dict) else []:
                text = (
                    f"{name} {svc.get('image', '')} {svc.get('command', '')}"
                    if isinstance(svc, dict)
                    else ""
                )
                if _BACKUP.search(text):
                    return True
    for r in repo.kinds("workflow"):
        if isinstance(r.facts, YamlFile) and _BACKUP.search(repr(r.facts.mappings())):
            return True
    return False


@repo_check("REPO006")
def no_backup(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Databases deployed by the repository only: a hosted Supabase project backs itself up."""
    repo = as_view(results)
    dbs = _databases(repo)
    if not dbs or _has_backup(repo):
        return
    yield _at(
        "REPO006",
        "k8s/backup-cronjob.yaml",
        f"the repository deploys a database ({dbs[0]}) but no backup job (pg_dump CronJob, "
        "backup service, operator backup schedule)",
    )


# --------------------------------------------------------------------------- documentation


@repo_check("REPO007", "REPO008", "REPO009")
def documentation(results: Sequence[FileResult]) -> Iterator[Finding]:
    repo = as_view(results)
    if not repo.deployable:
        return
    if not repo.any_path(_ARCH_DOC):
        yield _at("REPO007", "docs/architecture.md", "no architecture document")
    if not repo.any_path(_RUNBOOK):
        yield _at("REPO008", "docs/runbooks/", "no runbooks for common operations and incidents")
    if not repo.any_path(_CHANGELOG):
        yield _at("REPO009", "CHANGELOG.md", "no changelog")


# --------------------------------------------------------------------------- kubernetes


@repo_check("REPO010")
def no_network_policy(results: Sequence[FileResult]) -> Iterator[Finding]:
    """A service's own repository with several workloads: one manifest alone talks to nobody."""
    repo = as_view(results)
    index = repo.k8s
    workloads = index.workloads(*_WORKLOAD_KINDS)
    if not repo.app_code or len(workloads) < 2 or index.of_kind(*_POLICY_KINDS):
        return
    folder = posixpath.dirname(min(o.path for o in workloads))
    yield _at(
        "REPO010",
        posixpath.join(folder, "networkpolicy.yaml"),
        f"{len(workloads)} Kubernetes workload(s) and no NetworkPolicy: every pod can reach "
        "every other, the database included",
    )
