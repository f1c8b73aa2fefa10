"""Evidence in the repository's file list: documents, update bots, dashboards, load tests.

A file's presence is the whole signal here, so each pattern is narrow: a
document must be a text document (`.md`, `.rst`...) whose own name or folder
names the subject, and a config must sit where its tool reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from analyzer.core.model import SCOPE, Evidence
from analyzer.evidence.core import detector
from analyzer.facts.repo import RepoView

_DOC_EXT = frozenset({".md", ".markdown", ".rst", ".adoc", ".txt", ""})

# (items, what it is, pattern on the lower-cased stem or a folder name of a document)
_DOCS: tuple[tuple[tuple[str, ...], str, re.Pattern[str]], ...] = (
    (
        ("DOCTECH-1",),
        "Architecture document",
        re.compile(r"architecture|^design$|system[-_]?design"),
    ),
    (
        ("DOCTECH-5",),
        "Design decision records",
        re.compile(r"^(adrs?|decisions|decision[-_]records)$|^adr[-_]?\d"),
    ),
    (
        ("DEPLOY-5", "DOCOPS-1"),
        "Deployment procedure",
        re.compile(r"deploy|^releas(e|ing)([-_]process)?$"),
    ),
    (("DOCOPS-2",), "Runbook", re.compile(r"runbook|playbook")),
    (("DOCOPS-3",), "Troubleshooting guide", re.compile(r"troubleshoot")),
    (("DOCOPS-4",), "Alert documentation", re.compile(r"^alert(s|ing)?$")),
    (("DOCOPS-5",), "Escalation procedure", re.compile(r"escalat|on[-_]?call")),
    (("ALERT-5",), "Incident response procedure", re.compile(r"incident|post[-_]?mortem")),
    (("BACKUP-5",), "Recovery procedure", re.compile(r"restor|recover|disaster|^dr$")),
    (("MAINT-5",), "Maintenance procedure", re.compile(r"mainten")),
    (("PRIV-5",), "Privacy policy", re.compile(r"privacy")),
    (("AUDIT-5",), "Audit procedure", re.compile(r"^audit")),
    (
        ("COMPLY-5",),
        "Compliance documentation",
        re.compile(r"complian|gdpr|hipaa|pci[-_]?dss|ccpa|soc[-_]?2"),
    ),
    (
        ("DOCUSER-1",),
        "User guide",
        re.compile(r"user[-_]?guide|user[-_]?manual|getting[-_]?started|^tutorials?$"),
    ),
    (
        ("DOCUSER-3",),
        "Integration guide",
        re.compile(r"integration[-_]?guide|^integrations?$|webhooks?"),
    ),
    (("DOCUSER-4",), "FAQ", re.compile(r"^faqs?$")),
    (
        ("DOCUSER-5",),
        "Changelog",
        re.compile(r"^(changelog|changes|history|news|release[-_]?notes)$"),
    ),
    (("ERR-5",), "Error code documentation", re.compile(r"^errors?([-_]?codes?)?$")),
)
_NOT_DOC_DIRS = frozenset({"node_modules", "vendor", "third_party", ".github"})

_CONFIGS: tuple[tuple[tuple[str, ...], str, re.Pattern[str]], ...] = (
    (("MAINT-2",), "Dependabot", re.compile(r"^\.github/dependabot\.ya?ml$")),
    (
        ("MAINT-2",),
        "Renovate",
        re.compile(r"^(\.github/|\.gitlab/)?(renovate|\.renovaterc)(\.json5?)?$"),
    ),
    (("SECRETS-1",), "SOPS-encrypted secrets", re.compile(r"(^|/)\.sops\.ya?ml$")),
    (
        ("DATA-5",),
        "Secret scanning configured",
        re.compile(r"(^|/)(\.gitleaks\.toml|\.secrets\.baseline|\.trufflehog\.ya?ml)$"),
    ),
    (
        ("TEST-1",),
        "Load tests",
        re.compile(
            r"(^|/)locustfile[^/]*\.py$|(^|/)(load|stress|soak|perf|performance)[-_]?tests?(/|$)"
            r"|(^|/)k6/[^/]+\.(js|ts)$|(^|/)[^/]*\.k6\.(js|ts)$|(^|/)artillery[^/]*\.ya?ml$"
            r"|\.jmx$|(^|/)gatling/"
        ),
    ),
    (
        ("TEST-2",),
        "Chaos experiments",
        re.compile(r"(^|/)chaos[-_]?(experiments?|tests?|engineering)?/"),
    ),
    (
        ("METRICS-2",),
        "Grafana dashboard",
        re.compile(
            r"(^|/)(grafana|dashboards?)/([^/]+/)*[^/]+\.json$|(^|/)[^/]*dashboard[^/]*\.json$"
        ),
    ),
    (
        ("METRICS-4",),
        "Alert rules",
        re.compile(
            r"(^|/)(prometheus|alertmanager|monitoring|alerts?)/([^/]+/)*[^/]*(alert|rules)[^/]*\.ya?ml$"
            r"|(^|/)[^/]*\.rules\.ya?ml$"
        ),
    ),
    (
        ("DOCTECH-2", "DOCUSER-2"),
        "Exported OpenAPI specification",
        re.compile(r"(^|/)(openapi|swagger)(\.v\d)?\.(json|ya?ml)$"),
    ),
    (
        ("DOCTECH-4",),
        "Architecture diagram",
        re.compile(
            r"\.(drawio|dio|puml|plantuml|mmd|excalidraw)$|(^|/)workspace\.dsl$"
            r"|(^|/)[^/]*(diagram|architecture)[^/]*\.(png|svg|jpe?g)$"
        ),
    ),
)

_FRONTEND = re.compile(r"\.(jsx|tsx|vue|svelte|html?|css|scss|sass|less)$|(^|/)package\.json$")
_NOT_FRONTEND = re.compile(r"(^|/)(\.github|docs?|site|htmlcov|coverage)/|(^|/)\.?eslintrc")


def _is_doc(path: str) -> bool:
    p = PurePosixPath(path)
    return p.suffix.lower() in _DOC_EXT and not any(d in _NOT_DOC_DIRS for d in p.parts[:-1])


@detector(*sorted({i for items, _, _ in _DOCS for i in items}))
def documents(repo: RepoView) -> Iterator[Evidence]:
    for path in repo.paths:
        if not _is_doc(path):
            continue
        p = PurePosixPath(path.lower())
        stem = p.stem if p.suffix else p.name
        parts = [stem, *p.parts[:-1]]
        for items, what, pattern in _DOCS:
            if any(pattern.search(part) for part in parts):
                for item in items:
                    yield Evidence(item, what, path)


@detector(*sorted({i for items, _, _ in _CONFIGS for i in items}))
def configs(repo: RepoView) -> Iterator[Evidence]:
    for path in repo.paths:
        low = path.lower()
        for items, what, pattern in _CONFIGS:
            if pattern.search(low):
                for item in items:
                    yield Evidence(item, what, path)


@detector()
def scopes(repo: RepoView) -> Iterator[Evidence]:
    """Presence facts the report needs to say "not applicable" (no frontend, no database...)."""
    kinds = {r.kind for r in repo.results}
    front = [
        p
        for p in repo.paths
        if (_FRONTEND.search(p.lower()) or p.lower().endswith((".js", ".ts", ".mjs")))
        and not _NOT_FRONTEND.search(p.lower())
    ]
    if front:
        yield Evidence(SCOPE + "frontend", f"frontend files such as `{front[0]}`", front[0])
    for kind, scope in (
        ("kubernetes", "kubernetes"),
        ("sql", "database"),
        ("supabase-config", "database"),
        ("python", "python"),
    ):
        if kind in kinds:
            path = next(r.path for r in repo.results if r.kind == kind)
            yield Evidence(SCOPE + scope, f"{kind} file `{path}`", path)
    for kind in ("dockerfile", "compose", "kubernetes"):
        if kind in kinds:
            path = next(r.path for r in repo.results if r.kind == kind)
            yield Evidence(SCOPE + "containers", f"{kind} file `{path}`", path)
    migrations = [
        p for p in repo.paths if re.search(r"(^|/)(alembic\.ini|supabase/migrations/)", p)
    ]
    if migrations:
        yield Evidence(SCOPE + "database", f"database migrations `{migrations[0]}`", migrations[0])
