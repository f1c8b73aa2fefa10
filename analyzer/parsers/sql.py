"""SQL migrations as a list of schema operations, parsed by PostgreSQL's own grammar.

Kept whole (about 600 lines): one parser, whose statement readers and history share pglast's
node types and are read together.

We use `pglast`, which embeds libpg_query (the parser of the PostgreSQL server
itself), rather than `sqlglot`: Supabase is PostgreSQL, and the statements the
rules are about (`CREATE POLICY`, `ALTER TABLE ... ENABLE ROW LEVEL SECURITY`,
`SECURITY DEFINER` functions with dollar-quoted bodies, `SECURITY LABEL`) are
exactly the ones sqlglot keeps as unparsed "commands". pglast ships binary
wheels for Linux, macOS and Windows, so nothing is compiled at install time.

The file is split into statements by PostgreSQL's scanner (which never fails
on a syntax error), then every statement is parsed alone: one statement the
parser rejects becomes a partial error and the rest of the file is still read.
The result is a tuple of small plain operations (create table, enable RLS,
create policy...) with the line each one starts on, so the repository check
can replay a whole migration history without keeping any parse tree around.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

import pglast
from pglast import ast, enums
from pglast.parser import ParseError as PgParseError
from pglast.parser import split

from analyzer.core.model import SourceFile

MAX_ERRORS = 5  # a file in another SQL dialect would otherwise give one note per statement
_PSQL_META = re.compile(r"^[ \t]*\\.*$", re.MULTILINE)  # \connect, \set...: psql, not SQL
_DYNAMIC_RLS = re.compile(r"enable\s+row\s+level\s+security", re.IGNORECASE)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # last part of the type name, lower case: text, varchar, int4, bytea...
    line: int


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    references: str  # schema.table
    line: int


@dataclass(frozen=True)
class CreateTable:
    table: str  # schema.table
    line: int
    columns: tuple[Column, ...] = ()
    primary_key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    if_not_exists: bool = False
    partition: bool = False  # PARTITION OF: keys and policies come from the parent
    partitioned: bool = False  # PARTITION BY: a parent whose rows live in partitions


@dataclass(frozen=True)
class AlterTable:
    """Everything an ALTER TABLE can change that a rule cares about."""

    table: str
    line: int
    rls: bool | None = None  # True: ENABLE ROW LEVEL SECURITY, False: DISABLE
    add_columns: tuple[Column, ...] = ()
    drop_columns: tuple[str, ...] = ()
    retype: tuple[Column, ...] = ()  # ALTER COLUMN ... TYPE
    primary_key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    security_invoker: bool | None = None  # ALTER VIEW ... SET (security_invoker = ...)


@dataclass(frozen=True)
class Rename:
    table: str
    new_table: str  # schema.table (a RENAME keeps the schema, a SET SCHEMA keeps the name)
    line: int


@dataclass(frozen=True)
class Drop:
    what: str  # table, view, index, policy, function
    name: str  # schema.name; for a policy: schema.table.policy
    line: int


@dataclass(frozen=True)
class CreateIndex:
    table: str
    name: str  # schema.name; "" when unnamed
    columns: tuple[str | None, ...]  # None for an expression
    line: int


@dataclass(frozen=True)
class Policy:
    table: str
    name: str
    line: int
    command: str = "all"  # all, select, insert, update, delete
    permissive: bool = True
    roles: tuple[str, ...] = ()  # empty: PUBLIC
    using_true: bool = False
    check_true: bool = False
    alter: bool = False  # ALTER POLICY: only the clauses it sets change
    sets_using: bool = True
    sets_check: bool = True


@dataclass(frozen=True)
class Revoke:
    tables: tuple[str, ...]
    roles: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Function:
    name: str
    line: int
    security_definer: bool
    search_path: bool


@dataclass(frozen=True)
class View:
    name: str
    line: int
    security_invoker: bool
    materialized: bool = False


@dataclass(frozen=True)
class EncryptedColumn:
    """`SECURITY LABEL FOR pgsodium ON COLUMN t.c IS 'ENCRYPT ...'`: encrypted at rest."""

    table: str
    column: str
    line: int


@dataclass(frozen=True)
class DynamicRls:
    """`EXECUTE 'ALTER TABLE ... ENABLE ROW LEVEL SECURITY'` in a loop: tables we cannot name."""

    line: int


Op = (
    CreateTable
    | AlterTable
    | Rename
    | Drop
    | CreateIndex
    | Policy
    | Revoke
    | Function
    | View
    | EncryptedColumn
    | DynamicRls
)


@dataclass(frozen=True)
class SqlFile:
    path: str
    ops: tuple[Op, ...] = ()
    errors: tuple[tuple[int | None, str], ...] = ()


def parse(src: SourceFile) -> SqlFile:
    text = _PSQL_META.sub(lambda m: " " * len(m.group()), src.text)
    if history_of(src.path) is None:  # seeds, tests, queries: not the schema
        return SqlFile(src.path)
    ops, errors = parse_sql(text)
    return SqlFile(src.path, tuple(ops), tuple(errors))


def parse_sql(text: str, first_line: int = 1) -> tuple[list[Op], list[tuple[int | None, str]]]:
    """Operations and partial errors of a SQL text whose first line is `first_line`."""
    text = "\n" * (first_line - 1) + text
    ops: list[Op] = []
    errors: list[tuple[int | None, str]] = []
    failed = 0
    newlines = _newlines(text)
    for piece in _statements(text):
        start = piece.start or 0
        stmt_text = text[piece]
        depth = _nesting(stmt_text)
        if depth > MAX_NESTING:
            failed += 1
            if failed <= MAX_ERRORS:
                line = _line(newlines, start + _first_token(stmt_text))
                errors.append(
                    (line, f"statement on line {line} nested {depth} levels deep; not parsed")
                )
            continue
        try:
            raws = pglast.parse_sql(stmt_text)
        except PgParseError as exc:
            failed += 1
            if failed <= MAX_ERRORS:
                line = _line(newlines, start + _first_token(stmt_text))
                errors.append((line, f"statement on line {line} not understood: {exc}"))
            continue
        lines = _Lines(newlines, start, stmt_text)
        for raw in raws:
            ops.extend(_ops(raw.stmt, lines))
    if failed > MAX_ERRORS:
        errors.append((None, f"{failed - MAX_ERRORS} more statements not understood"))
    return ops, errors


# The PostgreSQL parser is C code: a statement nested deeper than any migration needs is not
# handed to it (its own guard answers "memory exhausted" near 10,000 levels, and a C stack is
# not something a scan should bet on).
MAX_NESTING = 1_000


def _nesting(stmt: str) -> int:
    """How deep parentheses and brackets nest in `stmt` (quotes ignored: an upper bound)."""
    if stmt.count("(") + stmt.count("[") <= MAX_NESTING:
        return 0  # cannot nest deeper than it opens
    depth = deepest = 0
    for ch in stmt:
        if ch in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]":
            depth -= 1
    return deepest


def _statements(text: str) -> list[slice]:
    try:
        return list(split(text, with_parser=False, only_slices=True))
    except PgParseError:  # an unterminated string or comment: the scanner gives up too
        return [slice(0, len(text))]


def _first_token(stmt: str) -> int:
    """Offset of the first character that is not blank or a `--` comment."""
    offset = 0
    for line in stmt.splitlines(keepends=True):
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            return offset + len(line) - len(line.lstrip())
        offset += len(line)
    return 0


def _newlines(text: str) -> list[int]:
    """Offsets of every line break: a line number is then a bisection, not a count from the
    top (which made a migration of thousands of statements quadratic)."""
    return [m.start() for m in re.finditer("\n", text)]


def _line(newlines: list[int], offset: int) -> int:
    return bisect.bisect_left(newlines, offset) + 1


class _Lines:
    """Turns a node's character offset inside one statement into a line of the file."""

    def __init__(self, newlines: list[int], start: int, statement: str) -> None:
        self.newlines = newlines
        self.start = start
        self.statement = statement

    def at(self, node: Any, fallback: Any = None) -> int:
        loc = getattr(node, "location", None)
        if not isinstance(loc, int) or loc < 0:
            loc = getattr(fallback, "location", None)
        if not isinstance(loc, int) or loc < 0:
            loc = _first_token(self.statement)
        return _line(self.newlines, self.start + loc)


