"""Where check functions register themselves under a rule code.

A file check runs on one parsed file of one kind; a repository check (the
judge) runs once on every file's results. The catalog (rules/*.yaml) holds
the metadata; this registry only maps codes to code, so adding a rule is a
YAML entry plus one decorated function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from analyzer.core.model import Finding
from analyzer.facts.repo import RepoView

FileCheckFn = Callable[[Any], Iterable[Finding]]
RepoCheckFn = Callable[[RepoView], Iterable[Finding]]

ANY_TEXT = "*"  # kind for checks that read every text file (secrets)


@dataclass(frozen=True)
class FileCheck:
    codes: tuple[str, ...]
    kind: str
    fn: FileCheckFn


@dataclass(frozen=True)
class RepoCheck:
    codes: tuple[str, ...]
    fn: RepoCheckFn


FILE_CHECKS: list[FileCheck] = []
REPO_CHECKS: list[RepoCheck] = []


def file_check(kind: str, *codes: str) -> Callable[[FileCheckFn], FileCheckFn]:
    """Register `fn(parsed) -> findings` for files of `kind`; it may emit any of `codes`."""

    def register(fn: FileCheckFn) -> FileCheckFn:
        FILE_CHECKS.append(FileCheck(codes, kind, fn))
        return fn

    return register


def repo_check(*codes: str) -> Callable[[RepoCheckFn], RepoCheckFn]:
    """Register `fn(all file results) -> findings`, run once per scan after extraction."""

    def register(fn: RepoCheckFn) -> RepoCheckFn:
        REPO_CHECKS.append(RepoCheck(codes, fn))
        return fn

    return register


def registered_codes() -> set[str]:
    load_all()
    return {c for chk in FILE_CHECKS for c in chk.codes} | {
        c for chk in REPO_CHECKS for c in chk.codes
    }


def load_all() -> None:
    """Import every check module once, so their decorators run."""
    import analyzer.checks  # noqa: F401
