"""Repository-level rules: they apply only to a deployable service of the relevant kind."""

from __future__ import annotations

from pathlib import Path

from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, write_tree

APP = {
    "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
    "Dockerfile": "FROM python:3.12-slim\n",
}


def _codes(tmp_path: Path, files: dict[str, str]) -> set[str]:
    write_tree(tmp_path, files)
    return {f.code for f in scan(tmp_path, AUDIT).findings if f.code.startswith("REPO")}


def test_tiny_repositories_get_no_repository_finding(tmp_path: Path) -> None:
    assert _codes(tmp_path / "a", {"README.md": "# hi\n"}) == set()
    assert _codes(tmp_path / "b", {"app/main.py": "print(1)\n"}) == set()  # nothing ships it
    assert (
        _codes(
            tmp_path / "c", {"scripts/tool.py": "print(1)\n", "Dockerfile": "FROM python:3.12\n"}
        )
        == set()
    )


def test_deployable_service_without_tests_or_load_tests(tmp_path: Path) -> None:
    # the documentation and alerting rules ask the same deployable service for their files too
    assert _codes(tmp_path, APP) == {
        "REPO003",
        "REPO004",
        "REPO005",
        "REPO007",
        "REPO008",
        "REPO009",
    }


def test_tests_and_locust_satisfy(tmp_path: Path) -> None:
    files = {
        **APP,
        "tests/test_main.py": "def test_ok():\n    pass\n",
        "perf/run.py": "import locust\n",
    }
    assert _codes(tmp_path, files) & {"REPO003", "REPO004"} == set()


def test_backup_only_for_a_deployed_database(tmp_path: Path) -> None:
    compose = "services:\n  db:\n    image: postgres:16.4\n"
    assert "REPO006" in _codes(tmp_path / "a", {"docker-compose.yml": compose})
    assert "REPO006" not in _codes(tmp_path / "b", {"docker-compose.dev.yml": compose})
    assert "REPO006" not in _codes(
        tmp_path / "c", {"docker-compose.yml": "services:\n  redis:\n    image: redis:7.4\n"}
    )


def test_network_policy_only_with_workloads(tmp_path: Path) -> None:
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n"
    assert "REPO010" not in _codes(tmp_path / "a", {"k8s/cm.yaml": cm})
    dep = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - {name: api, image: 'x/api:1.0'}\n"
    )
    assert "REPO010" not in _codes(tmp_path / "one", {"k8s/api.yaml": dep, **APP})
    two = dep + "---\n" + dep.replace("api", "worker")
    write_tree(tmp_path / "b", {"k8s/api.yaml": two, **APP})
    found = [f for f in scan(tmp_path / "b", AUDIT).findings if f.code == "REPO010"]
    assert [(f.path, f.line) for f in found] == [("k8s/networkpolicy.yaml", None)]


def test_requirements_pinning(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "requirements.txt": "# deps\nfastapi==0.115.6\n-r base.txt\nhttpx>=0.27\ngit+https://x/y.git\n",
            "requirements-hashed.txt": "a==1 --hash=sha256:00\nb\n",
        },
    )
    found = [(f.path, f.line) for f in scan(tmp_path, AUDIT).findings if f.code == "REPO002"]
    assert found == [("requirements.txt", 4)]