# --------------------------------------------------------------------------- names


def qualified(schema: str | None, name: str) -> str:
    """schema.name; an unqualified name lands in `public`, the default search_path."""
    return f"{schema or 'public'}.{name}"


def _rangevar(rv: Any) -> str:
    return qualified(rv.schemaname, rv.relname)


def _strings(items: Any) -> tuple[str, ...]:
    return tuple(str(i.sval) for i in items or () if isinstance(i, ast.String))


def _dotted(parts: tuple[str, ...]) -> str:
    if len(parts) >= 2:
        return qualified(parts[-2], parts[-1])
    return qualified(None, parts[-1]) if parts else ""


def _type_name(type_name: Any) -> str:
    names = _strings(getattr(type_name, "names", ()))
    return names[-1].lower() if names else ""


def _is_true(node: Any) -> bool:
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Boolean):
        return bool(node.val.boolval)
    if isinstance(node, ast.TypeCast):  # 'true'::boolean
        return isinstance(node.arg, ast.A_Const) and str(
            getattr(node.arg.val, "sval", "")
        ).lower() in ("true", "t", "on")
    return False


def _truthy(value: Any) -> bool:
    if isinstance(value, ast.Boolean):
        return bool(value.boolval)
    if isinstance(value, ast.String):
        return str(value.sval).lower() in ("true", "on", "yes", "1")
    if isinstance(value, ast.Integer):
        return value.ival != 0
    return value is None  # a bare `WITH (security_invoker)` means true


