"""Times prodready and its peers on the same repositories, in one run, and checks the targets.

    python bench/compare.py [PATH ...] [--runs N] [--peers .bench/peers] [--markdown FILE]

Default PATHs: `.bench/synthetic` (made by bench/generate.py) and `examples`; a PATH
that does not exist is reported as skipped. Each tool runs `--runs` times on each
PATH; the table shows the median wall time, the peak memory of the tool's whole
process tree (sampled from /proc, so worker processes count), files scanned and
findings as each tool's own JSON reports them, and prodready's time over the
peer's (below 1.0: prodready is faster).

On a PATH made by bench/generate.py (it holds the generator's marker file) the
script also measures the issue's incremental cases, editing that tree and
restoring it afterwards: a warm re-scan after 5 files changed, and the
pre-commit hook's command on 5 staged files. It never edits any other PATH.
The targets are then printed as met / not met.

Peers come from their own environment (bench/peers.sh installs it); prodready
from the interpreter running this script (`python -m analyzer`), so PATH order
cannot mix the two. checkov runs with BC_SKIP_MAPPING and --skip-download: this
machine has no network, and checkov would otherwise spend its time on
connection retries rather than on the scan.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MARKER = ".synthetic-repo"  # bench/generate.py's; such a tree may be edited and restored
TOUCHED = 5


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float
    files: int | None
    findings: int | None
    ok: bool


@dataclass
class Row:
    path: str
    tool: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak(self) -> float:
        return max(r.peak_mib for r in self.runs)

    @property
    def last(self) -> Run:
        return self.runs[-1]


# --- measuring one process tree -------------------------------------------------------------


def _tree_rss_kib(root: int) -> int:
    """Sum of VmRSS over `root` and its descendants, from /proc."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
                status = fh.read()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:"):
                parent[pid] = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1])
    members = {root}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parent.items():
            if ppid in members and pid not in members:
                members.add(pid)
                changed = True
    return sum(rss.get(pid, 0) for pid in members)


