"""SQL migration rules through the real scan: histories replayed in order, on real files."""

from __future__ import annotations

from pathlib import Path

from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, write_tree

CALLS = """\
-- calls placed by agents
create table public.calls (
  id uuid primary key default gen_random_uuid(),
  agent_id uuid references public.agents (id),
  status text not null
);
"""


def _found(root: Path, prefix: str = "SQL") -> set[tuple[str, str, int | None]]:
    return {
        (f.code, f.path, f.line) for f in scan(root, AUDIT).findings if f.code.startswith(prefix)
    }


def test_a_later_migration_fixes_an_earlier_one(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "supabase/migrations/20240101000000_init.sql": CALLS,
            "supabase/migrations/20240301000000_fix.sql": (
                "alter table public.calls enable row level security;\n"
                "create index on public.calls (agent_id);\n"
                'create policy "read own" on public.calls for select to authenticated\n'
                "  using ((select auth.uid()) = agent_id);\n"
            ),
        },
    )
    assert _found(tmp_path) == set()


def test_findings_point_at_the_migration_that_created_the_problem(tmp_path: Path) -> None:
    write_tree(tmp_path, {"supabase/migrations/20240101000000_init.sql": CALLS})
    init = "supabase/migrations/20240101000000_init.sql"
    assert _found(tmp_path) == {("SQL001", init, 2), ("SQL004", init, 4)}


def test_replay_follows_file_name_order_not_discovery_order(tmp_path: Path) -> None:
    # Supabase applies migrations by their timestamp prefix: a later DISABLE wins.
    write_tree(
        tmp_path,
        {
            "supabase/migrations/20240101000000_init.sql": (
                "create table public.notes (id bigint primary key);\n"
                "alter table public.notes enable row level security;\n"
                'create policy "p" on public.notes for select using (true);\n'
            ),
            "supabase/migrations/20240501000000_oops.sql": (
                "alter table public.notes disable row level security;\n"
            ),
        },
    )
    assert _found(tmp_path) == {("SQL001", "supabase/migrations/20240101000000_init.sql", 1)}


def test_dropped_and_renamed_tables(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "supabase/migrations/1_init.sql": (
                "create table public.tmp (x int);\ncreate table public.old (id int primary key);\n"
            ),
            "supabase/migrations/2_cleanup.sql": (
                "drop table if exists public.tmp;\nalter table public.old set schema private;\n"
            ),
        },
    )
    assert _found(tmp_path) == set()


def test_an_unparsable_statement_is_a_note_and_the_rest_is_read(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "supabase/migrations/1_init.sql": (
                "create table public.a (id int primary key);\n"
                "alter table public.a enable row level security;\n"
                "create polcy oops on public.a;\n"
                "create table public.b (x text);\n"
            ),
        },
    )
    findings = scan(tmp_path, AUDIT).findings
    notes = [(f.code, f.line) for f in findings if f.code == "PR001"]
    assert notes == [("PR001", 3)]
    assert ("SQL005", 4) in {(f.code, f.line) for f in findings}


def test_seed_and_test_sql_are_not_the_schema(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "supabase/seed.sql": "create table public.scratch (x text);\nINSERT garbage;\n",
            "queries/report.sql": "select * from calls where",
        },
    )
    assert [f.code for f in scan(tmp_path, AUDIT).findings] == []


def test_plain_postgres_migrations_get_no_rls_rules(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "db/migrations/001_init.sql": CALLS,
            "db/migrations/001_init.down.sql": "drop table calls;",
        },
    )
    assert {c for c, _, _ in _found(tmp_path)} == {"SQL004"}


def test_exposed_schemas_come_from_config_toml(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "supabase/config.toml": '[api]\nschemas = ["api"]\n',
            "supabase/migrations/1_init.sql": (
                "create table public.internal (id int primary key);\n"
                "create table api.items (id int primary key);\n"
            ),
        },
    )
    assert _found(tmp_path) == {("SQL001", "supabase/migrations/1_init.sql", 2)}


def test_dynamic_rls_in_a_do_block_silences_the_missing_rls_rule(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "supabase/migrations/1_init.sql": (
                "create table public.a (id int primary key);\n"
                "do $$ declare t text; begin\n"
                "  for t in select tablename from pg_tables where schemaname = 'public' loop\n"
                "    execute format('alter table %I enable row level security', t);\n"
                "  end loop; end $$;\n"
            ),
        },
    )
    assert "SQL001" not in {c for c, _, _ in _found(tmp_path)}


def test_policy_always_true_on_write_only(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "supabase/migrations/1_init.sql": (
                "create table public.a (id int primary key);\n"
                "alter table public.a enable row level security;\n"
                'create policy "read" on public.a for select using (true);\n'
                'create policy "server" on public.a for all to service_role using (true);\n'
                'create policy "upd" on public.a for update to authenticated using (true);\n'
            ),
        },
    )
    assert _found(tmp_path) == {("SQL003", "supabase/migrations/1_init.sql", 5)}


def test_alembic_revisions_in_down_revision_order(tmp_path: Path) -> None:
    header = 'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "{rev}"\ndown_revision = {down}\n\n\n'
    write_tree(
        tmp_path,
        {
            # file names sort against the revision order on purpose
            "alembic/versions/b_first.py": header.format(rev="aaa", down="None")
            + "def upgrade():\n"
            + '    op.create_table("agents", sa.Column("id", sa.Integer(), primary_key=True))\n'
            + "    op.create_table(\n"
            + '        "calls",\n'
            + '        sa.Column("id", sa.Integer(), nullable=False),\n'
            + '        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id")),\n'
            + '        sa.Column("api_key", sa.String(64)),\n'
            + "    )\n",
            "alembic/versions/a_second.py": header.format(rev="bbb", down='"aaa"')
            + "def upgrade():\n"
            + '    op.create_primary_key("calls_pkey", "calls", ["id"])\n'
            + '    op.create_index("ix_calls_agent_id", "calls", ["agent_id"])\n'
            + '    op.drop_column("calls", "api_key")\n',
        },
    )
    assert _found(tmp_path) == set()
    (tmp_path / "alembic/versions/a_second.py").unlink()
    assert _found(tmp_path) == {
        ("SQL004", "alembic/versions/b_first.py", 13),
        ("SQL005", "alembic/versions/b_first.py", 10),
        ("SQL006", "alembic/versions/b_first.py", 14),
    }


def test_alembic_execute_sql_is_parsed(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "migrations/versions/0001_init.py": (
                "from alembic import op\n\nrevision = '1'\ndown_revision = None\n\n\n"
                "def upgrade():\n"
                '    op.execute("""\n'
                "        create table users (id int primary key, password varchar(200))\n"
                '    """)\n'
            ),
        },
    )
    assert _found(tmp_path) == {("SQL006", "migrations/versions/0001_init.py", 9)}
