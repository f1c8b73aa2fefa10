"""Discovery: which files a scan reads and what kind each is."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from analyzer.pipeline import discover
from tests.conftest import write_tree


@pytest.mark.parametrize(
    ("path", "text", "kind"),
    [
        ("app/main.py", "", "python"),
        ("Dockerfile", "", "dockerfile"),
        ("docker/api.Dockerfile", "", "dockerfile"),
        ("Dockerfile.worker", "", "dockerfile"),
        ("Containerfile", "", "dockerfile"),
        ("docker-compose.yml", "", "compose"),
        ("docker-compose.prod.yaml", "", "compose"),
        ("compose.yaml", "", "compose"),
        ("deploy/api.yaml", "apiVersion: apps/v1\nkind: Deployment\n", "kubernetes"),
        ("deploy/values.yaml", "replicaCount: 2\n", "yaml"),
        ("overlays/prod/kustomization.yaml", "images: []\n", "kubernetes"),
        (
            "chart/templates/dep.yaml",
            "apiVersion: v1\nkind: Pod\nname: {{ .Release.Name }}\n",
            "helm",
        ),
        (".github/workflows/ci.yml", "on: push\njobs: {}\n", "workflow"),
        (".github/workflows/ci.yml", "on: push\nrun: ${{ github.sha }}\n", "workflow"),
        (".env", "", "env"),
        (".env.production", "", "env"),
        ("prod.env", "", "env"),
        ("deploy/prod.env.example", "", "env"),
        ("supabase/migrations/001_init.sql", "", "sql"),
        ("supabase/config.toml", "", "supabase-config"),
        ("nginx/nginx.conf", "", "nginx"),
        ("deploy/site.conf", "server {\n listen 80;\n}\n", "nginx"),
        ("frontend/src/App.tsx", "", "js"),
        ("frontend/index.html", "<!doctype html>\n", "html"),
        ("public/legacy.HTM", "", "html"),
        ("README.md", "", "other"),
    ],
)
def test_classify(path: str, text: str, kind: str) -> None:
    assert discover.classify(path, text) == kind


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_git_work_tree_lists_tracked_and_untracked_not_ignored(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".gitignore": "build/\n*.log\n",
            "a.py": "",
            "build/x.py": "",
            "b.log": "",
            "new.py": "",
            "sub/c.yaml": "k: v\n",
        },
    )
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".gitignore", "a.py", "sub/c.yaml")
    paths = [c.path for c in discover.discover(tmp_path, None, [])]
    assert paths == [".gitignore", "a.py", "new.py", "sub/c.yaml"]


def test_walk_honours_nested_gitignore_and_skips_vendor_dirs(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".gitignore": "*.tmp\n",
            "a.py": "",
            "x.tmp": "",
            "web/.gitignore": "dist/\n",
            "web/dist/app.js": "",
            "web/src/app.js": "",
            "node_modules/lib/index.js": "",
            ".git/config": "",
        },
    )
    paths = [c.path for c in discover.discover(tmp_path, None, [])]
    assert paths == [".gitignore", "a.py", "web/.gitignore", "web/src/app.js"]


def test_config_exclude(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "", "tests/fixtures/bad.yaml": "", "tests/t.py": ""})
    paths = [c.path for c in discover.discover(tmp_path, None, ["tests/fixtures/**"])]
    assert paths == ["a.py", "tests/t.py"]


def test_symlinks_are_never_followed_outside_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_tree(outside, {"secret.env": "TOKEN=abc\n"})
    root = tmp_path / "repo"
    write_tree(root, {"a.py": ""})
    os.symlink(outside / "secret.env", root / "linked.env")
    os.symlink(root / "a.py", root / "inner.py")
    os.symlink(root / "missing", root / "broken.yaml")
    os.symlink(outside, root / "linkdir")
    found = {c.path: c.skip_reason for c in discover.discover(root, None, [])}
    assert found["a.py"] is None
    assert "outside" in (found["linked.env"] or "")
    assert found["inner.py"] == "symlink"
    assert "broken" in (found["broken.yaml"] or "")
    assert "outside" in (found["linkdir"] or "")
    assert not any(p.startswith("linkdir/") for p in found)


def test_explicit_files_are_scanned_relative_to_root(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a/Dockerfile": "", "b.py": "", "c.py": ""})
    found = [
        c.path
        for c in discover.discover(tmp_path, [tmp_path / "a/Dockerfile", tmp_path / "b.py"], [])
    ]
    assert found == ["a/Dockerfile", "b.py"]