def timed(
    cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, int]:
    """Wall seconds, peak MiB of the process tree, exit code.

    The peak is the larger of the sampled tree sum (every 50 ms) and the
    ru_maxrss that wait4 reports for this child alone: a sample can miss a
    short spike, and ru_maxrss misses the sum of parallel workers.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss_kib(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, max(peak[0], usage.ru_maxrss) / 1024, proc.returncode


# --- the tools ------------------------------------------------------------------------------

Parser = Callable[[Path, Path], tuple[int | None, int | None]]  # (output, target)


@dataclass(frozen=True)
class Tool:
    name: str
    command: Callable[[Path, Path], list[str] | None]  # (target, output file) -> argv
    parse: Parser  # -> (files scanned, findings)
    env: dict[str, str] = field(default_factory=dict)


def _prodready_cmd(extra: tuple[str, ...] = ("--no-cache",)) -> Callable[[Path, Path], list[str]]:
    def cmd(target: Path, out: Path) -> list[str]:
        return [
            sys.executable,
            "-m",
            "analyzer",
            "scan",
            str(target),
            "--format",
            "json",
            "--output",
            str(out),
            "--fail-on",
            "never",
            *extra,
        ]

    return cmd


def _parse_prodready(out: Path, target: Path) -> tuple[int | None, int | None]:
    data = json.loads(out.read_text(encoding="utf-8"))
    return int(data["files_scanned"]), len(data["findings"])


def _parse_prodready_text(out: Path, target: Path) -> tuple[int | None, int | None]:
    """`7 problems (4 errors, ...) in 5 files scanned.` -> (5, 7); a clean run says so too."""
    last = (out.read_text(encoding="utf-8").strip().splitlines() or [""])[-1]
    files = re.search(r"(\d+) files? scanned", last)
    problems = re.search(r"^(\d+) problems?", last)
    return (
        int(files.group(1)) if files else None,
        int(problems.group(1)) if problems else 0,
    )


def _parse_checkov(out: Path, target: Path) -> tuple[int | None, int | None]:
    data = json.loads(out.read_text(encoding="utf-8"))
    reports = data if isinstance(data, list) else [data]
    files: set[str] = set()
    failed = 0
    for report in reports:
        results = report.get("results", {})
        for key in ("passed_checks", "failed_checks"):
            files.update(str(c.get("file_path")) for c in results.get(key, []))
        failed += int(report.get("summary", {}).get("failed", 0))
    return len(files), failed


def _parse_bandit(out: Path, target: Path) -> tuple[int | None, int | None]:
    data = json.loads(out.read_text(encoding="utf-8"))
    return len([k for k in data.get("metrics", {}) if k != "_totals"]), len(data["results"])


def _parse_detect_secrets(out: Path, target: Path) -> tuple[int | None, int | None]:
    data = json.loads(out.read_text(encoding="utf-8"))
    return None, sum(len(v) for v in data["results"].values())  # scanned files are not reported


def _parse_semgrep(out: Path, target: Path) -> tuple[int | None, int | None]:
    data = json.loads(out.read_text(encoding="utf-8"))
    return len(data.get("paths", {}).get("scanned", [])), len(data["results"])


def _dockerfiles(target: Path) -> list[str]:
    return sorted(
        str(p)
        for p in target.rglob("*")
        if p.is_file()
        and ".git" not in p.parts
        and (p.name.lower().startswith("dockerfile") or p.name.lower().endswith(".dockerfile"))
    )


def peer_tools(peers: Path) -> list[Tool]:
    bin_ = peers / "bin"

    def exe(name: str) -> str:
        """The peer's executable, or "" when it is not installed."""
        path = bin_ / name
        return str(path) if path.is_file() else ""

    def checkov(target: Path, out: Path) -> list[str] | None:
        e = exe("checkov")
        # all frameworks (its default); JSON to stdout is captured by the shell wrapper
        return (
            _to_file([e, "-d", str(target), "-o", "json", "--quiet", "--skip-download"], out)
            if e
            else None
        )

    def bandit(target: Path, out: Path) -> list[str] | None:
        e = exe("bandit")
        return [e, "-r", str(target), "-f", "json", "-q", "-o", str(out)] if e else None

    def detect_secrets(target: Path, out: Path) -> list[str] | None:
        e = exe("detect-secrets")
        cmd = [e, "scan", "--all-files", "--exclude-files", r"(^|/)\.git/", str(target)]
        return _to_file(cmd, out) if e else None

    def semgrep(target: Path, out: Path) -> list[str] | None:
        e = exe("semgrep")
        rules = str(HERE / "semgrep-rules.yaml")
        cmd = [
            e,
            "scan",
            "--config",
            rules,
            "--json",
            "--metrics",
            "off",
            "--disable-version-check",
        ]
        return [*cmd, "--output", str(out), str(target)] if e else None

    def hadolint(target: Path, out: Path) -> list[str] | None:
        e = exe("hadolint")
        files = _dockerfiles(target)
        return _to_file([e, "-f", "json", "--no-fail", *files], out) if e and files else None

    def parse_hadolint(out: Path, target: Path) -> tuple[int | None, int | None]:
        hits = json.loads(out.read_text(encoding="utf-8") or "[]")
        return len(_dockerfiles(target)), len(hits)

    return [
        Tool("checkov", checkov, _parse_checkov, {"BC_SKIP_MAPPING": "TRUE"}),
        Tool("bandit", bandit, _parse_bandit),
        Tool("detect-secrets", detect_secrets, _parse_detect_secrets),
        Tool(
            "semgrep",
            semgrep,
            _parse_semgrep,
            {"SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"},
        ),
        Tool("hadolint", hadolint, parse_hadolint),
    ]


def _to_file(cmd: list[str], out: Path) -> list[str]:
    """Redirects stdout to `out` through a shell, so the shell is the tree's root."""
    quoted = " ".join(_quote(c) for c in cmd)
    return ["/bin/sh", "-c", f"exec {quoted} > {_quote(str(out))}"]


def _quote(s: str) -> str:
    return "'" + s.replace("'", "'\"'\"'") + "'"


def measure(tool: Tool, target: Path, runs: int, cwd: Path | None = None) -> Row | None:
    row = Row(str(target), tool.name)
    # PYTHONDONTWRITEBYTECODE (set on some CI images) makes every Python tool recompile all
    # its modules on every start; a user's machine caches bytecode, so every tool here does.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(tool.env)
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp, "out.json")
            cmd = tool.command(target, out)
            if cmd is None:
                return None
            seconds, peak, code = timed(cmd, cwd=cwd, env=env)
            files = findings = None
            ok = True
            try:
                files, findings = tool.parse(out, target)
            except (OSError, ValueError, KeyError, TypeError):
                ok = False
                row.note = f"no JSON output (exit {code})"
            row.runs.append(Run(seconds, peak, files, findings, ok))
    return row


# --- incremental cases on a generated tree --------------------------------------------------


