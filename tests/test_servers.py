"""The test servers are the versions Render runs, and pg_stat_db has pg_stat_statements loaded."""

from __future__ import annotations

import os

import psycopg
import pytest

pytestmark = pytest.mark.postgres


def test_each_server_is_its_version(pg_url: str, request: pytest.FixtureRequest) -> None:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    assert row
    major = int(row[0]) // 10000
    server = request.node.callspec.params["pg_url"]
    if server != "url":
        assert f"pg{major}" == server


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="servers started here")
def test_only_pg18_preloads_pg_stat_statements(pg16_url: str, pg18_url: str) -> None:
    def preloaded(url: str) -> str:
        with psycopg.connect(url) as conn:
            row = conn.execute("SHOW shared_preload_libraries").fetchone()
        return row[0] if row else ""

    assert (preloaded(pg16_url), preloaded(pg18_url)) == ("", "pg_stat_statements")


def test_pg_stat_db_counts_statements(pg_stat_db: str) -> None:
    with psycopg.connect(pg_stat_db, autocommit=True) as conn:
        for _ in range(3):
            conn.execute("SELECT 40 + 2 AS answer_for_the_counter")
        row = conn.execute(
            "SELECT sum(calls) FROM pg_stat_statements"
            " WHERE query LIKE '%answer_for_the_counter%' AND query NOT LIKE '%pg_stat%'"
        ).fetchone()
    assert row and row[0] == 3
