"""The index recipes of docs/metrics.md, run where users paste them: the SQL in an autocommit
session, the migration through Alembic's own upgrade, on the real test servers; and `tier init`
suggests the indexes its queries need, and none that exists."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from cli_project import run

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "metrics.md").read_text("utf-8")
SECTION = DOC.split("## Index recipes", 1)[1].split("\n## ", 1)[0]
SQL_RECIPE, MIGRATION = (
    re.search(r"```sql\n(.*?)```", SECTION, re.S).group(1),  # type: ignore[union-attr]
    re.search(r"```python\n(.*?)```", SECTION, re.S).group(1),  # type: ignore[union-attr]
)
EVENTS = """
CREATE TABLE users (id bigserial PRIMARY KEY, created_at timestamptz, last_seen_at timestamptz);
CREATE TABLE events (id bigserial PRIMARY KEY, user_id bigint REFERENCES users (id),
                     at timestamptz NOT NULL);
INSERT INTO users (last_seen_at) SELECT now() FROM generate_series(1, 5);
INSERT INTO events (user_id, at) SELECT 1 + i % 5, now() - make_interval(mins => i)
FROM generate_series(1, 50) AS i;
"""
INDEXES = [("events_at_user_id_idx", True), ("events_user_id_at_idx", True)]


def _statements(script: str) -> list[str]:
    """The recipe's statements, one at a time as psql sends them (several in one query string
    would run in one implicit transaction, where CONCURRENTLY is refused)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def _valid_index(url: str) -> list[tuple[str, bool]]:
    with psycopg.connect(url) as conn:
        return conn.execute(  # type: ignore[return-value]
            "SELECT c.relname::text, x.indisvalid FROM pg_index AS x"
            " JOIN pg_class AS c ON c.oid = x.indexrelid"
            " WHERE x.indrelid = 'events'::regclass AND NOT x.indisprimary ORDER BY 1"
        ).fetchall()


def _schema(url: str, schema: str = EVENTS) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(schema)  # type: ignore[arg-type]


def _run_sql_recipe(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:  # as psql runs it
        for statement in _statements(SQL_RECIPE):
            conn.execute(statement)  # type: ignore[arg-type]


def test_the_sql_recipe_runs_in_a_session_and_twice(pg_db: str) -> None:
    _schema(pg_db)
    _run_sql_recipe(pg_db)
    _run_sql_recipe(pg_db)  # IF NOT EXISTS: safe again
    assert _valid_index(pg_db) == INDEXES


def test_the_sql_recipe_fails_in_a_transaction_as_the_docs_say(pg_db: str) -> None:
    _schema(pg_db)
    with psycopg.connect(pg_db) as conn, pytest.raises(psycopg.errors.ActiveSqlTransaction):
        conn.execute(_statements(SQL_RECIPE)[0])  # type: ignore[arg-type]


def _alembic(pg_db: str, tmp_path: Path, migration: str) -> None:
    from alembic import command
    from alembic.config import Config

    parts = urlsplit(pg_db)
    url = urlunsplit(parts._replace(scheme="postgresql+psycopg"))
    ini = str(tmp_path / "alembic.ini")
    command.init(Config(ini), str(tmp_path / "migrations"))  # alembic's own generic template
    config = Config(ini)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    (tmp_path / "migrations" / "versions" / "a1b2c3d4e5f6_index.py").write_text(migration)
    command.upgrade(config, "head")


def test_the_alembic_recipe_runs_through_alembics_upgrade(pg_db: str, tmp_path: Path) -> None:
    pytest.importorskip("alembic")
    _schema(pg_db)
    _alembic(pg_db, tmp_path, MIGRATION)
    assert _valid_index(pg_db) == INDEXES


def test_without_autocommit_block_alembic_fails_as_the_docs_say(pg_db: str, tmp_path: Path) -> None:
    pytest.importorskip("alembic")
    from sqlalchemy.exc import InternalError

    _schema(pg_db)
    plain = re.sub(
        r"    with op\.get_context\(\)\.autocommit_block\(\):\n((?:        .*\n)+)",
        lambda m: re.sub(r"^    ", "", m.group(1), flags=re.M),
        MIGRATION,
    )
    assert "autocommit_block" not in plain
    with pytest.raises(InternalError, match="cannot run inside a transaction block"):
        _alembic(pg_db, tmp_path, plain)


# A users table without a last-seen column: active_users is counted from events too.
EVENTS_ONLY = EVENTS.replace(", last_seen_at timestamptz", "").replace(
    "INSERT INTO users (last_seen_at) SELECT now()", "INSERT INTO users (created_at) SELECT now()"
)
PEAK = ("the peak's table", '"public"."events" ("at", "user_id")', '("at", "user_id")')
ACTIVE = ("active_users' table", '"public"."events" ("user_id", "at")', '("user_id", "at")')


@pytest.mark.parametrize(
    ("schema", "wanted"),
    [
        pytest.param(EVENTS, [PEAK], id="active-users-from-last-seen-the-peak-from-events"),
        pytest.param(EVENTS_ONLY, [PEAK, ACTIVE], id="both-from-events"),
    ],
)
def test_init_suggests_the_indexes_and_none_that_exists(
    project: Path, pg_db: str, schema: str, wanted: list[tuple[str, str, str]]
) -> None:
    _schema(pg_db, schema)
    (project / "tiers.toml").unlink()
    code, _, summary = run("init", "--database-url", pg_db)
    assert code == 0
    suggested = re.findall(r"index (.*?): CREATE INDEX CONCURRENTLY ON (\S+ \([^)]*\))", summary)
    assert suggested == [(what, statement) for what, statement, _ in wanted]
    _run_sql_recipe(pg_db)
    code, _, summary = run("init", "--force", "--database-url", pg_db)
    assert code == 0
    assert "CREATE INDEX" not in summary
    for what, _, columns in wanted:
        assert f"{what} has its index already: {columns}" in summary
