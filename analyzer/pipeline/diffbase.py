"""`--diff-base REV`: keep what the change since REV introduced, nothing older.

A finding of a file rule is the change's doing when it sits on a line added
or changed since REV (`git diff --unified=0`, renames followed so a moved file
is not "all new"). A finding without a line (repository-level, a file that
cannot be parsed) is kept when its file's content changed. A finding of a
repository rule (the judge) can be caused by a file it does not point at:
deleting `k8s/hpa.yaml` makes "Deployment api has one replica" true in
`k8s/api.yaml`, which did not change. So those findings are compared with a
scan of REV's tree (read from git's object store, no checkout, no network):
the ones REV did not have are the change's doing.

Only git plumbing that reads is used; nothing here changes the repository.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from analyzer.core.config import Config
from analyzer.core.errors import UsageError
from analyzer.core.model import Finding, ScanResult

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_SYMLINK, _SUBMODULE = "120000", "160000"


@dataclass(frozen=True)
class Diff:
    """What changed since REV, by root-relative path of the working tree."""

    lines: dict[str, frozenset[int]]  # files whose content changed -> added/changed lines
    renamed: dict[str, str]  # new path -> old path
    deleted: frozenset[str]

    @property
    def empty(self) -> bool:
        return not (self.lines or self.renamed or self.deleted)

    def old_path(self, path: str) -> str:
        return self.renamed.get(path, path)


def changed_lines(root: Path, rev: str) -> dict[str, set[int]]:
    """Root-relative path -> new-side line numbers added or changed since `rev`."""
    return {path: set(lines) for path, lines in diff(root, rev).lines.items()}


def diff(root: Path, rev: str) -> Diff:
    commit = resolve(root, rev)
    proc = _git(
        root,
        "-c",
        "core.quotePath=false",
        "diff",
        "--unified=0",
        "--find-renames",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--relative",
        commit,
        "--",
        ".",
    )
    if proc.returncode != 0:
        raise UsageError(f"--diff-base: git diff failed: {_first_line(proc.stderr)}")
    lines, renamed, deleted = parse_diff(proc.stdout)
    for path in _untracked(root):  # scanned like tracked files, so wholly "added"
        lines[path] = frozenset(range(1, _line_count(root / path) + 1))
    return Diff(lines, renamed, frozenset(deleted))


def parse_diff(text: str) -> tuple[dict[str, frozenset[int]], dict[str, str], set[str]]:
    """(changed lines by new path, renames new -> old, deleted paths) of `git diff -U0`."""
    lines: dict[str, set[int]] = {}
    renamed: dict[str, str] = {}
    deleted: set[str] = set()
    current: str | None = None
    old: str | None = None
    rename_from: str | None = None
    for line in text.splitlines():
        if line.startswith("diff --git "):
            current = old = rename_from = None
        elif line.startswith("rename from "):
            rename_from = _unquote(line[len("rename from ") :])
        elif line.startswith("rename to ") and rename_from is not None:
            renamed[_unquote(line[len("rename to ") :])] = rename_from
        elif line.startswith("--- "):
            old = _side(line[4:], "a/")
        elif line.startswith("+++ "):
            current = _side(line[4:], "b/")
            if current is None:
                if old is not None:
                    deleted.add(old)
            else:
                lines.setdefault(current, set())
        elif current is not None and (m := _HUNK.match(line)):
            start, count = int(m.group(1)), int(m.group(2) or "1")
            lines[current].update(range(start, start + count))
    return {p: frozenset(s) for p, s in lines.items()}, renamed, deleted


def _side(name: str, prefix: str) -> str | None:
    # git ends a name that holds a space with a tab, so that patch(1) finds its end
    name = _unquote(name[:-1] if name.endswith("\t") else name)
    if name == "/dev/null":
        return None
    return name[len(prefix) :] if name.startswith(prefix) else name


def _unquote(name: str) -> str:
    """git's C-style quoting of unusual names: `"a/caf\\303\\251.txt"`."""
    if not (len(name) >= 2 and name.startswith('"') and name.endswith('"')):
        return name
    out = bytearray()
    body = name[1:-1]
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 == len(body):
            out += ch.encode("utf-8")
            i += 1
        elif body[i + 1] in _ESCAPES:
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
    return out.decode("utf-8", errors="replace")


def resolve(root: Path, rev: str) -> str:
    """REV as a commit id, or a UsageError that says how to get it."""
    if rev.startswith("-"):
        raise UsageError(f"--diff-base: {rev!r} is not a revision")
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise UsageError(f"--diff-base needs a git work tree; {root} is not in one")
    verify = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if verify.returncode == 0:
        return verify.stdout.strip()
    shallow = _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    hint = (
        f"this is a shallow clone; fetch it first: git fetch --no-tags --depth=1 origin {rev}"
        if shallow
        else f"fetch it first (git fetch origin {rev}) or check the name"
    )
    raise UsageError(f"--diff-base: revision {rev!r} not found; {hint}")


