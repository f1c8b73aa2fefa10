"""The pre-commit hooks (.pre-commit-hooks.yaml), checked by pre-commit itself.

The slow tests run the real `pre-commit try-repo` in a throwaway project, so
pre-commit builds its own virtualenv and pip-installs prodready from this
repository exactly as a user's `repo:` entry would. try-repo reads a local
repository at HEAD plus its tracked changes, so it would miss a file that is
new and not yet committed; the tests therefore point it at a committed
snapshot of the working tree (tracked and untracked files, .gitignore
honoured), which in a clean CI checkout is the same thing as the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from identify import identify
from pre_commit.clientlib import load_manifest  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parent.parent
MANIFEST = REPO / ".pre-commit-hooks.yaml"
GOOD_DOCKERFILE = (REPO / "examples" / "call-center-fixed" / "Dockerfile").read_text(
    encoding="utf-8"
)
BAD_DOCKERFILE = """\
FROM python:latest
WORKDIR /app
COPY . .
RUN pip install fastapi uvicorn
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--reload"]
"""
GIT = ["git", "-c", "user.name=dev", "-c", "user.email=dev@example.com"]
GIT += ["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]


def _hooks() -> dict[str, dict[str, object]]:
    return {hook["id"]: hook for hook in load_manifest(str(MANIFEST))}


def test_manifest_is_valid_for_pre_commit() -> None:
    hooks = _hooks()
    assert set(hooks) == {"prodready", "prodready-repo", "prodready-fix"}
    staged = hooks["prodready"]
    assert staged["language"] == "python"
    assert staged["entry"] == "prodready scan"
    assert staged["pass_filenames"] is True
    assert staged["require_serial"] is True
    whole = hooks["prodready-repo"]
    assert whole["pass_filenames"] is False
    assert whole["always_run"] is True
    assert whole["require_serial"] is True


def test_hook_filter_selects_every_file_prodready_reads() -> None:
    """`.env`, private keys and nginx.conf have no pre-commit tag but `text`: none may be lost."""
    hook = _hooks()["prodready"]
    wanted = set(hook["types"]) | set(hook["types_or"] or ())  # type: ignore[call-overload]
    example = REPO / "examples" / "call-center"
    files = [p for p in example.rglob("*") if p.is_file()]
    assert {".env", "api-tls.key", "Dockerfile.worker", "docker-compose.yml"} <= {
        p.name for p in files
    }
    for path in files:
        tags = identify.tags_from_path(str(path))
        assert set(hook["types"]) <= tags, path  # type: ignore[call-overload]
        if hook["types_or"]:
            assert wanted & tags, path


def _snapshot(dest: Path) -> Path:
    """This repository's working tree, committed in a fresh repository for try-repo."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = REPO / rel
        if rel.startswith((".venv/", "examples/")) or not src.is_file():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    subprocess.run([*GIT, "init", "-q"], cwd=dest, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=dest, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "snapshot"], cwd=dest, check=True)
    return dest


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _snapshot(tmp_path_factory.mktemp("prodready-hook-repo"))


def _project(root: Path, files: dict[str, str], staged: list[str]) -> Path:
    """A developer's repository: `files` committed, then `staged` overwritten and staged."""
    root.mkdir()
    subprocess.run([*GIT, "init", "-q"], cwd=root, check=True)
    (root / "README.md").write_text("# service\n", encoding="utf-8")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "init"], cwd=root, check=True)
    for rel in staged:
        subprocess.run([*GIT, "add", rel], cwd=root, check=True)
    return root


def _try_repo(project: Path, hook_repo: Path, hook: str, *files: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook]
    cmd += ["--color", "never", "--verbose"]
    cmd += ["--files", *files] if files else ["--all-files"]
    proc = subprocess.run(
        cmd, cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.slow
def test_hook_fails_on_a_bad_dockerfile_and_names_the_finding(
    hook_repo: Path, tmp_path: Path
) -> None:
    project = _project(tmp_path / "project", {"Dockerfile": BAD_DOCKERFILE}, ["Dockerfile"])
    code, output = _try_repo(project, hook_repo, "prodready", "Dockerfile")
    assert code == 1, output[-4000:]
    assert "prodready (staged files)" in output and "Failed" in output
    assert "Dockerfile" in output
    assert "DF" in output  # a Dockerfile rule code, e.g. DF001 for running as root


@pytest.mark.slow
def test_hook_passes_on_a_good_dockerfile(hook_repo: Path, tmp_path: Path) -> None:
    project = _project(tmp_path / "project", {"Dockerfile": GOOD_DOCKERFILE}, ["Dockerfile"])
    code, output = _try_repo(project, hook_repo, "prodready", "Dockerfile")
    assert code == 0, output[-4000:]
    assert "Passed" in output


@pytest.mark.slow
def test_repository_hook_scans_files_that_are_not_staged(hook_repo: Path, tmp_path: Path) -> None:
    """Only README.md is passed; the committed bad Dockerfile still fails `prodready-repo`."""
    project = _project(tmp_path / "project", {"Dockerfile": BAD_DOCKERFILE}, [])
    code, output = _try_repo(project, hook_repo, "prodready-repo", "README.md")
    assert code == 1, output[-4000:]
    assert "prodready (whole repository)" in output and "Dockerfile" in output
