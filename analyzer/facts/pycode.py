"""What the checklist evidence reads of a module's code: imports, routes, request bodies, docstrings.

Small, tree-level answers shared by the summary (analyzer.facts.summary),
which keeps them for the repository-wide detectors, and by the detectors
that run while the tree is at hand (analyzer.evidence.python_code).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from analyzer.core.vocabulary import HTTP_METHODS
from analyzer.parsers import pynodes as nodes
from analyzer.parsers.python import PyModule

_DATABASE = ("sqlalchemy", "sqlmodel", "asyncpg", "psycopg", "psycopg2", "databases", "tortoise",
             "supabase", "pymongo", "motor", "peewee", "django.db", "prisma", "piccolo", "aiomysql",
             "pymysql")  # fmt: skip


def import_names(mod: PyModule) -> Iterator[tuple[str, int]]:
    """(imported module or module.name, line) of every import statement of a module."""
    for node in nodes.of_type(mod.nodes, ast.Import, ast.ImportFrom):
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
    yield from nodes.of_type(mod.nodes, ast.FunctionDef)
    yield from nodes.of_type(mod.nodes, ast.AsyncFunctionDef)


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
    for node in nodes.of_type(mod.nodes, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        if isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ) and not node.name.startswith("_"):
            public += 1
            documented += ast.get_docstring(node) is not None
    return public, documented
