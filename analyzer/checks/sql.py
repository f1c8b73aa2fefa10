"""Database schema rules over migration histories (SQL001..SQL008).

A table's state is what the whole history makes of it, not what one file
says: `CREATE TABLE` in the first migration and `ENABLE ROW LEVEL SECURITY`
in the fifth is a protected table. So every rule is a repository check that
replays each history in the order its tool applies it, then judges the end
state and reports at the statement that created the problem (the CREATE
TABLE, the column, the constraint, the policy), in the file that holds it.

Histories (see analyzer.parsers.sql.history_of): `supabase/migrations/*.sql`
in file-name order (their timestamp prefix), then the declarative
`supabase/schemas/**.sql`; any other `migrations/**.sql`; Alembic revisions
(`alembic/versions/*.py`) in `down_revision` order, from `op.create_table`,
`op.add_column`, `op.create_index`, `op.create_foreign_key` and constant
`op.execute("...")` SQL. Each root is its own database.

Row-level-security rules (SQL001-SQL003, SQL008) only judge Supabase
histories (a `supabase/` root, or a root with a `config.toml` of Supabase):
in a plain PostgreSQL service no anonymous client reaches the tables, so RLS
is not the gate. Exposed schemas are `[api] schemas` of that config.toml
(default `public` and `graphql_public`); `[api] enabled = false` exposes none.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzer.checks.registry import repo_check
from analyzer.model import FileResult, Finding
from analyzer.parsers import sql as q
from analyzer.parsers.python import PyModule
from analyzer.parsers.supabase_config import SupabaseConfig
from analyzer.pyfacts.summary import Alembic, PySummary

DEFAULT_EXPOSED = ("public", "graphql_public")
# Roles that bypass RLS: a policy for them alone opens nothing to API clients.
_BYPASS_ROLES = {"service_role", "postgres", "supabase_admin"}
_API_ROLES = {"anon", "authenticated", "public"}

# DATA-1: the last word of the column name says what it holds; words before it
# (`user_`, `smtp_`) do not matter, words after it (`_hash`, `_last4`, `_set_at`)
# say it is something else.
_SENSITIVE = re.compile(
    r"(?:^|_)(?P<what>password|passwd|plain_?password|"
    r"card_?number|credit_?card(?:_?number)?|cc_?number|card_?no|pan_number|cvv|cvc|card_?cvv|"
    r"ssn|social_?security(?:_?number)?|national_?id(?:_?number)?|passport_?number|"
    r"api_?key|secret_?key|client_?secret|private_?key)$",
    re.IGNORECASE,
)
_PLAIN_TYPES = {
    "text", "varchar", "bpchar", "char", "character", "citext", "json", "jsonb", "name",
    "int2", "int4", "int8", "numeric", "integer", "bigint",
}  # fmt: skip


# --------------------------------------------------------------------------- replay state


@dataclass
class Table:
    """One table while a history is replayed (mutable: migrations change it)."""

    name: str
    path: str
    line: int
    partition: bool = False
    columns: dict[str, tuple[str, q.Column]] = field(default_factory=dict)  # name -> (path, col)
    primary_key: tuple[str, ...] = ()
    keys: list[tuple[str, ...]] = field(default_factory=list)  # pk, unique and index columns
    indexes: dict[str, tuple[str | None, ...]] = field(default_factory=dict)
    foreign_keys: list[tuple[str, q.ForeignKey]] = field(default_factory=list)
    rls: tuple[str, int] | None = None  # where it was enabled
    encrypted: set[str] = field(default_factory=set)
    revoked: set[str] = field(default_factory=set)  # API roles revoked from

    @property
    def schema(self) -> str:
        return self.name.partition(".")[0]


@dataclass
class State:
    tables: dict[str, Table] = field(default_factory=dict)
    policies: dict[tuple[str, str], tuple[str, q.Policy]] = field(default_factory=dict)
    views: dict[str, tuple[str, q.View]] = field(default_factory=dict)
    functions: dict[str, tuple[str, q.Function]] = field(default_factory=dict)
    dynamic_rls: bool = False

    def apply(self, path: str, op: q.Op) -> None:
        handler = getattr(self, f"_{type(op).__name__}", None)
        if handler is not None:
            handler(path, op)

    def _CreateTable(self, path: str, op: q.CreateTable) -> None:
        if op.if_not_exists and op.table in self.tables:
            return
        table = Table(op.table, path, op.line, op.partition)
        self.tables[op.table] = table
        self.policies = {k: v for k, v in self.policies.items() if k[0] != op.table}
        self._add(table, path, op.columns, op.primary_key, op.unique, op.foreign_keys)

    def _add(
        self,
        table: Table,
        path: str,
        columns: Iterable[q.Column],
        pk: tuple[str, ...],
        unique: Iterable[tuple[str, ...]],
        fks: Iterable[q.ForeignKey],
    ) -> None:
        for col in columns:
            table.columns[col.name] = (path, col)
        if pk:
            table.primary_key = pk
            table.keys.append(pk)
        table.keys.extend(unique)
        table.foreign_keys.extend((path, fk) for fk in fks)

    def _AlterTable(self, path: str, op: q.AlterTable) -> None:
        if op.security_invoker is not None and op.table in self.views:
            vpath, view = self.views[op.table]
            self.views[op.table] = (vpath, _with_invoker(view, op.security_invoker))
            return
        table = self.tables.get(op.table)
        if table is None:
            return
        if op.rls is True:
            table.rls = (path, op.line)
        elif op.rls is False:
            table.rls = None
        for name in op.drop_columns:
            table.columns.pop(name, None)
            table.foreign_keys = [f for f in table.foreign_keys if name not in f[1].columns]
        for col in op.retype:
            if col.name in table.columns:
                old_path, old = table.columns[col.name]
                table.columns[col.name] = (old_path, q.Column(old.name, col.type, old.line))
        self._add(table, path, op.add_columns, op.primary_key, op.unique, op.foreign_keys)

    def _Rename(self, path: str, op: q.Rename) -> None:
        table = self.tables.pop(op.table, None)
        if table is not None:
            table.name = op.new_table
            self.tables[op.new_table] = table
            self.policies = {
                ((op.new_table if k[0] == op.table else k[0]), k[1]): v
                for k, v in self.policies.items()
            }

    def _Drop(self, path: str, op: q.Drop) -> None:
        if op.what == "table":
            self.tables.pop(op.name, None)
            self.policies = {k: v for k, v in self.policies.items() if k[0] != op.name}
        elif op.what == "view":
            self.views.pop(op.name, None)
        elif op.what == "policy":
            owner, _, policy = op.name.rpartition(".")
            self.policies.pop((owner, policy), None)
        elif op.what == "index":
            schema, _, name = op.name.partition(".")
            for t in self.tables.values():
                if t.schema == schema and name in t.indexes:
                    del t.indexes[name]

    def _CreateIndex(self, path: str, op: q.CreateIndex) -> None:
        table = self.tables.get(op.table)
        if table is not None:
            table.indexes[op.name.partition(".")[2] or f"#{len(table.indexes)}"] = op.columns

    def _Policy(self, path: str, op: q.Policy) -> None:
        key = (op.table, op.name)
        if not op.alter:
            self.policies[key] = (path, op)
        elif key in self.policies:
            old_path, old = self.policies[key]
            self.policies[key] = (
                old_path,
                q.Policy(
                    old.table,
                    old.name,
                    old.line,
                    old.command,
                    old.permissive,
                    op.roles or old.roles,
                    op.using_true if op.sets_using else old.using_true,
                    op.check_true if op.sets_check else old.check_true,
                ),
            )

    def _Revoke(self, path: str, op: q.Revoke) -> None:
        for name in op.tables:
            if name in self.tables:
                self.tables[name].revoked.update(op.roles)

    def _Function(self, path: str, op: q.Function) -> None:
        self.functions[op.name] = (path, op)

    def _View(self, path: str, op: q.View) -> None:
        self.views[op.name] = (path, op)

    def _EncryptedColumn(self, path: str, op: q.EncryptedColumn) -> None:
        if op.table in self.tables:
            self.tables[op.table].encrypted.add(op.column)

    def _DynamicRls(self, path: str, op: q.DynamicRls) -> None:
        self.dynamic_rls = True


def _with_invoker(view: q.View, invoker: bool) -> q.View:
    return q.View(view.name, view.line, invoker, view.materialized)


# --------------------------------------------------------------------------- histories


@dataclass(frozen=True)
class History:
    root: str
    state: State
    supabase: bool
    exposed: tuple[str, ...]


def histories(results: Sequence[FileResult]) -> list[History]:
    """Every migration history of the repository, replayed to its end state."""
    steps: dict[str, list[tuple[int, str, str, list[q.Op]]]] = defaultdict(list)
    configs: dict[str, SupabaseConfig] = {}
    alembic: dict[str, list[tuple[str, Alembic]]] = defaultdict(list)
    for r in results:
        if r.kind == "sql" and isinstance(r.facts, q.SqlFile):
            where = q.history_of(r.path)
            if where is not None:
                root, phase = where
                key = posixpath.basename(r.path) if phase == 0 else r.path
                steps[root].append((phase, key, r.path, list(r.facts.ops)))
        elif r.kind == "supabase-config" and isinstance(r.facts, SupabaseConfig):
            configs[posixpath.dirname(r.path)] = r.facts
        elif r.kind == "python" and isinstance(r.facts, PySummary) and r.facts.alembic:
            alembic_root = q.alembic_root(r.path)
            if alembic_root is not None:
                alembic[alembic_root].append((r.path, r.facts.alembic))
    for root, modules in alembic.items():
        for i, (path, revision) in enumerate(alembic_order(modules)):
            steps[root + "\0alembic"].append((0, f"{i:06d}", path, list(revision.ops)))
    out = []
    for root, items in sorted(steps.items()):
        state = State()
        for _, _, path, ops in sorted(items, key=lambda s: (s[0], s[1], s[2])):
            for op in ops:
                state.apply(path, op)
        real_root = root.split("\0")[0]
        config = configs.get(real_root)
        supabase = posixpath.basename(real_root) == "supabase" or config is not None
        out.append(History(real_root, state, supabase, exposed_schemas(config)))
    return out


def exposed_schemas(config: SupabaseConfig | None) -> tuple[str, ...]:
    if config is None:
        return DEFAULT_EXPOSED
    if config.get("api.enabled") is False:
        return ()
    schemas = config.get("api.schemas")
    if isinstance(schemas, list):
        return tuple(str(s) for s in schemas)
    return DEFAULT_EXPOSED


# --------------------------------------------------------------------------- rules


@repo_check("SQL001")
def table_without_rls(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Splinter 0013 (rls_disabled_in_public), judged on the end of the history."""
    for h in histories(results):
        if not h.supabase or h.state.dynamic_rls:
            continue
        for t in h.state.tables.values():
            if t.schema in h.exposed and t.rls is None and not t.partition:
                yield Finding(
                    "SQL001",
                    t.path,
                    f"Table {t.name} is in the API-exposed schema `{t.schema}` but row level "
                    "security is never enabled in the migration history: anyone with the "
                    "public anon key can read and change every row through the API.",
                    line=t.line,
                    anchor=f"rls-disabled:{t.name}",
                )


