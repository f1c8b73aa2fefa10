"""The small frozen records every phase passes around.

Checks build `Finding`s with what they know (rule code, place, message,
anchor); the scan then completes them from the catalog (severity) and adds
the fingerprint and suppression state, so a check never repeats catalog data.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


def printable(text: str) -> str:
    """`text` with the bytes of a file name that is not UTF-8 shown as `\\xff` escapes.

    Paths keep such bytes (as surrogates) so the file can still be opened; every report
    must be valid UTF-8, so what leaves the scan is escaped, here, once.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        """Higher is worse; used by --fail-on and by annotation ordering."""
        return {"note": 1, "warning": 2, "error": 3}[self.value]


@dataclass(frozen=True)
class Example:
    """One snippet of a rule's documentation that is also a test case."""

    verdict: str  # "bad" or "good"
    path: str
    text: str
    line: int | None = None  # bad examples: where the finding must be reported
    also: tuple[tuple[str, str], ...] = ()  # extra (path, text) files the example needs
    binary_size: int | None = None  # the example is a binary file of this many bytes, not text


@dataclass(frozen=True)
class FixExample:
    """A fix documented as a round trip: `prodready fix` turns `before` into `after` exactly."""

    path: str
    before: str
    after: str
    also: tuple[tuple[str, str], ...] = ()  # extra (path, text) files the fix reads, unchanged


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    checklist: tuple[str, ...]
    summary: str
    why: str
    fix: str
    tags: tuple[str, ...] = ()
    security_severity: str | None = None  # "0.1".."10.0" marks a security rule for GitHub
    precision: str = "high"
    scope: str = "file"  # "file" (has a line) or "repository"
    # "production": findings in tests, docs, examples, dev tooling, archived releases and
    # vendored code are dropped (core/roles); "everywhere": a leaked token or an unsafe CI
    # workflow matters wherever it is.
    applies_to: str = "production"
    examples: tuple[Example, ...] = ()
    fixable: bool = False  # `prodready fix` can repair its findings
    fix_safety: str | None = None  # "safe" (applied by default) or "unsafe" (needs --unsafe)
    fix_examples: tuple[FixExample, ...] = ()

    @property
    def is_security(self) -> bool:
        return self.security_severity is not None


@dataclass(frozen=True)
class Finding:
    """One problem at one place.

    `anchor` is the normalised content the finding is about (a YAML key path,
    an instruction, a redacted secret hash...): the fingerprint is built from
    rule, path and anchor, never from the line number, so it survives edits
    elsewhere in the file. When a check leaves it empty the scan uses the
    flagged line's text, whitespace-collapsed.
    """

    code: str
    path: str
    message: str
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    anchor: str = ""
    severity: Severity | None = None  # filled from the catalog by the scan
    fingerprint: str = ""
    suppression: str | None = None  # justification when suppressed in source
    checklist: tuple[str, ...] = ()  # filled from the catalog by the scan

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line or 0, self.column or 0, self.code)


@dataclass(frozen=True)
class SourceFile:
    """A discovered file: its path relative to the scanned root, and its kind."""

    path: str
    kind: str
    text: str = ""


@dataclass(frozen=True)
class BinaryFile:
    """A binary file of the repository (an image, a font): only its size is read."""

    path: str
    size: int


@dataclass(frozen=True)
class FileResult:
    """What the extract phase keeps of one file: its findings and its facts.

    `facts` is a kind-specific plain record (picklable) that judge rules read.
    """

    path: str
    kind: str
    findings: tuple[Finding, ...] = ()
    facts: Any = None
    ignores: tuple[InlineIgnore, ...] = ()


@dataclass(frozen=True)
class InlineIgnore:
    """A `prodready: ignore[CODE,...] reason` comment.

    A comment alone on its line covers the next line too; a trailing
    comment covers only its own line.
    """

    line: int
    tokens: tuple[str, ...]
    reason: str
    covers: tuple[int, ...]


@dataclass(frozen=True)
class ScanResult:
    """Everything a report needs: the findings (suppressed ones included) and their rules."""

    # the scanned root, as the user named it
    root: str
    findings: tuple[Finding, ...]
    # every rule in effect for this scan, by code
    rules: dict[str, Rule]
    files_scanned: int
    # files scanned per kind: tells the checklist report what is not applicable
    kinds: dict[str, int]
    # rules that could not run (an optional engine is absent): reported as skipped, not passed
    skipped_rules: tuple[str, ...] = ()
    # positive evidence per checklist item, for the checklist report
    evidence: tuple[Evidence, ...] = ()
    # every `prodready: ignore[...]` comment of the scanned files, and every configured
    # ignore: a reviewer sees a new one in the job summary even when it silences nothing
    silencers: tuple[Silencer, ...] = ()
    # findings of rules outside the profile (audit-only under `default`): not reported, but
    # the checklist report shows their items as "needs review", never as verified
    review: tuple[Finding, ...] = ()

    @property
    def active(self) -> tuple[Finding, ...]:
        """Findings not suppressed in source: the ones that count for the exit code."""
        return tuple(f for f in self.findings if f.suppression is None)


@dataclass(frozen=True)
class Silencer:
    """Something that can switch a check off: an inline comment or a configuration entry."""

    kind: str  # "inline" or "config"
    where: str  # path:line, or the configuration file
    rules: tuple[str, ...]
    reason: str  # the comment's justification, or the config key ("ignore", "per-path-ignores ...")
    applied: bool  # False under --strict (or a comment without a reason)


SCOPE = "scope:"  # item_id prefix of a presence fact ("the repository has a database")


@dataclass(frozen=True)
class Evidence:
    """A named piece of positive evidence for one checklist item, at a place.

    `item_id` is a checklist ID, or `scope:<what>` for a presence fact the
    report uses to decide which items apply (frontend, database...). `text`
    names what was found; it never quotes a value that could be a secret.
    """

    item_id: str
    text: str
    path: str
    line: int | None = None

    @property
    def place(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"
