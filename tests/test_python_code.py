"""Code-level Python rules (PY*) through the real scan, plus the bandit adapter and speed.

Rule-by-rule bad/good cases live in rules/python.yaml (tests/test_rule_examples.py);
this file covers what examples cannot: alias resolution, clients shared across a
module, the bandit mapping and its deduplication, the cross-file Celery rule, and
the cost per file.
"""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

from analyzer.engines import bandit_engine
from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, write_tree


def _codes(root: Path, prefix: str = "PY") -> list[tuple[str, str, int | None]]:
    return sorted(
        (f.code, f.path, f.line) for f in scan(root, AUDIT).findings if f.code.startswith(prefix)
    )


def test_aliases_resolve_to_the_library(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/a.py": "import requests as r\n\ndef f(u):\n    return r.get(u)\n",
            "app/b.py": "from requests import post as send\n\ndef f(u):\n    return send(u, timeout=3)\n",
            "app/c.py": "from requests import post as send\n\ndef f(u):\n    return send(u)\n",
            "app/d.py": "def get(u):\n    return u\n\ndef f(u):\n    return get(u)\n",
        },
    )
    found = [(c, p, n) for c, p, n in _codes(tmp_path) if c == "PY001"]
    assert found == [("PY001", "app/a.py", 4), ("PY001", "app/c.py", 4)]


def test_timeout_on_a_shared_client_counts_for_its_calls(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/shared.py": (
                "import httpx\n"
                "from tenacity import retry\n"
                "client = httpx.Client(timeout=10)\n"
                "class Api:\n"
                "    def __init__(self):\n"
                "        self.http = httpx.AsyncClient(timeout=5)\n"
                "    async def get(self, p):\n"
                "        return await self.http.get(p)\n"
                "def f(p):\n"
                "    return client.get(p)\n"
            ),
            "app/session.py": (
                "import requests\n"
                "from tenacity import retry\n"
                "s = requests.Session()\n"
                "def ok(u):\n"
                "    return s.get(u, timeout=5)\n"
                "def bad(u):\n"
                "    return s.post(u)\n"
            ),
        },
    )
    assert _codes(tmp_path) == [("PY001", "app/session.py", 7)]


def test_bandit_findings_map_to_our_codes_and_never_duplicate_ours(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/x.py": (
                "import requests, subprocess, tenacity\n"
                "def f(u, cmd, db):\n"
                "    requests.get(u, verify=False, timeout=5)\n"  # ours and bandit B501
                "    subprocess.call(cmd, shell=True)\n"  # bandit B602 only
                "    db.execute('SELECT * FROM t WHERE a = %s' % u)\n"  # bandit B608 only
                "    subprocess.call('ls', shell=True)\n"  # constant command: bandit LOW, dropped
            ),
        },
    )
    findings = [f for f in scan(tmp_path, AUDIT).findings if f.code.startswith("PY")]
    got = sorted((f.code, f.line) for f in findings)
    assert got == [("PY019", 3), ("PY021", 5), ("PY022", 4)]
    tls = next(f for f in findings if f.code == "PY019")
    assert "bandit" not in tls.message  # our own finding won; bandit's on that line was dropped


def test_bandit_adapter_leaves_the_tree_picklable_and_unchanged() -> None:
    src = "import subprocess\n" + "".join(
        f"def f{i}(c):\n    subprocess.call(c, shell=True)\n" for i in range(300)
    )
    tree = ast.parse(src)
    before = ast.dump(tree)
    hits = bandit_engine.run(tree)
    assert len(hits) == 300 and {h.test_id for h in hits} == {"B602"}
    assert ast.dump(tree) == before
    assert not any("_bandit_parent" in n.__dict__ for n in ast.walk(tree))
    pickle.dumps(tree)


