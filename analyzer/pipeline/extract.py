"""Extract: read each file once, parse it, run its kind's file rules and keep its facts, in
parallel and through the result cache.

A file that cannot be read or parsed becomes a PR001 note naming the reason, never a lost
scan; the time and size bounds apply per file.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import os
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from analyzer.checks import registry, secrets
from analyzer.core import bounds
from analyzer.core import cache as result_cache
from analyzer.core.config import Config
from analyzer.core.model import (
    BinaryFile,
    FileResult,
    Finding,
    SourceFile,
)
from analyzer.evidence.python_code import module_evidence
from analyzer.facts.fastapi.module import FACTS_KIND as FASTAPI_FACTS
from analyzer.facts.fastapi.module import module_facts
from analyzer.facts.fastapi.records import ModuleFacts
from analyzer.facts.summary import PySummary, summarize
from analyzer.parsers import ParseError
from analyzer.parsers.python import PyModule
from analyzer.pipeline import discover, progress
from analyzer.pipeline.plan import (
    FILE_NOT_SCANNED,
    Plan,
)
from analyzer.pipeline.read import decode, file_size, read_text
from analyzer.pipeline.suppress import inline_ignores

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
# kinds of templates that only a renderer turns into what the rules read: noted, not parsed
TEMPLATE_KINDS = {
    "helm": "template with {{ }} placeholders (Helm or similar); render it to scan it",
    "dockerfile-template": (
        "Dockerfile template with {{ }} or {% %} placeholders; render it to scan it"
    ),
}
TOKEN_CODES = frozenset({secrets.HARDCODED, secrets.SUPABASE_SERVICE, secrets.PRIVATE_KEY})
EMPTY_IS_SUSPECT = frozenset({"dockerfile", "compose", "workflow", "supabase-config", "nginx"})

PARALLEL_THRESHOLD = 64  # below this many files a process pool costs more than it saves


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


def extract_all(
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
def few_collections() -> Iterator[None]:
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
    return not any(is_transient(f) for f in result.findings)


def is_transient(f: Finding) -> bool:
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
            (*findings, note(candidate.path, reason, None)),
        )


# A file over max-file-bytes is not parsed, but a token it holds leaks all the same: text up
# to this size is still searched for tokens of a known format (one linear pass per pattern).
OVERSIZED_SECRETS_BYTES = 64 * 1024 * 1024


def _oversized(
    plan: Plan, rel: str, kind: str, problem: str, findings: list[Finding]
) -> FileResult:
    path = Path(plan.root) / rel
    if not plan.codes.intersection(TOKEN_CODES) or file_size(path) > OVERSIZED_SECRETS_BYTES:
        return FileResult(rel, kind, (*findings, note(rel, problem, None)))
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _not_scanned(rel, kind, f"cannot read: {exc.strerror}")
    if b"\0" in data[:8192]:
        return FileResult(rel, "binary", facts=BinaryFile(rel, len(data)))
    src = SourceFile(rel, kind, data.decode("utf-8", "replace"))
    found = [f for f in _retried_deeply(secrets.typed_secrets, src) if f.code in plan.codes]
    reason = problem.replace("; not scanned", "; only searched for tokens of a known format")
    return FileResult(rel, kind, (*findings, *found, note(rel, reason, None)))


def _kind_guess(rel: str) -> str:
    """The kind a name suggests, for files whose content could not be read."""
    return discover.kind_by_name(rel) or (
        "yaml" if rel.lower().endswith((".yaml", ".yml")) else "other"
    )


def _extract(
    plan: Plan, candidate: discover.Candidate, findings: list[Finding], data: bytes | None = None
) -> FileResult:
    rel = candidate.path
    if candidate.note:
        findings.append(note(rel, candidate.note, None))
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
        if (problem or "").startswith("larger"):
            return _oversized(plan, rel, kind, problem or "", findings)
        if kind in discover.PARSED_KINDS:
            return _not_scanned(rel, kind, problem or "not text")
        size = file_size(Path(plan.root) / rel)
        return FileResult(rel, "binary", facts=BinaryFile(rel, size))  # assets: sizes only
    kind = discover.classify(rel, text)
    if problem:  # decoded, but lossily: say so and scan what we could read
        findings.append(note(rel, problem, None))
    if kind in TEMPLATE_KINDS:
        findings.append(note(rel, TEMPLATE_KINDS[kind], None))
        return FileResult(rel, kind, tuple(findings))
    lines = text.split("\n")  # the line numbers GitHub and every parser here count
    source = SourceFile(rel, kind, text)
    facts: Any = None
    if not text.strip() and kind in EMPTY_IS_SUSPECT:
        return FileResult(rel, kind, (*findings, note(rel, "empty file", None)))
    parser = parser_for(kind)
    if parser is not None:
        try:
            facts = _retried_deeply(parser, source)
        except ParseError as exc:
            findings.append(note(rel, exc.reason, exc.line))
        except (RecursionError, MemoryError) as exc:
            findings.append(
                note(rel, f"too deeply nested or too large to parse ({type(exc).__name__})", None)
            )
        except Exception as exc:  # a parser bug must not end the scan
            findings.append(crash_note(rel, "parser", exc, plan.debug))
        for line, reason in getattr(facts, "errors", ()) or ():
            findings.append(note(rel, reason, line))
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
                api = api if api is not None else _retried_deeply(module_facts, facts)
                produced = _listed(check.fn)(api)
            else:
                produced = _retried_deeply(
                    _listed(check.fn), facts if check.kind == kind else source
                )
            findings.extend(_anchored(f, lines) for f in produced)
        except (RecursionError, MemoryError) as exc:
            findings.append(
                note(rel, f"too deeply nested or too large to check ({type(exc).__name__})", None)
            )
        except Exception as exc:
            findings.append(crash_note(rel, "/".join(check.codes), exc, plan.debug))
    if isinstance(facts, PyModule):
        facts = _summarized(rel, facts, api, findings, plan.debug)
    return FileResult(rel, kind, tuple(findings), facts, inline_ignores(lines))


A = TypeVar("A")
R = TypeVar("R")


def _retried_deeply(fn: Callable[[A], R], arg: A) -> R:
    """`fn(arg)`, once more with room for deep recursion when the default limit is not enough."""
    try:
        return fn(arg)
    except RecursionError:
        return bounds.deeply(lambda: fn(arg))


def _listed(fn: Callable[[Any], Iterable[Finding]]) -> Callable[[Any], list[Finding]]:
    """A check whose findings are produced lazily runs to its end inside the retried call."""
    return lambda arg: list(fn(arg))


def _summarized(
    rel: str, mod: PyModule, api: ModuleFacts | None, findings: list[Finding], debug: bool
) -> PySummary | None:
    """What repository rules read of a module; its tree stays in this process."""
    try:
        return _retried_deeply(
            lambda m: summarize(m, module_evidence(m), api if api is not None else module_facts(m)),
            mod,
        )
    except (RecursionError, MemoryError) as exc:
        findings.append(
            note(rel, f"too deeply nested or too large to check ({type(exc).__name__})", None)
        )
    except Exception as exc:
        findings.append(crash_note(rel, "summary", exc, debug))
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


def _anchored(f: Finding, lines: list[str]) -> Finding:
    """Give a finding the flagged line's text as anchor when the check set none."""
    if f.anchor or f.line is None:
        return f
    text = lines[f.line - 1] if 0 < f.line <= len(lines) else ""
    return replace(f, anchor=" ".join(text.split()))


def note(path: str, reason: str, line: int | None) -> Finding:
    return Finding(
        FILE_NOT_SCANNED,
        path,
        f"File not fully scanned: {reason}.",
        line=line,
        column=1 if line else None,
        anchor=f"not-scanned:{reason.split(':')[0]}",
    )


def _not_scanned(path: str, kind: str, reason: str) -> FileResult:
    return FileResult(path, kind, (note(path, reason, None),))


def crash_note(path: str, where: str, exc: BaseException, debug: bool) -> Finding:
    if debug:
        traceback.print_exception(exc)
    return note(
        path, f"internal error in {where} ({type(exc).__name__}); other rules still ran", None
    )
