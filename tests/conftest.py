"""Shared fixtures: one real PostgreSQL server per test session, a fresh database per test.

The server is TEST_DATABASE_URL when set (a superuser's URL with its password in it: PG* variables
are removed during tests), else a pgserver started once in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

_CALLERS = frozenset(
    {"DATABASE_URL", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS", "TIER_DEBUG", "FORCE_COLOR",
     "NO_COLOR", "CI", "COLUMNS", "LINES", "TERM"}
)  # fmt: skip


@pytest.fixture(autouse=True)
def _hermetic_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No DATABASE_URL, no PGHOST/PGPASSWORD/...; no ~/.pgpass either; and none of the caller's
    CI or terminal settings (a summary file, colours, debug mode) change what tier prints."""
    for name in list(os.environ):
        if name in _CALLERS or name.startswith("PG"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PGPASSFILE", str(Path(__file__).parent / "no-such-pgpass"))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """The URL of a real PostgreSQL server, as a superuser."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from pgserver import postgres_server

        folder = Path(tempfile.mkdtemp(prefix="tier-test-pg-"))
        try:
            server = postgres_server.get_server(folder / "pgdata", cleanup_mode="stop")
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[str]:
    """The URL of a new, empty database on the test server, dropped after the test."""
    name = f"tier_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield _with_database(pg_url, name)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _with_database(url: str, name: str) -> str:
    if "://" not in url:  # a key=value conninfo string
        return make_conninfo(url, dbname=name)
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))
