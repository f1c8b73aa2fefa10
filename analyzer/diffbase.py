"""Lines added or changed since a git revision, for `--diff-base`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from analyzer.errors import UsageError

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def changed_lines(root: Path, rev: str) -> dict[str, set[int]]:
    """Root-relative path -> new-side line numbers added or changed since `rev`."""
    verify = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if verify.returncode != 0:
        raise UsageError(f"--diff-base: revision {rev!r} not found (fetch it first)")
    proc = _git(
        root, "diff", "--unified=0", "--find-renames", "--no-color", "--relative", rev, "--", "."
    )
    if proc.returncode != 0:
        raise UsageError(f"--diff-base: git diff failed: {proc.stderr.strip()[:200]}")
    out: dict[str, set[int]] = {}
    current: str | None = None
    for line in proc.stdout.splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            current = None if name == "/dev/null" else name[2:] if name.startswith("b/") else name
            if current is not None:
                out.setdefault(current, set())
        elif current is not None:
            m = _HUNK.match(line)
            if m:
                start, count = int(m.group(1)), int(m.group(2) or "1")
                out[current].update(range(start, start + count))
    return out


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"--diff-base needs git: {exc}") from None
