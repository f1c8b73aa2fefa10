"""The schema operations of Alembic migrations, read from their Python, and the order of
their revisions.

A migration written with `op.create_table` changes the same tables as one written in SQL;
the SQL history (facts/sql.py) replays both.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from analyzer.parsers import sql as q
from analyzer.parsers.python import PyModule


def alembic_facts(mod: PyModule) -> Alembic | None:
    """The revision of a migration module under an Alembic folder; None elsewhere."""
    if q.alembic_root(mod.path) is None:
        return None
    rev, down = _revision_ids(mod.tree)
    return Alembic(rev, down, tuple(alembic_ops(mod)))


def alembic_order(modules: list[tuple[str, Alembic]]) -> list[tuple[str, Alembic]]:
    """Revisions parent first (`down_revision`), ties and unknowns by file name."""
    info = dict(modules)
    by_rev = {a.revision: (p, a) for p, a in modules if a.revision}
    done: set[str] = set()
    out: list[tuple[str, Alembic]] = []

    def visit(m: tuple[str, Alembic], seen: frozenset[str]) -> None:
        path = m[0]
        if path in done or path in seen:
            return
        for parent in info[path].down:
            if parent in by_rev:
                visit(by_rev[parent], seen | {path})
        done.add(path)
        out.append(m)

    for m in sorted(modules, key=lambda m: m[0]):
        visit(m, frozenset())
    return out


def _revision_ids(tree: ast.Module) -> tuple[str | None, tuple[str, ...]]:
    rev: str | None = None
    down: tuple[str, ...] = ()
    for node in tree.body:
        target, value = _assignment(node)
        if target == "revision" and isinstance(value, ast.Constant):
            rev = str(value.value)
        elif target == "down_revision":
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                down = (value.value,)
            elif isinstance(value, (ast.Tuple, ast.List)):
                down = tuple(
                    str(e.value) for e in value.elts if isinstance(e, ast.Constant) and e.value
                )
    return rev, down


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


def alembic_ops(module: PyModule) -> list[q.Op]:
    """The schema operations of `upgrade()`, in order; anything else is not followed."""
    upgrade = next(
        (n for n in module.tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"),
        None,
    )
    if upgrade is None:
        return []
    ops: list[q.Op] = []
    for node in ast.walk(upgrade):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if _name(node.func.value) == "op":
            ops.extend(_alembic_call(node.func.attr, node))
    return sorted(ops, key=lambda o: o.line)


def _alembic_call(name: str, call: ast.Call) -> list[q.Op]:
    args = [_const(a) for a in call.args]
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    schema = _const(kw["schema"]) if "schema" in kw else None
    line = call.lineno

    def table(n: object) -> str:
        return q.qualified(str(schema) if schema else None, str(n))

    if name == "create_table" and isinstance(args[:1] and args[0], str):
        return [_create_table(table(args[0]), call, line)]
    if name == "add_column" and len(call.args) >= 2 and isinstance(args[0], str):
        t = table(args[0])
        col, pk, unique, fks = _column(call.args[1], t)
        if col is None:
            return []
        return [
            q.AlterTable(t, line, add_columns=(col,), primary_key=pk, unique=unique,
                         foreign_keys=fks)
        ]  # fmt: skip
    if name == "create_index":
        tname = args[1] if len(args) > 1 else _const(kw.get("table_name"))
        cols = _const_list(call.args[2] if len(call.args) > 2 else kw.get("columns"))
        if isinstance(tname, str) and cols is not None:
            iname = args[0] if isinstance(args[:1] and args[0], str) else ""
            return [q.CreateIndex(table(tname), table(iname) if iname else "", cols, line)]
    if name == "create_foreign_key" and len(args) >= 4 and isinstance(args[1], str):
        local = _const_list(call.args[3]) if len(call.args) > 3 else None
        if local:
            fk = q.ForeignKey(tuple(c or "" for c in local), q.qualified(None, str(args[2])), line)
            return [q.AlterTable(table(args[1]), line, foreign_keys=(fk,))]
    if name == "create_primary_key" and len(args) >= 3 and isinstance(args[1], str):
        cols = _const_list(call.args[2])
        if cols:
            return [q.AlterTable(table(args[1]), line, primary_key=tuple(c or "" for c in cols))]
    if name == "drop_table" and isinstance(args[:1] and args[0], str):
        return [q.Drop("table", table(args[0]), line)]
    if name == "drop_column" and len(args) >= 2 and isinstance(args[0], str):
        return [q.AlterTable(table(args[0]), line, drop_columns=(str(args[1]),))]
    if name == "execute" and isinstance(args[:1] and args[0], str):
        return q.parse_sql(str(args[0]), line)[0]
    return []


def _create_table(name: str, call: ast.Call, line: int) -> q.CreateTable:
    columns: list[q.Column] = []
    pk: tuple[str, ...] = ()
    unique: list[tuple[str, ...]] = []
    fks: list[q.ForeignKey] = []
    for arg in call.args[1:]:
        col, col_pk, col_unique, col_fks = _column(arg, name)
        if col is not None:
            columns.append(col)
            pk = (*pk, *col_pk) if col_pk else pk
            unique.extend(col_unique)
            fks.extend(col_fks)
            continue
        if not isinstance(arg, ast.Call):
            continue
        kind = _callee(arg)
        cols = tuple(str(c) for c in (_const(a) for a in arg.args) if isinstance(c, str))
        if kind == "PrimaryKeyConstraint":
            pk = cols
        elif kind == "UniqueConstraint":
            unique.append(cols)
        elif kind == "ForeignKeyConstraint" and len(arg.args) >= 2:
            local = _const_list(arg.args[0]) or ()
            remote = _const_list(arg.args[1]) or ()
            ref = str(remote[0] or "").rpartition(".")[0] if remote else ""
            fks.append(
                q.ForeignKey(tuple(c or "" for c in local), q.qualified(None, ref), arg.lineno)
            )
    return q.CreateTable(name, line, tuple(columns), pk, tuple(unique), tuple(fks))


def _column(
    node: ast.expr, table: str
) -> tuple[q.Column | None, tuple[str, ...], tuple[tuple[str, ...], ...], tuple[q.ForeignKey, ...]]:
    if not isinstance(node, ast.Call) or _callee(node) != "Column" or not node.args:
        return None, (), (), ()
    name = _const(node.args[0])
    if not isinstance(name, str):
        return None, (), (), ()
    type_name = ""
    fks: list[q.ForeignKey] = []
    for arg in node.args[1:]:
        kind = _callee(arg) if isinstance(arg, ast.Call) else _name(arg)
        if kind == "ForeignKey" and isinstance(arg, ast.Call) and arg.args:
            target = _const(arg.args[0])
            ref = str(target).rpartition(".")[0] if isinstance(target, str) else "?"
            fks.append(q.ForeignKey((name,), q.qualified(None, ref), arg.lineno))
        elif kind and not type_name:
            type_name = _SA_TYPES.get(kind, kind.lower())
    kw = {k.arg: _const(k.value) for k in node.keywords if k.arg}
    pk = (name,) if kw.get("primary_key") is True else ()
    unique: tuple[tuple[str, ...], ...] = (
        ((name,),) if kw.get("unique") is True or kw.get("index") is True else ()
    )
    return q.Column(name, type_name, node.lineno), pk, unique, tuple(fks)


_SA_TYPES = {
    "String": "varchar", "Text": "text", "Unicode": "varchar", "UnicodeText": "text",
    "VARCHAR": "varchar", "TEXT": "text", "CHAR": "char", "LargeBinary": "bytea",
    "BYTEA": "bytea", "Integer": "int4", "BigInteger": "int8", "JSON": "json", "JSONB": "jsonb",
    "Numeric": "numeric",
}  # fmt: skip


def _callee(call: ast.Call) -> str:
    return _name(call.func)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _const(node: ast.expr | None) -> Any:
    return node.value if isinstance(node, ast.Constant) else None


def _const_list(node: ast.expr | None) -> tuple[str | None, ...] | None:
    if isinstance(node, (ast.List, ast.Tuple)):
        return tuple(str(v) if isinstance(v := _const(e), str) else None for e in node.elts)
    return None


@dataclass(frozen=True)
class Alembic:
    revision: str | None
    down: tuple[str, ...]
    ops: tuple[q.Op, ...]
