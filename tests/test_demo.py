"""The demo database: its shape, what collect reads from it, and that nothing is left behind."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from as_superuser import collect

from tier_cli.config.settings import DatabaseSettings
from tier_cli.errors import MetricsError
from tier_cli.metrics.demo import SERVER_PACKAGES, _import_pgserver, demo_database

pytestmark = pytest.mark.postgres

# check -> (SQL returning one value, expected value)
SHAPE: dict[str, tuple[str, object]] = {
    "registered": ("SELECT count(*) FROM users", 2400),
    "teachers": ("SELECT count(*) FROM users WHERE role = 'teacher'", 120),
    "students": ("SELECT count(*) FROM users WHERE role = 'student'", 2280),
    "active-30-days": (
        "SELECT count(*) FROM users WHERE last_seen_at >= now() - interval '30 days'",
        800,
    ),
    "online-5-minutes": (
        "SELECT count(*) FROM users WHERE last_seen_at >= now() - interval '5 minutes'",
        35,
    ),
    "never-seen": ("SELECT count(*) FROM users WHERE last_seen_at IS NULL", 100),
    "created-before-seen": ("SELECT count(*) FROM users WHERE created_at > last_seen_at", 0),
    "activity-events": ("SELECT count(*) FROM activity", 3883),
    "activity-users": ("SELECT count(DISTINCT user_id) FROM activity", 335),
    "activity-last-3-days": (
        "SELECT bool_and(at > now() - interval '3 days' AND at <= now()) FROM activity",
        True,
    ),
    "activity-until-last-seen": (
        "SELECT count(*) FROM activity JOIN users ON users.id = user_id WHERE at > last_seen_at",
        0,
    ),
    "indexes": (
        "SELECT string_agg(indexdef, '; ' ORDER BY indexname) FROM pg_indexes"
        " WHERE indexname IN ('users_last_seen_at', 'activity_at')",
        "CREATE INDEX activity_at ON public.activity USING btree (at); "
        "CREATE INDEX users_last_seen_at ON public.users USING btree (last_seen_at)",
    ),
}

# Every row, with times relative to the fill's now() (the newest last_seen_at): the same in every
# run. SAMPLE changes only when the sample data is changed on purpose.
FINGERPRINT = """
WITH a AS (SELECT max(last_seen_at) AS anchor FROM users)
SELECT (SELECT md5(string_agg(concat_ws('|', id, email, role, anchor - created_at,
                                        anchor - last_seen_at), ',' ORDER BY id))
        FROM users, a)
    || (SELECT md5(string_agg(concat_ws('|', user_id, anchor - at), ',' ORDER BY user_id, at))
        FROM activity, a)
"""
SAMPLE = "05c6001138c282fa1a783025d607f1e472695660473982e9b22539c870d6f4f5"


def _read(url: str, query: str) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def _server_is_gone(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=2).close()
    except psycopg.OperationalError:
        return True
    return False


@pytest.fixture
def tmp_tempdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Make tempfile create its folders in a new folder, to see what the demo leaves there.

    Not under tmp_path: as root, pgserver runs PostgreSQL as another user and opens the folders
    above its data to it, and any pytest run as root sets pytest's tmp root back to 0700.
    """
    _import_pgserver()  # pgserver keeps its lock in a tempfile folder: not this one
    folder = Path(tempfile.mkdtemp(prefix="tier-demo-test-"))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_demo_shape_and_metrics(tmp_tempdir: Path) -> None:
    with demo_database() as url:
        assert [p.name[:10] for p in tmp_tempdir.iterdir()] == ["tier-demo-"]
        got = {check: _read(url, query) for check, (query, _) in SHAPE.items()}
        fingerprint = _read(url, FINGERPRINT)
        metrics = collect(url, DatabaseSettings())
    assert got == {check: expected for check, (_, expected) in SHAPE.items()}
    assert fingerprint == SAMPLE
    assert {name: metrics.get(name) for name in ("users", "active_users", "concurrent_users")} == {
        "users": 2400,
        "active_users": 800,
        "concurrent_users": 35,
    }
    size = metrics.get("db_size_mb")
    assert size is not None and 5 < size < 50
    assert metrics.get("slow_query_ms") is None
    assert metrics.labels["slow_query_ms"] == "pg_stat_statements not installed"
    assert list(tmp_tempdir.iterdir()) == []
    assert _server_is_gone(url)


def test_an_error_inside_stops_and_removes_it(tmp_tempdir: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), demo_database() as url:
        fingerprint = _read(url, FINGERPRINT)
        raise RuntimeError("boom")
    assert list(tmp_tempdir.iterdir()) == []
    assert _server_is_gone(url)
    assert fingerprint == SAMPLE  # the same data in another run


def test_without_pgserver(tmp_tempdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SERVER_PACKAGES:
        monkeypatch.setitem(sys.modules, name, None)  # importing it raises ImportError
    with pytest.raises(MetricsError) as caught, demo_database():
        pass
    assert str(caught.value) == (
        "the demo database needs pgserver, which is not installed. Tip: install tier with its "
        "demo extra: pipx install 'render-tier[demo]' (or pip install 'render-tier[demo]' in "
        "tier's virtualenv)"
    )
    assert caught.value.__context__ is None
    assert list(tmp_tempdir.iterdir()) == []
