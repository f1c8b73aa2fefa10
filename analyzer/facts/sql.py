"""The database as the migration history leaves it: tables, row-level security, policies,
foreign keys, indexes, functions and views after replaying every SQL and Alembic migration
in order.

The SQL rules judge the end state, not each file, so a policy added three migrations later
counts; the checklist detectors read the same history.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from analyzer.core.model import FileResult
from analyzer.facts.alembic import (
    Alembic,
    alembic_order,
)
from analyzer.facts.summary import PySummary
from analyzer.parsers import sql as q
from analyzer.parsers.supabase_config import SupabaseConfig

DEFAULT_EXPOSED = ("public", "graphql_public")

# Roles that bypass RLS: a policy for them alone opens nothing to API clients.
BYPASS_ROLES = {"service_role", "postgres", "supabase_admin"}

_API_ROLES = {"anon", "authenticated", "public"}

# DATA-1: the last word of the column name says what it holds; words before it
# (`user_`, `smtp_`) do not matter, words after it (`_hash`, `_last4`, `_set_at`)
# say it is something else.
SENSITIVE = re.compile(
    r"(?:^|_)(?P<what>password|passwd|plain_?password|"
    r"card_?number|credit_?card(?:_?number)?|cc_?number|card_?no|pan_number|cvv|cvc|card_?cvv|"
    r"ssn|social_?security(?:_?number)?|national_?id(?:_?number)?|passport_?number|"
    r"api_?key|secret_?key|client_?secret|private_?key)$",
    re.IGNORECASE,
)

PLAIN_TYPES = {
    "text", "varchar", "bpchar", "char", "character", "citext", "json", "jsonb", "name",
    "int2", "int4", "int8", "numeric", "integer", "bigint",
}  # fmt: skip


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
