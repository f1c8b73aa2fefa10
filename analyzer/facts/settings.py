"""Environment variables a Python module requires: `os.environ[...]` reads without a fallback
and the fields of Pydantic settings classes that have no default.

Read once per module at extraction; X001 joins them with what the containers provide.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from analyzer.core.vocabulary import ALL
from analyzer.parsers import pynodes as nodes
from analyzer.parsers.python import PyModule


@dataclass(frozen=True)
class EnvNeed:
    name: str
    path: str
    line: int
    column: int
    how: str
    case_sensitive: bool = True


_SIMPLE_TYPES = frozenset(
    {"str", "int", "float", "bool", "bytes", "SecretStr", "SecretBytes", "Path", "EmailStr",
     "Optional", "Literal", "list", "List", "dict", "Dict", "set", "tuple", "Union", "None",
     "Annotated", "Json", "IPvAnyAddress", "UUID"}
)  # fmt: skip


def module_needs(mod: PyModule) -> Iterator[EnvNeed]:
    if not any(q == "os" or q.startswith("os.") for q in mod.imports.values()):
        return  # no `os`, no os.environ / os.getenv: nothing to find here
    parents = nodes.parents(mod.nodes)
    for node in nodes.of_type(mod.nodes, ast.Subscript, ast.Call):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and mod.qualified_name(node.value) == "os.environ"
        ):
            key = node.slice
            ok = isinstance(key, ast.Constant) and isinstance(key.value, str)
            if ok and not _guarded(node, parents):
                name = str(key.value)  # type: ignore[attr-defined]
                yield EnvNeed(name, mod.path, node.lineno, node.col_offset + 1,
                              f'`os.environ["{name}"]`')  # fmt: skip
        elif isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
            q = mod.qualified_name(node.func)
            arg = node.args[0]
            if (
                q in ("os.getenv", "os.environ.get")
                and isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and _used_without_fallback(node, parents)
                and not _guarded(node, parents)
            ):
                yield EnvNeed(arg.value, mod.path, node.lineno, node.col_offset + 1,
                              f'`{q}("{arg.value}")` used without a fallback')  # fmt: skip


def _guarded(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside a `try` (a KeyError is handled), an `if` or the `__main__` block."""
    cur = parents.get(node)
    while cur is not None:
        if isinstance(cur, (ast.Try, ast.If, ast.IfExp)) or type(cur).__name__ == "TryStar":
            return True
        cur = parents.get(cur)
    return False


def _used_without_fallback(call: ast.Call, parents: dict[ast.AST, ast.AST]) -> bool:
    """`int(os.getenv("X"))`, `os.getenv("X").split()`: None would crash right there."""
    parent = parents.get(call)
    if isinstance(parent, ast.Call) and call in parent.args:
        name = parent.func.id if isinstance(parent.func, ast.Name) else ""
        return name not in ("bool", "print", "str", "repr", "isinstance", "getattr")
    return isinstance(parent, ast.Attribute) or (
        isinstance(parent, ast.Subscript) and parent.value is call
    )


def class_infos(mod: PyModule) -> tuple[ClassInfo, ...]:
    """Classes with bases, their settings configuration and the fields that may be required."""
    out = []
    for c in nodes.of_type(mod.nodes, ast.ClassDef):
        if not c.bases:
            continue
        fields = tuple(f for stmt in c.body for f in [_field_syntax(mod, stmt)] if f is not None)
        bases = tuple(mod.qualified_name(b) or "" for b in c.bases)
        out.append(ClassInfo(c.name, c.lineno, bases, _config_of(c), fields))
    return tuple(out)


def _config_of(node: ast.ClassDef) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for stmt in node.body:
        if (
            isinstance(stmt, (ast.Assign, ast.AnnAssign))
            and isinstance(stmt.value, ast.Call)
            and any(
                isinstance(t, ast.Name) and t.id == "model_config"
                for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
            )
        ):
            for kw in stmt.value.keywords:
                if kw.arg:
                    out[kw.arg] = _literal(kw.value)
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            for item in stmt.body:
                if isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name):
                    out[item.targets[0].id] = _literal(item.value)
    return out


def _literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ALL


def instantiated(mod: PyModule) -> dict[str, tuple[str, ...]]:
    """Class name -> keyword arguments it is called with in this module."""
    out: dict[str, set[str]] = {}
    for node in nodes.of_type(mod.nodes, ast.Call):
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(
            f, ast.Attribute) else ""  # fmt: skip
        if name:
            out.setdefault(name, set()).update(k.arg or ALL for k in node.keywords)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _field_syntax(mod: PyModule, stmt: ast.stmt) -> SettingsField | None:
    """A field whose own annotation and value allow it to be required (no default)."""
    if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
        return None
    field = stmt.target.id
    names = {n.id for n in ast.walk(stmt.annotation) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(stmt.annotation) if isinstance(n, ast.Attribute)}
    if "ClassVar" in names or not all(
        n in _SIMPLE_TYPES or n.endswith(("Dsn", "Url", "Str")) or n in ("typing", "pydantic")
        for n in names
    ):
        return None
    alias = None
    value = stmt.value
    if value is not None:
        if not (isinstance(value, ast.Call) and (mod.qualified_name(value.func) or "")
                .endswith("Field")):  # fmt: skip
            if not (isinstance(value, ast.Constant) and value.value is Ellipsis):
                return None
        else:
            kws = {k.arg: k.value for k in value.keywords}
            if "default" in kws or "default_factory" in kws:
                return None
            if value.args and not (
                isinstance(value.args[0], ast.Constant) and value.args[0].value is Ellipsis
            ):
                return None
            for key in ("validation_alias", "alias", "env"):
                node = kws.get(key)
                if node is None:
                    continue
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    alias = node.value
                    break
                return None  # AliasChoices, a list of names: any of several may be set
    return SettingsField(field, stmt.lineno, stmt.col_offset + 1, alias)


@dataclass(frozen=True)
class SettingsField:
    """A class attribute that may be a required settings field (its own syntax allows it)."""

    name: str
    line: int
    column: int
    alias: str | None  # `Field(alias="X")`: the variable read instead of the field's name


@dataclass(frozen=True)
class ClassInfo:
    """A class with base classes: settings classes and Pydantic models are found among these."""

    name: str
    line: int
    bases: tuple[str, ...]  # qualified names as imported
    config: dict[str, Any]  # `model_config = SettingsConfigDict(...)` / `class Config:` values
    fields: tuple[SettingsField, ...]
