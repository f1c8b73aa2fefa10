"""Datastore URLs written in Python code, and the kinds of datastore they name.

The cross-file rules compare them with the datastores the manifests run; the per-module
part is computed at extraction and kept in the summary.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from analyzer.parsers import pynodes as nodes
from analyzer.parsers.python import PyModule

DRIVERS = {
    "redis": ("redis", "aioredis", "rq", "arq", "celery", "dramatiq", "fastapi_limiter"),
    "postgres": (
        "sqlalchemy",
        "sqlmodel",
        "asyncpg",
        "psycopg",
        "psycopg2",
        "databases",
        "tortoise",
        "peewee",
        "pg8000",
    ),
    "mysql": ("pymysql", "MySQLdb", "aiomysql", "asyncmy", "mysql"),
}

_URL_SCHEME = re.compile(
    r"^(redis|rediss|postgres|postgresql|mysql|mariadb)(?:\+[a-z0-9]+)?://", re.I
)


def url_kinds(mod: PyModule) -> tuple[str, ...]:
    """Datastores named by URL literals of the module, in the order the tree shows them."""
    out: list[str] = []
    for node in nodes.of_type(mod.nodes, ast.Constant):
        if isinstance(node.value, str):
            match = _URL_SCHEME.match(node.value)
            if match:
                scheme = match.group(1).lower()
                kind = "redis" if scheme.startswith("redis") else (
                    "mysql" if scheme in ("mysql", "mariadb") else "postgres")  # fmt: skip
                if kind not in out:
                    out.append(kind)
    return tuple(out)


_CREDENTIAL_KWARGS = ("password", "connect_args", "ssl", "ssl_context", "ssl_cert_reqs")


def url_literals(mod: PyModule) -> tuple[UrlLiteral, ...]:
    out = []
    parents = nodes.parents(mod.nodes)
    for node in nodes.of_type(mod.nodes, ast.Constant):
        if isinstance(node.value, str) and _URL_SCHEME.match(node.value.strip()):
            parent = parents.get(node)
            beside = isinstance(parent, ast.Call) and any(
                k.arg in _CREDENTIAL_KWARGS for k in parent.keywords
            )
            out.append(UrlLiteral(node.value, node.lineno, node.col_offset + 1, beside))
    return tuple(out)


@dataclass(frozen=True)
class UrlLiteral:
    """A datastore URL written in the code, and whether its call passes credentials beside it."""

    value: str
    line: int
    column: int
    credentials_beside: bool