def restrict(result: ScanResult, rev: str, config: Config, jobs: int = 1) -> ScanResult:
    """The findings of `result` that the change since `rev` introduced."""
    root = Path(result.root)
    changes = diff(root, rev)
    judged = _judge_codes()
    kept: list[Finding] = []
    undecided: list[Finding] = []
    for f in result.findings:
        if _on_changed_line(f, changes):
            kept.append(f)
        elif f.code in judged and not changes.empty:
            undecided.append(f)
    if undecided:
        before = _base_identities(root, rev, config, {f.code for f in undecided}, changes, jobs)
        kept += [f for f in undecided if _identity(f, changes) not in before]
    order = {id(f): n for n, f in enumerate(result.findings)}
    kept.sort(key=lambda f: order[id(f)])
    return replace(result, findings=tuple(kept))


def _on_changed_line(f: Finding, changes: Diff) -> bool:
    lines = changes.lines.get(f.path)
    if lines is None:
        return False
    return f.line is None or f.line in lines


def _judge_codes() -> set[str]:
    from analyzer.checks import registry

    registry.load_all()
    return {code for check in registry.REPO_CHECKS for code in check.codes}


def _identity(f: Finding, changes: Diff) -> tuple[str, str, str]:
    """Rule, place before the change, message: what a rename must not turn into "new".

    A repository-level finding names where its fix would go, which a repository
    rule may derive from where the manifests live (`k8s/` or `deploy/`): for those
    the file is left out, and renamed paths quoted in a message are mapped back.
    """
    message = f.message
    for new, old in changes.renamed.items():
        message = message.replace(new, old)
    place = "" if f.line is None else changes.old_path(f.path)
    return (f.code, place, message)


def _base_identities(
    root: Path, rev: str, config: Config, codes: set[str], changes: Diff, jobs: int
) -> set[tuple[str, str, str]]:
    from analyzer.pipeline.scan import scan

    base_config = replace(config, select=tuple(sorted(codes)))
    with tempfile.TemporaryDirectory(prefix="prodready-base-") as tmp:
        base = Path(tmp)
        _materialize(root, resolve(root, rev), base, config.max_file_bytes)
        found = scan(base, base_config, jobs=jobs).findings
    same = Diff({}, {}, frozenset())  # base paths are already the "old" ones
    return {_identity(f, same) for f in found if f.code in codes}


def _materialize(root: Path, commit: str, target: Path, max_bytes: int) -> None:
    """Write REV's files under `root` into `target`, straight from git's object store."""
    listing = _git(root, "ls-tree", "-r", "-z", "--long", commit, "--", ".")
    if listing.returncode != 0:
        raise UsageError(f"--diff-base: cannot list {commit[:12]}: {_first_line(listing.stderr)}")
    blobs: list[tuple[str, str]] = []
    for entry in listing.stdout.split("\0"):
        if not entry:
            continue
        meta, _, path = entry.partition("\t")
        mode, kind, oid, size = meta.split()
        if kind != "blob" or mode in (_SYMLINK, _SUBMODULE) or not _safe(path):
            continue
        if size.isdigit() and int(size) > max_bytes:
            continue  # the scan would not read it either
        blobs.append((oid, path))
    contents = _cat_blobs(root, [oid for oid, _ in blobs])
    for (_, path), data in zip(blobs, contents, strict=True):
        dest = target / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)


def _safe(path: str) -> bool:
    parts = Path(path).parts
    return bool(parts) and not Path(path).is_absolute() and ".." not in parts


def _cat_blobs(root: Path, oids: list[str]) -> list[bytes]:
    if not oids:
        return []
    proc = subprocess.run(
        ["git", "-C", str(root), "cat-file", "--batch"],
        input="\n".join(oids).encode() + b"\n",
        capture_output=True,
        check=False,
        timeout=300,
    )
    if proc.returncode != 0:
        raise UsageError(f"--diff-base: git cat-file failed: {_first_line(proc.stderr.decode())}")
    out: list[bytes] = []
    data = proc.stdout
    pos = 0
    for _ in oids:
        header_end = data.index(b"\n", pos)
        fields = data[pos:header_end].split()
        size = int(fields[2])
        out.append(data[header_end + 1 : header_end + 1 + size])
        pos = header_end + 1 + size + 1
    return out


def _untracked(root: Path) -> list[str]:
    proc = _git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", ".")
    if proc.returncode != 0:
        return []
    return [p for p in proc.stdout.split("\0") if p]


def _line_count(path: Path) -> int:
    try:
        data = path.read_bytes()
    except OSError:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:200]


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"--diff-base needs git: {exc}") from None
