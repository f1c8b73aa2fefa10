"""Evidence in migration histories: row level security, keys, indexes, partitions, encryption.

Each claim is about the end state of a whole history, replayed exactly as the
SQL rules replay it (analyzer.checks.sql.histories), so a table created in
one migration and protected in a later one counts, and a table dropped again
does not. A claim "on every table" needs at least one table to be about.
"""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.core.model import Evidence
from analyzer.evidence.core import detector
from analyzer.facts.repo import RepoView
from analyzer.facts.sql import History, Table, histories
from analyzer.parsers.sql import CreateTable, SqlFile

_API_ROLES = {"anon", "authenticated"}


def _histories(repo: RepoView) -> list[History]:
    return histories(repo.results)


def _server_only(t: Table) -> bool:
    """API roles revoked: the table is reachable with the service role alone."""
    return t.revoked >= _API_ROLES or "public" in t.revoked


@detector("AUTH-2")
def row_level_security(repo: RepoView) -> Iterator[Evidence]:
    """Every table the Data API exposes has RLS on, and policies (or no API access at all)."""
    for h in _histories(repo):
        if not h.supabase or h.state.dynamic_rls:
            continue
        exposed = [t for t in h.state.tables.values() if t.schema in h.exposed and not t.partition]
        with_policy = {table for table, _ in h.state.policies}
        if not exposed or any(
            t.rls is None or (t.name not in with_policy and not _server_only(t)) for t in exposed
        ):
            continue
        first = min((t for t in exposed if t.rls), key=lambda t: t.rls or ("", 0))
        path, line = first.rls or (first.path, first.line)
        policies = sum(1 for table, _ in h.state.policies if table in {t.name for t in exposed})
        yield Evidence(
            "AUTH-2",
            f"row level security on every API-exposed table ({len(exposed)}), "
            f"with {policies} policies (tables without one have API access revoked)",
            path,
            line,
        )


@detector("DB-1")
def foreign_key_indexes(repo: RepoView) -> Iterator[Evidence]:
    """Every foreign key of a history is the leading part of an index or key."""
    for h in _histories(repo):
        tables = list(h.state.tables.values())
        fks = [(t, path, fk) for t in tables for path, fk in t.foreign_keys]
        if not fks:
            continue
        if all(_indexed(t, fk.columns) for t, _, fk in fks):
            _, path, fk = fks[0]
            yield Evidence(
                "DB-1",
                f"every foreign key ({len(fks)}) has an index starting with its columns",
                path,
                fk.line,
            )


def _indexed(t: Table, columns: tuple[str, ...]) -> bool:
    n = len(columns)
    prefixes = [*t.keys, *(tuple(c or "" for c in cols) for cols in t.indexes.values())]
    return any(set(p[:n]) == set(columns) for p in prefixes)


@detector("DB-5")
def primary_keys(repo: RepoView) -> Iterator[Evidence]:
    for h in _histories(repo):
        tables = [t for t in h.state.tables.values() if not t.partition]
        if tables and all(t.primary_key for t in tables):
            first = tables[0]
            yield Evidence(
                "DB-5",
                f"a primary key on every table ({len(tables)}) of the migration history",
                first.path,
                first.line,
            )


@detector("DB-3")
def partitions(repo: RepoView) -> Iterator[Evidence]:
    """A partitioned table (`PARTITION BY`) or a partition (`PARTITION OF`) that still exists.

    A parent counts by itself: pg_partman and similar tools create its
    partitions at run time, so no `PARTITION OF` need be in the migrations.
    """
    alive = {(t.name, t.path, t.line) for h in _histories(repo) for t in h.state.tables.values()}
    for r in repo.of_kind("sql"):
        if not isinstance(r.facts, SqlFile):
            continue
        for op in r.facts.ops:
            if (
                isinstance(op, CreateTable)
                and op.partitioned
                and (op.table, r.path, op.line) in alive
            ):
                yield Evidence(
                    "DB-3", f"partitioned table {op.table} (`PARTITION BY`)", r.path, op.line
                )
    for h in _histories(repo):
        for t in h.state.tables.values():
            if t.partition:
                yield Evidence(
                    "DB-3", f"partitioned table: {t.name} is a partition", t.path, t.line
                )
                break


@detector("DATA-1")
def encrypted_columns(repo: RepoView) -> Iterator[Evidence]:
    for h in _histories(repo):
        for t in h.state.tables.values():
            for column in sorted(t.encrypted):
                if column in t.columns:
                    path, col = t.columns[column]
                    yield Evidence(
                        "DATA-1",
                        f"column {t.name}.{column} is encrypted at rest (pgsodium label)",
                        path,
                        col.line,
                    )
