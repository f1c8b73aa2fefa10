"""Which functions call other services, and which Celery tasks do so without retries.

PY003 joins the two across modules in the repository pass (a task often
reaches the partner API through a helper it imports); PY002 asks
`task_retries` whether a call's enclosing task retries on its own. The
summary (analyzer.facts.summary) keeps both per module, without the tree.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from analyzer.core.vocabulary import RETRYABLE
from analyzer.facts.calls import const_number, dotted, is_const, kwarg, last_name, walk_body
from analyzer.parsers import pynodes as nodes
from analyzer.parsers.python import PyModule


@dataclass(frozen=True)
class CeleryTask:
    """A task without retries: what it calls, in order, up to the first outbound call."""

    name: str
    line: int
    column: int
    direct: str | None  # the outbound call made in the task itself, as the message names it
    callees: tuple[tuple[str, str], ...]  # (qualified name, module-local name) of calls before


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
    shared = mod.nodes
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
    for node in nodes.of_type(mod.nodes, ast.FunctionDef, ast.AsyncFunctionDef):
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
