"""Scan options that change what is read or reported: --diff-base, --jobs, size cap."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import run_cli, write_tree

COMPOSE = """\
services:
  api:
    image: ghcr.io/acme/api:1.4.2
    restart: unless-stopped
"""


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def _findings(proc: subprocess.CompletedProcess[str]) -> list[tuple[str, str, int | None]]:
    assert proc.returncode in (0, 1), proc.stderr
    return [(f["code"], f["path"], f["line"]) for f in json.loads(proc.stdout)["findings"]]


def test_diff_base_reports_only_changed_lines(tmp_path: Path) -> None:
    write_tree(tmp_path, {"docker-compose.yml": COMPOSE, "old/docker-compose.yml": COMPOSE})
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.email=a@b.c", "-c", "user.name=a", "commit", "-qm", "base")
    everything = _findings(run_cli("scan", tmp_path, "--format", "json", "--profile", "audit"))
    assert any(path == "old/docker-compose.yml" for _, path, _ in everything)
    changed = COMPOSE.replace("ghcr.io/acme/api:1.4.2", "nginx:latest")
    write_tree(tmp_path, {"docker-compose.yml": changed})
    found = _findings(
        run_cli("scan", tmp_path, "--format", "json", "--diff-base", "HEAD", "--profile", "audit")
    )
    assert found and all(path == "docker-compose.yml" and line == 3 for _, path, line in found)
    assert ("CMP007", "docker-compose.yml", 3) in found
    proc = run_cli("scan", tmp_path, "--diff-base", "no-such-rev")
    assert proc.returncode == 2 and "not found" in proc.stderr


def test_parallel_scan_gives_the_same_report(tmp_path: Path) -> None:
    files = {f"svc{i}/docker-compose.yml": COMPOSE.replace("api", f"api{i}") for i in range(40)}
    files |= {
        f"k8s/app{i}.yaml": f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nspec:\n  containers:\n    - name: c\n      image: nginx\n"
        for i in range(40)
    }
    write_tree(tmp_path, files)
    one = run_cli("scan", tmp_path, "--format", "json", "--jobs", "1")
    two = run_cli("scan", tmp_path, "--format", "json", "--jobs", "2")
    assert one.stdout == two.stdout and _findings(one)


def test_files_over_the_size_cap_are_notes(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".prodready.toml": "max-file-bytes = 1000\n",
            "k8s/big.yaml": "apiVersion: v1\nkind: ConfigMap\n" + "# padding\n" * 200,
            "assets/logo.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000,
        },
    )
    found = _findings(run_cli("scan", tmp_path, "--format", "json"))
    assert found == [("PR001", "k8s/big.yaml", None)]


def test_secret_suppressed_in_python_and_env_files(tmp_path: Path) -> None:
    token = "fa5d3282" + "63dfe574de739988b886e757"
    write_tree(
        tmp_path,
        {
            "app/settings.py": f'# prodready: ignore[SEC001] revoked sandbox token kept for a replay test\nTWILIO_AUTH_TOKEN = "{token}"\n',
            "deploy/prod.env.example": f"TWILIO_AUTH_TOKEN={token}  # prodready: ignore[hardcoded-secret] revoked\n",
        },
    )
    proc = run_cli("scan", tmp_path, "--format", "json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0
    assert {(f["path"], f["suppressed"]) for f in doc["findings"]} == {
        ("app/settings.py", True),
        ("deploy/prod.env.example", True),
    }
    assert token not in proc.stdout
