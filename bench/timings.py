"""Times the parsers and checks on inputs made large on purpose, against fixed targets.

    python bench/timings.py [--repeat N]

These targets were assertions in the test suite; a wall-clock limit there fails on
a loaded machine while nothing is wrong, so the suite keeps what the large input
must produce and this script keeps how long it may take. Each case runs once to
warm up (bandit loads its plugins once per process) and then `--repeat` times;
the best time is compared with the target. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzer.checks import registry
from analyzer.core.config import Config
from analyzer.core.model import SourceFile
from analyzer.engines.detect_secrets_engine import scan_text
from analyzer.parsers import dockerfile, python
from analyzer.pipeline.scan import scan

_RNG = random.Random(20240601)
# assembled at run time, so no scanner flags this file; a fabricated, well-formed value
STRIPE = "sk_" + "live_" + "".join(_RNG.choice(string.ascii_letters) for _ in range(24))


def large_text() -> str:
    """About 2 MB of ordinary source and config lines, one secret at the very end."""
    chunk = (
        "def handler(request):\n    user_id = request.path_params['user_id']\n"
        "    return {'status': 'ok', 'items': [1, 2, 3]}\n"
        "image: ghcr.io/acme/api:1.4.2\nLOG_LEVEL=info\n"
        "The quick brown fox jumps over the lazy dog, again and again.\n"
    )
    return chunk * (2_000_000 // len(chunk)) + f'KEY = "{STRIPE}"\n'


def large_dockerfile() -> str:
    body = "FROM python:3.12-slim AS s{i}\nRUN pip install a==1 \\\n  b==2 && echo {i}\n"
    return "".join(body.format(i=i) for i in range(2000))


def big_module(lines: int, sql: bool = False) -> str:
    """A module of many small handlers; with `sql`, every one holds a query bandit visits."""
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


def python_checks(text: str) -> Callable[[], object]:
    """Every per-file Python check of the registry, on one parsed module."""
    registry.load_all()
    checks = [c.fn for c in registry.FILE_CHECKS if c.kind == "python"]
    module = python.parse(SourceFile("app/big.py", "python", text))
    return lambda: [list(fn(module)) for fn in checks]


def budgeted_scan(root: Path) -> Callable[[], object]:
    """A manifest far too large for a 0.05 s budget: the budget, not the parse, must end it."""
    head = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n"
    (root / "k8s").mkdir(parents=True, exist_ok=True)
    (root / "k8s/slow.yaml").write_text(
        head + "data:\n" + "".join(f"  k{i}: v{i}\n" for i in range(90_000)), encoding="utf-8"
    )
    return lambda: scan(root, Config(max_file_seconds=0.05), cache=False)


def cases(tmp: Path) -> list[tuple[str, float, Callable[[], object]]]:
    text, df = large_text(), large_dockerfile()
    return [
        ("secrets: 2 MB of text", 2.0, lambda: scan_text("big.py", text, "python")),
        (
            "dockerfile: 2,000 stages parsed",
            1.0,
            lambda: dockerfile.parse(SourceFile("Dockerfile", "dockerfile", df)),
        ),
        ("python: 2,000-line module checked", 0.4, python_checks(big_module(2000))),
        ("python: 2,000 lines, SQL in every function", 1.0, python_checks(big_module(2000, True))),
        ("scan: a 0.05 s file budget ends a slow file", 15.0, budgeted_scan(tmp)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    missed = 0
    with tempfile.TemporaryDirectory(prefix="prodready-timings-") as tmp:
        for name, target, run in cases(Path(tmp)):
            run()
            best = min(_seconds(run) for _ in range(max(1, args.repeat)))
            ok = best < target
            missed += not ok
            print(f"{'met    ' if ok else 'MISSED '} {best:7.3f} s  (target {target:g} s)  {name}")
    return 1 if missed else 0


def _seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