def _touch_targets(root: Path) -> list[Path]:
    """Five Python files spread over the tree, the same ones every time."""
    files = sorted(p for p in (root / "services").rglob("*.py") if p.stat().st_size > 0)
    step = max(1, len(files) // TOUCHED)
    return files[::step][:TOUCHED]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def incremental(root: Path, runs: int, warm_too: bool) -> list[Row]:
    """Warm re-scans after 5 changed files, and the hook on 5 staged files.

    Two kinds of warm edit, because prodready reuses its cross-file judgement when no
    file's facts changed: a comment appended at the end of each file (bytes change,
    facts do not: the files are parsed and checked again, the judge's answer is reused)
    and a line inserted at the top (every line number moves: the judge runs again).
    Every run edits the 5 files anew, so each sees exactly 5 files that differ from
    anything a cache may hold; the cache is a fresh folder for this benchmark, so no
    earlier benchmark run can answer for this one. The tree and its index are restored.
    """
    targets = _touch_targets(root)
    originals = {p: p.read_bytes() for p in targets}
    cache = tempfile.mkdtemp(prefix="prodready-bench-cache-")
    full = Tool("prodready", _prodready_cmd(()), _parse_prodready, {"PRODREADY_CACHE_DIR": cache})
    warm = Row(str(root), "prodready warm (5 changed, facts same)")
    shifted = Row(str(root), "prodready warm (5 changed, facts changed)")
    hook = Row(str(root), "prodready hook (5 staged)")
    try:
        if warm_too:
            measure(full, root, 1)  # fills the cache
        for n in range(runs if warm_too else 0):
            for p in targets:
                p.write_bytes(originals[p] + f"\n# bench edit {n}\n".encode())
            r = measure(full, root, 1)
            assert r is not None
            warm.runs += r.runs
        for n in range(runs if warm_too else 0):
            for p in targets:  # n + 1 lines: each run moves every line to a new number
                p.write_bytes(f"# bench shift {n}\n".encode() * (n + 1) + originals[p])
            r = measure(full, root, 1)
            assert r is not None
            shifted.runs += r.runs
        rel = [str(p.relative_to(root)) for p in targets]
        # the hook's own command (.pre-commit-hooks.yaml: `prodready scan <staged files>`),
        # text report; the report goes to a file so its problem count can be read
        staged = Tool(
            "hook",
            lambda _t, out: [
                sys.executable,
                "-m",
                "analyzer",
                "scan",
                *rel,
                "--output",
                str(out),
            ],
            _parse_prodready_text,
            {"PRODREADY_CACHE_DIR": cache},
        )
        for n in range(runs):
            for p in targets:
                p.write_bytes(f"# bench staged {n}\n".encode() * (n + 1) + originals[p])
            _git(root, "add", "--", *rel)
            r = measure(staged, root, 1, cwd=root)
            assert r is not None
            hook.runs += r.runs
    finally:
        for p, data in originals.items():
            p.write_bytes(data)
        _git(root, "add", "--", *[str(p.relative_to(root)) for p in targets])
        shutil.rmtree(cache, ignore_errors=True)
    return [warm, shifted, hook] if warm_too else [hook]


# --- report ---------------------------------------------------------------------------------


def machine() -> str:
    mem_kib = 0
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {mem_kib / 1024 / 1024:.0f} GiB memory, "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}; "
        f"load average {load} (other work on the machine inflates every time alike)"
    )


def versions(peers: Path) -> str:
    out = []
    for name, args in (
        ("checkov", ["--version"]),
        ("bandit", ["--version"]),
        ("detect-secrets", ["--version"]),
        ("semgrep", ["--version"]),
        ("hadolint", ["--version"]),
    ):
        exe = peers / "bin" / name
        if not exe.is_file():
            out.append(f"{name} missing")
            continue
        env = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "BC_SKIP_MAPPING": "TRUE"}
        try:
            proc = subprocess.run(
                [str(exe), *args], capture_output=True, text=True, check=False, env=env, timeout=120
            )
        except subprocess.TimeoutExpired:
            out.append(f"{name} ?")
            continue
        first = (proc.stdout or proc.stderr).strip().splitlines()[:1]
        version = first[0].split()[-1] if first else "?"
        out.append(f"{name} {version}")
    return ", ".join(out)


def _fmt(v: int | None) -> str:
    return "-" if v is None else str(v)


