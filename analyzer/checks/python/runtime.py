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
    lines = mod.text.split("\n") if mod.text else None
    for node in ix.nodes(ast.ExceptHandler):
        if not (_catches_everything(node, mod) and all(_is_noop(s) for s in node.body)):
            continue
        if _best_effort(ix, node) or _explained(node, lines):
            continue
        yield finding(
            "PY013",
            mod,
            node,
            "Every exception is caught and silently dropped: failures vanish without a log "
            "line or a metric; log it (`logger.exception`) or let it propagate.",
            "swallowed-exception",
        )


# Calls whose failure leaves nothing to do: closing, cancelling or removing what is being let go.
_CLEANUP = frozenset(
    {"close", "aclose", "cancel", "remove", "unlink", "rmdir", "rmtree", "disconnect", "release",
     "shutdown", "kill", "terminate", "stop", "seek", "flush", "unsubscribe", "delete", "cleanup",
     "wait_closed", "join", "detach", "dispose", "quit"}
)  # fmt: skip


def _best_effort(ix: ModuleIndex, handler: ast.ExceptHandler) -> bool:
    """A `try` that only lets something go (one close/cancel/remove call), or any `try` in
    a `finally` block or a `__del__`: there is nothing a caller could do with the error."""
    node = ix.parents.get(handler)
    if not isinstance(node, ast.Try):
        return False
    body = node.body
    if len(body) == 1:
        stmt = body[0]
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(call, ast.Await):
            call = call.value
        func = call.func if isinstance(call, ast.Call) else None
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _CLEANUP:
            return True
    cur = ix.parents.get(node)
    child: ast.AST = node
    while cur is not None:
        if isinstance(cur, ast.Try) and child in cur.finalbody:
            return True
        if isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return cur.name in ("__del__", "__exit__", "__aexit__", "close", "aclose", "shutdown")
        child, cur = cur, ix.parents.get(cur)
    return False


def _explained(handler: ast.ExceptHandler, lines: list[str] | None) -> bool:
    """A comment inside the handler says why the error is ignored: a decision, not an accident."""
    if not lines or not handler.body:
        return False
    start, end = handler.lineno, getattr(handler, "end_lineno", handler.lineno) or handler.lineno
    return any("#" in lines[i - 1] for i in range(start, min(end, len(lines)) + 1))


def _is_noop(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (ast.Pass, ast.Continue)) or (
        isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
    )
