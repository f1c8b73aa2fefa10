"""Same findings before and after: snapshots of prodready's output, and their comparison.

A refactoring of `analyzer/` must not change what prodready reports, and "the
tests pass" does not prove that: the tests pin a few findings each, a real
repository exercises every rule at once. This script records, for a set of
trees, everything a scan reports (findings, checklist statuses and evidence,
the Markdown checklist report) with one prodready, and compares two such
recordings. Record "before" with the code before the change, "after" with the
code after it, and compare: "identical" for every tree is the proof. The
ledger work and the performance work reuse it the same way (a faster scan must
report the same findings).

    python bench/same_findings.py record --prodready CMD --out DIR PATH...
    python bench/same_findings.py compare DIR_A DIR_B
    python bench/same_findings.py freeze FOLDER     # make FOLDER a fixed git commit

record runs, for each PATH, `CMD scan PATH --format json --no-cache --fail-on
never` and the same with `--format markdown`, and writes into DIR:

- NAME.json: the canonical report. Every finding (all fields of the JSON
  report: code, name, severity, checklist IDs, path, line, column, end line and
  column, message, fingerprint, suppression), sorted by place; every
  checklist item (status, its findings, evidence, reason, hint, checked_by);
  files_scanned, summary, readiness and skipped_rules; and report_order, each
  finding's position in the report (its order is part of the JSON contract).
- NAME.md: the Markdown checklist report.
- NAME.meta.json: what was scanned and how: the path, the discovery mode and
  a digest of the scanned files (both compared), the extra scan options (a
  difference is noted, not counted), the command, prodready's version,
  timings and stderr (not compared).
- index.json: the names in PATH order.

NAME is the PATH's last two components joined by "-" (`examples/call-center`
gives `examples-call-center`); a name already taken gets "-2", "-3", ... in
PATH order. compare pairs snapshots by NAME, so "after" must be recorded with
the same PATHs (or paths ending in the same two components) in the same order.

What the canonical form leaves out, and why (everything else is compared):

- the report's `root` (the PATH as given, machine-specific) and `version`
  (kept in NAME.meta.json); in NAME.md an occurrence of the absolute PATH is
  written as `<ROOT>`. Nothing else is dropped: no part of a report has been
  seen to vary between two scans of the same tree (two recordings of the
  snapshot set with one prodready, and one with `--jobs 1` against the
  default, were identical, each run with its own hash seed). Should a field
  ever vary, drop that field here, and say why, rather than loosen compare.

Discovery mode. prodready lists a git work tree's files with git (tracked plus
untracked, not ignored) and walks any other folder honouring .gitignore files,
so the same files can be found differently in the two modes. Every PATH is
scanned as it is, and NAME.meta.json says which mode applied ("git" or
"folder") and digests the files that mode lists; compare reports a tree whose
mode or digest differs as a difference (the two scans did not read the same
input). The snapshot set scans git work trees only: a public repository's
checkout is made a fresh repository with one commit by `freeze` (fixed author
and date, every file added even if a .gitignore names it, as the original
tracks it), so discovery lists exactly the repository's files, whatever
folder it sits in.

Exit status: record 0, or 2 when a scan fails; compare 0 when every snapshot is
identical, 1 when anything differs (or a snapshot is missing on one side), 2
when a folder is not a snapshot folder.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCAN_FLAGS = ("--no-cache", "--fail-on", "never")
# fields of a finding in the JSON report, in the report's order
FINDING_FIELDS = (
    "code",
    "name",
    "severity",
    "checklist",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "message",
    "fingerprint",
    "suppressed",
    "justification",
)
# top-level fields compared as a whole ("findings" and "checklist" are compared item by item)
OTHER_FIELDS = ("files_scanned", "summary", "skipped_rules", "readiness")
ROOT_MARK = "<ROOT>"
SHOWN = 20  # differences printed per kind and snapshot; the rest are counted

# freeze: a fixed identity and date, so the same files give the same commit everywhere
FREEZE_ENV = {
    "GIT_AUTHOR_NAME": "snapshot",
    "GIT_AUTHOR_EMAIL": "snapshot@example.com",
    "GIT_COMMITTER_NAME": "snapshot",
    "GIT_COMMITTER_EMAIL": "snapshot@example.com",
    "GIT_AUTHOR_DATE": "2024-06-01T12:00:00+00:00",
    "GIT_COMMITTER_DATE": "2024-06-01T12:00:00+00:00",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


class RecordError(Exception):
    """A scan that did not produce a report."""


# ---------------------------------------------------------------- names and trees


def snapshot_names(paths: Sequence[Path]) -> list[str]:
    """One file-name-safe NAME per PATH: its last two components, made unique in order."""
    names: list[str] = []
    taken: set[str] = set()
    for path in paths:
        parts = [p for p in path.resolve().parts if p not in ("/", "")][-2:]
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(parts)) or "root"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        names.append(name)
    return names


def _git_listing(path: Path) -> list[str] | None:
    """The files prodready's git-mode discovery starts from, or None outside a work tree."""
    proc = subprocess.run(
        ["git", "-C", str(path), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        return None
    names = [n for n in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    return sorted(set(names)) or None


def _walk(path: Path) -> list[str]:
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        rel = Path(dirpath).relative_to(path)
        out.extend((rel / f).as_posix() for f in filenames)
    return sorted(out)


def tree_identity(path: Path) -> dict[str, Any]:
    """The discovery mode and a sha256 over the listed files' paths and bytes.

    In folder mode every file but .git's is hashed (a superset of what the
    .gitignore-honouring walk reads): it tells whether the input is the same,
    not what prodready chose from it.
    """
    listed = _git_listing(path)
    mode = "git" if listed is not None else "folder"
    files = listed if listed is not None else _walk(path)
    digest = hashlib.sha256()
    for rel in files:
        full = path / rel
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        if full.is_symlink():
            digest.update(b"link:" + os.readlink(full).encode("utf-8", "surrogateescape"))
        elif full.is_file():
            digest.update(full.read_bytes())
        else:
            digest.update(b"absent")  # listed by git but deleted, or a submodule folder
        digest.update(b"\0")
    return {"mode": mode, "files": len(files), "sha256": digest.hexdigest()}


# ---------------------------------------------------------------- record


def canonical(report: dict[str, Any]) -> dict[str, Any]:
    """What is compared of a JSON report: all of it but `root` and `version`."""
    reported = [{k: f.get(k) for k in FINDING_FIELDS} for f in report.get("findings", [])]
    # a stable sort: equal findings keep their order, so report_order is reproducible
    order = sorted(range(len(reported)), key=lambda i: _finding_key(reported[i]))
    out: dict[str, Any] = {k: report.get(k) for k in OTHER_FIELDS}
    # each finding's position in the report (0, 1, 2... while the report's own order agrees)
    out["report_order"] = order
    out["findings"] = [reported[i] for i in order]
    out["checklist"] = report.get("checklist", [])
    return out


def _finding_key(f: dict[str, Any]) -> tuple[Any, ...]:
    def num(v: Any) -> int:
        return v if isinstance(v, int) else -1

    return (
        str(f.get("path")),
        num(f.get("line")),
        num(f.get("column")),
        str(f.get("code")),
        str(f.get("fingerprint")),
        str(f.get("message")),
        json.dumps(f, sort_keys=True),
    )


def dumps(doc: dict[str, Any]) -> str:
    """JSON with one finding (one checklist item) per line, so plain `diff` reads it too."""
    lines = []
    for key, value in doc.items():
        head = f"  {json.dumps(key)}: "
        if isinstance(value, list) and value and isinstance(value[0], dict):
            items = ",\n".join(f"    {json.dumps(v, ensure_ascii=False)}" for v in value)
            lines.append(f"{head}[\n{items}\n  ]")
        else:
            lines.append(head + json.dumps(value, ensure_ascii=False))
    return "{\n" + ",\n".join(lines) + "\n}\n"


@dataclass
class Scan:
    stdout: str
    stderr: str
    seconds: float


def run_scan(cmd: Sequence[str], path: Path, fmt: str, extra: Sequence[str], cwd: str) -> Scan:
    argv = [*cmd, "scan", str(path), "--format", fmt, *SCAN_FLAGS, *extra]
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RecordError(
            f"{shlex.join(argv)} exited {proc.returncode}:\n{proc.stderr.strip()[-2000:]}"
        )
    return Scan(proc.stdout, proc.stderr, seconds)


def prodready_version(cmd: Sequence[str]) -> str:
    proc = subprocess.run([*cmd, "--version"], capture_output=True, text=True, check=False)
    return (proc.stdout or proc.stderr).strip()


def record(cmd: Sequence[str], out: Path, paths: Sequence[Path], extra: Sequence[str]) -> int:
    out.mkdir(parents=True, exist_ok=True)
    names = snapshot_names(paths)
    version = prodready_version(cmd)
    print(f"recording with {shlex.join(cmd)} ({version}) into {out}")
    total = time.perf_counter()
    failed = 0
    # a neutral working directory: nothing in the caller's folder can affect a scan
    with tempfile.TemporaryDirectory(prefix="same-findings-") as cwd:
        for name, path in zip(names, paths, strict=True):
            path = path.resolve()
            tree = tree_identity(path)
            try:
                js = run_scan(cmd, path, "json", extra, cwd)
                md = run_scan(cmd, path, "markdown", extra, cwd)
                report = json.loads(js.stdout)
            except (RecordError, json.JSONDecodeError) as exc:
                print(f"{name}: FAILED: {exc}", file=sys.stderr)
                failed += 1
                continue
            doc = canonical(report)
            (out / f"{name}.json").write_text(dumps(doc), encoding="utf-8")
            (out / f"{name}.md").write_text(
                md.stdout.replace(str(path), ROOT_MARK), encoding="utf-8"
            )
            meta = {
                "name": name,
                "path": str(path),
                "tree": tree,
                "command": list(cmd),
                "extra_args": list(extra),
                "prodready_version": version,
                "report_version": report.get("version"),
                "seconds": {"json": round(js.seconds, 3), "markdown": round(md.seconds, 3)},
                "stderr": {"json": js.stderr[-4000:], "markdown": md.stderr[-4000:]},
            }
            (out / f"{name}.meta.json").write_text(
                json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            print(
                f"{name}: {len(doc['findings'])} findings, {doc['files_scanned']} files, "
                f"{tree['mode']} mode, {js.seconds:.1f} s + {md.seconds:.1f} s"
            )
    elapsed = time.perf_counter() - total
    index = {"names": names, "command": list(cmd), "seconds": round(elapsed, 1)}
    (out / "index.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    print(f"{len(names) - failed} of {len(names)} snapshots in {elapsed:.1f} s")
    return 2 if failed else 0


# ---------------------------------------------------------------- compare


@dataclass
class Diff:
    """The differences of one snapshot; empty means identical."""

    name: str
    problems: list[str] = field(default_factory=list)
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    markdown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # printed, but not a difference

    def identical(self) -> bool:
        return not (
            self.problems
            or self.only_a
            or self.only_b
            or self.statuses
            or self.details
            or self.others
            or self.markdown
        )


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _finding_line(f: dict[str, Any]) -> str:
    where = ":".join(
        str(v) for v in (f.get("path"), f.get("line"), f.get("column")) if v is not None
    )
    return (
        f"{where} {f.get('code')} [{f.get('severity')}] {f.get('message')} ({f.get('fingerprint')})"
    )


def _multiset_diff(
    a: Iterable[dict[str, Any]], b: Iterable[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ca = Counter(json.dumps(x, sort_keys=True) for x in a)
    cb = Counter(json.dumps(x, sort_keys=True) for x in b)
    only_a = [json.loads(s) for s in sorted((ca - cb).elements())]
    only_b = [json.loads(s) for s in sorted((cb - ca).elements())]
    return only_a, only_b


def compare_one(name: str, dir_a: Path, dir_b: Path) -> Diff:
    diff = Diff(name)
    files = [d / f"{name}{ext}" for d in (dir_a, dir_b) for ext in (".json", ".md", ".meta.json")]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        diff.problems.append("missing: " + ", ".join(missing))
        return diff
    meta_a, meta_b = _load(dir_a / f"{name}.meta.json"), _load(dir_b / f"{name}.meta.json")
    ta, tb = meta_a.get("tree", {}), meta_b.get("tree", {})
    if ta.get("mode") != tb.get("mode"):
        diff.problems.append(f"discovery mode differs: {ta.get('mode')} / {tb.get('mode')}")
    if ta.get("sha256") != tb.get("sha256"):
        diff.problems.append(
            f"scanned tree differs ({ta.get('files')} / {tb.get('files')} files): "
            f"{meta_a.get('path')} / {meta_b.get('path')} are not the same input"
        )
    if meta_a.get("extra_args") != meta_b.get("extra_args"):
        # allowed on purpose (e.g. --jobs 1 against the default): the reports must still agree
        diff.notes.append(
            f"scan options differ: {meta_a.get('extra_args')} / {meta_b.get('extra_args')}"
        )

    doc_a, doc_b = _load(dir_a / f"{name}.json"), _load(dir_b / f"{name}.json")
    only_a, only_b = _multiset_diff(doc_a["findings"], doc_b["findings"])
    diff.only_a = [_finding_line(f) for f in sorted(only_a, key=_finding_key)]
    diff.only_b = [_finding_line(f) for f in sorted(only_b, key=_finding_key)]

    items_a = {i["id"]: i for i in doc_a["checklist"]}
    items_b = {i["id"]: i for i in doc_b["checklist"]}
    for item_id in list(items_a) + [i for i in items_b if i not in items_a]:
        ia, ib = items_a.get(item_id), items_b.get(item_id)
        if ia is None or ib is None:
            diff.statuses.append(f"{item_id}: only in {'A' if ib is None else 'B'}")
        elif ia.get("status") != ib.get("status"):
            diff.statuses.append(f"{item_id}: {ia.get('status')} -> {ib.get('status')}")
        elif ia != ib:
            changed = sorted(k for k in set(ia) | set(ib) if ia.get(k) != ib.get(k))
            diff.details.append(f"{item_id} ({ia.get('status')}): {', '.join(changed)} changed")
    if [i["id"] for i in doc_a["checklist"]] != [i["id"] for i in doc_b["checklist"]]:
        diff.details.append("checklist items are in a different order")

    if not (only_a or only_b) and doc_a.get("report_order") != doc_b.get("report_order"):
        diff.others.append("findings: the same, but the JSON report lists them in another order")
    for key in OTHER_FIELDS:
        if doc_a.get(key) != doc_b.get(key):
            diff.others.append(
                f"{key}: {json.dumps(doc_a.get(key))} -> {json.dumps(doc_b.get(key))}"
            )

    md_a = (dir_a / f"{name}.md").read_text(encoding="utf-8").splitlines()
    md_b = (dir_b / f"{name}.md").read_text(encoding="utf-8").splitlines()
    if md_a != md_b:
        diff.markdown = [
            line
            for line in difflib.unified_diff(md_a, md_b, "A", "B", lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
    return diff


def _show(title: str, lines: Sequence[str], limit: int) -> None:
    if not lines:
        return
    print(f"  {title}: {len(lines)}")
    for line in lines[:limit]:
        print(f"    {line}")
    if len(lines) > limit:
        print(f"    ... {len(lines) - limit} more")


def compare(dir_a: Path, dir_b: Path, limit: int) -> int:
    for d in (dir_a, dir_b):
        if not (d / "index.json").is_file():
            print(f"{d} is not a snapshot folder (no index.json)", file=sys.stderr)
            return 2
    names_a = _load(dir_a / "index.json")["names"]
    names_b = _load(dir_b / "index.json")["names"]
    names = list(names_a) + [n for n in names_b if n not in names_a]
    different = 0
    for name in names:
        diff = compare_one(name, dir_a, dir_b)
        notes = "".join(f" (note: {n})" for n in diff.notes)
        if diff.identical():
            print(f"{name}: identical{notes}")
            continue
        different += 1
        print(f"{name}: DIFFERENT{notes}")
        _show("problems", diff.problems, limit)
        _show("findings only in A", diff.only_a, limit)
        _show("findings only in B", diff.only_b, limit)
        _show("checklist statuses changed", diff.statuses, limit)
        _show("checklist items changed otherwise (same status)", diff.details, limit)
        _show("report fields changed", diff.others, limit)
        _show("markdown lines differing (- A, + B)", diff.markdown, limit)
    verdict = "all identical" if not different else f"{different} of {len(names)} differ"
    print(f"{len(names)} snapshots: {verdict}")
    return 1 if different else 0


# ---------------------------------------------------------------- freeze


def freeze(folder: Path) -> int:
    """Make FOLDER a fresh git repository with all its files in one fixed commit.

    For a public repository's files checked out of a git directory without a work
    tree, prefer `read-tree` into a temporary index and `checkout-index -a` to
    `git archive`: an archive leaves out the paths .gitattributes marks export-ignore.
    """
    if (folder / ".git").exists():
        print(f"{folder} already has a .git; refusing to replace it", file=sys.stderr)
        return 2
    env = {**os.environ, **FREEZE_ENV}

    def git(*args: str) -> str:
        proc = subprocess.run(
            ["git", "-C", str(folder), *args], env=env, check=True, capture_output=True, text=True
        )
        return proc.stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", "-A", "-f")
    git("commit", "-q", "--allow-empty", "--no-verify", "-m", "snapshot tree")
    print(f"{folder}: {git('rev-parse', 'HEAD')}")
    return 0


# ---------------------------------------------------------------- main


def _paragraph(start: str) -> str:
    """The module docstring's paragraph that begins with `start`."""
    return next(p for p in (__doc__ or "").split("\n\n") if p.startswith(start))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        epilog=(__doc__ or "").split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fromfile_prefix_chars="@",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser(
        "record",
        help="scan each PATH and write its snapshot into DIR",
        fromfile_prefix_chars="@",
        description=_paragraph("Discovery mode.")
        + "\n\n@FILE stands for the arguments in FILE, one a line (e.g. the PATHs).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rec.add_argument(
        "--prodready",
        required=True,
        help='the prodready to run, split like a shell command ("prodready", "python -m analyzer")',
    )
    rec.add_argument("--out", type=Path, required=True, help="the snapshot folder")
    rec.add_argument(
        "--scan-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="one more argument for every scan (repeat it; e.g. --scan-arg=--jobs=1)",
    )
    rec.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    cmp_ = sub.add_parser("compare", help="compare two snapshot folders; exit 1 on a difference")
    cmp_.add_argument("dir_a", type=Path, metavar="DIR_A")
    cmp_.add_argument("dir_b", type=Path, metavar="DIR_B")
    cmp_.add_argument("--show", type=int, default=SHOWN, help=f"lines per kind (default {SHOWN})")
    frz = sub.add_parser("freeze", help="git init FOLDER and commit all of it (fixed author/date)")
    frz.add_argument("folder", type=Path, metavar="FOLDER")
    args = parser.parse_args(argv)

    if args.command == "record":
        missing = [str(p) for p in args.paths if not p.is_dir()]
        if missing:
            parser.error("not a folder: " + ", ".join(missing))
        cmd = shlex.split(args.prodready)
        if cmd and os.sep in cmd[0]:  # scans run in a temporary folder: anchor a relative path
            cmd[0] = os.path.abspath(cmd[0])
        return record(cmd, args.out, args.paths, args.scan_arg)
    if args.command == "compare":
        return compare(args.dir_a, args.dir_b, args.show)
    return freeze(args.folder)


if __name__ == "__main__":
    sys.exit(main())
