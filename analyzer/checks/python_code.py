"""Code-level Python rules: outbound calls, pools, logging, errors, JWT, cookies, secrets, TLS.

All rules work on the `ast` tree already parsed for the file
(analyzer.parsers.python.PyModule), with imports resolved, so
`import requests as r; r.get(url)` and `from requests import get` are the
same call to them. bandit's injection tests (SQL, shell, TLS verification,
Jinja2 autoescape) run over that same tree through
analyzer.engines.bandit_engine; when one of our checks already flags a line
for the same rule, bandit's finding there is dropped.

Precision choices, rule by rule, are documented in rules/python.yaml (the
`why` text and the good examples); the main ones:

- httpx has a 5 s default timeout, so only an explicit `timeout=None` is
  reported for it; requests has none, so every call without `timeout=` is,
  unless the module mounts an adapter that sets one.
- "no retry" is judged per module, once: a module that talks to an external
  HTTP or telephony API and has no retry or breaker mechanism at all.
- Celery tasks are judged in the repository pass, because the external call
  usually sits in a helper module the task imports.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import PurePosixPath

from analyzer.checks.registry import file_check, repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.core.secretvalues import literal_secret
from analyzer.core.vocabulary import (
    AIOHTTP_SESSION,
    ENGINES,
    HTTPX_CLIENTS,
    HTTPX_FUNCS,
    LOG_METHODS,
    PER_REQUEST_CLIENTS,
    PG_POOLS,
    REDIS_CLIENTS,
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
from analyzer.engines import bandit_engine
from analyzer.facts.calls import (
    ModuleIndex,
    arg,
    const_number,
    const_str,
    dotted,
    has_kwargs_unpack,
    index,
    is_const,
    kwarg,
    last_name,
    route_handlers,
    target_key,
    walk_body,
)
from analyzer.facts.pycode import (
    CeleryTask,
    task_retries,
)
from analyzer.facts.summary import PySummary
from analyzer.parsers.python import PyModule

_LOGGER_NAME = re.compile(r"^_?(?:log|logger|LOG|LOGGER|logging|structlog)$|_?logger$", re.I)
_SENSITIVE = re.compile(
    r"^(?:to|from_|to_number|from_number|caller|callee|msisdn|"
    r"(?:[a-z0-9]+_)*(?:password|passwd|pwd|secret|token|api_?key|access_?key|private_?key|"
    r"authorization|credentials?|cookie|phone(?:_?number)?|mobile(?:_?number)?|e_?mail(?:_?address)?|"
    r"ssn|card_?number|iban))$",
    re.I,
)
_SENSITIVE_EXCLUDED = re.compile(r"(?:^|_)(?:id|type|count|len|length|hash|masked|hint|last4|url)$")
_SAFE_WRAPPERS = frozenset({"str", "repr", "format"})  # these pass the value through unchanged

JWT_MODULES = ("jwt", "jose.jwt", "jwt.api_jwt")
_LIFETIME_NAME = re.compile(
    r"(?:access|jwt|token|auth).*(?:expire|expiry|expiration|lifetime|ttl|max_age|duration|valid)"
    r"|(?:expire|expiry|expiration|lifetime|ttl).*(?:access|jwt|token)",
    re.I,
)
_NOT_ACCESS_TOKEN = re.compile(
    r"refresh|reset|verif|invite|confirm|email|signup|magic|remember|otp|cache|lock", re.I
)
_UNITS = (
    (re.compile(r"(?:^|_)(?:days?)(?:$|_)", re.I), 86400.0),
    (re.compile(r"(?:^|_)(?:hours?|hrs?|h)(?:$|_)", re.I), 3600.0),
    (re.compile(r"(?:^|_)(?:minutes?|mins?|m)(?:$|_)", re.I), 60.0),
    (re.compile(r"(?:^|_)(?:seconds?|secs?|s)(?:$|_)|ttl|max_age|expires_in", re.I), 1.0),
)
_SESSION_COOKIE = re.compile(r"session|token|auth|jwt|refresh|access|sid|remember|login", re.I)
_LOCAL_HOST = re.compile(
    r"^(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[?::1\]?|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|"
    r"172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+|[^.]+|.+\.(?:local|localhost|internal|svc|cluster\.local|"
    r"test|example|invalid)|(?:www\.)?w3\.org|schemas\..+|json-schema\.org|purl\.org|"
    r"example\.(?:com|org|net)|xmlns\..+)$",
    re.I,
)
_URL_NAME = re.compile(r"url|uri|endpoint|host|base|api|webhook|callback|server|dsn", re.I)
_HTTP_URL = re.compile(r"^http://([^/:?#\s]+)", re.I)

_CLI_MODULES = ("argparse", "click", "typer", "fire", "docopt")
_CLI_FILES = frozenset({"cli.py", "__main__.py", "manage.py", "commands.py"})


def _finding(code: str, mod: PyModule, node: ast.AST, message: str, anchor: str = "") -> Finding:
    line = getattr(node, "lineno", None)
    col = getattr(node, "col_offset", None)
    end_line = getattr(node, "end_lineno", None)
    end_col = getattr(node, "end_col_offset", None)
    return Finding(
        code,
        mod.path,
        message,
        line=line,
        column=col + 1 if col is not None else None,
        end_line=end_line,
        end_column=end_col + 1 if end_col is not None else None,
        anchor=anchor,
    )


# --------------------------------------------------------------------------- the file check

CODES = tuple(f"PY{n:03d}" for n in range(1, 26) if n not in (3, 8))
BANDIT_CODES = {"B501": "PY019", "B602": "PY022", "B605": "PY022", "B608": "PY021", "B701": "PY023"}


@file_check("python", *CODES)
def python_code(mod: PyModule) -> Iterator[Finding]:
    """Every per-file PY rule over one index of the module, then bandit, deduplicated."""
    if mod.is_test:
        return
    ix = index(mod)
    own: list[Finding] = []
    checks = (
        _timeouts,
        _no_retry,
        _constant_sleep_retry,
        _pool_settings,
        _client_per_request,
        _debug_log_level,
        _debug_entrypoint,
        _jwt,
        _token_lifetimes,
        _cookies,
        _secret_defaults,
        _tls_verification,
        _insecure_urls,
        _html_from_input,
        _redis_without_expiry,
    )
    app_only = (_prints, _sensitive_logs, _excepts)
    for check in checks:
        own.extend(check(ix))
    if mod.is_app_code:
        for check in app_only:
            own.extend(check(ix))
    yield from own
    seen = {(f.code, f.line) for f in own}
    statements = _bandit_candidates(ix)
    if not statements:
        return
    for hit in bandit_engine.run(mod.tree, statements):
        code = BANDIT_CODES.get(hit.test_id)
        if code is None or (code, hit.line) in seen:
            continue
        seen.add((code, hit.line))
        yield Finding(
            code,
            mod.path,
            f"{hit.text.rstrip('.')} (bandit {hit.test_id}).",
            line=hit.line,
            column=hit.column,
            end_column=hit.end_column,
        )


_SQL_WORDS = re.compile(r"\b(?:select|insert|update|delete|replace|with|merge|upsert)\b", re.I)
# Calls a selected bandit test looks at by name alone (B605 shells, B701 Jinja2); B602 needs
# `shell=`, B501 `verify=False`, both tested on the call itself.
_BANDIT_CALL_PREFIXES = (
    "os.system",
    "os.popen",
    "popen2.",
    "commands.",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "jinja2.",
)


def _bandit_candidates(ix: ModuleIndex) -> list[ast.stmt]:
    """The module-level statements where a selected bandit test could fire.

    bandit visits every node of what it is given, at several times the cost
    of parsing; most modules hold no SQL-looking string and no shell, Jinja2
    or TLS call, so most modules cost nothing, and the others cost only the
    statements (functions, classes) that do. Imports are always included:
    bandit resolves aliases from them.
    """
    chosen: dict[int, ast.stmt] = {}
    for call, name in ix.calls:
        if (
            name.startswith(_BANDIT_CALL_PREFIXES)
            or kwarg(call, "shell") is not None
            or (name.startswith(("requests.", "httpx.")) and is_const(kwarg(call, "verify"), False))
        ):
            top = ix.top_statement(call)
            if isinstance(top, ast.stmt):
                chosen[id(top)] = top
    for const in ix.nodes(ast.Constant):
        # B608 reads a string only where it is being built: concatenated, formatted, f-string
        if isinstance(const.value, str) and _SQL_WORDS.search(const.value):
            parent = ix.parents.get(const)
            if isinstance(parent, (ast.BinOp, ast.JoinedStr)) or (
                isinstance(parent, ast.Attribute) and parent.attr in ("format", "replace")
            ):
                top = ix.top_statement(const)
                if isinstance(top, ast.stmt):
                    chosen[id(top)] = top
    if not chosen:
        return []
    imports = [s for s in ix.mod.tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
    for stmt in imports:
        chosen[id(stmt)] = stmt
    order = {id(s): i for i, s in enumerate(ix.mod.tree.body)}
    return sorted(chosen.values(), key=lambda s: order.get(id(s), 0))


# --------------------------------------------------------------------------- PY001 timeouts


def _timeouts(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    adapter_sets_timeout = _module_sets_session_timeout(ix)
    for call, name in ix.calls:
        if name in REQUESTS_FUNCS and kwarg(call, "timeout") is None:
            if not has_kwargs_unpack(call):
                yield _finding(
                    "PY001",
                    mod,
                    call,
                    f"`{name}` is called without `timeout=`: requests waits forever for a server that does not answer.",
                    f"timeout:{name}",
                )
        elif name in HTTPX_FUNCS | HTTPX_CLIENTS and is_const(kwarg(call, "timeout"), None):
            if isinstance(kwarg(call, "timeout"), ast.Constant):
                yield _finding(
                    "PY001",
                    mod,
                    call,
                    f"`{name}` is given `timeout=None`, which turns httpx's 5 s default off.",
                    f"timeout:{name}:none",
                )
        elif name in AIOHTTP_SESSION and kwarg(call, "timeout") is None:
            if not has_kwargs_unpack(call):
                yield _finding(
                    "PY001",
                    mod,
                    call,
                    "`aiohttp.ClientSession` without `timeout=ClientTimeout(...)` allows 5 minutes per request.",
                    "timeout:aiohttp.ClientSession",
                )
        elif name in URLLIB3 and kwarg(call, "timeout") is None and not has_kwargs_unpack(call):
            yield _finding(
                "PY001",
                mod,
                call,
                f"`{name}` without `timeout=`: urllib3 waits forever by default.",
                f"timeout:{name}",
            )
        elif name in TWILIO_CLIENT and kwarg(call, "http_client") is None:
            if not has_kwargs_unpack(call) and len(call.args) < 7:
                yield _finding(
                    "PY001",
                    mod,
                    call,
                    "Twilio `Client` without `http_client=TwilioHttpClient(timeout=...)`: its default HTTP client has no timeout.",
                    "timeout:twilio.rest.Client",
                )
        elif name in SUPABASE_CLIENT and arg(call, 2, "options") is None:
            if not has_kwargs_unpack(call):
                yield _finding(
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
                yield _finding(
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


def has_retry_mechanism(mod: PyModule, names: Iterable[str]) -> bool:
    """A retry/backoff/breaker library, urllib3 `Retry`, or a transport given `retries=`."""
    for qualified in mod.imports.values():
        if qualified.split(".")[0] in RETRY_MODULES:
            return True
    return any(name in RETRY_CALLS or name.endswith(".Retry") for name in names)


def _no_retry(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    if not mod.is_app_code:
        return
    names = [n for _, n in ix.calls]
    first = next(((c, n) for c, n in ix.calls if n in RETRYABLE), None)
    if first is None or has_retry_mechanism(mod, names):
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
    yield _finding(
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


# --------------------------------------------------------------------------- PY003 Celery (judge)


@repo_check("PY003")
def celery_tasks_without_retry(results: Sequence[FileResult]) -> Iterator[Finding]:
    summaries = [r.facts for r in results if isinstance(r.facts, PySummary)]
    external = {k: v for m in summaries for k, v in m.outbound.items()}
    for mod in summaries:
        if mod.is_test:
            continue
        for task in mod.tasks:
            reached = _first_external(task, external) or task.direct
            if reached is None:
                continue
            yield Finding(
                "PY003",
                mod.path,
                f"Celery task `{task.name}` calls an external service ({reached}) without "
                "`autoretry_for=` and `retry_backoff=`, nor `self.retry(countdown=...)` with backoff.",
                line=task.line,
                column=task.column,
                anchor=f"celery-no-retry:{task.name}",
            )


def _first_external(task: CeleryTask, external: dict[str, str]) -> str | None:
    for name, local in task.callees:
        for key in (name, local):
            if key in external:
                return f"`{last_name(key)}` -> `{external[key]}`"
    return None


# --------------------------------------------------------------------------- PY004 constant sleep


def _constant_sleep_retry(ix: ModuleIndex) -> Iterator[Finding]:
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
                    yield _finding(
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


# --------------------------------------------------------------------------- PY005 pools


def _pool_settings(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    if not mod.is_app_code:
        return
    for call, name in ix.calls:
        if has_kwargs_unpack(call):
            continue
        if name in ENGINES:
            url = arg(call, 0, "url")
            text = const_str(url) or (dotted(url) if url is not None else "")
            if "sqlite" in text.lower() or kwarg(call, "poolclass") is not None:
                continue
            if kwarg(call, "pool_pre_ping") is None and kwarg(call, "pool_recycle") is None:
                yield _finding(
                    "PY005",
                    mod,
                    call,
                    f"`{last_name(name)}` without `pool_pre_ping=True` (or `pool_recycle=`): after a database "
                    "failover or idle timeout the pool hands out dead connections and requests fail.",
                    f"pool:{last_name(name)}",
                )
        elif (
            name in PG_POOLS and name.startswith("psycopg_pool") and kwarg(call, "max_size") is None
        ):
            yield _finding(
                "PY005",
                mod,
                call,
                f"`{last_name(name)}` without `max_size=`: the pool is capped at 4 connections by default.",
                f"pool:{last_name(name)}",
            )
        elif name in REDIS_CLIENTS and kwarg(call, "socket_timeout") is None:
            yield _finding(
                "PY005",
                mod,
                call,
                f"Redis client `{name}` without `socket_timeout=`: a stalled Redis blocks every caller forever.",
                f"pool:{name}",
            )


# --------------------------------------------------------------------------- PY006 per request


def _client_per_request(ix: ModuleIndex) -> Iterator[Finding]:
    for fn in route_handlers(ix):
        for node in walk_body(fn):
            if not isinstance(node, ast.Call):
                continue
            name = ix.mod.qualified_name(node.func) or ""
            if name in PER_REQUEST_CLIENTS:
                yield _finding(
                    "PY006",
                    ix.mod,
                    node,
                    f"Route handler `{fn.name}` creates a `{name}` on every request: each one opens new "
                    "connections (TLS handshakes, pool exhaustion); create it once at start-up and share it.",
                    f"per-request:{fn.name}:{name}",
                )


# --------------------------------------------------------------------------- PY007 print


def _is_cli_module(mod: PyModule) -> bool:
    if PurePosixPath(mod.path).name in _CLI_FILES:
        return True
    return any(q.split(".")[0] in _CLI_MODULES for q in mod.imports.values())


def _prints(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    if "print" in mod.imports or _is_cli_module(mod):
        return
    for call, name in ix.calls:
        if name == "print" and not ix.in_main_block(call):
            yield _finding(
                "PY007",
                mod,
                call,
                "`print()` in application code: it bypasses log levels, formatting and the log "
                "pipeline; use a logger.",
                "print",
            )


# --------------------------------------------------------------------------- PY008 structured logging


@repo_check("PY008")
def no_structured_logging(results: Sequence[FileResult]) -> Iterator[Finding]:
    modules = [r.facts for r in results if isinstance(r.facts, PySummary)]
    if any(m.structured_logging for m in modules):
        return
    service = next((m for m in modules if m.is_app_code and m.builds_service), None)
    if service is None:
        return
    where = next((m for m in modules if m.is_app_code and m.configures_logging), service)
    yield Finding(
        "PY008",
        where.path,
        "No structured (JSON) logging is configured anywhere in the repository (structlog, "
        "python-json-logger, a JSON formatter in dictConfig, loguru `serialize=True`): plain text "
        "lines cannot be searched by field in the log pipeline.",
        anchor="no-structured-logging",
    )


# --------------------------------------------------------------------------- PY009 debug level


def _is_debug_level(node: ast.AST | None, mod: PyModule) -> bool:
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return node.value == 10 or (isinstance(node.value, str) and node.value.upper() == "DEBUG")
    return (mod.qualified_name(node) or "") == "logging.DEBUG"


def _debug_log_level(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    if not mod.is_app_code:
        return
    for call, name in ix.calls:
        level = None
        if name == "logging.basicConfig":
            level = kwarg(call, "level")
        elif isinstance(call.func, ast.Attribute) and call.func.attr == "setLevel" and call.args:
            level = call.args[0]
        if level is None or not _is_debug_level(level, mod):
            continue
        if ix.under_condition(call) or ix.in_main_block(call):
            continue
        yield _finding(
            "PY009",
            mod,
            call,
            "Log level hard-coded to DEBUG: production logs fill with noise (and often request "
            "data); read the level from configuration.",
            "debug-level",
        )


# --------------------------------------------------------------------------- PY010 sensitive logs


def _is_log_call(call: ast.Call, name: str) -> bool:
    if name == "print":
        return True
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in LOG_METHODS:
        return False
    receiver = func.value
    key = target_key(receiver) or ""
    if isinstance(receiver, ast.Call):  # logging.getLogger(__name__).info(...)
        key = last_name(dotted(receiver.func))
        return key in ("getLogger", "get_logger")
    return bool(_LOGGER_NAME.search(key)) or name.startswith(("logging.", "loguru.", "structlog."))


def _sensitive_refs(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Name):
        if _sensitive_name(node.id):
            yield node.id
    elif isinstance(node, ast.Attribute):
        if _sensitive_name(node.attr):
            yield dotted(node)
    elif isinstance(node, ast.Subscript):
        key = const_str(node.slice)
        if key is not None and _sensitive_name(key):
            yield f"{dotted(node.value)}[{key!r}]"
    elif isinstance(node, ast.Call):
        if last_name(dotted(node.func)) in _SAFE_WRAPPERS:
            for a in node.args:
                yield from _sensitive_refs(a)
    elif isinstance(node, ast.JoinedStr):
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                yield from _sensitive_refs(v.value)
    elif isinstance(node, (ast.BinOp, ast.Tuple, ast.List)):
        for child in ast.iter_child_nodes(node):
            yield from _sensitive_refs(child)
    elif isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values, strict=False):
            key = const_str(k)
            if (
                key is not None
                and _sensitive_name(key)
                and not isinstance(v, (ast.Call, ast.Constant))
            ):
                yield key
            else:
                yield from _sensitive_refs(v)


def _sensitive_name(name: str) -> bool:
    return bool(_SENSITIVE.match(name)) and not _SENSITIVE_EXCLUDED.search(name.lower())


def _sensitive_logs(ix: ModuleIndex) -> Iterator[Finding]:
    for call, name in ix.calls:
        if not _is_log_call(call, name):
            continue
        found: list[str] = []
        for a in call.args:
            found.extend(_sensitive_refs(a))
        for kw in call.keywords:
            if kw.arg in ("exc_info", "stack_info", "stacklevel", "file", "sep", "end", "flush"):
                continue
            if (
                kw.arg
                and _sensitive_name(kw.arg)
                and not isinstance(kw.value, (ast.Call, ast.Constant))
            ):
                found.append(kw.arg)
            else:
                found.extend(_sensitive_refs(kw.value))
        if found:
            what = ", ".join(f"`{f}`" for f in dict.fromkeys(found))
            yield _finding(
                "PY010",
                ix.mod,
                call,
                f"{what} written to the logs: phone numbers, emails and credentials in logs leak to "
                "everyone who can read them; log an ID or a masked value.",
                f"sensitive-log:{','.join(dict.fromkeys(found))}",
            )


# --------------------------------------------------------------------------- PY011 debug entrypoints


def _debug_entrypoint(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    if not mod.is_app_code:
        return
    for call, name in ix.calls:
        bad: list[str] = []
        if name == "uvicorn.run":
            if is_const(kwarg(call, "reload"), True):
                bad.append("reload=True")
            level = const_str(kwarg(call, "log_level"))
            if level and level.lower() in ("debug", "trace"):
                bad.append(f'log_level="{level}"')
        elif name == "starlette.applications.Starlette" and is_const(kwarg(call, "debug"), True):
            # FastAPI(debug=True) is API014's, with the FastAPI-specific advice
            bad.append("debug=True")
        if bad and not ix.under_condition(call):
            yield _finding(
                "PY011",
                mod,
                call,
                f"`{last_name(name)}(..., {', '.join(bad)})`: debug mode or auto-reload in the "
                "service's entrypoint (tracebacks to clients, file watching, verbose logs); take it from configuration.",
                f"debug-entrypoint:{name}:{','.join(bad)}",
            )
    if PurePosixPath(mod.path).name.startswith("gunicorn"):
        for node in mod.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                t = node.targets[0]
                if isinstance(t, ast.Name) and (
                    (t.id == "loglevel" and (const_str(node.value) or "").lower() == "debug")
                    or (t.id == "reload" and is_const(node.value, True))
                ):
                    yield _finding(
                        "PY011",
                        mod,
                        node,
                        f"Gunicorn setting `{t.id}` puts production in debug mode.",
                        f"gunicorn:{t.id}",
                    )


# --------------------------------------------------------------------------- PY012/PY013 excepts


def _catches_everything(handler: ast.ExceptHandler, mod: PyModule) -> bool:
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        t is not None and (mod.qualified_name(t) or "") in ("Exception", "BaseException")
        for t in types
    )


def _excepts(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    for node in ix.nodes(ast.ExceptHandler):
        if node.type is None:
            if not any(isinstance(n, ast.Raise) for s in node.body for n in ast.walk(s)):
                yield _finding(
                    "PY012",
                    mod,
                    node,
                    "Bare `except:` also catches KeyboardInterrupt, SystemExit and task cancellation; "
                    "catch the exceptions you expect.",
                    "bare-except",
                )
        elif _catches_everything(node, mod) and all(_is_noop(s) for s in node.body):
            yield _finding(
                "PY013",
                mod,
                node,
                "Every exception is caught and silently dropped: failures vanish without a log "
                "line or a metric; log it (`logger.exception`) or let it propagate.",
                "swallowed-exception",
            )


def _is_noop(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (ast.Pass, ast.Continue)) or (
        isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
    )


# --------------------------------------------------------------------------- PY014/PY015 JWT


def _jwt_function(name: str, fn: str) -> bool:
    return any(name == f"{m}.{fn}" for m in JWT_MODULES)


def _jwt(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    for call, name in ix.calls:
        if _jwt_function(name, "encode"):
            payload = arg(call, 0, "payload") or arg(call, 0, "claims")
            if payload is not None and _payload_lacks_exp(ix, call, payload):
                yield _finding(
                    "PY014",
                    mod,
                    call,
                    "`jwt.encode` payload has no `exp` claim: the token is valid forever and cannot "
                    "be expired by anything but rotating the signing key.",
                    "jwt-no-exp",
                )
        elif _jwt_function(name, "decode"):
            problems = _decode_problems(call)
            if problems:
                yield _finding(
                    "PY015",
                    mod,
                    call,
                    f"`jwt.decode` with {', '.join(problems)}: forged or expired tokens are accepted.",
                    f"jwt-unverified:{','.join(problems)}",
                )


def _dict_has_key(node: ast.Dict, key: str) -> bool | None:
    """True/False for a literal dict; None when `**other` may bring the key."""
    if any(k is None for k in node.keys):
        return None if key not in {const_str(k) for k in node.keys if k is not None} else True
    return key in {const_str(k) for k in node.keys}


def _payload_lacks_exp(ix: ModuleIndex, call: ast.Call, payload: ast.expr) -> bool:
    if isinstance(payload, ast.Dict):
        return _dict_has_key(payload, "exp") is False
    if not isinstance(payload, ast.Name):
        return False
    fn = ix.enclosing_function(call)
    scope: Iterable[ast.AST] = walk_body(fn) if fn is not None else ast.walk(ix.mod.tree)
    literal: ast.Dict | None = None
    for node in scope:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == payload.id for t in node.targets
        ):
            if not isinstance(node.value, ast.Dict):
                return False  # built elsewhere (a copy, a model dump): unknown
            literal = node.value
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            if isinstance(node.value, ast.Name) and node.value.id == payload.id:
                return False  # payload["exp"] = ... (or any key we cannot see)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id == payload.id:
                return False  # payload.update({...}) / setdefault(...)
    return literal is not None and _dict_has_key(literal, "exp") is False


def _decode_problems(call: ast.Call) -> list[str]:
    problems: list[str] = []
    options = kwarg(call, "options")
    if isinstance(options, ast.Dict):
        for k, v in zip(options.keys, options.values, strict=False):
            key = const_str(k)
            if key in ("verify_signature", "verify_exp") and is_const(v, False):
                problems.append(f'"{key}": False')
    if is_const(kwarg(call, "verify"), False):
        problems.append("verify=False")
    algorithms = kwarg(call, "algorithms")
    elts = algorithms.elts if isinstance(algorithms, (ast.List, ast.Tuple, ast.Set)) else []
    if any((const_str(e) or "").lower() == "none" for e in elts) or (
        (const_str(algorithms) or "").lower() == "none"
    ):
        problems.append('algorithm "none"')
    return problems


# --------------------------------------------------------------------------- PY016 lifetimes


def _lifetime_seconds(name: str, value: ast.AST | None, mod: PyModule) -> float | None:
    if value is None:
        return None
    if isinstance(value, ast.Call):
        callee = mod.qualified_name(value.func) or ""
        if callee in ("datetime.timedelta", "timedelta") or callee.endswith(".timedelta"):
            return _timedelta_seconds(value)
        if callee in ("Field", "pydantic.Field"):
            return _lifetime_seconds(name, arg(value, 0, "default"), mod)
        return None
    number = const_number(value)
    if number is None:
        return None
    for pattern, factor in _UNITS:
        if pattern.search(name):
            return number * factor
    return None


def _timedelta_seconds(call: ast.Call) -> float | None:
    factors = {
        "days": 86400.0,
        "hours": 3600.0,
        "minutes": 60.0,
        "seconds": 1.0,
        "weeks": 604800.0,
    }
    total = 0.0
    for i, a in enumerate(call.args[:3]):
        number = const_number(a)
        if number is None:
            return None
        total += number * (86400.0, 1.0, 1e-6)[i]
    for kw in call.keywords:
        number = const_number(kw.value)
        if kw.arg not in factors or number is None:
            if kw.arg in ("milliseconds", "microseconds"):
                continue
            return None
        total += number * factors[kw.arg]
    return total


def _is_access_lifetime(name: str) -> bool:
    return bool(_LIFETIME_NAME.search(name)) and not _NOT_ACCESS_TOKEN.search(name)


def _token_lifetimes(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    if not mod.is_app_code:
        return
    for node in ix.nodes(ast.Assign, ast.AnnAssign, ast.Call):
        pairs: list[tuple[str, ast.AST | None, ast.AST]] = []
        if isinstance(node, ast.Assign):
            pairs = [(t.id, node.value, node) for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            pairs = [(node.target.id, node.value, node)]
        elif isinstance(node, ast.Call):
            callee = last_name(dotted(node.func)).lower()
            if ("access" in callee or "token" in callee) and not _NOT_ACCESS_TOKEN.search(callee):
                pairs = [
                    (kw.arg, kw.value, kw.value)
                    for kw in node.keywords
                    if kw.arg in ("expires_delta", "expires_in", "expiration", "lifetime", "ttl")
                ]
        for name, value, where in pairs:
            if not (_is_access_lifetime(name) or isinstance(node, ast.Call)):
                continue
            seconds = _lifetime_seconds(name, value, mod)
            if seconds is not None and seconds > 3600:
                yield _finding(
                    "PY016",
                    mod,
                    where,
                    f"Access-token lifetime `{name}` is {_human(seconds)}: a stolen token stays valid "
                    "that long; keep access tokens at 1 hour or less and renew them with refresh tokens.",
                    f"token-lifetime:{name}",
                )


def _human(seconds: float) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{int(seconds // 86400)} day(s)"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} hour(s)"
    return f"{int(seconds // 60)} minute(s)"


# --------------------------------------------------------------------------- PY017 cookies


def _cookies(ix: ModuleIndex) -> Iterator[Finding]:
    for call, _name in ix.calls:
        if not isinstance(call.func, ast.Attribute) or call.func.attr != "set_cookie":
            continue
        if has_kwargs_unpack(call):
            continue
        key = const_str(arg(call, 0, "key"))
        if key is None or not _SESSION_COOKIE.search(key):
            continue
        problems = []
        for flag in ("httponly", "secure"):
            value = kwarg(call, flag)
            if value is None or is_const(value, False):
                problems.append(f"{flag} not set")
        samesite = const_str(kwarg(call, "samesite"))
        if samesite is not None and samesite.lower() == "none":
            problems.append('samesite="none"')
        if problems:
            yield _finding(
                "PY017",
                ix.mod,
                call,
                f"Cookie `{key}` set with {', '.join(problems)}: scripts (XSS) or plain-HTTP "
                "networks can read the session, or other sites can send it (CSRF).",
                f"cookie:{key}",
            )


# --------------------------------------------------------------------------- PY018 secret defaults


_ENV_GETTERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
# Names with a secret word that hold text about secrets, not secrets: `JWT_TOKEN_PREFIX = "Token"`.
_NOT_A_SECRET_SUFFIX = re.compile(
    r"_(?:prefix|scheme|message|msg|error|text|label|title|description|header_name|key_name)$", re.I
)
# Values that say they are not production secrets.
_NON_PRODUCTION_VALUE = re.compile(r"test|dummy|fake|example|sample|insecure|not[-_ ]?secret", re.I)
_NON_PRODUCTION_MODULE = frozenset({"test", "tests", "testing", "dev", "development", "local"})


def _default_literal(value: ast.AST | None, mod: PyModule) -> ast.Constant | None:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value
    if isinstance(value, ast.Call):
        name = mod.qualified_name(value.func) or ""
        if name in _ENV_GETTERS:
            d = arg(value, 1, "default")
            return d if isinstance(d, ast.Constant) and isinstance(d.value, str) else None
        if last_name(name) in ("SecretStr", "Field", "SecretBytes"):
            return _default_literal(arg(value, 0, "default"), mod)
    return None


def _secret_defaults(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    if not mod.is_app_code or PurePosixPath(mod.path).stem in _NON_PRODUCTION_MODULE:
        return  # settings/test.py, settings/dev.py: values for non-production environments
    scopes: list[list[ast.stmt]] = [mod.tree.body]
    scopes.extend(n.body for n in ix.nodes(ast.ClassDef))
    for body in scopes:
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                names = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                value: ast.AST | None = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                names, value = [stmt.target.id], stmt.value
            else:
                continue
            literal = _default_literal(value, mod)
            if literal is None:
                continue
            if body is mod.tree.body and literal is value:
                continue  # `NAME = "value"`: detect-secrets (SEC001) reports plain constants

            text = str(literal.value)
            if text.startswith(("eyJ", "sb_secret_")):
                continue  # a JWT or Supabase key: the secret rules (SEC00x) report it by its value
            if any(c.isspace() for c in text.strip()) or _NON_PRODUCTION_VALUE.search(text):
                continue  # prose ("unsupported authorization type") or a declared test value
            for name in names:
                if _NOT_A_SECRET_SUFFIX.search(name):
                    continue
                if literal_secret(name, text) is not None:
                    yield _finding(
                        "PY018",
                        mod,
                        literal,
                        f"`{name}` has a literal secret as its default ({len(text)} characters, value "
                        "not shown): it ships in the image and in git history; make it required and "
                        "inject it from the environment or a secret manager.",
                        f"secret-default:{name}",
                    )


# --------------------------------------------------------------------------- PY019 TLS verification


_UNVERIFIED = frozenset({"ssl._create_unverified_context", "ssl._create_stdlib_context"})


def _tls_verification(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    for call, name in ix.calls:
        problem = None
        if name in REQUESTS_FUNCS | HTTPX_FUNCS | HTTPX_CLIENTS and is_const(
            kwarg(call, "verify"), False
        ):
            problem = "verify=False"
        elif (
            name.startswith("aiohttp.")
            or (isinstance(call.func, ast.Attribute) and call.func.attr in SESSION_METHODS)
        ) and (is_const(kwarg(call, "ssl"), False) or is_const(kwarg(call, "verify_ssl"), False)):
            problem = "ssl=False"
        elif name in _UNVERIFIED:
            problem = f"`{name}()`"
        elif isinstance(call.func, ast.Attribute) and call.func.attr in SESSION_METHODS:
            built = ix.receiver_call(call)
            if (
                built
                and built[0] in REQUESTS_SESSION | HTTPX_CLIENTS
                and is_const(kwarg(call, "verify"), False)
            ):
                problem = "verify=False"
        if problem:
            yield _finding(
                "PY019",
                mod,
                call,
                f"TLS certificate verification is turned off ({problem}): anyone on the network "
                "path can read and change the traffic.",
                f"tls-off:{name}:{problem}",
            )
    for node in ix.nodes(ast.Assign):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Attribute) and t.attr == "verify" for t in node.targets)
            and is_const(node.value, False)
        ):
            yield _finding(
                "PY019",
                mod,
                node,
                "TLS certificate verification is turned off (`session.verify = False`): anyone "
                "on the network path can read and change the traffic.",
                "tls-off:session.verify",
            )


# --------------------------------------------------------------------------- PY020 plain http


def _insecure_urls(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    if not mod.is_app_code:
        return
    contexts: list[tuple[str, ast.AST | None]] = []
    for node in ix.nodes(ast.Assign, ast.AnnAssign, ast.keyword):
        if isinstance(node, ast.Assign):
            contexts.extend((target_key(t) or "", node.value) for t in node.targets)
        elif isinstance(node, ast.AnnAssign):
            contexts.append((target_key(node.target) or "", node.value))
        elif isinstance(node, ast.keyword) and node.arg:
            contexts.append((node.arg, node.value))
    for call, name in ix.calls:
        if name in RETRYABLE and call.args:
            contexts.append(("url", call.args[0]))
    reported: set[int] = set()
    for label, value in contexts:
        for const in _string_parts(value, mod):
            if id(const) in reported:
                continue
            text = str(const.value)
            problem = None
            if "sslmode=disable" in text.replace(" ", "").lower():
                problem = (
                    "`sslmode=disable` sends database traffic, passwords included, in clear text"
                )
            elif _URL_NAME.search(label):
                m = _HTTP_URL.match(text.strip())
                if m and not _LOCAL_HOST.match(m.group(1)):
                    problem = f"`http://{m.group(1)}` is plain HTTP to a remote host"
            if problem:
                reported.add(id(const))
                yield _finding(
                    "PY020",
                    mod,
                    const,
                    f"{problem}: use TLS (`https://`, `sslmode=require` or stricter).",
                    f"insecure-url:{label}",
                )


def _string_parts(value: ast.AST | None, mod: PyModule) -> Iterator[ast.Constant]:
    if value is None:
        return
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        yield value
    elif isinstance(value, ast.JoinedStr):
        first = value.values[0] if value.values else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield first
    elif isinstance(value, ast.Call):
        callee = mod.qualified_name(value.func) or ""
        if callee in _ENV_GETTERS:
            yield from _string_parts(arg(value, 1, "default"), mod)
        elif last_name(callee) == "Field":
            yield from _string_parts(arg(value, 0, "default"), mod)


# --------------------------------------------------------------------------- PY024 HTML from input


_HTML_RESPONSES = frozenset({"fastapi.responses.HTMLResponse", "starlette.responses.HTMLResponse"})
_PLAIN_RESPONSES = frozenset(
    {"fastapi.responses.Response", "starlette.responses.Response", "fastapi.Response"}
)
_ESCAPERS = ("escape", "quote", "quoteattr", "bleach.clean", "clean", "sanitize")


def _html_from_input(ix: ModuleIndex) -> Iterator[Finding]:
    for call, name in ix.calls:
        if name in _PLAIN_RESPONSES:
            if (const_str(kwarg(call, "media_type")) or "").split(";")[0] != "text/html":
                continue
        elif name not in _HTML_RESPONSES:
            continue
        content = arg(call, 0, "content")
        if content is not None and _interpolates_unescaped(content):
            yield _finding(
                "PY024",
                ix.mod,
                call,
                "HTML response built by string interpolation without escaping: a value from the "
                "request becomes markup (XSS); render a template with autoescape or escape each value.",
                "html-from-input",
            )


def _interpolates_unescaped(node: ast.AST) -> bool:
    values: list[ast.AST] = []
    if isinstance(node, ast.JoinedStr):
        values = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        if not any(
            isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(node)
        ):
            return False
        values = [n for n in (node.left, node.right) if not isinstance(n, ast.Constant)]
        values = [v for v in values if not isinstance(v, ast.BinOp)] + [
            x
            for v in values
            if isinstance(v, ast.BinOp)
            for x in (v.left, v.right)
            if not isinstance(x, ast.Constant)
        ]
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
    ):
        values = [*node.args, *(k.value for k in node.keywords)]
    return any(not _escaped(v) for v in values)


def _escaped(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name) and node.id.isupper():
        return True  # a module constant
    return isinstance(node, ast.Call) and dotted(node.func).endswith(_ESCAPERS)


# --------------------------------------------------------------------------- PY025 redis set


_EXPIRY_KWARGS = ("ex", "px", "exat", "pxat", "keepttl")


def _redis_without_expiry(ix: ModuleIndex) -> Iterator[Finding]:
    for call, _name in ix.calls:
        if not isinstance(call.func, ast.Attribute) or call.func.attr not in (
            "set",
            "mset",
            "hset",
        ):
            continue
        built = ix.receiver_call(call)
        if not built or built[0] not in REDIS_CLIENTS:
            continue
        if call.func.attr == "set" and (
            len(call.args) >= 3 or any(kwarg(call, k) is not None for k in _EXPIRY_KWARGS)
        ):
            continue
        if has_kwargs_unpack(call) or _expired_nearby(ix, call):
            continue
        yield _finding(
            "PY025",
            ix.mod,
            call,
            f"Redis `{call.func.attr}` without an expiry: cached keys pile up until Redis runs out "
            "of memory or evicts what matters; pass `ex=` (or call `expire`).",
            f"redis-no-ttl:{call.func.attr}",
        )


def _expired_nearby(ix: ModuleIndex, call: ast.Call) -> bool:
    """`r.hset(...)` followed by `r.expire(...)` in the same function sets the expiry too."""
    fn = ix.enclosing_function(call)
    scope: Iterable[ast.AST] = walk_body(fn) if fn is not None else ix.mod.tree.body
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("expire", "pexpire", "expireat")
        for n in scope
    )
