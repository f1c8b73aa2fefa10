"""The two phases of a scan: extract every file (in parallel), then judge the whole.

Extract reads a file once, classifies it, parses it, runs the file rules of
its kind and keeps the parsed record as facts; judge runs the repository
rules once over all facts. Findings are then completed from the catalog,
fingerprinted, matched against inline suppressions and per-path ignores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from analyzer.checks import registry
from analyzer.core import cache as result_cache
from analyzer.core import catalog
from analyzer.core.config import Config
from analyzer.core.model import (
    FileResult,
    Finding,
    ScanResult,
    printable,
)
from analyzer.engines import semgrep_engine
from analyzer.pipeline import discover, progress
from analyzer.pipeline.extract import (
    Extracted,
    extract_all,
    few_collections,
    note,
)
from analyzer.pipeline.finalize import (
    complete,
    invalid_suppressions,
    mark_unapplied,
    per_path_filter,
    production_only,
    silencers,
    yield_to_specific,
)
from analyzer.pipeline.judge import evidence_of, is_context, judged
from analyzer.pipeline.plan import (
    Plan,
    cache_keying,
    reported,
    select_rules,
)


def scan(
    root: Path,
    config: Config | None = None,
    paths: Sequence[Path] | None = None,
    jobs: int = 1,
    debug: bool = False,
    cache: bool | None = None,
    show_progress: bool = False,
    collect_evidence: bool = True,
) -> ScanResult:
    """`cache`: None follows `analyzer.core.cache.enabled()` (on unless `--no-cache`).

    `show_progress` asks for a progress bar on stderr; it still appears only for
    large scans on a terminal. `collect_evidence=False` leaves `evidence` empty, for
    reports that do not show the checklist (it reads every module of the repository).
    """
    config = config or Config()
    rules = select_rules(catalog.load(), config)
    registry.load_all()
    candidates = discover.discover(root, paths, config.exclude)
    plan = Plan(
        str(root),
        frozenset(rules),
        config.max_file_bytes,
        debug,
        config.max_file_seconds,
        config.max_yaml_nodes,
        config.max_yaml_depth,
        cache_keying(rules, config, cache),
    )
    with (
        few_collections(),
        progress.Bar.maybe(show_progress) as bar,
    ):
        results, findings, everything = _extract_and_judge(
            root, config, plan, candidates, paths, jobs, bar
        )
        found_evidence = evidence_of(plan, config, everything) if collect_evidence else ()
    if plan.cache is not None:
        result_cache.prune(plan.cache.folder)
    findings += [note(path, reason, None) for path, reason in config.problems]
    findings = production_only([f for f in findings if f.code in rules], rules)
    findings = yield_to_specific(findings, rules)
    ignores = {r.path: r.ignores for r in results}
    findings.extend(invalid_suppressions(results, rules))
    findings = per_path_filter(findings, config)
    final = complete(findings, rules, ignores, config.strict)
    if config.unapplied:
        final = mark_unapplied(final, rules, config)
    kinds = Counter(r.kind for r in results)
    shown = [f for f in final if reported(rules[f.code], config)]
    held = [f for f in final if not reported(rules[f.code], config)]
    return ScanResult(
        root=str(root),
        findings=tuple(shown),
        review=tuple(held),
        rules=rules,
        files_scanned=len(results),
        kinds=dict(sorted(kinds.items())),
        skipped_rules=semgrep_engine.skipped_rules(frozenset(rules)),
        evidence=tuple(
            replace(e, path=printable(e.path), text=printable(e.text)) for e in found_evidence
        ),
        silencers=silencers(results, config),
    )


def _extract_and_judge(
    root: Path,
    config: Config,
    plan: Plan,
    candidates: list[discover.Candidate],
    paths: Sequence[Path] | None,
    jobs: int,
    bar: progress.Bar | None = None,
) -> tuple[list[FileResult], list[Finding], list[Extracted]]:
    """(results of the scanned files, their findings, every result the judge saw)."""
    named = {c.path for c in candidates}
    if paths is not None:
        context = [
            c
            for c in discover.discover(root, None, config.exclude)
            if c.path not in named and is_context(c.path)
        ]
    else:
        context = []
    if bar is not None:
        bar.start(len(candidates) + len(context))
    extracted = extract_all(plan, candidates, jobs, config, bar)
    results = [e.result for e in extracted]  # findings and ignores; facts only if judged
    findings: list[Finding] = [f for r in results for f in r.findings]
    if paths is None:
        findings.extend(judged(plan, config, extracted))
        return results, findings, extracted
    # A hook run names a few files, but "no autoscaler targets this Deployment" is only
    # true of the whole repository: judge with every file's facts, report on the named ones.
    # Their facts come from the cache when an earlier run saw the same bytes.
    context_plan = replace(plan, codes=frozenset())  # parse only, run no file rules
    everything = extracted + extract_all(context_plan, context, jobs, config, bar)
    findings.extend(f for f in judged(plan, config, everything) if f.path in named)
    return results, findings, everything
