"""bandit's injection tests as PY rules: which B-codes map to which rule, and where to look.

The tests themselves run in analyzer.engines.bandit_engine (its `SELECTED`
set) over the tree already parsed for the file. Here a hit becomes a finding
of the PY rule it belongs to: SQL built from strings (PY021), shell commands
(PY022), Jinja2 without autoescape (PY023) and TLS verification turned off
(PY019, which our own rule reports first; bandit's hit on a line it already
flagged is dropped). A bandit-backed rule is a YAML entry and a line of
`BANDIT_CODES`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from analyzer.checks.python.registry import rule
from analyzer.core.model import Finding
from analyzer.engines import bandit_engine
from analyzer.facts.calls import ModuleIndex, is_const, kwarg

BANDIT_CODES = {"B501": "PY019", "B602": "PY022", "B605": "PY022", "B608": "PY021", "B701": "PY023"}

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


@rule(*sorted(set(BANDIT_CODES.values())), app_code_only=True, defers=True)
def bandit_findings(ix: ModuleIndex) -> Iterator[Finding]:
    """bandit's hits in the statements that could hold one, as findings of their PY rule."""
    statements = _bandit_candidates(ix)
    if not statements:
        return
    for hit in bandit_engine.run(ix.mod.tree, statements):
        code = BANDIT_CODES.get(hit.test_id)
        if code is None:
            continue
        yield Finding(
            code,
            ix.mod.path,
            f"{hit.text.rstrip('.')} (bandit {hit.test_id}).",
            line=hit.line,
            column=hit.column,
            end_column=hit.end_column,
        )
