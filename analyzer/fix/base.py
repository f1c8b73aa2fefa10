"""What every fix family shares: its options and the outcome of one file's edit.

Fixes are driven by the scan's findings, never by a second opinion: a fixer
edits exactly the places the rules reported, so it cannot "fix" code the rules
consider correct (a `print` under `if __name__ == "__main__":`, a service
account with RBAC), and a file without findings is never rewritten. That is
also what makes every fix idempotent: once fixed, the rule is silent, so the
next run has nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from analyzer.core.model import Finding

DEFAULT_TIMEOUT = 10
DEFAULT_MAX_LIMIT = 100


@dataclass(frozen=True)
class FixOptions:
    timeout: float = DEFAULT_TIMEOUT  # seconds, for PY001
    max_limit: int = DEFAULT_MAX_LIMIT  # upper bound given to unbounded `limit` parameters
    # image repository -> the pinned reference to use instead of `:latest` (CMP007);
    # never guessed: an image not listed here is left as it is
    pins: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FileContext:
    """Where the fixed file lives: a fix may read the repository's other modules (settings)."""

    path: str  # relative to root, as the scan reports it
    root: Path | None = None


@dataclass(frozen=True)
class FileFix:
    """The new text of one file and which findings it repairs."""

    text: str
    fixed: tuple[Finding, ...] = ()
    skipped: tuple[tuple[Finding, str], ...] = ()  # (finding, why it was left alone)


def number(value: float) -> str:
    """`10` rather than `10.0` when the timeout is whole."""
    return str(int(value)) if float(value).is_integer() else str(value)
