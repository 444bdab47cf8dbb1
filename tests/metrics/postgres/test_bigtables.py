"""Harmless on big tables, against a real PostgreSQL: estimates, index advice, timeouts.

"Big" is made small here: estimate_above_rows is a setting, and the row limit of the advice
(queryplan.SEQ_SCAN_ADVICE_ROWS) is patched down to 1,000.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import psycopg
import pytest
from as_superuser import collect, one_failure

from tier_cli.config.settings import ActivitySource, DatabaseSettings
from tier_cli.errors import MetricsError
from tier_cli.metrics.postgres import plans as queryplan
from tier_cli.metrics.postgres.sql import ESTIMATE_LABEL

pytestmark = pytest.mark.postgres

ACTIVITY = ActivitySource("activity", "user_id", "at")
MS = r"\d[\d,]* ms"


def _execute(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _schema(url: str, users: int, *, analyze: bool = True, extra: int = 0) -> None:
    """users: ``users`` rows seen over the last 60 days (every 200th in the last 5 minutes),
    then ANALYZE, then ``extra`` more rows the catalog does not know of; activity: 2,000 events
    of the last 2,000 minutes. Autovacuum is off, so pg_class.reltuples stays as set here."""
    _execute(
        url,
        "CREATE TABLE users (id serial PRIMARY KEY, created_at timestamptz DEFAULT now(),"
        " last_seen_at timestamptz) WITH (autovacuum_enabled = off)",
        "INSERT INTO users (last_seen_at) SELECT CASE WHEN i % 200 = 0 THEN now()"
        f" ELSE now() - make_interval(mins => i * 43) END FROM generate_series(1, {users}) AS i",
        "CREATE TABLE activity (id serial PRIMARY KEY, user_id int, at timestamptz)",
        "INSERT INTO activity (user_id, at) SELECT i % 97, now() - make_interval(mins => i)"
        " FROM generate_series(1, 2000) AS i",
        *(["ANALYZE users", "ANALYZE activity"] if analyze else []),
        f"INSERT INTO users (last_seen_at) SELECT NULL FROM generate_series(1, {extra})",
    )


# --- estimates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("above", "analyze", "expected", "label"),
    [
        pytest.param(100, True, 500, ESTIMATE_LABEL, id="estimate-above-the-limit"),
        pytest.param(500, True, 530, None, id="exact-at-the-limit"),
        pytest.param(1_000_000, True, 530, None, id="exact-below-the-limit"),
        pytest.param(1, False, 530, None, id="exact-when-never-analyzed"),
    ],
)
def test_users_is_the_estimate_above_the_limit(
    pg_db: str, above: int, analyze: bool, expected: int, label: str | None
) -> None:
    _schema(pg_db, 500, analyze=analyze, extra=30)  # 530 rows; the catalog knows of 500
    metrics = collect(pg_db, DatabaseSettings(estimate_above_rows=above))
    assert (metrics.get("users"), metrics.labels.get("users")) == (expected, label)


def test_the_estimate_is_reltuples(pg_db: str) -> None:
    _schema(pg_db, 500, extra=30)
    _execute(pg_db, "UPDATE pg_class SET reltuples = 123456 WHERE oid = 'users'::regclass")
    metrics = collect(pg_db, DatabaseSettings(estimate_above_rows=100_000))
    assert (metrics.get("users"), metrics.labels.get("users")) == (123456, ESTIMATE_LABEL)


# --- advice --------------------------------------------------------------------------------------


@pytest.fixture
def small_big(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queryplan, "SEQ_SCAN_ADVICE_ROWS", 1_000)


def _scan(metric: str, table: str, rows: str, index: str) -> str:
    return (
        rf"metric '{metric}' scans {table} sequentially \({rows} rows; {MS}\)\. "
        rf"Tip: CREATE INDEX CONCURRENTLY ON {table} \({index}\)"
    )


@pytest.mark.parametrize(
    ("indexes", "activity", "expected"),
    [
        pytest.param(
            (),
            None,
            [
                _scan("active_users", "users", "2,000", "last_seen_at"),
                _scan("concurrent_users", "users", "2,000", "last_seen_at"),
            ],
            id="users-without-index",
        ),
        pytest.param(("CREATE INDEX ON users (last_seen_at)",), None, [], id="users-indexed"),
        pytest.param(
            ("CREATE INDEX ON users (last_seen_at)",),
            ACTIVITY,
            [_scan("concurrent_users", "activity", "2,000", "at, user_id")],
            id="activity-without-index",
        ),
        pytest.param(
            ("CREATE INDEX ON users (last_seen_at)", "CREATE INDEX ON activity (at)"),
            ACTIVITY,
            [],  # no scan; (at, user_id) is named only when the query is slow
            id="activity-with-an-index-on-at-only",
        ),
        pytest.param(
            ("CREATE INDEX ON users (last_seen_at)", "CREATE INDEX ON activity (at, user_id)"),
            ACTIVITY,
            [],
            id="activity-indexed",
        ),
    ],
)
def test_advice_names_the_missing_index(
    pg_db: str,
    small_big: None,
    indexes: tuple[str, ...],
    activity: ActivitySource | None,
    expected: list[str],
) -> None:
    _schema(pg_db, 2000)
    _execute(pg_db, *indexes, "ANALYZE users", "ANALYZE activity")
    metrics = collect(pg_db, DatabaseSettings(activity=activity))
    assert len(metrics.advice) == len(expected), metrics.advice
    for line, pattern in zip(metrics.advice, expected, strict=True):
        assert re.fullmatch(pattern, line), line


def test_no_advice_on_tables_below_the_limit(pg_db: str) -> None:
    _schema(pg_db, 2000)  # no index anywhere, but 2,000 rows < SEQ_SCAN_ADVICE_ROWS
    assert collect(pg_db, DatabaseSettings(activity=ACTIVITY)).advice == ()


def test_a_slow_query_gets_advice(pg_db: str) -> None:
    """Every default query on a table is slower than 0 ms; custom queries get no advice."""
    _schema(pg_db, 200)
    _execute(pg_db, "CREATE INDEX ON users (last_seen_at)", "CREATE INDEX ON activity (at)")
    settings = DatabaseSettings(
        slow_query_warn_ms=0, activity=ACTIVITY, queries={"active_users": "SELECT 1"}
    )
    advice = collect(pg_db, settings).advice
    expected = [
        rf"metric 'users' took {MS} \(slow_query_warn_ms: 0\)\. Tip: lower estimate_above_rows "
        r"under \[database\] in tiers\.toml: above it, users is the planner's estimate",
        rf"metric 'concurrent_users' took {MS} \(slow_query_warn_ms: 0\)\. "
        r"Tip: CREATE INDEX CONCURRENTLY ON activity \(at, user_id\)",
    ]
    assert len(advice) == 2, advice
    for line, pattern in zip(advice, expected, strict=True):
        assert re.fullmatch(pattern, line), line


def test_a_slow_query_with_its_index(pg_db: str) -> None:
    _schema(pg_db, 200)
    _execute(
        pg_db, "CREATE INDEX ON users (last_seen_at)", "CREATE INDEX ON activity (at, user_id)"
    )
    advice = collect(pg_db, DatabaseSettings(slow_query_warn_ms=0, activity=ACTIVITY)).advice
    assert re.fullmatch(
        rf"metric 'active_users' took {MS} \(slow_query_warn_ms: 0\) although an index on users "
        r"\(last_seen_at\) exists\. Tip: VACUUM ANALYZE users, or raise slow_query_warn_ms under "
        r"\[database\] in tiers\.toml",
        advice[1],
    ), advice
    assert re.fullmatch(
        rf"metric 'concurrent_users' took {MS} \(slow_query_warn_ms: 0\) although an index on "
        r"activity \(at, user_id\) exists\. Tip: shorten lookback_days under "
        r"\[database\.activity\] in tiers\.toml, or VACUUM ANALYZE activity",
        advice[2],
    ), advice


def test_advice_quotes_names(pg_db: str, small_big: None) -> None:
    _schema(pg_db, 10)
    _execute(
        pg_db,
        'CREATE TABLE "Events Log" ("User" int, "At" timestamptz)',
        """INSERT INTO "Events Log" SELECT i, now() - make_interval(mins => i)"""
        " FROM generate_series(1, 1500) AS i",
        'ANALYZE "Events Log"',
    )
    activity = ActivitySource("public.Events Log", "User", "At")
    (line,) = collect(pg_db, DatabaseSettings(activity=activity)).advice
    assert re.fullmatch(
        _scan("concurrent_users", r'public\."Events Log"', "1,500", '"At", "User"'), line
    ), line


# --- timeouts ------------------------------------------------------------------------------------


@pytest.fixture
def locker(pg_db: str) -> Iterator[psycopg.Connection]:
    """A connection that can hold a table's ACCESS EXCLUSIVE lock until the test ends."""
    conn = psycopg.connect(pg_db)
    yield conn
    conn.rollback()
    conn.close()


