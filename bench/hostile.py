"""How long each small hostile file takes to scan: the files that once hit the per-file time
budget (quadratic loops, catastrophic patterns) must each scan in well under a second.

Runs by hand, not in CI: `python bench/hostile.py [--prodready CMD]`. Each case is a folder
of one hostile file beside a plain Kubernetes manifest; the scan runs as a user runs it (the
CLI, no cache) and the time printed is the scan's own wall time minus a baseline scan of the
manifest alone, so interpreter start-up does not count.
"""

from __future__ import annotations

import argparse
import random
import shlex
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

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
LIMIT_SECONDS = 1.0


def _random(n: int, rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def _pipes() -> dict[str, str]:
    run = " | ".join(["cat x"] * 3000)
    return {"Dockerfile": f'FROM python:3.12\nRUN {run}\nCMD ["python"]\n'}


def _stages() -> dict[str, str]:
    lines = ["FROM python:3.12 AS s0"]
    for i in range(1, 600):
        lines += [f"FROM s{i - 1} AS s{i}", f"COPY --from=s{i - 1} /a /a"]
    return {"Dockerfile": "\n".join(lines) + '\nCMD ["python"]\n'}


def _literals() -> dict[str, str]:
    rng = random.Random(1)
    body = "".join(f'    "{_random(32, rng)}",\n' for _ in range(20000))
    return {"app/data.py": f"X = [\n{body}]\n"}


def _foreign_keys() -> dict[str, str]:
    rows = ["create table public.p (id int primary key);"] + [
        f"create table public.c{i} (id int primary key, p_id int references public.p(id));"
        for i in range(3000)
    ]
    return {"supabase/migrations/0001.sql": "\n".join(rows) + "\n"}


def _nested_sql() -> dict[str, str]:
    return {"supabase/migrations/0001.sql": "select " + "(" * 9000 + "1" + ")" * 9000 + ";\n"}


def _concatenation() -> dict[str, str]:
    return {"app/big.py": "x = " + " + ".join(['"a"'] * 20000) + "\n"}


def _bundle() -> dict[str, str]:
    rng = random.Random(2)
    code = "".join(f"var a{i}=function(b){{return b.c{i}+{i}}};" for i in range(120000))
    token = "ghp_" + _random(36, rng)
    half = len(code) // 2
    return {"static/app.min.js": code[:half] + f'var k="{token}";' + code[half:]}


def _gitignore() -> dict[str, str]:
    patterns = ["*a" * 25 + "c"] + [f"**/x{i}/**/*.tmp" for i in range(20000)]
    return {".gitignore": "\n".join(patterns) + "\n", "a" * 60: "x"}


CASES: dict[str, Callable[[], dict[str, str]]] = {
    "Dockerfile RUN with 3,000 pipes": _pipes,
    "Dockerfile with 600 chained stages": _stages,
    "Python module of 20,000 random literals": _literals,
    "migration with 3,000 foreign keys": _foreign_keys,
    "SQL nested 9,000 levels": _nested_sql,
    "Python concatenation of 20,000 terms": _concatenation,
    "minified bundle of 5 MB with a token": _bundle,
    "gitignore of 20,000 patterns (walk mode)": _gitignore,
}


def _scan(cmd: list[str], root: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [*cmd, "scan", str(root), "--no-cache", "--fail-on", "never", "--format", "json"],
        capture_output=True,
        check=False,
        timeout=600,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prodready", default=f"{sys.executable} -m analyzer")
    args = parser.parse_args()
    cmd = shlex.split(args.prodready)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        base.mkdir()
        (base / "deploy.yaml").write_text(DEPLOYMENT, encoding="utf-8")
        baseline = min(_scan(cmd, base) for _ in range(3))
        print(f"{'case':45} {'seconds':>8}  (baseline scan {baseline:.2f} s subtracted)")
        slow = 0
        for name, make in CASES.items():
            root = Path(tmp) / f"case{len(name)}{abs(hash(name)) % 1000}"
            root.mkdir()
            (root / "deploy.yaml").write_text(DEPLOYMENT, encoding="utf-8")
            for rel, text in make().items():
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_text(text, encoding="utf-8")
            spent = max(0.0, _scan(cmd, root) - baseline)
            slow += spent > LIMIT_SECONDS
            flag = "" if spent <= LIMIT_SECONDS else f"  over {LIMIT_SECONDS:.0f} s"
            print(f"{name:45} {spent:8.2f}{flag}")
    print(f"{slow} case(s) over {LIMIT_SECONDS:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
