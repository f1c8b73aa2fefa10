"""Where the per-file Python rules register, and the finding they all build.

Every per-file PY rule reads the same `ModuleIndex` (one walk of the tree,
calls resolved once) inside one file check, `analyzer.checks.python.python_code`:
a file check per rule would index each module once per rule. So a rule
registers here instead of in `analyzer.checks.registry`, and the one file
check runs whatever is registered. A rule's family is the module its function
is defined in (`PyRule.module`); adding a rule is a YAML entry and one
decorated function in that module.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from analyzer.core.model import Finding
from analyzer.facts.calls import ModuleIndex
from analyzer.parsers.python import PyModule

PyRuleFn = Callable[[ModuleIndex], Iterable[Finding]]


@dataclass(frozen=True)
class PyRule:
    codes: tuple[str, ...]
    fn: PyRuleFn
    app_code_only: bool  # scripts, migrations and tooling are skipped (tests always are)
    defers: bool  # its findings give way to another rule's on the same line and code

    @property
    def module(self) -> str:
        return self.fn.__module__


RULES: list[PyRule] = []


def rule(
    *codes: str, app_code_only: bool = False, defers: bool = False
) -> Callable[[PyRuleFn], PyRuleFn]:
    """Register `fn(module index) -> findings`; it may emit any of `codes`."""

    def register(fn: PyRuleFn) -> PyRuleFn:
        RULES.append(PyRule(codes, fn, app_code_only, defers))
        return fn

    return register


def finding(code: str, mod: PyModule, node: ast.AST, message: str, anchor: str = "") -> Finding:
    """A finding spanning `node`, with 1-based columns as every report shows them."""
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
