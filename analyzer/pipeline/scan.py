"""The two phases of a scan: extract every file (in parallel), then judge the whole.

Extract reads a file once, classifies it, parses it, runs the file rules of
its kind and keeps the parsed record as facts; judge runs the repository
rules once over all facts. Findings are then completed from the catalog,
fingerprinted, matched against inline suppressions and per-path ignores.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import gc
import hashlib
import importlib
import os
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import pathspec

from analyzer import evidence
from analyzer.checks import registry
from analyzer.core import bounds, catalog
from analyzer.core import cache as result_cache
from analyzer.core.config import Config
from analyzer.core.errors import UsageError
from analyzer.core.model import (
    BinaryFile,
    Evidence,
    FileResult,
    Finding,
    Rule,
    ScanResult,
    Silencer,
    SourceFile,
)
from analyzer.engines import semgrep_engine
from analyzer.evidence.python_code import module_evidence
from analyzer.facts.fastapi.module import FACTS_KIND as FASTAPI_FACTS
from analyzer.facts.fastapi.module import module_facts
from analyzer.facts.fastapi.records import ModuleFacts
from analyzer.facts.repo import RepoView
from analyzer.facts.summary import PySummary, summarize
from analyzer.parsers import ParseError
from analyzer.parsers.python import PyModule
from analyzer.pipeline import discover, progress
from analyzer.pipeline.suppress import inline_ignores, rule_matches

FILE_NOT_SCANNED = "PR001"
INVALID_SUPPRESSION = "PR002"
ALWAYS_ON = (FILE_NOT_SCANNED, INVALID_SUPPRESSION)  # `select` cannot hide them; `ignore` can

# kind -> module of analyzer.parsers with a `parse(SourceFile)`; imported on first use
PARSERS: dict[str, str] = {
    "dockerfile": "dockerfile",
    "compose": "yamlfile",
    "kubernetes": "yamlfile",
    "workflow": "yamlfile",
    "yaml": "yamlfile",  # plain YAML read for evidence (Prometheus rule files)
    "env": "envfile",
    "python": "python",
    "sql": "sql",
    "supabase-config": "supabase_config",
    "nginx": "nginx",
    "js": "javascript",
    "html": "html",
}
# kinds where an empty file is a mistake worth a note (an empty __init__.py or .env is normal)
EMPTY_IS_SUSPECT = frozenset({"dockerfile", "compose", "workflow", "supabase-config", "nginx"})
PARALLEL_THRESHOLD = 64  # below this many files a process pool costs more than it saves


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


def _is_checklist_token(token: str) -> bool:
    from analyzer.core import checklist

    up = token.upper()
    return any(i.id == up or i.group == up for i in checklist.items())


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
        _cache_keying(rules, config, cache),
    )
    with (
        _few_collections(),
        progress.Bar.maybe(show_progress) as bar,
    ):
        results, findings, everything = _extract_and_judge(
            root, config, plan, candidates, paths, jobs, bar
        )
        found_evidence = _evidence(plan, config, everything) if collect_evidence else ()
    if plan.cache is not None:
        result_cache.prune(plan.cache.folder)
    findings = [f for f in findings if f.code in rules]
    findings = _yield_to_specific(findings, rules)
    ignores = {r.path: r.ignores for r in results}
    findings.extend(_invalid_suppressions(results, rules))
    findings = _per_path_filter(findings, config)
    final = _complete(findings, rules, ignores, config.strict)
    if config.unapplied:
        final = _mark_unapplied(final, rules, config)
    kinds = Counter(r.kind for r in results)
    return ScanResult(
        root=str(root),
        findings=tuple(final),
        rules=rules,
        files_scanned=len(results),
        kinds=dict(sorted(kinds.items())),
        skipped_rules=semgrep_engine.skipped_rules(frozenset(rules)),
        evidence=found_evidence,
        silencers=_silencers(results, config),
    )


def _silencers(results: list[FileResult], config: Config) -> tuple[Silencer, ...]:
    source = config.source or "configuration"
    inline = [
        Silencer(
            "inline",
            f"{r.path}:{ig.line}",
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


def _cache_keying(
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
            if c.path not in named and _is_context(c.path)
        ]
    else:
        context = []
    if bar is not None:
        bar.start(len(candidates) + len(context))
    extracted = _extract_all(plan, candidates, jobs, config, bar)
    results = [e.result for e in extracted]  # findings and ignores; facts only if judged
    findings: list[Finding] = [f for r in results for f in r.findings]
    if paths is None:
        findings.extend(_judged(plan, config, extracted))
        return results, findings, extracted
    # A hook run names a few files, but "no autoscaler targets this Deployment" is only
    # true of the whole repository: judge with every file's facts, report on the named ones.
    # Their facts come from the cache when an earlier run saw the same bytes.
    context_plan = replace(plan, codes=frozenset())  # parse only, run no file rules
    everything = extracted + _extract_all(context_plan, context, jobs, config, bar)
    findings.extend(f for f in _judged(plan, config, everything) if f.path in named)
    return results, findings, everything


def _judged(plan: Plan, config: Config, extracted: list[Extracted]) -> list[Finding]:
    return list(
        _memo(plan, "judge", extracted, lambda: tuple(_judge(plan, config, _whole(extracted))))
    )


def _evidence(plan: Plan, config: Config, extracted: list[Extracted]) -> tuple[Evidence, ...]:
    return _memo(
        plan,
        "evidence",
        extracted,
        lambda: evidence.collect(RepoView(_whole(extracted), config, plan.cache)),
    )


def _whole(extracted: list[Extracted]) -> list[FileResult]:
    return [e.whole() for e in extracted]


M = TypeVar("M", tuple[Finding, ...], tuple[Evidence, ...])


def _memo(plan: Plan, what: str, extracted: list[Extracted], compute: Callable[[], M]) -> M:
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
    if not any(isinstance(x, Finding) and _transient(x) for x in answer):
        result_cache.store_value(plan.cache.folder, key, data, answer)
    return answer


def _is_context(rel: str) -> bool:
    """Files whose facts repository rules read (manifests, compose, Dockerfiles, the app)."""
    kinds = ("dockerfile", "compose", "kubernetes", "python", "sql", "nginx", "supabase-config")
    return discover.kind_by_name(rel) in kinds or rel.endswith((".yaml", ".yml"))


GENERIC_SECRET = "SEC001"


def _yield_to_specific(findings: list[Finding], rules: dict[str, Rule]) -> list[Finding]:
    """Drop a generic secret finding where a more specific credential rule flags the same line.

    `DB_PASSWORD: hunter2` in a compose file is one problem; the compose rule names the
    service and the fix, so the generic detect-secrets finding would only repeat it.
    """
    specific = {
        (f.path, f.line)
        for f in findings
        if f.code != GENERIC_SECRET and f.code in rules and "DATA-5" in rules[f.code].checklist
    }
    return [f for f in findings if f.code != GENERIC_SECRET or (f.path, f.line) not in specific]


@dataclass(frozen=True)
class Extracted:
    """A file's result, its digest (None without a cache) and, for a cache hit, its entry.

    A hit's facts stay pickled until `whole()` is asked for: only a judge that runs
    (some file's facts changed) needs them.
    """

    result: FileResult  # without facts when `entry` is set
    digest: str | None
    entry: result_cache.Entry | None = None

    def whole(self) -> FileResult:
        return self.entry.whole if self.entry is not None else self.result


def _extract_all(
    plan: Plan,
    candidates: list[discover.Candidate],
    jobs: int,
    config: Config,
    bar: progress.Bar | None = None,
) -> list[Extracted]:
    if jobs > 1 and len(candidates) >= PARALLEL_THRESHOLD:
        # Cache hits are read here: a worker would unpickle an entry only to pickle it again
        # for the trip back, which costs more than reading it in this process.
        found: dict[int, Extracted] = {}
        for i, c in enumerate(candidates):
            data = _bytes_for_cache(plan, c)
            hit = _cached(plan, c, data) if data is not None else None
            if hit is not None:
                found[i] = hit
                if bar is not None:
                    bar.advance()
        missed = [c for i, c in enumerate(candidates) if i not in found]
        done: Iterable[Extracted] = ()
        if len(missed) >= PARALLEL_THRESHOLD:
            chunk = max(8, len(missed) // (jobs * 8))
            with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_start) as pool:
                done = _ticking(
                    pool.map(_extract_missed, [plan] * len(missed), missed, chunksize=chunk), bar
                )
                done = list(done)
        else:
            done = list(_ticking((_extract_missed(plan, c) for c in missed), bar))
        fresh = iter(done)
        return [found[i] if i in found else next(fresh) for i in range(len(candidates))]
    out: list[Extracted] = []
    for c in candidates:
        out.append(_extract_one(plan, c))
        if bar is not None:
            bar.advance()
    return out


def _worker_start() -> None:
    gc.set_threshold(*_GC_THRESHOLDS)


# Parsing allocates millions of small objects and frees almost all of them soon after;
# with the default thresholds the collector re-examines every live object of the scan
# thousands of times (it cost a third of a scan's time). Nothing a scan builds needs the
# cycle collector promptly, so it runs rarely during a scan and normally afterwards.
_GC_THRESHOLDS = (200_000, 50, 100)


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """High thresholds during the scan; what is alive at its end is frozen, not re-examined.

    The modules imported before the scan and the facts it returns are never cyclic
    garbage; unfreezing them would make the next collection walk all of it (two seconds
    on a large repository). Frozen objects are still freed by reference counting.
    """
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.freeze()
        gc.set_threshold(*before)


def _ticking(results: Iterable[Extracted], bar: progress.Bar | None) -> Iterator[Extracted]:
    for r in results:
        if bar is not None:
            bar.advance()
        yield r


def extract(plan: Plan, candidate: discover.Candidate) -> FileResult:
    """One file, start to end; never raises, so one odd file cannot stop a scan."""
    return _extract_one(plan, candidate).whole()


def _extract_one(plan: Plan, candidate: discover.Candidate) -> Extracted:
    data = _bytes_for_cache(plan, candidate)
    if plan.cache is None or data is None:
        return _uncached(plan, candidate)
    hit = _cached(plan, candidate, data)
    return hit if hit is not None else _extract_and_store(plan, candidate, data)


def _uncached(plan: Plan, candidate: discover.Candidate) -> Extracted:
    result = _extract_bounded(plan, candidate, None)
    return Extracted(result, result_cache.digest(result) if plan.cache is not None else None)


def _cache_salts(plan: Plan) -> tuple[str, ...]:
    assert plan.cache is not None
    # a parse-only run (a pre-commit hook's context files) can use a complete entry too
    return (plan.cache.full,) if plan.codes else (plan.cache.full, plan.cache.facts)


def _cached(plan: Plan, candidate: discover.Candidate, data: bytes) -> Extracted | None:
    if plan.cache is None:
        return None
    for salt in _cache_salts(plan):
        key = result_cache.entry_key(salt, candidate.path, data)
        hit = result_cache.load_entry(plan.cache.folder, key, data)
        if hit is not None and hit.shell.path == candidate.path:
            return Extracted(hit.shell, hit.digest, hit)
    return None


def _extract_missed(plan: Plan, candidate: discover.Candidate) -> Extracted:
    """A file the cache did not have (looked up already): extract it and store the result."""
    data = _bytes_for_cache(plan, candidate)
    if plan.cache is None or data is None:
        return _uncached(plan, candidate)
    return _extract_and_store(plan, candidate, data)


def _extract_and_store(plan: Plan, candidate: discover.Candidate, data: bytes) -> Extracted:
    result = _extract_bounded(plan, candidate, data)
    digest = None
    if plan.cache is not None and _cacheable(result, plan):
        key = result_cache.entry_key(_cache_salts(plan)[-1], candidate.path, data)
        digest = result_cache.store(plan.cache.folder, key, data, result)
    if digest is None and plan.cache is not None:
        digest = result_cache.digest(result)
    return Extracted(result, digest)


def _bytes_for_cache(plan: Plan, candidate: discover.Candidate) -> bytes | None:
    """The file's bytes, read once for both the key and the parse; None: do not cache it."""
    if plan.cache is None or candidate.skip_reason:
        return None
    try:  # plain os calls: this runs for every file of every cached scan
        with open(os.path.join(plan.root, candidate.path), "rb") as fh:
            if os.fstat(fh.fileno()).st_size > plan.max_file_bytes:  # a note only
                return None
            return fh.read()
    except OSError:
        return None


def _cacheable(result: FileResult, plan: Plan) -> bool:
    """Results that will be the same next time: not a timeout, a crash or a vanished file."""
    if result.kind == "skipped":
        return False
    if plan.debug:  # a cached crash would not print its traceback again
        return False
    return not any(_transient(f) for f in result.findings)


def _transient(f: Finding) -> bool:
    """A crash or a timeout note: another run may not meet it, so it is never cached."""
    return f.code == FILE_NOT_SCANNED and (
        "internal error" in f.message or "took longer than" in f.message
    )


def _extract_bounded(plan: Plan, candidate: discover.Candidate, data: bytes | None) -> FileResult:
    findings: list[Finding] = []  # filled as we go, so a timeout keeps what was found
    try:
        with bounds.applied(plan.bounds()), bounds.time_budget(plan.max_file_seconds):
            return _extract(plan, candidate, findings, data)
    except bounds.FileTimeout:
        reason = (
            f"took longer than {plan.max_file_seconds:g} s (max-file-seconds); "
            "stopped, later rules of this file did not run"
        )
        return FileResult(
            candidate.path,
            _kind_guess(candidate.path),
            (*findings, _note(candidate.path, reason, None)),
        )


def _kind_guess(rel: str) -> str:
    """The kind a name suggests, for files whose content could not be read."""
    return discover.kind_by_name(rel) or (
        "yaml" if rel.lower().endswith((".yaml", ".yml")) else "other"
    )


def _extract(
    plan: Plan, candidate: discover.Candidate, findings: list[Finding], data: bytes | None = None
) -> FileResult:
    rel = candidate.path
    if candidate.skip_reason == "symlink" or candidate.skip_reason == "vanished":
        return FileResult(rel, "skipped")
    if candidate.skip_reason:
        kind = _kind_guess(rel)
        if kind not in discover.PARSED_KINDS:  # a dangling link to docs or assets says nothing
            return FileResult(rel, "skipped")
        return _not_scanned(rel, kind, candidate.skip_reason)
    try:
        if data is None:
            text, problem = read_text(Path(plan.root) / rel, plan.max_file_bytes)
        else:
            text, problem = decode(data, len(data), plan.max_file_bytes)
    except OSError as exc:
        return _not_scanned(rel, _kind_guess(rel), f"cannot read: {exc.strerror}")
    if text is None:
        kind = _kind_guess(rel)
        if kind in discover.PARSED_KINDS or (problem or "").startswith("larger"):
            return _not_scanned(rel, kind, problem or "not text")
        size = _size(Path(plan.root) / rel)
        return FileResult(rel, "binary", facts=BinaryFile(rel, size))  # assets: sizes only
    kind = discover.classify(rel, text)
    if problem:  # decoded, but lossily: say so and scan what we could read
        findings.append(_note(rel, problem, None))
    if kind == "helm":
        findings.append(
            _note(
                rel,
                "template with {{ }} placeholders (Helm or similar); render it to scan it",
                None,
            )
        )
        return FileResult(rel, kind, tuple(findings))
    lines = text.split("\n")  # the line numbers GitHub and every parser here count
    source = SourceFile(rel, kind, text)
    facts: Any = None
    if not text.strip() and kind in EMPTY_IS_SUSPECT:
        return FileResult(rel, kind, (*findings, _note(rel, "empty file", None)))
    parser = parser_for(kind)
    if parser is not None:
        try:
            facts = parser(source)
        except ParseError as exc:
            findings.append(_note(rel, exc.reason, exc.line))
        except (RecursionError, MemoryError) as exc:
            findings.append(
                _note(rel, f"too deeply nested or too large to parse ({type(exc).__name__})", None)
            )
        except Exception as exc:  # a parser bug must not end the scan
            findings.append(_crash_note(rel, "parser", exc, plan.debug))
        for line, reason in getattr(facts, "errors", ()) or ():
            findings.append(_note(rel, reason, line))
    api: ModuleFacts | None = None  # a module's FastAPI facts: read by rules and its summary
    for check in registry.FILE_CHECKS:
        reads_api = check.kind == FASTAPI_FACTS and isinstance(facts, PyModule)
        if (check.kind not in (kind, registry.ANY_TEXT) and not reads_api) or not (
            plan.codes.intersection(check.codes)
        ):
            continue
        if check.kind == kind and facts is None:
            continue
        try:
            if reads_api:
                api = api if api is not None else module_facts(facts)
                produced = check.fn(api)
            else:
                produced = check.fn(facts if check.kind == kind else source)
            findings.extend(_anchored(f, lines) for f in produced)
        except (RecursionError, MemoryError) as exc:
            findings.append(
                _note(rel, f"too deeply nested or too large to check ({type(exc).__name__})", None)
            )
        except Exception as exc:
            findings.append(_crash_note(rel, "/".join(check.codes), exc, plan.debug))
    if isinstance(facts, PyModule):
        facts = _summarized(rel, facts, api, findings, plan.debug)
    return FileResult(rel, kind, tuple(findings), facts, inline_ignores(lines))


def _summarized(
    rel: str, mod: PyModule, api: ModuleFacts | None, findings: list[Finding], debug: bool
) -> PySummary | None:
    """What repository rules read of a module; its tree stays in this process."""
    try:
        return summarize(mod, module_evidence(mod), api if api is not None else module_facts(mod))
    except (RecursionError, MemoryError) as exc:
        findings.append(
            _note(rel, f"too deeply nested or too large to check ({type(exc).__name__})", None)
        )
    except Exception as exc:
        findings.append(_crash_note(rel, "summary", exc, debug))
    return None


@functools.cache
def parser_for(kind: str) -> Callable[[SourceFile], Any] | None:
    module = PARSERS.get(kind)
    if module is None:
        return None
    name = f"analyzer.parsers.{module}"
    try:
        parse: Callable[[SourceFile], Any] = importlib.import_module(name).parse
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None  # a kind whose parser this release does not ship yet
    return parse


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def read_text(path: Path, max_bytes: int) -> tuple[str | None, str | None]:
    """(text, problem): text None when the file is binary or too large; problem says why."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(min(size, max_bytes) + 1 if size <= max_bytes else 8192)
    return decode(head, size, max_bytes)


def decode(head: bytes, size: int, max_bytes: int) -> tuple[str | None, str | None]:
    """`read_text` on bytes already read: `head` is the whole file unless `size` is too large."""
    if size > max_bytes:
        if b"\0" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return None, "binary content"
        return None, f"larger than {max_bytes} bytes (max-file-bytes); not scanned"
    data = head
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            return None, "invalid UTF-16 text"
    if b"\0" in data[:8192]:
        return None, "binary content (NUL bytes); not scanned"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return data.decode("utf-8", errors="replace"), (
            f"not valid UTF-8 (first bad byte on line {line}); scanned with replacement characters"
        )


def _anchored(f: Finding, lines: list[str]) -> Finding:
    """Give a finding the flagged line's text as anchor when the check set none."""
    if f.anchor or f.line is None:
        return f
    text = lines[f.line - 1] if 0 < f.line <= len(lines) else ""
    return replace(f, anchor=" ".join(text.split()))


def _note(path: str, reason: str, line: int | None) -> Finding:
    return Finding(
        FILE_NOT_SCANNED,
        path,
        f"File not fully scanned: {reason}.",
        line=line,
        column=1 if line else None,
        anchor=f"not-scanned:{reason.split(':')[0]}",
    )


def _not_scanned(path: str, kind: str, reason: str) -> FileResult:
    return FileResult(path, kind, (_note(path, reason, None),))


def _crash_note(path: str, where: str, exc: BaseException, debug: bool) -> Finding:
    if debug:
        traceback.print_exception(exc)
    return _note(
        path, f"internal error in {where} ({type(exc).__name__}); other rules still ran", None
    )


def _judge(plan: Plan, config: Config, results: list[FileResult]) -> list[Finding]:
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
            out.append(_crash_note(".", "/".join(check.codes), exc, plan.debug))
    return out


def _invalid_suppressions(results: list[FileResult], rules: dict[str, Rule]) -> list[Finding]:
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


def _per_path_filter(findings: list[Finding], config: Config) -> list[Finding]:
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


def _mark_unapplied(
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


def _complete(
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
        digest = hashlib.sha256("\0".join((*identity, str(occurrence))).encode()).hexdigest()[:32]
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
                severity=rule.severity,
                checklist=rule.checklist,
                fingerprint=digest,
                suppression=reason,
            )
        )
    return out


def default_jobs() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
