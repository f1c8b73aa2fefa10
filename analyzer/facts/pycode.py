"""What one Python module says about outbound calls, Celery tasks, logging set-up, service
entry points, database drivers and documentation, computed while its tree is at hand.

These answers travel in the module's summary, so repository rules and detectors read them
without the syntax tree (see facts/summary.py).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from analyzer.core.vocabulary import (
    HTTP_METHODS,
    RETRYABLE,
)
from analyzer.facts.calls import (
    const_number,
    dotted,
    is_const,
    kwarg,
    last_name,
    walk_body,
)
from analyzer.parsers import pynodes as nodes
from analyzer.parsers.python import PyModule


def _task_decorator(fn: ast.FunctionDef | ast.AsyncFunctionDef, mod: PyModule) -> ast.expr | None:
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = mod.qualified_name(target) or ""
        if name.endswith((".task", ".shared_task")) or name in ("shared_task", "task"):
            return dec
    return None


def task_retries(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool | None:
    """None: not a task; True: retries with backoff; False: a task without them."""
    decorator = next(
        (
            d
            for d in fn.decorator_list
            if last_name(dotted(d.func if isinstance(d, ast.Call) else d))
            in ("task", "shared_task")
        ),
        None,
    )
    if decorator is None:
        return None
    if isinstance(decorator, ast.Call):
        auto = kwarg(decorator, "autoretry_for")
        backoff = kwarg(decorator, "retry_backoff")
        if auto is not None and backoff is not None and not is_const(backoff, False):
            return True
        if kwarg(decorator, "base") is not None:
            return True  # a custom Task class: its retry policy lives there
    for node in walk_body(fn):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "retry"
        ):
            countdown = kwarg(node, "countdown")
            if countdown is not None and const_number(countdown) is None:
                return True  # e.g. countdown=2 ** self.request.retries
    return False


def outbound_functions(mod: PyModule) -> dict[str, str]:
    """`module.function` -> the first outbound call in its body, for module-level functions."""
    shared = nodes.index(mod.tree)
    first: dict[int, tuple[tuple[int, int], ast.FunctionDef | ast.AsyncFunctionDef, str]] = {}
    for rank, sub in enumerate(shared.by_type.get(ast.Call, ())):
        assert isinstance(sub, ast.Call)
        name = mod.qualified_name(sub.func) or ""
        if not (name in RETRYABLE or _twilio_api_call(sub)):
            continue
        place = _in_function_body(sub, shared.parents, mod.tree)
        if place is None:
            continue
        fn, stmt = place
        key = (stmt, rank)  # walk_body's order: statement by statement, each breadth-first
        if id(fn) not in first or key < first[id(fn)][0]:
            first[id(fn)] = (key, fn, name or dotted(sub.func))
    ordered = sorted(first.values(), key=lambda v: (v[1].lineno, v[1].col_offset))
    return {f"{mod.module}.{fn.name}": name for _, fn, name in ordered}


def _in_function_body(
    node: ast.AST, parents: dict[ast.AST, ast.AST], tree: ast.Module
) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, int] | None:
    """(module-level function, index of its body statement) holding `node`, if any."""
    step: ast.AST = node  # the child of `below` on the way up
    below, cur = node, parents.get(node)
    while cur is not None and cur is not tree:
        step, below, cur = below, cur, parents.get(cur)
    if (
        cur is None
        or below is node
        or not isinstance(below, (ast.FunctionDef, ast.AsyncFunctionDef))
    ):
        return None
    for i, stmt in enumerate(below.body):
        if stmt is step:
            return below, i
    return None  # in a decorator, a default or an annotation: not the body


def _twilio_api_call(call: ast.Call) -> bool:
    """`client.calls.create(...)`, `client.messages.create(...)`: Twilio REST resources."""
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in ("create", "update", "fetch")
        and isinstance(func.value, ast.Attribute)
        and func.value.attr in ("calls", "messages", "verifications", "conferences")
    )


def tasks_without_retry(mod: PyModule) -> tuple[CeleryTask, ...]:
    """Celery tasks with no retry policy, each with its calls up to the first outbound one."""
    out = []
    for node in nodes.of_type(mod.tree, ast.FunctionDef, ast.AsyncFunctionDef):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):  # for mypy
            continue
        if _task_decorator(node, mod) is None or task_retries(node) is not False:
            continue
        direct: str | None = None
        callees: list[tuple[str, str]] = []
        for sub in walk_body(node):
            if not isinstance(sub, ast.Call):
                continue
            name = mod.qualified_name(sub.func) or ""
            if name in RETRYABLE or _twilio_api_call(sub):
                direct = f"`{name or dotted(sub.func)}`"
                break
            callees.append((name, f"{mod.module}.{name}"))
        out.append(CeleryTask(node.name, node.lineno, node.col_offset + 1, direct, tuple(callees)))
    return tuple(out)


_JSON_LOG_MODULES = (
    "structlog",
    "pythonjsonlogger",
    "json_log_formatter",
    "ecs_logging",
    "logstash_formatter",
    "google.cloud.logging",
    "jsonlogger",
)

_SERVICE_FACTORIES = frozenset(
    {
        "fastapi.FastAPI",
        "starlette.applications.Starlette",
        "celery.Celery",
        "flask.Flask",
        "litestar.Litestar",
    }
)


def structured_logging(mod: PyModule) -> bool:
    if any(q.startswith(_JSON_LOG_MODULES) for q in mod.imports.values()):
        return True
    # one shared index of the tree, not a walk per question: this runs on every module
    for name, call in nodes.calls(mod.tree, mod.qualified_name):
        if name.startswith("loguru.logger.add") and is_const(kwarg(call, "serialize"), True):
            return True
        if name == "logging.config.dictConfig" and any(
            isinstance(n, ast.Constant) and isinstance(n.value, str) and "json" in n.value.lower()
            for n in ast.walk(call)
        ):
            return True
    for node in nodes.of_type(mod.tree, ast.ClassDef):
        if (
            isinstance(node, ast.ClassDef)
            and any((mod.qualified_name(b) or "").endswith("Formatter") for b in node.bases)
            and any(
                isinstance(n, ast.Call) and (mod.qualified_name(n.func) or "") == "json.dumps"
                for n in ast.walk(node)
            )
        ):
            return True
    return False


def builds_service(mod: PyModule) -> bool:
    """Builds an app at module level or in a factory function (`get_application()`)."""
    return any(name in _SERVICE_FACTORIES for name, _ in nodes.calls(mod.tree, mod.qualified_name))


def configures_logging(mod: PyModule) -> bool:
    return any(
        name in ("logging.basicConfig", "logging.config.dictConfig")
        for name, _ in nodes.calls(mod.tree, mod.qualified_name)
    )


_DATABASE = ("sqlalchemy", "sqlmodel", "asyncpg", "psycopg", "psycopg2", "databases", "tortoise",
             "supabase", "pymongo", "motor", "peewee", "django.db", "prisma", "piccolo", "aiomysql",
             "pymysql")  # fmt: skip


def import_names(mod: PyModule) -> Iterator[tuple[str, int]]:
    """(imported module or module.name, line) of every import statement of a module."""
    for node in nodes.of_type(mod.tree, ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                yield f"{node.module}.{alias.name}", node.lineno


def is_under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def const_value(node: ast.expr | None) -> Any:
    return node.value if isinstance(node, ast.Constant) else None


def database_import(mod: PyModule) -> tuple[str, int] | None:
    """The first database driver the module imports: the repository has a database."""
    for name, line in import_names(mod):
        if is_under(name, _DATABASE):
            return name.split(".")[0], line
    return None


def _route(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, str] | None:
    """(method, path) when a decorator registers the function as a FastAPI/Starlette route."""
    for deco in fn.decorator_list:
        if (
            isinstance(deco, ast.Call)
            and isinstance(deco.func, ast.Attribute)
            and (deco.func.attr in HTTP_METHODS or deco.func.attr == "api_route")
            and deco.args
            and isinstance(const_value(deco.args[0]), str)
        ):
            return deco.func.attr.upper(), str(const_value(deco.args[0]))
    return None


def function_defs(mod: PyModule) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    yield from nodes.of_type(mod.tree, ast.FunctionDef)
    yield from nodes.of_type(mod.tree, ast.AsyncFunctionDef)


def route_where(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, str, str] | None:
    route = _route(fn)
    if route is None:
        return None
    method, path = route
    return method, path, f"`{method} {path}`" if path else f"`{method}` route `{fn.name}`"


def body_annotations(mod: PyModule) -> tuple[tuple[str, str, int], ...]:
    """(route, annotation, line) of the parameters of POST/PUT/PATCH routes."""
    out = []
    for fn in function_defs(mod):
        route = route_where(fn)
        if route is None or route[0] not in ("POST", "PUT", "PATCH"):
            continue
        for arg in fn.args.args + fn.args.kwonlyargs:
            ann = arg.annotation
            name = ast.unparse(ann) if ann is not None else ""
            out.append((route[2], name, fn.lineno))
    return tuple(out)


def docstring_counts(mod: PyModule) -> tuple[int, int]:
    """(public functions and classes, those with a docstring)."""
    public = documented = 0
    for node in nodes.of_type(mod.tree, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        if isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ) and not node.name.startswith("_"):
            public += 1
            documented += ast.get_docstring(node) is not None
    return public, documented


@dataclass(frozen=True)
class CeleryTask:
    """A task without retries: what it calls, in order, up to the first outbound call."""

    name: str
    line: int
    column: int
    direct: str | None  # the outbound call made in the task itself, as the message names it
    callees: tuple[tuple[str, str], ...]  # (qualified name, module-local name) of calls before
