"""How a scan of named files (a hook run) and of a sub-folder (the Action) behaves."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli, write_tree

API = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:latest
          ports: [{containerPort: 8000}]
"""
HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 3
  maxReplicas: 10
"""


def _codes(proc) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(f["code"], f["path"]) for f in json.loads(proc.stdout)["findings"]}


def test_named_files_are_judged_with_the_whole_repository(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "k8s/api.yaml": API,
            "k8s/hpa.yaml": HPA,
            "k8s/other.yaml": API.replace("name: api", "name: web"),
        },
    )
    proc = run_cli("scan", "--profile", "audit", "k8s/api.yaml", "--format", "json", cwd=tmp_path)
    found = _codes(proc)
    assert ("K8S009", "k8s/api.yaml") in found  # file rules still run on the named file
    assert ("K8S013", "k8s/api.yaml") not in found  # its HPA lives in a file not named
    assert all(path == "k8s/api.yaml" for _, path in found)  # nothing reported on other files
    alone = write_tree(tmp_path / "alone", {"k8s/api.yaml": API})
    assert ("K8S013", "k8s/api.yaml") in _codes(
        run_cli("scan", "--profile", "audit", "k8s/api.yaml", "--format", "json", cwd=alone)
    )


def test_github_and_sarif_paths_are_relative_to_the_checkout(tmp_path: Path) -> None:
    write_tree(tmp_path, {"services/api/k8s/api.yaml": API})
    sarif = tmp_path / "out.sarif"
    proc = run_cli(
        "scan",
        "--profile",
        "audit",
        "services/api",
        "--format",
        "github",
        "--sarif",
        sarif,
        cwd=tmp_path,
    )
    assert "file=services/api/k8s/api.yaml" in proc.stdout
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(sarif.read_text())["runs"][0]["results"]
    }
    assert uris == {"services/api/k8s/api.yaml"}
    text = run_cli("scan", "--profile", "audit", "services/api", "--format", "json", cwd=tmp_path)
    assert {p for _, p in _codes(text)} == {"k8s/api.yaml"}  # the contract: relative to the root


def test_a_secret_is_reported_once_by_its_most_specific_rule(tmp_path: Path) -> None:
    compose = "services:\n  db:\n    image: postgres:16.2\n    environment:\n      POSTGRES_PASSWORD: Xk8#mQ2vL9pR4tW7\n"
    write_tree(tmp_path, {"docker-compose.yml": compose})
    at_line_5 = [
        c
        for c, _ in _codes(run_cli("scan", "--profile", "audit", tmp_path, "--format", "json"))
        if c.startswith(("SEC", "CMP004"))
    ]
    assert at_line_5 == ["CMP004"]


def test_job_summary_lists_every_suppression_and_ignore(tmp_path: Path) -> None:
    compose = (
        "services:\n  api:\n    image: ghcr.io/acme/api:1.0\n"
        "    privileged: true  # prodready: ignore[CMP008] demo only\n"
        "    # prodready: ignore[CMP001]\n    restart: always\n"
    )
    write_tree(
        tmp_path,
        {"repo/docker-compose.yml": compose, "repo/.prodready.toml": 'ignore = ["CMP010"]\n'},
    )
    summary = tmp_path / "summary.md"
    run_cli(
        "scan",
        "--profile",
        "audit",
        "repo",
        "--format",
        "github",
        cwd=tmp_path,
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    text = summary.read_text()
    section = text[text.index("### Suppressions and ignores") :]
    assert "`repo/docker-compose.yml:4` | CMP008 | demo only | yes" in section
    assert "`repo/docker-compose.yml:5` | CMP001 | (no reason: not applied) | no" in section
    assert "| CMP010 | ignore | yes" in section
    run_cli(
        "scan",
        "--profile",
        "audit",
        "repo",
        "--format",
        "github",
        "--strict",
        cwd=tmp_path,
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    strict = summary.read_text()[len(text) :]
    assert "CMP008 | demo only | no" in strict and "| CMP010 | ignore | no" in strict
