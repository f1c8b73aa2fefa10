"""Connections to databases, caches and APIs: how they are pooled and what they keep.

The rules/python.yaml family of checklist items DB-2 and BACKEND-1: engines
and pools without health or size settings (PY005), clients created on every
request (PY006) and Redis keys written without an expiry (PY025).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from analyzer.checks.python.registry import finding, rule
from analyzer.core.model import Finding
from analyzer.core.vocabulary import ENGINES, PER_REQUEST_CLIENTS, PG_POOLS, REDIS_CLIENTS
from analyzer.facts.calls import (
    ModuleIndex,
    arg,
    const_str,
    dotted,
    has_kwargs_unpack,
    kwarg,
    last_name,
    route_handlers,
    walk_body,
)

# --------------------------------------------------------------------------- PY005 pools


@rule("PY005", app_code_only=True)
def db_pool_without_settings(ix: ModuleIndex) -> Iterator[Finding]:
    mod = ix.mod
    for call, name in ix.calls:
        if has_kwargs_unpack(call):
            continue
        if name in ENGINES:
            url = arg(call, 0, "url")
            text = const_str(url) or (dotted(url) if url is not None else "")
            if "sqlite" in text.lower() or kwarg(call, "poolclass") is not None:
                continue
            if kwarg(call, "pool_pre_ping") is None and kwarg(call, "pool_recycle") is None:
                yield finding(
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
            yield finding(
                "PY005",
                mod,
                call,
                f"`{last_name(name)}` without `max_size=`: the pool is capped at 4 connections by default.",
                f"pool:{last_name(name)}",
            )
        elif name in REDIS_CLIENTS and kwarg(call, "socket_timeout") is None:
            yield finding(
                "PY005",
                mod,
                call,
                f"Redis client `{name}` without `socket_timeout=`: a stalled Redis blocks every caller forever.",
                f"pool:{name}",
            )


# --------------------------------------------------------------------------- PY006 per request


@rule("PY006", app_code_only=True)
def client_created_per_request(ix: ModuleIndex) -> Iterator[Finding]:
    for fn in route_handlers(ix):
        for node in walk_body(fn):
            if not isinstance(node, ast.Call):
                continue
            name = ix.mod.qualified_name(node.func) or ""
            if name in PER_REQUEST_CLIENTS:
                yield finding(
                    "PY006",
                    ix.mod,
                    node,
                    f"Route handler `{fn.name}` creates a `{name}` on every request: each one opens new "
                    "connections (TLS handshakes, pool exhaustion); create it once at start-up and share it.",
                    f"per-request:{fn.name}:{name}",
                )


# --------------------------------------------------------------------------- PY025 redis set


_EXPIRY_KWARGS = ("ex", "px", "exat", "pxat", "keepttl")


@rule("PY025", app_code_only=True)
def redis_set_without_expiry(ix: ModuleIndex) -> Iterator[Finding]:
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
        yield finding(
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
