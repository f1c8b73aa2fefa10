"""Shared helpers: write a small repository to disk and run the real CLI on it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from analyzer.core.config import Config

# What a rule's own tests scan with: every rule, whatever tier its measured precision puts it
# in (the default profile's choice of rules is tested on its own, in test_examples and
# test_precision_claims).
AUDIT = Config(profile="audit")

REPO = Path(__file__).resolve().parent.parent
# the suite never reads or fills the user's real result cache, not even in subprocesses
os.environ.setdefault("PRODREADY_CACHE_DIR", tempfile.mkdtemp(prefix="prodready-test-cache-"))


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def run_cli(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command line in a subprocess, as users and CI run it."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1", **(env or {})}
    full_env.pop(
        "GITHUB_STEP_SUMMARY", None
    ) if env is None or "GITHUB_STEP_SUMMARY" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "analyzer", *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test its own empty result cache, so no test sees another's entries."""
    monkeypatch.setenv("PRODREADY_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def tree(tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(files: Mapping[str, str | bytes]) -> Path:
        return write_tree(tmp_path, files)

    return make