TIMEOUT = (
    "metric '{metric}': statement timeout after 300 ms. Tip: raise statement_timeout_ms under "
    "[database] in tiers.toml or {speedup}"
)


@pytest.mark.parametrize(
    ("locked", "metric", "speedup"),
    [
        pytest.param(
            "users",
            "users",
            "lower estimate_above_rows under [database] to read the planner's estimate",
            id="users-count",
        ),
        pytest.param(
            "activity",
            "concurrent_users",
            "add an index: CREATE INDEX CONCURRENTLY ON activity (at, user_id)",
            id="peak-explain",
        ),
    ],
)
def test_a_locked_table_times_out_naming_the_metric(
    pg_db: str, locker: psycopg.Connection, locked: str, metric: str, speedup: str
) -> None:
    _schema(pg_db, 10)
    locker.execute(f"LOCK TABLE {locked} IN ACCESS EXCLUSIVE MODE")
    started = time.monotonic()
    with pytest.raises(MetricsError) as caught:
        one_failure(pg_db, DatabaseSettings(statement_timeout_ms=300, activity=ACTIVITY))
    assert time.monotonic() - started < 3
    assert str(caught.value) == TIMEOUT.format(metric=metric, speedup=speedup)


def test_a_peak_timeout_with_its_index_in_place_does_not_ask_for_the_index(
    pg_db: str, locker: psycopg.Connection
) -> None:
    _schema(pg_db, 10)
    _execute(pg_db, "CREATE INDEX ON activity (at, user_id)")
    locker.execute("LOCK TABLE activity IN ACCESS EXCLUSIVE MODE")
    with pytest.raises(MetricsError) as caught:
        one_failure(pg_db, DatabaseSettings(statement_timeout_ms=300, activity=ACTIVITY))
    assert str(caught.value) == TIMEOUT.format(
        metric="concurrent_users",
        speedup="shorten lookback_days under [database.activity] in tiers.toml",
    )


def test_a_slow_peak_query_times_out_naming_the_metric(pg_db: str) -> None:
    _schema(pg_db, 10)
    _execute(
        pg_db,
        "CREATE FUNCTION slowly(int) RETURNS int LANGUAGE plpgsql AS"
        " 'BEGIN PERFORM pg_sleep(0.05); RETURN $1; END'",
        "CREATE VIEW slow_activity AS SELECT slowly(user_id) AS user_id, at FROM activity",
    )
    settings = DatabaseSettings(
        statement_timeout_ms=300, activity=ActivitySource("slow_activity", "user_id", "at")
    )
    with pytest.raises(MetricsError) as caught:
        one_failure(pg_db, settings)
    assert str(caught.value) == TIMEOUT.format(
        metric="concurrent_users",
        speedup="add an index: CREATE INDEX CONCURRENTLY ON slow_activity (at, user_id)",
    )