def table(rows: list[Row], ours: dict[str, float]) -> list[str]:
    lines = [
        "| path | tool | median s | peak MiB | files | findings | prodready/peer |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        ratio = ""
        base = ours.get(row.path)
        if base is not None and not row.tool.startswith("prodready") and row.median > 0:
            ratio = f"{base / row.median:.2f}"
        note = f" ({row.note})" if row.note else ""
        lines.append(
            f"| {Path(row.path).name} | {row.tool}{note} | {row.median:.2f} | {row.peak:.0f} | "
            f"{_fmt(row.last.files)} | {_fmt(row.last.findings)} | {ratio} |"
        )
    return lines


def targets(rows: list[Row], root: str) -> list[str]:
    def get(tool: str) -> Row | None:
        return next((r for r in rows if r.path == root and r.tool == tool), None)

    cold, checkov = get("prodready"), get("checkov")
    bandit, secrets = get("bandit"), get("detect-secrets")
    hook = get("prodready hook (5 staged)")
    warm_kinds = (
        ("facts same", get("prodready warm (5 changed, facts same)")),
        ("facts changed", get("prodready warm (5 changed, facts changed)")),
    )
    out = []

    def verdict(name: str, ok: bool | None, detail: str) -> None:
        word = "n/a" if ok is None else ("met" if ok else "NOT met")
        out.append(f"| {name} | {detail} | {word} |")

    out += ["| target | measured | verdict |", "| --- | --- | --- |"]
    if cold and checkov:
        r = cold.median / checkov.median
        verdict(
            "cold full scan <= 0.2 x checkov",
            r <= 0.2,
            f"{cold.median:.1f} s / {checkov.median:.1f} s = {r:.2f}",
        )
    else:
        verdict("cold full scan <= 0.2 x checkov", None, "not measured")
    if cold and bandit and secrets:
        both = bandit.median + secrets.median
        r = cold.median / both
        verdict(
            "cold full scan <= 0.3 x (bandit + detect-secrets)",
            r <= 0.3,
            f"{cold.median:.1f} s / ({bandit.median:.1f} + {secrets.median:.1f}) s = {r:.2f}",
        )
    else:
        verdict("cold full scan <= 0.3 x (bandit + detect-secrets)", None, "not measured")
    for kind, warm in warm_kinds:
        name = f"warm re-scan, 5 files changed ({kind}): < 1 s and <= 0.1 x cold"
        if warm and cold:
            r = warm.median / cold.median
            verdict(name, warm.median < 1.0 and r <= 0.1, f"{warm.median:.2f} s; {r:.2f} x cold")
        else:
            verdict(name, None, "not measured")
    if hook:
        verdict("hook on 5 staged files < 1.5 s", hook.median < 1.5, f"{hook.median:.2f} s")
    else:
        verdict("hook on 5 staged files < 1.5 s", None, "not measured")
    if cold:
        verdict(
            "peak memory of the full scan < 500 MB",
            cold.peak * 1.048576 < 500,
            f"{cold.peak * 1.048576:.0f} MB",
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=3, help="runs per tool and path (median)")
    parser.add_argument("--peers", type=Path, default=REPO / ".bench" / "peers")
    parser.add_argument("--only", default="", help="comma-separated tools to run (default: all)")
    parser.add_argument(
        "--incremental",
        choices=("all", "hook", "none"),
        default="all",
        help="on a generated tree: warm re-scan and hook (all), the hook only, or neither",
    )
    parser.add_argument("--markdown", type=Path, help="also write the tables to FILE")
    args = parser.parse_args()
    paths = args.paths or [REPO / ".bench" / "synthetic", REPO / "examples"]
    only = {t for t in args.only.split(",") if t}

    header = [
        f"machine: {machine()}",
        f"peers: {versions(args.peers)}",
        f"runs per tool and path: {args.runs} (median wall time; peak = max over runs)",
    ]
    print("\n".join(header), flush=True)
    rows: list[Row] = []
    ours: dict[str, float] = {}
    first_generated: str | None = None
    tools = [Tool("prodready", _prodready_cmd(), _parse_prodready), *peer_tools(args.peers)]
    for path in paths:
        if not path.exists():
            print(f"skipped {path}: not found", flush=True)
            continue
        for tool in tools:
            if only and tool.name not in only:
                continue
            row = measure(tool, path, args.runs)
            if row is None:
                print(
                    f"{path.name:<24} {tool.name:<16} not installed or nothing to scan", flush=True
                )
                continue
            rows.append(row)
            if tool.name == "prodready":
                ours[row.path] = row.median
            print(
                f"{path.name:<24} {tool.name:<16} {row.median:8.2f} s {row.peak:7.0f} MiB  "
                f"files {_fmt(row.last.files)}  findings {_fmt(row.last.findings)} {row.note}",
                flush=True,
            )
        if (path / MARKER).is_file():
            first_generated = first_generated or str(path)
        if (
            (path / MARKER).is_file()
            and (not only or "prodready" in only)
            and args.incremental != "none"
        ):
            extra = incremental(path, args.runs, warm_too=args.incremental == "all")
            rows += extra
            for row in extra:
                print(
                    f"{path.name:<24} {row.tool:<28} {row.median:8.2f} s {row.peak:7.0f} MiB",
                    flush=True,
                )

    lines = ["", *table(rows, ours)]
    if first_generated:
        lines += [
            "",
            f"Targets on {Path(first_generated).name}:",
            "",
            *targets(rows, first_generated),
        ]
    lines += ["", f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}"]
    print("\n".join(lines))
    if args.markdown:
        args.markdown.write_text("\n".join([*header, *lines]) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
