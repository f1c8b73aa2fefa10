"""`prodready fix`: repair what the scan reported, where a fix is known.

The scan decides what is wrong; a fix family (one module per kind of file)
edits only the reported places and keeps every other byte. A fixed file must
still be accepted by its own parser and by prodready (Python compiles, YAML
loads, the Dockerfile parses), or it is left untouched and reported.

Which rules can be fixed, and whether the fix is safe (behaviour-preserving,
applied by default) or unsafe (needs `--unsafe`), is catalog data
(`fixable`, `fix-safety`), so `prodready rules` and the docs tell the same story.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import yaml

from analyzer.core.config import Config
from analyzer.core.model import Finding, Rule, SourceFile
from analyzer.fix import dockerfile, manifests
from analyzer.fix import python as python_fixes
from analyzer.fix.base import FileContext, FileFix, FixOptions
from analyzer.parsers import ParseError
from analyzer.parsers import dockerfile as dockerfile_parser

FAMILIES: dict[str, ModuleType] = {
    code: module for module in (python_fixes, manifests, dockerfile) for code in module.CODES
}


@dataclass(frozen=True)
class FileChange:
    path: str
    before: str
    after: str
    fixed: tuple[Finding, ...]

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{self.path}",
                tofile=f"b/{self.path}",
            )
        )


@dataclass(frozen=True)
class FixRun:
    changes: tuple[FileChange, ...]
    refused: tuple[tuple[str, str], ...]  # (path, why the fixed text was thrown away)
    skipped: tuple[tuple[Finding, str], ...]  # eligible findings no fix could handle
    remaining: tuple[Finding, ...]  # active findings of fixable rules after the run
    unconfirmed: tuple[Finding, ...] = ()  # a fixer edited for them, the re-scan still reports them


def eligible(rule: Rule | None, unsafe: bool) -> bool:
    return (
        rule is not None
        and rule.fixable
        and rule.code in FAMILIES
        and (unsafe or rule.fix_safety == "safe")
    )


def options_from(config: Config) -> FixOptions:
    """Fix settings from `[tool.prodready]`: `fix-timeout` and `fix-pins`."""
    return FixOptions(timeout=config.fix_timeout, pins=dict(config.fix_pins))


def run(
    root: Path,
    config: Config,
    targets: Sequence[Path] | None = None,
    *,
    unsafe: bool = False,
    write: bool = True,
    options: FixOptions | None = None,
    jobs: int = 1,
) -> FixRun:
    from analyzer.pipeline.scan import scan

    options = options or options_from(config)
    result = scan(root, config, targets, jobs=jobs)
    wanted: dict[str, list[Finding]] = {}
    for f in result.active:
        if eligible(result.rules.get(f.code), unsafe):
            wanted.setdefault(f.path, []).append(f)
    changes: list[FileChange] = []
    refused: list[tuple[str, str]] = []
    skipped: list[tuple[Finding, str]] = []
    for rel, findings in sorted(wanted.items()):
        path = Path(root) / rel
        before = path.read_bytes().decode("utf-8")  # as it is: "\r\n" stays "\r\n"
        outcome = _fix_file(before, findings, options, FileContext(rel, Path(root)))
        skipped.extend(outcome.skipped)
        if not outcome.fixed or outcome.text == before:
            continue
        problem = _rejects(rel, findings, outcome.text)
        if problem:
            refused.append((rel, problem))
            continue
        changes.append(FileChange(rel, before, outcome.text, outcome.fixed))
    if not write or not changes:
        fixed_ids = {id(f) for c in changes for f in c.fixed}
        remaining = tuple(
            f
            for f in result.active
            if _fixable(result.rules.get(f.code)) and id(f) not in fixed_ids
        )
        return FixRun(tuple(changes), tuple(refused), tuple(skipped), remaining)
    for change in changes:
        (Path(root) / change.path).write_bytes(change.after.encode("utf-8"))
    after = scan(root, config, targets, jobs=jobs)
    kept, unconfirmed = _confirmed(root, changes, after.active)
    if len(kept) < len(changes):  # a file was put back: what remains is judged on it
        after = scan(root, config, targets, jobs=jobs)
    remaining = tuple(f for f in after.active if _fixable(after.rules.get(f.code)))
    return FixRun(kept, tuple(refused), tuple(skipped), remaining, unconfirmed)


def _confirmed(
    root: Path, changes: list[FileChange], active: Sequence[Finding]
) -> tuple[tuple[FileChange, ...], tuple[Finding, ...]]:
    """Only what the re-scan no longer reports counts as fixed; a changed file none of whose
    fixes the re-scan confirms is put back as it was (the fixer was wrong about it)."""
    present = {f.fingerprint for f in active}
    kept: list[FileChange] = []
    unconfirmed: list[Finding] = []
    for change in changes:
        done = tuple(f for f in change.fixed if f.fingerprint not in present)
        unconfirmed.extend(f for f in change.fixed if f.fingerprint in present)
        if done:
            kept.append(FileChange(change.path, change.before, change.after, done))
        else:
            (Path(root) / change.path).write_bytes(change.before.encode("utf-8"))
    return tuple(kept), tuple(unconfirmed)


def _fixable(rule: Rule | None) -> bool:
    return rule is not None and rule.fixable and rule.code in FAMILIES


def _fix_file(
    text: str, findings: list[Finding], options: FixOptions, context: FileContext
) -> FileFix:
    """Each family once, on the text the previous one left (a file has one kind in practice)."""
    fixed: list[Finding] = []
    skipped: list[tuple[Finding, str]] = []
    for module in dict.fromkeys(FAMILIES[f.code] for f in findings):
        mine = [f for f in findings if FAMILIES[f.code] is module]
        apply: Callable[[str, Sequence[Finding], FixOptions, FileContext], FileFix] = module.fix
        outcome = apply(text, mine, options, context)
        text = outcome.text
        fixed.extend(outcome.fixed)
        skipped.extend(outcome.skipped)
    return FileFix(text, tuple(fixed), tuple(skipped))


def _rejects(path: str, findings: list[Finding], text: str) -> str | None:
    """Why the fixed text is not acceptable to its own parser; None when it is."""
    families = {FAMILIES[f.code] for f in findings}
    try:
        if python_fixes in families:
            compile(text, path, "exec", dont_inherit=True)
        if manifests in families:
            list(yaml.safe_load_all(text))
        if dockerfile in families:
            dockerfile_parser.parse(SourceFile(path, "dockerfile", text))
    except (SyntaxError, ValueError, yaml.YAMLError, ParseError) as exc:
        return f"the fixed file would not parse ({type(exc).__name__}); left as it was"
    return None


__all__ = ["FAMILIES", "FileChange", "FixOptions", "FixRun", "eligible", "options_from", "run"]
