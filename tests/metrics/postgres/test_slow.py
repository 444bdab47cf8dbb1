"""slow_query_ms on a real PostgreSQL 18 with pg_stat_statements loaded: the calls-weighted p95
of the mean times of the app's repeated statements, without one-offs, utility statements,
pg_sleep, tier's own queries or other roles' maintenance."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from as_superuser import collect

from tier_cli.config.settings import DatabaseSettings

pytestmark = pytest.mark.postgres

FAST = "SELECT count(*) FROM items WHERE id = 7"
MEDIUM = "SELECT count(*) FROM generate_series(1, 100000) AS medium"
RARE = "SELECT count(*) FROM generate_series(1, 400000) AS rare"  # slower, but called 10 times


def _as(url: str, role: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rpartition('@')[2]}"))


@pytest.fixture
def app_role(pg_stat_db: str) -> Iterator[str]:
    """The app's own role (no superuser), with a table, as Render's default user would be."""
    role = f"tier_app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_stat_db, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")  # type: ignore[arg-type]
        admin.execute(f"GRANT ALL ON SCHEMA public TO {role}")  # type: ignore[arg-type]
    try:
        yield _as(pg_stat_db, role)
    finally:
        with psycopg.connect(pg_stat_db, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")  # type: ignore[arg-type]
            admin.execute(f"DROP ROLE {role}")  # type: ignore[arg-type]


def _load(app: str, fast: int, medium: int) -> None:
    """What the app did since the statistics were reset: its migration (DDL, COPY), one slow
    pg_sleep, a rare slow report, and the statements users wait for."""
    with psycopg.connect(app, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
        with conn.cursor().copy("COPY items FROM STDIN") as copy:
            for i in range(2000):
                copy.write_row((i, f"item {i}"))
        conn.execute("CREATE INDEX ON items (title)")
        conn.execute("VACUUM ANALYZE items")
        conn.execute("SELECT pg_sleep(0.1)")
        for _ in range(10):
            conn.execute(RARE)
        for _ in range(fast):
            conn.execute(FAST)
        for _ in range(medium):
            conn.execute(MEDIUM)


def _means(url: str) -> dict[str, tuple[float, int]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT query, mean_exec_time, calls FROM pg_stat_statements"
            " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchall()
    return {q: (m, c) for q, m, c in rows}


def _find(means: dict[str, tuple[float, int]], marker: str) -> tuple[float, int]:
    (found,) = [v for q, v in means.items() if marker in q]
    return found


def _reset(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")


@pytest.mark.parametrize(
    ("fast", "medium", "expected"),
    [
        pytest.param(400, 30, "medium", id="medium-is-7-percent-of-calls-so-the-p95"),
        pytest.param(400, 20, "fast", id="medium-is-under-5-percent-of-calls"),
    ],
)
def test_the_p95_of_the_apps_repeated_statements(
    pg_stat_db: str, app_role: str, fast: int, medium: int, expected: str
) -> None:
    _reset(pg_stat_db)
    _load(app_role, fast, medium)
    value = collect(pg_stat_db, DatabaseSettings()).get("slow_query_ms")
    means = _means(pg_stat_db)
    fast_mean, fast_calls = _find(means, "items WHERE id")
    medium_mean, medium_calls = _find(means, "AS medium")
    rare_mean, rare_calls = _find(means, "AS rare")
    sleep_mean, _ = _find(means, "pg_sleep")
    assert (fast_calls, medium_calls, rare_calls) == (fast, medium, 10)
    assert value == pytest.approx(medium_mean if expected == "medium" else fast_mean)
    assert value < sleep_mean and value < rare_mean  # neither the one-off nor the rare report
    copy_mean, _ = _find(means, "COPY items")
    assert copy_mean != value


def test_min_calls_is_a_setting(pg_stat_db: str, app_role: str) -> None:
    _reset(pg_stat_db)
    _load(app_role, 50, 0)
    means = _means(pg_stat_db)
    settings = DatabaseSettings(slow_query_min_calls=10)
    value = collect(pg_stat_db, settings).get("slow_query_ms")
    assert value == pytest.approx(_find(means, "AS rare")[0])  # 10 of 60 calls: above the p95


def test_unknown_when_nothing_qualifies(pg_stat_db: str, app_role: str) -> None:
    _reset(pg_stat_db)
    with psycopg.connect(app_role, autocommit=True) as conn:
        conn.execute("SELECT pg_sleep(0.05)")
        for _ in range(30):
            conn.execute("SELECT pg_sleep(0.001)")  # pg_sleep never counts
    metrics = collect(pg_stat_db, DatabaseSettings())
    assert metrics.get("slow_query_ms") is None
    assert metrics.labels["slow_query_ms"] == (
        "no app statement called 20+ times since pg_stat_statements was reset"
    )
    assert metrics.quality_of("slow_query_ms") == "unknown"


def test_tiers_own_queries_do_not_count(pg_stat_db: str, app_role: str) -> None:
    """tier read 25 times as the app's own role (no monitoring role): its statements are that
    role's too, and left out by their tag; the app's still count."""
    _reset(pg_stat_db)
    _load(app_role, 40, 0)
    for _ in range(25):
        value = collect(app_role, DatabaseSettings()).get("slow_query_ms")
    means = _means(pg_stat_db)
    assert value == pytest.approx(_find(means, "items WHERE id")[0])
    tiers = [v for q, v in means.items() if q.endswith("/* tier */")]
    assert tiers and all(calls % 25 == 0 for _, calls in tiers)  # once a run or more: left out
