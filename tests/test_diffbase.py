"""`--diff-base REV` on real git repositories: what the change introduced, nothing older."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from analyzer.core.config import Config
from analyzer.core.errors import UsageError
from analyzer.pipeline import diffbase
from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, run_cli, write_tree

GIT = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", "-c", "commit.gpgsign=false"]

COMPOSE = """\
services:
  api:
    image: ghcr.io/acme/api:1.4.2
    restart: unless-stopped
  cache:
    image: ghcr.io/acme/cache:2.0.0
    restart: unless-stopped
"""

OTHER = COMPOSE.replace("2.0.0", "2.1.0") + "  # production\n"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
"""

HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 2
  maxReplicas: 10
"""


def _git(root: Path, *args: str) -> str:
    proc = subprocess.run([*GIT, *args], cwd=root, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def _repo(root: Path, files: dict[str, str]) -> str:
    write_tree(root, files)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    return _git(root, "rev-parse", "HEAD")


def _found(root: Path, *args: str) -> list[tuple[str, str, int | None]]:
    """The real scan in this process (fast); `--diff-base REV` as the CLI applies it."""
    result = scan(root, AUDIT)
    if args:
        assert args[0] == "--diff-base"
        result = diffbase.restrict(result, args[1], Config())
    return [(f.code, f.path, f.line) for f in result.findings]


def test_only_lines_changed_since_the_base_are_reported(tmp_path: Path) -> None:
    base = _repo(tmp_path, {"docker-compose.yml": COMPOSE, "old/docker-compose.yml": COMPOSE})
    before = _found(tmp_path)
    assert any(path == "old/docker-compose.yml" for _, path, _ in before)
    write_tree(tmp_path, {"docker-compose.yml": COMPOSE.replace("cache:2.0.0", "cache:latest")})
    _git(tmp_path, "commit", "-qam", "change")
    proc = run_cli("scan", tmp_path, "--format", "json", "--diff-base", base, "--profile", "audit")
    assert proc.returncode == 1, proc.stderr
    found = [(f["code"], f["path"], f["line"]) for f in json.loads(proc.stdout)["findings"]]
    assert found == [("CMP007", "docker-compose.yml", 6)]
    assert _found(tmp_path, "--diff-base", "HEAD") == []


def test_renames_are_followed_and_deleted_files_ignored(tmp_path: Path) -> None:
    base = _repo(
        tmp_path,
        {
            "a/docker-compose.yml": COMPOSE,
            "b/docker-compose.prod.yml": OTHER,
            "gone/docker-compose.yml": COMPOSE,
        },
    )
    (tmp_path / "deploy").mkdir()
    _git(tmp_path, "mv", "a/docker-compose.yml", "deploy/docker-compose.yml")  # pure rename
    _git(tmp_path, "mv", "b/docker-compose.prod.yml", "deploy/docker-compose.prod.yml")
    write_tree(
        tmp_path, {"deploy/docker-compose.prod.yml": OTHER.replace("api:1.4.2", "api:latest")}
    )
    _git(tmp_path, "rm", "-q", "gone/docker-compose.yml")
    _git(tmp_path, "commit", "-qam", "move")
    changes = diffbase.diff(tmp_path, base)
    assert changes.renamed == {
        "deploy/docker-compose.yml": "a/docker-compose.yml",
        "deploy/docker-compose.prod.yml": "b/docker-compose.prod.yml",
    }
    assert changes.deleted == {"gone/docker-compose.yml"}
    assert "deploy/docker-compose.yml" not in changes.lines  # moved, not rewritten
    assert changes.lines["deploy/docker-compose.prod.yml"] == {3}
    assert _found(tmp_path, "--diff-base", base) == [
        ("CMP007", "deploy/docker-compose.prod.yml", 3)
    ]


def test_judge_findings_caused_by_a_change_elsewhere_are_reported(tmp_path: Path) -> None:
    """Deleting the autoscaler makes the untouched Deployment a single replica."""
    base = _repo(tmp_path, {"k8s/api.yaml": DEPLOYMENT, "k8s/hpa.yaml": HPA, "README.md": "x\n"})
    assert not any(code == "K8S005" for code, _, _ in _found(tmp_path))
    _git(tmp_path, "rm", "-q", "k8s/hpa.yaml")
    _git(tmp_path, "commit", "-qm", "drop the autoscaler")
    assert ("K8S005", "k8s/api.yaml", 4) in _found(tmp_path, "--diff-base", base)


def test_judge_findings_that_were_already_there_are_not(tmp_path: Path) -> None:
    base = _repo(tmp_path, {"k8s/api.yaml": DEPLOYMENT, "README.md": "x\n"})
    assert ("K8S005", "k8s/api.yaml", 4) in _found(tmp_path)
    write_tree(tmp_path, {"README.md": "y\n"})
    (tmp_path / "deploy").mkdir()
    _git(tmp_path, "mv", "k8s/api.yaml", "deploy/api.yaml")  # a rename is not a new finding
    _git(tmp_path, "commit", "-qam", "docs")
    assert _found(tmp_path, "--diff-base", base) == []


def test_untracked_files_count_as_added(tmp_path: Path) -> None:
    _repo(tmp_path, {"README.md": "x\n"})
    write_tree(tmp_path, {"docker-compose.yml": COMPOSE.replace("api:1.4.2", "api")})
    assert ("CMP007", "docker-compose.yml", 3) in _found(tmp_path, "--diff-base", "HEAD")


def test_unusual_file_names_survive_git_quoting() -> None:
    text = "\n".join(
        [
            'diff --git "a/caf\\303\\251 x.yml" "b/caf\\303\\251 x.yml"',
            '--- "a/caf\\303\\251 x.yml"',
            '+++ "b/caf\\303\\251 x.yml"',
            "@@ -2 +2,2 @@",
            "diff --git a/with space.yml b/with space.yml",
            "--- a/with space.yml\t",
            "+++ b/with space.yml\t",
            "@@ -1,0 +5 @@",
            "diff --git a/gone.yml b/gone.yml",
            "--- a/gone.yml",
            "+++ /dev/null",
            "@@ -1,3 +0,0 @@",
        ]
    )
    lines, renamed, deleted = diffbase.parse_diff(text)
    assert lines == {"café x.yml": {2, 3}, "with space.yml": {5}}
    assert renamed == {} and deleted == {"gone.yml"}


def test_a_shallow_clone_works_once_the_base_is_fetched(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    base = _repo(origin, {"docker-compose.yml": COMPOSE})
    write_tree(origin, {"docker-compose.yml": COMPOSE.replace("cache:2.0.0", "cache")})
    _git(origin, "commit", "-qam", "head")
    _git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", origin.as_uri(), str(clone)],
        check=True,
        capture_output=True,
    )
    with pytest.raises(UsageError, match="not found; this is a shallow clone") as missing:
        diffbase.resolve(clone, base)
    assert f"git fetch --no-tags --depth=1 origin {base}" in str(missing.value)
    _git(clone, "fetch", "-q", "--no-tags", "--depth=1", "origin", base)
    assert _found(clone, "--diff-base", base) == [("CMP007", "docker-compose.yml", 6)]


def test_clear_errors_outside_git_and_for_unknown_revisions(tmp_path: Path) -> None:
    write_tree(tmp_path / "plain", {"docker-compose.yml": COMPOSE})
    with pytest.raises(UsageError, match="needs a git work tree"):
        diffbase.diff(tmp_path / "plain", "HEAD")
    _repo(tmp_path / "repo", {"docker-compose.yml": COMPOSE})
    proc = run_cli("scan", tmp_path / "repo", "--diff-base", "no-such-branch")
    assert proc.returncode == 2 and "'no-such-branch' not found" in proc.stderr
    with pytest.raises(UsageError, match="not a revision"):
        diffbase.resolve(tmp_path / "repo", "--output=/tmp/x")
