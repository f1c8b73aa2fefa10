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

from collections.abc import Iterator, Sequence

from analyzer.checks.registry import repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.facts.sql import (
    BYPASS_ROLES,
    PLAIN_TYPES,
    SENSITIVE,
    histories,
)

# --------------------------------------------------------------------------- replay state


# --------------------------------------------------------------------------- histories


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
            if p.roles and set(p.roles) <= BYPASS_ROLES:
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
                match = SENSITIVE.search(name)
                if not match or col.type not in PLAIN_TYPES or name in t.encrypted:
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
