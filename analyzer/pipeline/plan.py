"""What a scan is asked to do: the rules in effect, the per-file bounds, the cache keying.

The plan is picklable and crosses into every worker, so it holds only what a worker needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from analyzer.core import bounds, catalog
from analyzer.core import cache as result_cache
from analyzer.core.config import Config
from analyzer.core.errors import UsageError
from analyzer.core.model import (
    Rule,
)
from analyzer.pipeline.suppress import rule_matches

FILE_NOT_SCANNED = "PR001"

INVALID_SUPPRESSION = "PR002"

ALWAYS_ON = (FILE_NOT_SCANNED, INVALID_SUPPRESSION)  # `select` cannot hide them; `ignore` can


@dataclass(frozen=True)
class Plan:
    """What every worker needs to know; picklable, so it crosses process boundaries."""

    root: str
    codes: frozenset[str]
    max_file_bytes: int
    debug: bool = False
    max_file_seconds: float = bounds.DEFAULT_MAX_FILE_SECONDS
    max_yaml_nodes: int = bounds.DEFAULT_MAX_YAML_NODES
    max_yaml_depth: int = bounds.DEFAULT_MAX_YAML_DEPTH
    cache: result_cache.Keying | None = None  # None: no cache for this scan

    def bounds(self) -> bounds.Bounds:
        return bounds.Bounds(
            self.max_file_bytes, self.max_file_seconds, self.max_yaml_nodes, self.max_yaml_depth
        )


def select_rules(rules: dict[str, Rule], config: Config) -> dict[str, Rule]:
    """The rules in effect: `select` narrows, `ignore` removes; bad tokens are usage errors."""
    scoped = [t for _, tokens in (*config.per_path_ignores, *config.unapplied) for t in tokens]
    for token in (*config.select, *config.ignore, *scoped):
        if not any(rule_matches(r, token) for r in rules.values()) and not _is_checklist_token(
            token
        ):
            raise UsageError(f"unknown rule, rule name or checklist ID: {token!r}")
    chosen = {
        code: r
        for code, r in rules.items()
        if not config.select or any(rule_matches(r, t) for t in config.select) or code in ALWAYS_ON
    }
    return {
        code: r for code, r in chosen.items() if not any(rule_matches(r, t) for t in config.ignore)
    }


def reported(rule: Rule, config: Config) -> bool:
    """Whether the profile reports this rule's findings (the others feed the checklist only).

    A rule the configuration or `--select` names by code or name is reported whatever its
    tier: asking for it is the decision to see it.
    """
    if config.profile == "audit" or rule.precision in catalog.DEFAULT_TIERS:
        return True
    return any(t.upper() == rule.code or t == rule.name for t in config.select)


def _is_checklist_token(token: str) -> bool:
    from analyzer.core import checklist

    up = token.upper()
    return any(i.id == up or i.group == up for i in checklist.items())


def cache_keying(
    rules: dict[str, Rule], config: Config, wanted: bool | None
) -> result_cache.Keying | None:
    """The cache of this scan, keyed by the rules in effect and the settings files depend on."""
    if wanted is False or (wanted is None and not result_cache.enabled()):
        return None
    folder = result_cache.prepare(result_cache.directory())
    if folder is None:
        return None
    settings = (
        config.max_file_bytes,
        config.max_file_seconds,
        config.max_yaml_nodes,
        config.max_yaml_depth,
        config.public_routes,
        sorted((str(k), repr(v)) for k, v in config.extra.items()),
    )
    return result_cache.keying(folder, rules, settings)


def default_jobs() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