# --------------------------------------------------------------------------- statements


def _ops(stmt: Any, lines: _Lines) -> list[Op]:
    handler = _HANDLERS.get(type(stmt).__name__)
    return handler(stmt, lines) if handler else []


def _create_table(stmt: Any, lines: _Lines) -> list[Op]:
    table = _rangevar(stmt.relation)
    if stmt.relation.relpersistence == "t":  # TEMP tables live for one session
        return []
    columns: list[Column] = []
    pk: tuple[str, ...] = ()
    unique: list[tuple[str, ...]] = []
    fks: list[ForeignKey] = []
    for elt in stmt.tableElts or ():
        if isinstance(elt, ast.ColumnDef) and elt.colname:
            col = Column(elt.colname, _type_name(elt.typeName), lines.at(elt))
            columns.append(col)
            for con in elt.constraints or ():
                kind = con.contype
                if kind == enums.ConstrType.CONSTR_PRIMARY:
                    pk = (col.name,)
                elif kind == enums.ConstrType.CONSTR_UNIQUE:
                    unique.append((col.name,))
                elif kind == enums.ConstrType.CONSTR_FOREIGN:
                    fks.append(ForeignKey((col.name,), _rangevar(con.pktable), lines.at(con, elt)))
        elif isinstance(elt, ast.Constraint):
            got_pk, got_unique, got_fk = _table_constraint(elt, lines)
            pk = got_pk or pk
            unique.extend(got_unique)
            fks.extend(got_fk)
    return [
        CreateTable(
            table,
            lines.at(stmt.relation),
            tuple(columns),
            pk,
            tuple(unique),
            tuple(fks),
            bool(stmt.if_not_exists),
            stmt.partbound is not None,
            partitioned=stmt.partspec is not None,
        )
    ]


def _table_constraint(
    con: Any, lines: _Lines
) -> tuple[tuple[str, ...], list[tuple[str, ...]], list[ForeignKey]]:
    kind = con.contype
    if kind == enums.ConstrType.CONSTR_PRIMARY:
        return _strings(con.keys), [], []
    if kind == enums.ConstrType.CONSTR_UNIQUE:
        return (), [_strings(con.keys)], []
    if kind == enums.ConstrType.CONSTR_FOREIGN:
        return (), [], [ForeignKey(_strings(con.fk_attrs), _rangevar(con.pktable), lines.at(con))]
    return (), [], []


def _create_table_as(stmt: Any, lines: _Lines) -> list[Op]:
    if stmt.objtype != enums.ObjectType.OBJECT_TABLE:
        rel = stmt.into.rel
        return [View(_rangevar(rel), lines.at(rel), False, materialized=True)]
    rel = stmt.into.rel
    if rel.relpersistence == "t":
        return []
    return [CreateTable(_rangevar(rel), lines.at(rel), if_not_exists=bool(stmt.if_not_exists))]


