"""One classification of paths: what production runs, and what only looks like it."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.core.roles import Role, is_production, role_of
from analyzer.pipeline.scan import scan
from tests.conftest import write_tree


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("k8s/api.yaml", Role.APP),
        ("deploy/helm/values.yaml", Role.APP),
        ("api/v1/routes.py", Role.APP),  # an API version is not a release folder
        (".github/workflows/ci.yml", Role.APP),
        ("scripts/backfill.py", Role.SCRIPT),
        ("install/v0.6.0/kserve.yaml", Role.ARCHIVE),
        ("releases/1.2.3-rc0/app.yaml", Role.ARCHIVE),
        ("docs/samples/kafka/minio.yaml", Role.EXAMPLE),
        ("examples/quickstart/main.py", Role.EXAMPLE),
        ("docs/openshift/gateways.yaml", Role.DOCS),
        ("handbook/deploy.mdx", Role.DOCS),
        ("README.md", Role.DOCS),
        ("config/overlays/test/deployment.yaml", Role.TEST),
        ("config/overlays/test-llmisvc/patch.yaml", Role.TEST),
        ("web/src/App.test.tsx", Role.TEST),
        ("web/e2e/login.ts", Role.TEST),
        ("pkg/server_test.go", Role.TEST),
        ("hack/setup-dev.yaml", Role.DEV),
        (".devcontainer/compose.yaml", Role.DEV),
        ("deploy/docker-compose.multitenant-dev.yml", Role.DEV),
        ("Dockerfile.test", Role.DEV),
        ("app/local_cache.py", Role.APP),  # code is named for what it does
        ("frontend/.env.local", Role.APP),  # production builds read it too
        ("third_party/pip-licenses.py", Role.VENDORED),
        ("web/node_modules/x/index.js", Role.VENDORED),
    ],
)
def test_role_of(path: str, role: Role) -> None:
    assert role_of(path) is role


def test_production_is_app_and_scripts() -> None:
    assert is_production("k8s/api.yaml") and is_production("scripts/deploy.py")
    assert not is_production("docs/samples/api.yaml")


_NO_LIMITS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
"""
_TOKEN = 'GITHUB_TOKEN = "ghp_' + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"[:36] + '"\n'


def test_production_rules_skip_what_production_does_not_run(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "k8s/api.yaml": _NO_LIMITS,
            "docs/samples/api.yaml": _NO_LIMITS,
            "install/v1.2.0/api.yaml": _NO_LIMITS,
            "config/overlays/test/api.yaml": _NO_LIMITS,
            "docs/howto.py": _TOKEN,
        },
    )
    found = scan(tmp_path).findings
    assert {f.path for f in found if f.code == "K8S001"} == {"k8s/api.yaml"}
    # a leaked token is a leak wherever it sits: secret rules apply everywhere
    assert any(f.code == "SEC001" and f.path == "docs/howto.py" for f in found)
