"""Finalize: complete findings from the catalog, fingerprint them, apply inline suppressions
and per-path ignores, and report the silencers a reviewer should see.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import pathspec

from analyzer.core import catalog
from analyzer.core.config import Config
from analyzer.core.model import (
    FileResult,
    Finding,
    Rule,
    Silencer,
    printable,
)
from analyzer.core.roles import is_production
from analyzer.pipeline.plan import (
    INVALID_SUPPRESSION,
)
from analyzer.pipeline.suppress import rule_matches


def silencers(results: list[FileResult], config: Config) -> tuple[Silencer, ...]:
    source = config.source or "configuration"
    inline = [
        Silencer(
            "inline",
            printable(f"{r.path}:{ig.line}"),
            ig.tokens,
            ig.reason,
            bool(ig.reason) and not config.strict,
        )
        for r in results
        for ig in r.ignores
    ]
    configured = (
        [Silencer("config", source, config.ignore, "ignore", True)] if config.ignore else []
    )
    configured += [
        Silencer("config", source, tokens, f"per-path-ignores {glob!r}", True)
        for glob, tokens in config.per_path_ignores
    ]
    configured += [
        Silencer(
            "config",
            source,
            tokens,
            "ignore" if glob == "**" else f"per-path-ignores {glob!r}",
            False,
        )
        for glob, tokens in config.unapplied
    ]
    return tuple(inline + configured)


GENERIC_SECRET = frozenset({"SEC001", "SEC005"})


def yield_to_specific(findings: list[Finding], rules: dict[str, Rule]) -> list[Finding]:
    """Drop a generic secret finding where a more specific credential rule flags the same line.

    `DB_PASSWORD: hunter2` in a compose file is one problem; the compose rule names the
    service and the fix, so the generic detect-secrets finding would only repeat it.
    """
    specific = {
        (f.path, f.line)
        for f in findings
        if f.code not in GENERIC_SECRET and f.code in rules and "DATA-5" in rules[f.code].checklist
    }
    return [f for f in findings if f.code not in GENERIC_SECRET or (f.path, f.line) not in specific]


def invalid_suppressions(results: list[FileResult], rules: dict[str, Rule]) -> list[Finding]:
    if INVALID_SUPPRESSION not in rules:
        return []
    every = catalog.load().values()
    out = []
    for r in results:
        for ig in r.ignores:
            unknown = [t for t in ig.tokens if not any(rule_matches(rule, t) for rule in every)]
            problem = (
                "names no rule"
                if not ig.tokens
                else f"names unknown rule(s) {', '.join(unknown)}"
                if unknown
                else "gives no reason"
                if not ig.reason
                else None
            )
            if problem:
                out.append(
                    Finding(
                        INVALID_SUPPRESSION,
                        r.path,
                        f"Suppression comment {problem}; write `prodready: ignore[CODE] why it is safe`.",
                        line=ig.line,
                        column=1,
                        anchor=f"suppression:{','.join(ig.tokens)}",
                    )
                )
    return out


def production_only(findings: list[Finding], rules: dict[str, Rule]) -> list[Finding]:
    """Drop a production rule's findings in files production does not run (core/roles).

    A missing resource limit in `docs/samples/`, `install/v0.6.0/` or a test overlay is
    not this repository's deployment: reporting it is the noise that gets a linter
    switched off. Notes about files that could not be read stay (PR001 applies everywhere).
    """
    return [
        f for f in findings if rules[f.code].applies_to == "everywhere" or is_production(f.path)
    ]


def per_path_filter(findings: list[Finding], config: Config) -> list[Finding]:
    if not config.per_path_ignores:
        return findings
    rules = catalog.load()
    specs = [
        (pathspec.GitIgnoreSpec.from_lines([glob]), tokens)
        for glob, tokens in config.per_path_ignores
    ]

    def dropped(f: Finding) -> bool:
        rule = rules.get(f.code)
        return rule is not None and any(
            spec.match_file(f.path) and any(rule_matches(rule, t) for t in tokens)
            for spec, tokens in specs
        )

    return [f for f in findings if not dropped(f)]


def mark_unapplied(
    findings: list[Finding], rules: dict[str, Rule], config: Config
) -> list[Finding]:
    """Under --strict: say which configured ignore would have hidden a finding."""
    specs = [
        (glob, pathspec.GitIgnoreSpec.from_lines([glob]), tokens)
        for glob, tokens in config.unapplied
    ]
    out = []
    for f in findings:
        hit = next(
            (
                (glob, t)
                for glob, spec, tokens in specs
                for t in tokens
                if spec.match_file(f.path) and rule_matches(rules[f.code], t)
            ),
            None,
        )
        if hit is not None:
            where = "ignore" if hit[0] == "**" else f"per-path-ignores {hit[0]!r}"
            source = config.source or "the configuration"
            f = replace(
                f,
                message=f"{f.message} [ignored by {where} = {hit[1]!r} in {source}; not applied: --strict]",
            )
        out.append(f)
    return out


def complete(
    findings: Iterable[Finding],
    rules: dict[str, Rule],
    ignores: dict[str, tuple[Any, ...]],
    strict: bool = False,
) -> list[Finding]:
    """Severity and checklist from the catalog, fingerprint, suppression; sorted; no duplicates."""
    unique: dict[tuple[Any, ...], Finding] = {}
    for f in findings:
        key = (f.code, f.path, f.line, f.column, f.message)
        unique.setdefault(key, f)
    ordered = sorted(unique.values(), key=Finding.sort_key)
    seen: defaultdict[tuple[str, str, str], int] = defaultdict(int)
    out = []
    for f in ordered:
        rule = rules[f.code]
        identity = (f.code, f.path, f.anchor or f.message)
        occurrence = seen[identity]
        seen[identity] += 1
        text = "\0".join((*identity, str(occurrence)))
        digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        reason = None
        if f.line is not None and f.code != INVALID_SUPPRESSION:
            for ig in ignores.get(f.path, ()):
                if (
                    f.line in ig.covers
                    and ig.reason
                    and any(rule_matches(rule, t) for t in ig.tokens)
                ):
                    reason = ig.reason
                    break
        if strict and reason is not None:  # shown, not applied: the reviewer sees every one
            f = replace(
                f,
                message=f"{f.message} [suppressed in source: {reason!r}; not applied: --strict]",
            )
            reason = None
        out.append(
            replace(
                f,
                path=printable(f.path),
                message=printable(f.message),
                severity=f.severity or rule.severity,
                checklist=rule.checklist,
                fingerprint=digest,
                suppression=reason,
            )
        )
    return out
