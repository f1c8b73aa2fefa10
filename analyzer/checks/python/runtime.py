"""How the service runs: debug entry points and exceptions caught too broadly.

The rules/python.yaml family of checklist items ERR-1 and BACKEND-5: debug
mode or auto-reload in the entry point (PY011), bare `except:` (PY012) and
every exception caught and dropped (PY013).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import PurePosixPath

from analyzer.checks.python.registry import finding, rule
from analyzer.core.model import Finding
from analyzer.facts.calls import ModuleIndex, const_str, is_const, kwarg, last_name
from analyzer.parsers.python import PyModule

# --------------------------------------------------------------------------- PY011 debug entrypoints


@rule("PY011", app_code_only=True)
def debug_mode_in_entrypoint(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
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
            yield finding(
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
                    yield finding(
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


@rule("PY012", app_code_only=True)
def bare_except(ix: ModuleIndex) -> Iterator[Finding]:
    for node in ix.nodes(ast.ExceptHandler):
        if node.type is None and not any(
            isinstance(n, ast.Raise) for s in node.body for n in ast.walk(s)
        ):
            yield finding(
                "PY012",
                ix.mod,
                node,
                "Bare `except:` also catches KeyboardInterrupt, SystemExit and task cancellation; "
                "catch the exceptions you expect.",
                "bare-except",
            )


@rule("PY013", app_code_only=True)
def exception_swallowed(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    for node in ix.nodes(ast.ExceptHandler):
        if _catches_everything(node, mod) and all(_is_noop(s) for s in node.body):
            yield finding(
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
