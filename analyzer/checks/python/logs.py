"""Logging: print instead of a logger, plain-text logs, DEBUG level, sensitive values.

The rules/python.yaml family of checklist items LOG-1, LOG-2 and PRIV-2:
`print()` in application code (PY007), no structured logging anywhere
(PY008, judged across modules), a hard-coded DEBUG level (PY009) and phone
numbers, emails or credentials passed to a log call (PY010).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from pathlib import PurePosixPath

from analyzer.checks.python.registry import finding, rule
from analyzer.checks.registry import repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.core.vocabulary import LOG_METHODS
from analyzer.facts.calls import ModuleIndex, const_str, dotted, kwarg, last_name, target_key
from analyzer.facts.summary import PySummary
from analyzer.parsers.python import PyModule

# --------------------------------------------------------------------------- PY007 print

_CLI_MODULES = ("argparse", "click", "typer", "fire", "docopt")
_CLI_FILES = frozenset({"cli.py", "__main__.py", "manage.py", "commands.py"})


def _is_cli_module(mod: PyModule) -> bool:
    if PurePosixPath(mod.path).name in _CLI_FILES:
        return True
    return any(q.split(".")[0] in _CLI_MODULES for q in mod.imports.values())


@rule("PY007", app_code_only=True)
def print_in_app_code(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    if "print" in mod.imports or _is_cli_module(mod):
        return
    for call, name in ix.calls:
        if name == "print" and not ix.in_main_block(call):
            yield finding(
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


@rule("PY009", app_code_only=True)
def log_level_hardcoded_debug(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
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
        yield finding(
            "PY009",
            mod,
            call,
            "Log level hard-coded to DEBUG: production logs fill with noise (and often request "
            "data); read the level from configuration.",
            "debug-level",
        )


# --------------------------------------------------------------------------- PY010 sensitive logs

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


@rule("PY010", app_code_only=True)
def sensitive_data_in_logs(ix: ModuleIndex) -> Iterator[Finding]:
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
            yield finding(
                "PY010",
                ix.mod,
                call,
                f"{what} written to the logs: phone numbers, emails and credentials in logs leak to "
                "everyone who can read them; log an ID or a masked value.",
                f"sensitive-log:{','.join(dict.fromkeys(found))}",
            )