def test_celery_task_is_judged_through_the_helper_it_imports(tmp_path: Path) -> None:
    helper = "import requests\ndef notify(url):\n    return requests.post(url, timeout=5)\n"
    write_tree(
        tmp_path,
        {
            "app/notify.py": helper,
            "worker/tasks.py": (
                "from celery import shared_task\n"
                "from app.notify import notify\n"
                "@shared_task\n"
                "def bad(url):\n"
                "    notify(url)\n"
                "@shared_task(autoretry_for=(Exception,), retry_backoff=True)\n"
                "def good(url):\n"
                "    notify(url)\n"
                "@shared_task\n"
                "def local(n):\n"
                "    return n + 1\n"
            ),
        },
    )
    assert [c for c in _codes(tmp_path) if c[0] == "PY003"] == [("PY003", "worker/tasks.py", 4)]


def test_tests_and_scripts_are_not_application_code(tmp_path: Path) -> None:
    body = "def f():\n    try:\n        print('x')\n    except:\n        pass\n"
    write_tree(tmp_path, {"tests/test_a.py": body, "scripts/seed.py": body, "app/a.py": body})
    assert {p for _, p, _ in _codes(tmp_path)} == {"app/a.py"}


def test_structured_logging_is_judged_over_the_whole_repository(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n"})
    assert _codes(tmp_path) == [("PY008", "app/main.py", None)]
    write_tree(tmp_path, {"app/log.py": "import structlog\n"})
    assert _codes(tmp_path) == []


def test_every_py_rule_is_one_registered_function_in_its_family_module() -> None:
    """What the scaffolder relies on: a rule code leads to the module of its family."""
    from analyzer.checks import registry
    from analyzer.checks.python.registry import RULES
    from analyzer.core import catalog

    registry.load_all()
    per_file = {c for r in RULES for c in r.codes}
    judged = [chk for chk in registry.REPO_CHECKS if chk.codes[0].startswith("PY")]
    repository = {c for chk in judged for c in chk.codes}
    assert {c for c in catalog.load() if c.startswith("PY")} == per_file | repository
    families = {r.module for r in RULES} | {chk.fn.__module__ for chk in judged}
    assert all(m.startswith("analyzer.checks.python.") for m in families)
    assert "analyzer.checks.python.registry" not in families


def test_secret_default_message_never_shows_the_value(tmp_path: Path) -> None:
    value = "Zq8vN3xLr7TfW2mKp9"
    settings = f'class Settings(BaseSettings):\n    api_key: str = "{value}"\n'
    write_tree(
        tmp_path, {"app/config.py": "from pydantic_settings import BaseSettings\n" + settings}
    )
    (finding,) = [f for f in scan(tmp_path, AUDIT).findings if f.code == "PY018"]
    assert value not in finding.message and value[:4] not in finding.message
    assert value not in finding.anchor


def _big_module(lines: int, sql: bool = False) -> str:
    chunk = (
        "import logging\nimport requests\nimport httpx\n"
        "logger = logging.getLogger(__name__)\n"
        "client = httpx.Client(timeout=5)\n"
    )
    query = "    db.execute(f'SELECT * FROM t WHERE id = {user.id}')\n" if sql else ""
    out = [chunk]
    i = 0
    while sum(s.count("\n") for s in out) < lines:
        out.append(
            f"def handler_{i}(user, payload, db):\n"
            f"    data = {{'id': user.id, 'n': {i}}}\n"
            "    try:\n"
            "        r = client.get(f'/items/{user.id}')\n"
            "    except httpx.HTTPError:\n"
            "        logger.exception('failed', extra={'user_id': user.id})\n"
            "        raise\n"
            f"{query}"
            "    return [x for x in r.json() if x['n'] > data['n']]\n\n"
        )
        i += 1
    return "".join(out)


def test_a_2000_line_module_with_sql_in_every_function_reports_every_query(
    tmp_path: Path,
) -> None:
    """bandit's worst case: it visits every function. Its time is measured by bench/timings.py."""
    text = _big_module(2000, sql=True)
    assert text.count("\n") >= 2000
    write_tree(tmp_path, {"app/big.py": text})
    queries = [i for i, line in enumerate(text.splitlines(), 1) if "db.execute" in line]
    found = [f.line for f in scan(tmp_path, AUDIT).findings if f.code == "PY021"]
    assert sorted(found) == queries
