"""Judge: the repository rules and the checklist evidence, once over every file's facts, and
their answers memoised by the digests of those facts.

A re-scan after edits that change no fact (a comment, a blank line) reuses the answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from analyzer import evidence
from analyzer.checks import registry
from analyzer.core import cache as result_cache
from analyzer.core.config import Config
from analyzer.core.model import (
    Evidence,
    FileResult,
    Finding,
)
from analyzer.facts.repo import RepoView
from analyzer.pipeline import discover
from analyzer.pipeline.extract import (
    Extracted,
    crash_note,
    is_transient,
    parser_for,
)
from analyzer.pipeline.plan import (
    Plan,
)


def judged(plan: Plan, config: Config, extracted: list[Extracted]) -> list[Finding]:
    return list(
        memo(
            plan,
            "judge",
            extracted,
            lambda: tuple(run_repository_rules(plan, config, whole_results(extracted))),
        )
    )


def evidence_of(plan: Plan, config: Config, extracted: list[Extracted]) -> tuple[Evidence, ...]:
    return memo(
        plan,
        "evidence",
        extracted,
        lambda: evidence.collect(RepoView(whole_results(extracted), config, plan.cache)),
    )


def whole_results(extracted: list[Extracted]) -> list[FileResult]:
    return [e.whole() for e in extracted]


M = TypeVar("M", tuple[Finding, ...], tuple[Evidence, ...])


def memo(plan: Plan, what: str, extracted: list[Extracted], compute: Callable[[], M]) -> M:
    """The judge's (or the evidence's) answer, reused when every file's facts are unchanged.

    Repository rules read facts only, so the digests of every file's result (path, kind,
    facts, findings) key their answer: a re-scan after edits that change no fact (a
    comment, a blank line at the end, a file touched and saved as it was) skips them.
    """
    digests = [e.digest for e in extracted]
    if plan.cache is None or plan.debug or any(d is None for d in digests):
        return compute()
    h = hashlib.sha256(f"{plan.cache.full}\0{what}\0".encode())
    for e in extracted:
        h.update(
            f"{e.result.path}\0{e.result.kind}\0{e.digest}\n".encode("utf-8", "surrogateescape")
        )
    key = h.hexdigest()
    data = "".join(str(d) for d in digests).encode()
    found = result_cache.load_value(plan.cache.folder, key, data)
    if isinstance(found, tuple):
        return found  # type: ignore[return-value]
    answer = compute()
    if not any(isinstance(x, Finding) and is_transient(x) for x in answer):
        result_cache.store_value(plan.cache.folder, key, data, answer)
    return answer


def is_context(rel: str) -> bool:
    """Files whose facts repository rules read (manifests, compose, Dockerfiles, the app)."""
    kinds = ("dockerfile", "compose", "kubernetes", "python", "sql", "nginx", "supabase-config")
    return discover.kind_by_name(rel) in kinds or rel.endswith((".yaml", ".yml"))


def run_repository_rules(plan: Plan, config: Config, results: list[FileResult]) -> list[Finding]:
    out: list[Finding] = []
    # every file, except those whose parser failed: a repository rule may look for a file by
    # name alone (a Dependabot config, a lock file), but never gets half-understood facts
    usable = [r for r in results if r.facts is not None or parser_for(r.kind) is None]
    repo = RepoView(usable, config, plan.cache)
    for check in registry.REPO_CHECKS:
        if not plan.codes.intersection(check.codes):
            continue
        try:
            out.extend(check.fn(repo))
        except Exception as exc:
            out.append(crash_note(".", "/".join(check.codes), exc, plan.debug))
    return out
