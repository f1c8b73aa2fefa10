"""The result cache: hits on unchanged input, a miss for every change that matters, safe storage."""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import analyzer
from analyzer.core import cache, catalog
from analyzer.core.config import Config
from analyzer.core.model import FileResult
from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, REPO, run_cli, write_tree

SECRET = "Zq8vR2mK9wLp4Tx7Nc3Bh6Yd"

FILES = {
    "app/main.py": (
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/items')\ndef items():\n    return []\n"
    ),
    "app/util.py": "import os\n\n\ndef token():\n    return os.environ['TOKEN']\n",
    "docker-compose.yml": (
        "services:\n  api:\n    image: api:1.0\n    environment:\n      LOG_LEVEL: info\n"
    ),
    "k8s/api.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
        "  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: api\n"
        "          image: api:latest\n"
    ),
}


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.bin"))


def summary(result: object) -> list[tuple[str, str, int | None, str]]:
    return [(f.code, f.path, f.line, f.fingerprint) for f in result.findings]  # type: ignore[attr-defined]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("PRODREADY_CACHE_DIR", str(folder))
    monkeypatch.delenv("PRODREADY_NO_CACHE", raising=False)
    cache.STATS.clear()
    return folder


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", FILES)


def test_second_scan_reads_every_file_from_the_cache(repo: Path, cache_dir: Path) -> None:
    first = scan(repo, AUDIT)
    written = entries(cache_dir)
    assert len(written) == len(FILES)
    cache.STATS.clear()
    second = scan(repo, AUDIT)
    assert cache.STATS["hits"] == len(FILES) and cache.STATS["misses"] == 0
    assert entries(cache_dir) == written
    assert summary(second) == summary(first) and second.evidence == first.evidence
    assert stat.S_IMODE((cache_dir / cache.LAYOUT).stat().st_mode) == 0o700


def test_changed_bytes_miss_for_that_file_only(repo: Path, cache_dir: Path) -> None:
    scan(repo, AUDIT)
    (repo / "app/util.py").write_text(FILES["app/util.py"] + "# touched\n")
    cache.STATS.clear()
    scan(repo, AUDIT)
    assert cache.STATS["misses"] == 1 and cache.STATS["hits"] == len(FILES) - 1


@pytest.mark.parametrize(
    "change",
    [
        {"max_file_bytes": 1_000_000},
        {"public_routes": ("/items",)},
        {"max_yaml_nodes": 1000},
        {"ignore": ("K8S",)},  # the rule codes in effect
    ],
    ids=["max-file-bytes", "public-routes", "yaml-bounds", "rule-set"],
)
def test_a_setting_that_changes_results_is_a_miss(
    repo: Path, cache_dir: Path, change: dict[str, object]
) -> None:
    scan(repo, AUDIT)
    cache.STATS.clear()
    scan(repo, replace(AUDIT, **change))  # type: ignore[arg-type]
    assert cache.STATS["hits"] == 0 and cache.STATS["misses"] == len(FILES)


def test_settings_that_do_not_change_file_results_still_hit(repo: Path, cache_dir: Path) -> None:
    scan(repo, AUDIT)
    cache.STATS.clear()
    scan(repo, replace(AUDIT, fail_on="error", per_path_ignores=(("k8s/*", ("K8S",)),)))
    assert cache.STATS["misses"] == 0


