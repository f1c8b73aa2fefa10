"""Bad input never crashes a scan and never loses findings.

Each odd file yields one note (PR001) naming it and the reason; every other
finding of the repository is still reported, exactly as without the file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from analyzer.pipeline.scan import scan
from tests.conftest import REPO, run_cli, write_tree

GOOD_FILES = {
    "k8s/api.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 3\n"
        "  template:\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:latest\n"
    ),
}

BAD_FILES: dict[str, str | bytes] = {
    "k8s/broken.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: x\n  spec: [\n",
    "Dockerfile": "this is not\n a dockerfile at all \x7f\n",
    "worker/Dockerfile": b"\x00\x01\x02ELF\x00binary\x00" * 20,
    "docker-compose.yml": "",
    "deploy/latin1.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n".encode(
        "latin-1"
    ),
    "k8s/bomb.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\n"
        'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
        + "".join(
            f"{n}: &{n} [{', '.join(['*' + p] * 10)}]\n"
            for p, n in zip("abcdef", "bcdefg", strict=True)
        )
    ),
    "chart/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
}


def _by_file(root: Path) -> dict[str, list[tuple[str, int | None, str]]]:
    out: dict[str, list[tuple[str, int | None, str]]] = {}
    for f in scan(root).findings:
        out.setdefault(f.path, []).append((f.code, f.line, f.message))
    return out


def test_bad_files_are_notes_and_good_findings_survive(tmp_path: Path) -> None:
    clean = write_tree(tmp_path / "clean", GOOD_FILES)
    expected = _by_file(clean)
    assert expected["k8s/api.yaml"], "the good file must have findings to lose"

    dirty = write_tree(tmp_path / "dirty", {**GOOD_FILES, **BAD_FILES})
    got = _by_file(dirty)
    assert got["k8s/api.yaml"] == expected["k8s/api.yaml"]
    for path in BAD_FILES:
        if path == "deploy/latin1.yaml":
            continue
        notes = [m for code, _, m in got.get(path, []) if code == "PR001"]
        assert len(notes) == 1, (path, got.get(path))
    assert "binary" in got["worker/Dockerfile"][0][2]
    assert "empty" in got["docker-compose.yml"][0][2]
    assert "template" in got["chart/templates/deploy.yaml"][0][2]
    assert "alias" in got["k8s/bomb.yaml"][0][2]
    latin = [m for code, _, m in got["deploy/latin1.yaml"] if code == "PR001"]
    assert len(latin) == 1 and "UTF-8" in latin[0]


@pytest.fixture
def open_tmp():  # type: ignore[no-untyped-def]
    """A temp folder other users can enter (pytest's own is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="prodready-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_unreadable_and_vanishing_files(open_tmp: Path) -> None:
    tmp_path = open_tmp
    root = write_tree(tmp_path / "repo", GOOD_FILES)
    os.symlink(tmp_path / "nowhere.yaml", root / "k8s" / "dangling.yaml")
    locked = root / "k8s" / "locked.yaml"
    locked.write_text(GOOD_FILES["k8s/api.yaml"])
    locked.chmod(0)
    for folder in (root, root / "k8s"):
        folder.chmod(0o755)
    cmd = [sys.executable, "-m", "analyzer", "scan", str(root), "--format", "json"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if os.geteuid() == 0:
        # root reads everything; drop to an unprivileged user so the permission bite is real
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("setpriv is needed to drop root privileges")
        cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    notes = {f["path"]: f["message"] for f in findings if f["code"] == "PR001"}
    assert "Permission denied" in notes["k8s/locked.yaml"]
    assert "symlink" in notes["k8s/dangling.yaml"]
    assert any(f["path"] == "k8s/api.yaml" and f["code"] != "PR001" for f in findings)


def test_garbage_never_crashes_the_cli(tmp_path: Path) -> None:
    write_tree(tmp_path, {**BAD_FILES, "x.yaml": "- [" * 5000, "deep.yaml": "a:\n" + "  - \n" * 10})
    proc = run_cli("scan", tmp_path, "--format", "sarif")
    assert proc.returncode in (0, 1), proc.stderr
    json.loads(proc.stdout)