def _alter_table(stmt: Any, lines: _Lines) -> list[Op]:
    table = _rangevar(stmt.relation)
    line = lines.at(stmt.relation)
    if stmt.objtype == enums.ObjectType.OBJECT_VIEW:
        for cmd in stmt.cmds or ():
            if cmd.subtype == enums.AlterTableType.AT_SetRelOptions:
                for opt in cmd.def_ or ():
                    if opt.defname == "security_invoker":
                        return [AlterTable(table, line, security_invoker=_truthy(opt.arg))]
        return []
    rls: bool | None = None
    add: list[Column] = []
    drop: list[str] = []
    retype: list[Column] = []
    pk: tuple[str, ...] = ()
    unique: list[tuple[str, ...]] = []
    fks: list[ForeignKey] = []
    T = enums.AlterTableType
    for cmd in stmt.cmds or ():
        sub = cmd.subtype
        if sub == T.AT_EnableRowSecurity:
            rls = True
        elif sub == T.AT_DisableRowSecurity:
            rls = False
        elif sub == T.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            elt = cmd.def_
            col = Column(str(elt.colname), _type_name(elt.typeName), lines.at(elt))
            add.append(col)
            for con in elt.constraints or ():
                if con.contype == enums.ConstrType.CONSTR_PRIMARY:
                    pk = (col.name,)
                elif con.contype == enums.ConstrType.CONSTR_UNIQUE:
                    unique.append((col.name,))
                elif con.contype == enums.ConstrType.CONSTR_FOREIGN:
                    fks.append(ForeignKey((col.name,), _rangevar(con.pktable), lines.at(con, elt)))
        elif sub == T.AT_DropColumn and cmd.name:
            drop.append(cmd.name)
        elif sub == T.AT_AlterColumnType and cmd.name and isinstance(cmd.def_, ast.ColumnDef):
            retype.append(Column(cmd.name, _type_name(cmd.def_.typeName), line))
        elif sub == T.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
            got_pk, got_unique, got_fk = _table_constraint(cmd.def_, lines)
            pk = got_pk or pk
            unique.extend(got_unique)
            fks.extend(got_fk)
    return [
        AlterTable(
            table, line, rls, tuple(add), tuple(drop), tuple(retype), pk, tuple(unique), tuple(fks)
        )
    ]


def _rename(stmt: Any, lines: _Lines) -> list[Op]:
    if stmt.renameType != enums.ObjectType.OBJECT_TABLE or stmt.relation is None:
        return []
    old = _rangevar(stmt.relation)
    return [Rename(old, qualified(stmt.relation.schemaname, stmt.newname), lines.at(stmt.relation))]


def _set_schema(stmt: Any, lines: _Lines) -> list[Op]:
    if stmt.objectType != enums.ObjectType.OBJECT_TABLE or stmt.relation is None:
        return []
    old = _rangevar(stmt.relation)
    return [Rename(old, qualified(stmt.newschema, stmt.relation.relname), lines.at(stmt.relation))]


_DROPPED = {
    enums.ObjectType.OBJECT_TABLE: "table",
    enums.ObjectType.OBJECT_VIEW: "view",
    enums.ObjectType.OBJECT_MATVIEW: "view",
    enums.ObjectType.OBJECT_INDEX: "index",
    enums.ObjectType.OBJECT_POLICY: "policy",
}


def _drop(stmt: Any, lines: _Lines) -> list[Op]:
    what = _DROPPED.get(stmt.removeType)
    if what is None:
        return []
    line = lines.at(None)
    out: list[Op] = []
    for obj in stmt.objects or ():
        parts = _strings(obj)
        if what == "policy" and len(parts) >= 2:
            out.append(Drop(what, f"{_dotted(parts[:-1])}.{parts[-1]}", line))
        elif parts:
            out.append(Drop(what, _dotted(parts), line))
    return out


def _create_index(stmt: Any, lines: _Lines) -> list[Op]:
    cols = tuple(p.name if p.name else None for p in stmt.indexParams or ())
    name = qualified(stmt.relation.schemaname, stmt.idxname) if stmt.idxname else ""
    return [CreateIndex(_rangevar(stmt.relation), name, cols, lines.at(stmt.relation))]


def _roles(specs: Any) -> tuple[str, ...]:
    out = []
    for spec in specs or ():
        if spec.roletype == enums.RoleSpecType.ROLESPEC_PUBLIC:
            out.append("public")
        elif spec.rolename:
            out.append(spec.rolename.lower())
    return tuple(out)


def _create_policy(stmt: Any, lines: _Lines) -> list[Op]:
    return [
        Policy(
            _rangevar(stmt.table),
            stmt.policy_name,
            lines.at(stmt.table),
            (stmt.cmd_name or "all").lower(),
            bool(stmt.permissive),
            tuple(r for r in _roles(stmt.roles) if r != "public"),
            _is_true(stmt.qual),
            _is_true(stmt.with_check),
        )
    ]