@repo_check("SQL002")
def rls_without_policy(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Splinter 0008. Quiet when API roles were revoked: that states "server only"."""
    for h in histories(results):
        if not h.supabase:
            continue
        with_policy = {table for table, _ in h.state.policies}
        for t in h.state.tables.values():
            if t.rls is None or t.name in with_policy or t.schema not in h.exposed:
                continue
            if {"anon", "authenticated"} <= t.revoked or "public" in t.revoked:
                continue
            path, line = t.rls
            yield Finding(
                "SQL002",
                path,
                f"Row level security is enabled on {t.name} but no policy exists by the end "
                "of the migration history: every API request is denied, which is either a bug "
                "or an undocumented 'server only' table.",
                line=line,
                anchor=f"rls-no-policy:{t.name}",
            )


@repo_check("SQL003")
def policy_always_true(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Splinter 0024: a permissive write policy that always passes is no policy."""
    for h in histories(results):
        if not h.supabase:
            continue
        for (table, name), (path, p) in sorted(h.state.policies.items()):
            if p.command == "select" or not p.permissive:
                continue
            if p.roles and set(p.roles) <= _BYPASS_ROLES:
                continue
            clauses = []
            if p.using_true and p.command in ("all", "update", "delete"):
                clauses.append("USING (true)")
            if p.check_true and p.command in ("all", "insert", "update"):
                clauses.append("WITH CHECK (true)")
            if not clauses:
                continue
            who = ", ".join(p.roles) if p.roles else "every role"
            yield Finding(
                "SQL003",
                path,
                f'Policy "{name}" on {table} allows {p.command.upper()} for {who} with '
                f"{' and '.join(clauses)}: any user may write any row.",
                line=p.line,
                anchor=f"policy-true:{table}:{name}",
            )


@repo_check("SQL004")
def foreign_key_without_index(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Splinter 0001: an index (or key) must start with the foreign key's columns."""
    for h in histories(results):
        for t in h.state.tables.values():
            prefixes = [*t.keys, *(tuple(c or "" for c in cols) for cols in t.indexes.values())]
            for path, fk in t.foreign_keys:
                n = len(fk.columns)
                if any(set(p[:n]) == set(fk.columns) for p in prefixes):
                    continue
                cols = ", ".join(fk.columns)
                yield Finding(
                    "SQL004",
                    path,
                    f"Foreign key {t.name}({cols}) -> {fk.references} has no index starting "
                    "with its columns: joins on it and every delete or key update in "
                    f"{fk.references} scan the whole of {t.name}.",
                    line=fk.line,
                    anchor=f"fk-unindexed:{t.name}({cols})",
                )


@repo_check("SQL005")
def table_without_primary_key(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Splinter 0004. Partitions take their key from the partitioned table."""
    for h in histories(results):
        for t in h.state.tables.values():
            if not t.primary_key and not t.partition:
                yield Finding(
                    "SQL005",
                    t.path,
                    f"Table {t.name} has no primary key by the end of the migration history.",
                    line=t.line,
                    anchor=f"no-pk:{t.name}",
                )


@repo_check("SQL006")
def sensitive_column_in_plain_text(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Names say what a column holds; `bytea` or a pgsodium label says it is encrypted."""
    for h in histories(results):
        for t in h.state.tables.values():
            for name, (path, col) in t.columns.items():
                match = _SENSITIVE.search(name)
                if not match or col.type not in _PLAIN_TYPES or name in t.encrypted:
                    continue
                yield Finding(
                    "SQL006",
                    path,
                    f"Column {t.name}.{name} looks like it holds {_what(match['what'])} and "
                    f"is stored as plain `{col.type}`.",
                    line=col.line,
                    anchor=f"plain-sensitive:{t.name}.{name}",
                )


def _what(word: str) -> str:
    w = word.lower().replace("_", "")
    if "pass" in w:
        return "a password"
    if w in ("ssn", "socialsecurity", "socialsecuritynumber"):
        return "a social security number"
    if "national" in w or "passport" in w:
        return "an identity document number"
    if "key" in w or "secret" in w:
        return "a credential"
    return "payment card data"


@repo_check("SQL007")
def definer_without_search_path(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Splinter 0011, for the functions where it matters: SECURITY DEFINER ones."""
    for h in histories(results):
        for name, (path, fn) in sorted(h.state.functions.items()):
            if fn.security_definer and not fn.search_path:
                yield Finding(
                    "SQL007",
                    path,
                    f"Function {name} is SECURITY DEFINER without `SET search_path`: a caller "
                    "who can create objects in a schema on the path can make it run their code "
                    "with the owner's rights.",
                    line=fn.line,
                    anchor=f"definer-search-path:{name}",
                )


@repo_check("SQL008")
def view_without_security_invoker(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Splinter 0010: a view runs with its owner's rights, so it skips the tables' RLS."""
    for h in histories(results):
        if not h.supabase:
            continue
        for name, (path, view) in sorted(h.state.views.items()):
            schema = name.partition(".")[0]
            if schema not in h.exposed or view.security_invoker:
                continue
            kind = "Materialized view" if view.materialized else "View"
            yield Finding(
                "SQL008",
                path,
                f"{kind} {name} is in the API-exposed schema `{schema}` and runs with its "
                "owner's rights: it returns rows the tables' row level security would hide.",
                line=view.line,
                anchor=f"view-definer:{name}",
            )


# --------------------------------------------------------------------------- Alembic


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