def test_another_tool_version_is_a_miss(
    repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan(repo, AUDIT)
    monkeypatch.setattr(analyzer, "__version__", analyzer.__version__ + ".post1")
    cache.STATS.clear()
    scan(repo, AUDIT)
    assert cache.STATS["hits"] == 0 and cache.STATS["misses"] == len(FILES)


def test_an_edited_rule_file_is_a_miss(
    repo: Path, cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(catalog.rules_dir(), rules)
    monkeypatch.setattr(catalog, "rules_dir", lambda: rules)
    cache._code_digest.cache_clear()  # computed once per process: the rules do not change mid-run
    try:
        scan(repo, AUDIT)
        kube = rules / "kubernetes.yaml"
        kube.write_text(kube.read_text(encoding="utf-8") + "\n# reworded\n", encoding="utf-8")
        cache._code_digest.cache_clear()
        cache.STATS.clear()
        scan(repo, AUDIT)
        assert cache.STATS["hits"] == 0 and cache.STATS["misses"] == len(FILES)
    finally:
        cache._code_digest.cache_clear()


def test_corrupt_or_truncated_entries_are_misses(repo: Path, cache_dir: Path) -> None:
    first = scan(repo, AUDIT)
    damaged = entries(cache_dir)
    for i, path in enumerate(damaged):
        blob = path.read_bytes()
        if i % 3 == 0:
            path.write_bytes(blob[: len(blob) // 2])  # torn write
        elif i % 3 == 1:
            path.write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))  # one flipped bit
        else:
            path.write_bytes(b"")
    cache.STATS.clear()
    second = scan(repo, AUDIT)
    assert cache.STATS["hits"] == 0 and cache.STATS["writes"] == len(FILES)
    assert summary(second) == summary(first)
    cache.STATS.clear()
    scan(repo, AUDIT)
    assert cache.STATS["hits"] == len(FILES)  # rewritten whole


def test_two_processes_filling_one_cache_at_once(repo: Path, cache_dir: Path) -> None:
    for i in range(60):  # enough files for both runs to be writing at the same time
        write_tree(repo, {f"app/mod{i}.py": f"import os\nVALUE_{i} = os.environ.get('X{i}')\n"})
    env = {**os.environ, "PYTHONPATH": str(REPO), "PRODREADY_CACHE_DIR": str(cache_dir)}
    cmd = [
        sys.executable,
        "-m",
        "analyzer",
        "scan",
        str(repo),
        "--format",
        "json",
        "--jobs",
        "1",
        "--profile",
        "audit",
    ]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode in (0, 1) for p in procs), outputs
    assert json.loads(outputs[0][0])["findings"] == json.loads(outputs[1][0])["findings"]
    assert not list(cache_dir.rglob(".tmp-*"))  # no temporary file left behind
    cache.STATS.clear()
    again = scan(repo, AUDIT)
    assert cache.STATS["hits"] == len(FILES) + 60 and cache.STATS["misses"] == 0
    assert [f.fingerprint for f in again.findings] == [
        f["fingerprint"] for f in json.loads(outputs[0][0])["findings"]
    ]


def test_no_secret_value_is_written_to_the_cache(repo: Path, cache_dir: Path) -> None:
    write_tree(
        repo,
        {
            "docker-compose.yml": (
                "services:\n  db:\n    image: postgres:16\n    environment:\n"
                f"      POSTGRES_PASSWORD: {SECRET}\n"
            ),
            "app/settings.py": f'API_KEY = "{SECRET}"\n',
            "k8s/secret.yaml": (
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n"
                f"stringData:\n  password: {SECRET}\n"
            ),
            ".env": f"DB_PASSWORD={SECRET}\n",
        },
    )
    proc = run_cli("scan", repo, "--format", "json", env={"PRODREADY_CACHE_DIR": str(cache_dir)})
    assert proc.returncode == 1, proc.stderr
    stored = entries(cache_dir)
    assert len(stored) >= len(FILES)  # the files holding the secret were cached too
    for needle in (SECRET, SECRET[:12], SECRET.encode("utf-16-le").decode("latin-1")):
        for path in cache_dir.rglob("*"):
            if path.is_file():
                assert needle.encode("latin-1") not in path.read_bytes(), path


def test_no_cache_neither_reads_nor_writes(repo: Path, cache_dir: Path) -> None:
    env = {"PRODREADY_CACHE_DIR": str(cache_dir)}
    assert run_cli("scan", repo, "--no-cache", env=env).returncode in (0, 1)
    assert not entries(cache_dir)
    assert run_cli("scan", repo, env=env).returncode in (0, 1)
    stored = entries(cache_dir)
    for path in stored:
        os.utime(path, (1_000_000, 1_000_000))  # a hit would refresh this
    proc = run_cli("scan", repo, "--no-cache", env=env)
    assert proc.returncode in (0, 1), proc.stderr
    assert entries(cache_dir) == stored
    assert all(p.stat().st_mtime == 1_000_000 for p in stored)


def test_pre_commit_run_takes_context_facts_from_the_cache(
    repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan(repo, AUDIT)  # a full scan warms the cache
    cache.STATS.clear()
    monkeypatch.chdir(repo)
    hook = scan(Path("."), AUDIT, [Path("k8s/api.yaml")])
    context = len(FILES) - 1
    assert cache.STATS["hits"] == 1 + context
    assert {f.path for f in hook.findings} <= {"k8s/api.yaml"}


def test_pre_commit_context_facts_are_cached_on_first_use(
    repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    scan(Path("."), AUDIT, [Path("k8s/api.yaml")])
    cache.STATS.clear()
    scan(Path("."), AUDIT, [Path("k8s/api.yaml")])
    assert cache.STATS["hits"] == len(FILES) and cache.STATS["writes"] == 0


def test_a_cache_folder_others_can_write_is_not_used(repo: Path, cache_dir: Path) -> None:
    if not hasattr(os, "getuid"):
        pytest.skip("POSIX permissions")
    cache_dir.mkdir()
    cache_dir.chmod(0o777)
    scan(repo, AUDIT)
    assert not entries(cache_dir) and cache.STATS["hits"] == cache.STATS["misses"] == 0


def test_folder_follows_platform_conventions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRODREADY_CACHE_DIR")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert cache.directory() == Path("/xdg/prodready")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.directory() == Path.home() / ".cache" / "prodready"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert cache.directory() == Path.home() / "Library" / "Caches" / "prodready"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", "/local")
    assert cache.directory() == Path("/local/prodready/Cache")
    monkeypatch.setenv("PRODREADY_CACHE_DIR", "/elsewhere")
    assert cache.directory() == Path("/elsewhere")


def test_prune_drops_least_recently_used_entries(tmp_path: Path) -> None:
    folder = tmp_path / "v1"
    for i in range(10):
        path = folder / f"{i:02d}" / f"{i:02d}x.bin"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x" * 1000)
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    removed = cache.prune(str(folder), limit=5000)
    left = sorted(p.name for p in folder.rglob("*.bin"))
    assert removed == 6 and left == ["06x.bin", "07x.bin", "08x.bin", "09x.bin"]
    assert cache.prune(str(folder), limit=5000) == 0


def test_parallel_scan_reads_hits_in_the_main_process(repo: Path, cache_dir: Path) -> None:
    for i in range(70):  # above the process-pool threshold
        write_tree(repo, {f"app/mod{i}.py": f"import os\nVALUE_{i} = os.environ.get('X{i}')\n"})
    first = scan(repo, AUDIT, jobs=2)
    assert len(entries(cache_dir)) == len(FILES) + 70  # written by the workers
    (repo / "app/mod3.py").write_text("import os\n")
    cache.STATS.clear()
    second = scan(repo, AUDIT, jobs=2)
    assert cache.STATS["hits"] == len(FILES) + 69 and cache.STATS["misses"] == 1
    changed = [f for f in first.findings if f.path != "app/mod3.py"]
    assert [f.fingerprint for f in second.findings if f.path != "app/mod3.py"] == [
        f.fingerprint for f in changed
    ]


class _NoSyntaxTrees(pickle.Unpickler):
    """Refuses to build any `ast` node: what a cache entry holds must not need one."""

    def find_class(self, module: str, name: str) -> object:
        if module in ("ast", "_ast"):
            raise AssertionError(f"a syntax tree node ({module}.{name}) left the worker")
        return super().find_class(module, name)


def test_python_facts_leave_extraction_as_summaries_without_trees(tmp_path: Path) -> None:
    """The judge, the evidence and the cache read summaries; a tree is ~50x its source."""
    root = write_tree(
        tmp_path / "repo",
        {
            **FILES,
            "app/settings.py": (
                "from pydantic_settings import BaseSettings\n\n\n"
                "class Settings(BaseSettings):\n    database_url: str\n\n\nsettings = Settings()\n"
            ),
            "app/tasks.py": (
                "import requests\nfrom celery import shared_task\n\n\n"
                "@shared_task\ndef ping():\n    requests.get('https://x.example', timeout=5)\n"
            ),
        },
    )
    results = scan_results(root)
    python = [r for r in results if r.kind == "python"]
    assert python and all(r.facts is not None for r in python)
    for r in python:
        _NoSyntaxTrees(io.BytesIO(pickle.dumps(r))).load()
    found = {f.code for f in scan(root, AUDIT, cache=False).findings}
    assert {"API001", "PY003"} <= found  # the cross-file rules still see what they need


def scan_results(root: Path) -> list[FileResult]:
    from analyzer.pipeline import discover
    from analyzer.pipeline.extract import extract
    from analyzer.pipeline.plan import Plan

    plan = Plan(str(root), frozenset(catalog.load()), 1_000_000)
    return [extract(plan, c) for c in discover.discover(root, None, ())]


def _judged(root: Path, config: Config | None = None) -> list[tuple[str, str, int | None, str]]:
    return summary(scan(root, config or AUDIT))


def test_judge_answer_is_reused_when_no_file_facts_changed(repo: Path, cache_dir: Path) -> None:
    """A comment at the end of a module changes its bytes, not its facts: no new judgement."""
    first = _judged(repo)
    with (repo / "app/main.py").open("a") as fh:
        fh.write("# reviewed\n")
    cache.STATS.clear()
    again = _judged(repo)
    assert cache.STATS["misses"] == 1  # the edited file is parsed and checked again
    assert cache.STATS["memo-hits"] == 2 and cache.STATS["memo-misses"] == 0  # judge, evidence
    assert again == first


def test_judge_runs_again_when_a_fact_changes(repo: Path, cache_dir: Path) -> None:
    before = _judged(repo)
    assert not [f for f in before if f[0] == "API001" and "/orders" in f[3]]
    with (repo / "app/main.py").open("a") as fh:
        fh.write("\n\n@app.post('/orders')\ndef create_order():\n    return {}\n")
    cache.STATS.clear()
    after = scan(repo, AUDIT)
    assert cache.STATS["memo-misses"] == 2 and cache.STATS["memo-hits"] == 0
    routes = [f for f in after.findings if f.code == "API001"]
    assert any("POST /orders" in f.message for f in routes), [f.message for f in routes]
    assert summary(after) == summary(scan(repo, AUDIT, cache=False))


def test_judge_answer_is_not_reused_under_other_settings(repo: Path, cache_dir: Path) -> None:
    """Same files, a route declared public: the memo is keyed by the settings too."""
    flagged = [f for f in _judged(repo) if f[0] == "API001"]
    assert flagged
    cache.STATS.clear()
    public = _judged(repo, replace(AUDIT, public_routes=("/items",)))
    assert cache.STATS["memo-hits"] == 0
    assert not [f for f in public if f[0] == "API001"]