def _alter_policy(stmt: Any, lines: _Lines) -> list[Op]:
    return [
        Policy(
            _rangevar(stmt.table),
            stmt.policy_name,
            lines.at(stmt.table),
            roles=tuple(r for r in _roles(stmt.roles) if r != "public"),
            using_true=_is_true(stmt.qual),
            check_true=_is_true(stmt.with_check),
            alter=True,
            sets_using=stmt.qual is not None,
            sets_check=stmt.with_check is not None,
        )
    ]


def _grant(stmt: Any, lines: _Lines) -> list[Op]:
    if stmt.is_grant or stmt.objtype != enums.ObjectType.OBJECT_TABLE:
        return []
    if stmt.targtype != enums.GrantTargetType.ACL_TARGET_OBJECT:
        return []
    tables = tuple(_rangevar(o) for o in stmt.objects or () if isinstance(o, ast.RangeVar))
    return [Revoke(tables, _roles(stmt.grantees), lines.at(None))]


def _create_function(stmt: Any, lines: _Lines) -> list[Op]:
    definer = search_path = False
    body = ""
    for opt in stmt.options or ():
        if opt.defname == "security":
            definer = _truthy(opt.arg)
        elif opt.defname == "set" and getattr(opt.arg, "name", "") == "search_path":
            search_path = True
        elif opt.defname == "as":
            body = " ".join(_strings(opt.arg))
    ops: list[Op] = [
        Function(_dotted(_strings(stmt.funcname)), lines.at(None), definer, search_path)
    ]
    if _DYNAMIC_RLS.search(body):
        ops.append(DynamicRls(lines.at(None)))
    return ops


def _do(stmt: Any, lines: _Lines) -> list[Op]:
    for opt in stmt.args or ():
        if opt.defname == "as" and _DYNAMIC_RLS.search(str(getattr(opt.arg, "sval", ""))):
            return [DynamicRls(lines.at(None))]
    return []


def _view(stmt: Any, lines: _Lines) -> list[Op]:
    invoker = any(
        opt.defname == "security_invoker" and _truthy(opt.arg) for opt in stmt.options or ()
    )
    return [View(_rangevar(stmt.view), lines.at(stmt.view), invoker)]


def _security_label(stmt: Any, lines: _Lines) -> list[Op]:
    if stmt.objtype != enums.ObjectType.OBJECT_COLUMN:
        return []
    parts = _strings(stmt.object)
    if len(parts) < 2 or not str(stmt.label or "").upper().startswith("ENCRYPT"):
        return []
    return [EncryptedColumn(_dotted(parts[:-1]), parts[-1], lines.at(None))]


_HANDLERS: dict[str, Any] = {
    "CreateStmt": _create_table,
    "CreateTableAsStmt": _create_table_as,
    "AlterTableStmt": _alter_table,
    "RenameStmt": _rename,
    "AlterObjectSchemaStmt": _set_schema,
    "DropStmt": _drop,
    "IndexStmt": _create_index,
    "CreatePolicyStmt": _create_policy,
    "AlterPolicyStmt": _alter_policy,
    "GrantStmt": _grant,
    "CreateFunctionStmt": _create_function,
    "DoStmt": _do,
    "ViewStmt": _view,
    "SecLabelStmt": _security_label,
}


# --------------------------------------------------------------------------- histories

_DOWN = re.compile(r"(?:^|[._-])down\.sql$|(?:^|/)down\.sql$", re.IGNORECASE)
_ALEMBIC_VERSION = re.compile(r"^(?:(.*)/)?(?:alembic|migrations)/versions/[^/]+\.py$")


def history_of(path: str) -> tuple[str, int] | None:
    """(root, phase) of a SQL file that is part of a migration history, else None.

    `supabase/migrations/*.sql` (phase 0) and the declarative `supabase/schemas/**.sql`
    (phase 1, applied after) share the root `.../supabase`; any other `migrations/**.sql`
    has the folder holding `migrations` as root. Down migrations undo, they are not
    the history.
    """
    if not path.lower().endswith(".sql") or _DOWN.search(path):
        return None
    parts = path.split("/")
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "schemas" and i > 0 and parts[i - 1] == "supabase":
            return "/".join(parts[:i]), 1
        if parts[i] == "migrations":
            return "/".join(parts[:i]), 0
    return None


def alembic_root(path: str) -> str | None:
    match = _ALEMBIC_VERSION.match(path)
    return (match.group(1) or "") if match else None
