"""Calls to other services (HTTP APIs, Twilio, Supabase): timeouts and retries.

The rules/python.yaml family of checklist items ARCH-5 and ERR-2: a call
without a timeout (PY001), a module that calls out with no retry or breaker
(PY002) and a retry loop that waits a constant delay (PY004). The Celery
variant of PY002 is judged across modules (analyzer.checks.python.celery).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from analyzer.checks.python.registry import finding, rule
from analyzer.core.model import Finding
from analyzer.core.vocabulary import (
    AIOHTTP_SESSION,
    HTTPX_CLIENTS,
    HTTPX_FUNCS,
    REQUESTS_FUNCS,
    REQUESTS_SESSION,
    RETRY_CALLS,
    RETRY_MODULES,
    RETRYABLE,
    SESSION_METHODS,
    SUPABASE_CLIENT,
    TRANSPORTS_WITH_RETRIES,
    TWILIO_CLIENT,
    URLLIB3,
)
from analyzer.facts.calls import (
    ModuleIndex,
    arg,
    const_number,
    dotted,
    has_kwargs_unpack,
    is_const,
    kwarg,
    last_name,
)
from analyzer.facts.outbound import task_retries
from analyzer.parsers.python import PyModule

# --------------------------------------------------------------------------- PY001 timeouts


@rule("PY001", app_code_only=True)
def outbound_call_without_timeout(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    adapter_sets_timeout = _module_sets_session_timeout(ix)
    for call, name in ix.calls:
        if name in REQUESTS_FUNCS and kwarg(call, "timeout") is None:
            if not has_kwargs_unpack(call):
                yield finding(
                    "PY001",
                    mod,
                    call,
                    f"`{name}` is called without `timeout=`: requests waits forever for a server that does not answer.",
                    f"timeout:{name}",
                )
        elif name in HTTPX_FUNCS | HTTPX_CLIENTS and is_const(kwarg(call, "timeout"), None):
            if isinstance(kwarg(call, "timeout"), ast.Constant):
                yield finding(
                    "PY001",
                    mod,
                    call,
                    f"`{name}` is given `timeout=None`, which turns httpx's 5 s default off.",
                    f"timeout:{name}:none",
                )
        elif name in AIOHTTP_SESSION and kwarg(call, "timeout") is None:
            if not has_kwargs_unpack(call):
                yield finding(
                    "PY001",
                    mod,
                    call,
                    "`aiohttp.ClientSession` without `timeout=ClientTimeout(...)` allows 5 minutes per request.",
                    "timeout:aiohttp.ClientSession",
                )
        elif name in URLLIB3 and kwarg(call, "timeout") is None and not has_kwargs_unpack(call):
            yield finding(
                "PY001",
                mod,
                call,
                f"`{name}` without `timeout=`: urllib3 waits forever by default.",
                f"timeout:{name}",
            )
        elif name in TWILIO_CLIENT and kwarg(call, "http_client") is None:
            if not has_kwargs_unpack(call) and len(call.args) < 7:
                yield finding(
                    "PY001",
                    mod,
                    call,
                    "Twilio `Client` without `http_client=TwilioHttpClient(timeout=...)`: its default HTTP client has no timeout.",
                    "timeout:twilio.rest.Client",
                )
        elif name in SUPABASE_CLIENT and arg(call, 2, "options") is None:
            if not has_kwargs_unpack(call):
                yield finding(
                    "PY001",
                    mod,
                    call,
                    "Supabase client created without `options=ClientOptions(postgrest_client_timeout=...)`: "
                    "each query may hang for the 120 s default.",
                    f"timeout:{name}",
                )
        elif not adapter_sets_timeout and isinstance(call.func, ast.Attribute):
            if call.func.attr not in SESSION_METHODS or kwarg(call, "timeout") is not None:
                continue
            built = ix.receiver_call(call)
            if built and built[0] in REQUESTS_SESSION and not has_kwargs_unpack(call):
                yield finding(
                    "PY001",
                    mod,
                    call,
                    f"`{dotted(call.func)}` on a requests Session without `timeout=`: sessions have no default timeout.",
                    f"timeout:session.{call.func.attr}",
                )


def _module_sets_session_timeout(ix: ModuleIndex) -> bool:
    """An HTTPAdapter subclass or `session.request = partial(..., timeout=...)` sets one for all."""
    mod = ix.mod
    for node in ix.nodes(ast.ClassDef, ast.Assign):
        if isinstance(node, ast.ClassDef) and any(
            (mod.qualified_name(b) or "").endswith("HTTPAdapter") for b in node.bases
        ):
            if any(
                isinstance(n, ast.Name | ast.arg) and "timeout" in _ident(n) for n in ast.walk(node)
            ):
                return True
            if any(isinstance(n, ast.Constant) and n.value == "timeout" for n in ast.walk(node)):
                return True
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and any(isinstance(t, ast.Attribute) and t.attr == "request" for t in node.targets)
            and kwarg(node.value, "timeout") is not None
        ):
            return True
    return False


def _ident(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else node.arg if isinstance(node, ast.arg) else ""


# --------------------------------------------------------------------------- PY002 no retry


def _has_retry_mechanism(mod: PyModule, names: Iterable[str]) -> bool:
    """A retry/backoff/breaker library, urllib3 `Retry`, or a transport given `retries=`."""
    for qualified in mod.imports.values():
        if qualified.split(".")[0] in RETRY_MODULES:
            return True
    return any(name in RETRY_CALLS or name.endswith(".Retry") for name in names)


@rule("PY002", app_code_only=True)
def external_call_without_retry(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    names = [n for _, n in ix.calls]
    first = next(((c, n) for c, n in ix.calls if n in RETRYABLE), None)
    if first is None or _has_retry_mechanism(mod, names):
        return
    for call, name in ix.calls:
        if name in TRANSPORTS_WITH_RETRIES and (
            kwarg(call, "retries") is not None or kwarg(call, "max_retries") is not None
        ):
            return
        if name.endswith("HTTPAdapter") and kwarg(call, "max_retries") is not None:
            return
    if _retried_by_caller(ix, first[0]):
        return
    call, name = first
    yield finding(
        "PY002",
        mod,
        call,
        f"`{name}` calls an external service, and nothing in this module retries with backoff "
        "or breaks the circuit (tenacity, backoff, urllib3 Retry, transport retries, pybreaker).",
        f"no-retry:{name}",
    )


def _retried_by_caller(ix: ModuleIndex, call: ast.Call) -> bool:
    """Inside a Celery task with automatic retries, or inside a hand-written retry loop."""
    fn = ix.enclosing_function(call)
    if fn is not None and task_retries(fn) is not None and task_retries(fn):
        return True
    return any(
        isinstance(a, (ast.For, ast.While, ast.AsyncFor)) and _loop_is_retry(a)
        for a in ix.ancestors(call)
    )


def _loop_is_retry(loop: ast.AST) -> bool:
    return any(isinstance(n, ast.Try) for n in ast.walk(loop)) and any(
        isinstance(n, ast.Call) and last_name(dotted(n.func)) == "sleep" for n in ast.walk(loop)
    )


# --------------------------------------------------------------------------- PY004 constant sleep


@rule("PY004", app_code_only=True)
def retry_loop_with_constant_sleep(ix: ModuleIndex) -> Iterator[Finding]:
    for call, name in ix.calls:
        if name not in ("time.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep"):
            continue
        delay = arg(call, 0, "seconds") or arg(call, 0, "delay")
        if delay is None or not _constant_delay(delay):
            continue
        for anc in ix.ancestors(call):
            if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                break
            if isinstance(anc, (ast.For, ast.While, ast.AsyncFor)):
                in_handler = any(
                    isinstance(a, ast.ExceptHandler) for a in _path_between(ix, call, anc)
                )
                if in_handler or _sleep_follows_try(anc):
                    yield finding(
                        "PY004",
                        ix.mod,
                        call,
                        f"Retry loop waits a constant `{ast.unparse(delay)}` s between attempts: "
                        "failing clients retry in lock-step and hammer the service; use exponential backoff with jitter.",
                        f"constant-sleep:{ast.unparse(delay)}",
                    )
                break


def _constant_delay(node: ast.expr) -> bool:
    if const_number(node) is not None:
        return True
    return isinstance(node, ast.Name) and node.id.isupper()


def _path_between(ix: ModuleIndex, node: ast.AST, top: ast.AST) -> Iterator[ast.AST]:
    for anc in ix.ancestors(node):
        if anc is top:
            return
        yield anc


def _sleep_follows_try(loop: ast.For | ast.While | ast.AsyncFor) -> bool:
    """`for _ in range(n): try: ... except: ...; sleep(5)`: a bounded retry loop."""
    return isinstance(loop, ast.For) and any(isinstance(s, ast.Try) for s in loop.body)
