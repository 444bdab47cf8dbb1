"""Peak concurrency from an activity table ([database.activity]) against a real PostgreSQL.

Each case builds its own table of events at known offsets from hour marks (aligned for every
window that divides an hour), runs collect, and checks the peak, its window and the label. Each
case runs in both forms of the query: window by window through the index (seq scans disabled
through the URL, as on a big table) and in one pass (no index: what collect falls back to).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from as_superuser import collect, one_failure
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tier_cli.config.settings import ActivitySource, DatabaseSettings
from tier_cli.errors import MetricsError
from tier_cli.metrics.postgres import peak
from tier_cli.metrics.postgres.plans import seq_scans

pytestmark = pytest.mark.postgres

NO_SEQSCAN = "-c enable_seqscan=off"


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


NOW = datetime.now(UTC)
ANCHORS = {
    "old": _hour(NOW - timedelta(days=2)),  # inside 7 days, outside 1 day
    "recent": _hour(NOW - timedelta(hours=3)),
    "future": _hour(NOW + timedelta(hours=2)),
    "day-before": _hour(NOW - timedelta(days=1)).replace(hour=0),  # a day window cut by 1 day
}
ANCHORS["day-of-recent"] = ANCHORS["recent"].replace(hour=0)

Event = tuple[int | None, str, int]  # user, anchor, seconds after it


@dataclass(frozen=True)
class Case:
    events: list[Event]
    peak: int
    at: tuple[str, int] | None  # the peak window's start: anchor, seconds after it
    window: int = 5
    lookback: int = 7
    extra: list[Event] = field(default_factory=list)


CASES = {
    "one-window": Case(
        [(1, "old", 0), (2, "old", 60), (3, "old", 299), (1, "old", 300)], 3, ("old", 0)
    ),
    "boundary-belongs-to-the-next-window": Case(
        [(5, "old", 0), (1, "old", 299), (2, "old", 300), (3, "old", 300), (4, "old", 599)],
        3, ("old", 300),
    ),
    "duplicates-count-once": Case(
        [(1, "old", s) for s in range(0, 250, 50)] + [(2, "old", 10)]
        + [(3, "old", 900), (4, "old", 901), (5, "old", 902)],
        3, ("old", 900),
    ),
    "ties-go-to-the-latest-window": Case(
        [(1, "old", 0), (2, "old", 1), (3, "recent", 600), (4, "recent", 601)], 2, ("recent", 600)
    ),
    "ten-minute-window": Case(
        [(1, "old", 0), (2, "old", 540), (3, "old", 599), (4, "old", 600)], 3, ("old", 0), window=10
    ),
    "older-than-the-lookback-ignored": Case(
        [(u, "old", 0) for u in range(1, 6)] + [(1, "recent", 0), (2, "recent", 30)],
        2, ("recent", 0), lookback=1,
    ),
    "future-events-ignored": Case(
        [(u, "future", 0) for u in range(1, 6)] + [(9, "recent", 0)], 1, ("recent", 0)
    ),
    "null-users-ignored": Case([(None, "old", 0), (None, "old", 1), (1, "old", 2)], 1, ("old", 0)),
    "first-window-cut-at-the-lookback": Case(
        [(u, "day-before", 0) for u in range(1, 4)] + [(9, "recent", 0)],
        1, ("day-of-recent", 0), window=1440, lookback=1,
    ),
    "no-events": Case([], 0, None),
    "only-events-before-the-lookback": Case([(1, "old", 0), (2, "old", 1)], 0, None, lookback=1),
}  # fmt: skip


def _with_options(url: str, options: str) -> str:
    if "://" not in url:
        return make_conninfo(url, options=options)
    return url + ("&" if "?" in url else "?") + urlencode({"options": options}, quote_via=quote)


@pytest.fixture(scope="module")
def events_db(pg_url: str) -> Iterator[str]:
    """A database with a small users table; each test adds its own events table."""
    name = f"tier_peak_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = make_conninfo(pg_url, dbname=name) if "://" not in pg_url else _db(pg_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE users (id int, created_at timestamptz, last_seen_at timestamptz)"
            )
            conn.execute("INSERT INTO users VALUES (1, now(), now()), (2, now(), now())")
        yield url
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _events_table(
    url: str,
    events: list[Event],
    *,
    table: str = "",
    user: str = "user_id",
    at: str = "at",
    indexed: bool = False,
) -> str:
    """A new table of events; returns its name as [database.activity] would write it."""
    name = table or f"events_{uuid.uuid4().hex[:10]}"
    ident = sql.Identifier(*name.split("."))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE TABLE {} (id serial, {} bigint, {} timestamptz NOT NULL)").format(
                ident, sql.Identifier(user), sql.Identifier(at)
            )
        )
        with conn.cursor() as cur:
            cur.executemany(
                sql.SQL("INSERT INTO {} ({}, {}) VALUES (%s, %s)").format(
                    ident, sql.Identifier(user), sql.Identifier(at)
                ),
                [(u, ANCHORS[a] + timedelta(seconds=s)) for u, a, s in events],
            )
        if indexed:
            conn.execute(
                sql.SQL("CREATE INDEX ON {} ({}, {})").format(
                    ident, sql.Identifier(at), sql.Identifier(user)
                )
            )
        conn.execute(sql.SQL("ANALYZE {}").format(ident))
    return name


@pytest.fixture
def forms(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The one_pass argument of every peak query collect builds (EXPLAIN's included)."""
    seen: list[bool] = []
    real = peak.peak_query

    def spy(activity: ActivitySource, *, one_pass: bool = False) -> sql.Composed:
        seen.append(one_pass)
        return real(activity, one_pass=one_pass)

    monkeypatch.setattr(peak, "peak_query", spy)
    return seen


def _label(case: Case) -> str:
    days = "day" if case.lookback == 1 else f"{case.lookback} days"
    what = f"peak of distinct users in a {case.window}-minute window over the last {days}"
    if case.at is None:
        return f"{what}: no events in that time"
    anchor, seconds = case.at
    return f"{what}, at {(ANCHORS[anchor] + timedelta(seconds=seconds)).isoformat()}"


@pytest.mark.parametrize("one_pass", [False, True], ids=["window-by-window", "one-pass"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_peak_on_known_events(
    events_db: str, forms: list[bool], case: Case, one_pass: bool
) -> None:
    table = _events_table(events_db, case.events, indexed=not one_pass)
    url = events_db if one_pass else _with_options(events_db, NO_SEQSCAN)
    activity = ActivitySource(table, "user_id", "at", case.lookback, case.window)
    metrics = collect(url, DatabaseSettings(activity=activity))
    assert (metrics.get("concurrent_users"), metrics.labels["concurrent_users"]) == (
        case.peak,
        _label(case),
    )
    assert forms == [False, one_pass]  # EXPLAIN the window-by-window form, then run one


@pytest.mark.parametrize(
    ("schema", "table", "user", "at"),
    [
        pytest.param("", "Events Log", "user_id", "at", id="space-and-capitals"),
        pytest.param("", "Activity", "User Id", "At", id="quoted-columns"),
        pytest.param("App Data", "App Data.events", "user_id", "at", id="schema-qualified"),
        pytest.param("", "public.events_q", "user_id", "at", id="public-qualified"),
        pytest.param("", "select", "from", "where", id="keywords"),
    ],
)
def test_identifiers_are_quoted(
    events_db: str, schema: str, table: str, user: str, at: str
) -> None:
    if schema:
        with psycopg.connect(events_db, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    events: list[Event] = [(1, "old", 0), (2, "old", 10), (2, "old", 20)]
    _events_table(events_db, events, table=table, user=user, at=at)
    metrics = collect(events_db, DatabaseSettings(activity=ActivitySource(table, user, at)))
    assert metrics.get("concurrent_users") == 2


def test_a_custom_query_wins_over_the_activity_table(events_db: str) -> None:
    table = _events_table(events_db, [(1, "old", 0), (2, "old", 1)])
    settings = DatabaseSettings(
        activity=ActivitySource(table, "user_id", "at"), queries={"concurrent_users": "SELECT 42"}
    )
    metrics = collect(events_db, settings)
    assert metrics.get("concurrent_users") == 42
    assert metrics.labels["concurrent_users"] == "single reading"


def test_without_an_activity_table_it_is_one_reading(events_db: str) -> None:
    metrics = collect(events_db, DatabaseSettings())
    assert (metrics.get("concurrent_users"), metrics.labels["concurrent_users"]) == (
        2,
        "single reading",
    )


FIX = (
    "Tip: fix table, user_column and time_column under [database.activity] in tiers.toml, or "
    "remove that section to read concurrent_users from users.last_seen_at"
)


@pytest.mark.parametrize(
    ("activity", "message"),
    [
        pytest.param(
            ActivitySource("no_such_table", "user_id", "at"),
            "metric 'concurrent_users': relation \"no_such_table\" does not exist; the peak query "
            "reads [database.activity] in tiers.toml: table no_such_table, user_column user_id, "
            f"time_column at (a timestamp). {FIX}",
            id="no-table",
        ),
        pytest.param(
            ActivitySource("nowhere.events", "user_id", "at"),
            "metric 'concurrent_users': relation \"nowhere.events\" does not exist; the peak "
            "query reads [database.activity] in tiers.toml: table nowhere.events, user_column "
            f"user_id, time_column at (a timestamp). {FIX}",
            id="no-schema",
        ),
        pytest.param(
            ActivitySource("{table}", "account_id", "at"),
            "metric 'concurrent_users': column \"account_id\" does not exist; the peak query "
            "reads [database.activity] in tiers.toml: table {table}, user_column account_id, "
            f"time_column at (a timestamp). {FIX}",
            id="no-user-column",
        ),
        pytest.param(
            ActivitySource("{table}", "user_id", "id"),
            "metric 'concurrent_users': operator does not exist: integer >= timestamp with time "
            "zone; the peak query reads [database.activity] in tiers.toml: table {table}, "
            f"user_column user_id, time_column id (a timestamp). {FIX}",
            id="time-column-not-a-timestamp",
        ),
    ],
)
def test_a_wrong_activity_section_is_named(
    events_db: str, activity: ActivitySource, message: str
) -> None:
    table = _events_table(events_db, [(1, "old", 0)])
    activity = ActivitySource(activity.table.format(table=table), *_columns(activity))
    with pytest.raises(MetricsError) as caught:
        one_failure(events_db, DatabaseSettings(activity=activity))
    assert str(caught.value) == message.format(table=table)


def _columns(activity: ActivitySource) -> tuple[str, str]:
    return activity.user_column, activity.time_column


# --- the plan on a modest table ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sixty_days(events_db: str) -> str:
    """60 days of events, 1,440 a day (one a minute, 300 users), indexed and VACUUM ANALYZEd."""
    name = "sixty_days"
    with psycopg.connect(events_db, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {name} (id serial PRIMARY KEY, user_id int, at timestamptz)")
        conn.execute(
            f"INSERT INTO {name} (user_id, at)"
            " SELECT 1 + (i * 7919) % 300, now() - make_interval(mins => i)"
            " FROM generate_series(1, 60 * 1440) AS i"
        )
        conn.execute(f"CREATE INDEX ON {name} (at, user_id)")
        conn.execute(f"VACUUM ANALYZE {name}")
    return name


def _plan(url: str, query: sql.Composable, params: dict[str, Any]) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql.SQL("EXPLAIN (FORMAT JSON, VERBOSE) ") + query, params).fetchone()
    assert row is not None
    return row[0] if not isinstance(row[0], str) else json.loads(row[0])


def test_the_peak_reads_the_index_not_the_table(
    events_db: str, sixty_days: str, forms: list[bool]
) -> None:
    activity = ActivitySource(sixty_days, "user_id", "at")
    plan = _plan(events_db, peak.peak_query(activity), peak.peak_params(activity))
    assert seq_scans(plan) == set()
    assert "Index Only Scan" in json.dumps(plan)
    metrics = collect(events_db, DatabaseSettings(activity=activity))
    assert forms == [False, False, False]  # _plan's, then collect's EXPLAIN and query
    assert metrics.advice == ()
    assert metrics.get("concurrent_users") == 5  # one event a minute, distinct users


def test_both_forms_agree_on_a_modest_table(events_db: str, sixty_days: str) -> None:
    activity = ActivitySource(sixty_days, "user_id", "at", lookback_days=30, window_minutes=15)
    params = peak.peak_params(activity)
    with psycopg.connect(events_db) as conn:
        rows = [
            conn.execute(peak.peak_query(activity, one_pass=one_pass), params).fetchone()
            for one_pass in (False, True)
        ]
    assert rows[0] == rows[1]
    assert rows[0] is not None and rows[0][1] == 15


# --- the sort inside the aggregate (enable_presorted_aggregate off, PostgreSQL 16+) ---------------

NAIVE_SQL = """
SELECT to_timestamp(floor(date_part('epoch', {time}) / %(window_s)s::int) * %(window_s)s::int),
       count(DISTINCT {user}) AS users
FROM {table}
WHERE {time} >= now() - make_interval(days => %(lookback_days)s) AND {time} <= now()
GROUP BY 1
ORDER BY users DESC, 1 DESC
LIMIT 1
"""
"""The definition, plainly: group the lookback's events by aligned window."""


def _needs_the_setting(url: str) -> None:
    with psycopg.connect(url) as conn:
        if conn.info.server_version < peak.SORT_SETTING_FROM:
            pytest.skip("enable_presorted_aggregate is PostgreSQL 16's")


def _naive(activity: ActivitySource) -> sql.Composed:
    return sql.SQL(NAIVE_SQL).format(
        table=sql.Identifier(*peak.table_parts(activity)),
        user=sql.Identifier(activity.user_column),
        time=sql.Identifier(activity.time_column),
    )


@pytest.mark.parametrize("setting", ["on", "off"], ids=["sort-node", "sort-in-aggregate"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_window_form_equals_the_naive_query(events_db: str, case: Case, setting: str) -> None:
    """Both plans of the window-by-window form give the naive query's peak and window, on one
    now() (a transaction's), ties, boundaries and empty lookbacks included."""
    _needs_the_setting(events_db)
    table = _events_table(events_db, case.events, indexed=True)
    activity = ActivitySource(table, "user_id", "at", case.lookback, case.window)
    params = peak.peak_params(activity)
    with psycopg.connect(_with_options(events_db, NO_SEQSCAN)) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        conn.execute(f"SET LOCAL enable_presorted_aggregate = {setting}")
        row = conn.execute(peak.peak_query(activity), params).fetchone()
        naive = conn.execute(_naive(activity), params).fetchone()
    assert row is not None
    assert (row if row[1] else None) == naive
    expected = None if case.at is None else ANCHORS[case.at[0]] + timedelta(seconds=case.at[1])
    assert (row[1], row[0] if row[1] else None) == (case.peak, expected)


def _sort_keys(plan: Any) -> list[str]:
    """The sort keys of every Sort node in a JSON plan."""
    found: list[str] = []
    if isinstance(plan, list):
        for item in plan:
            found += _sort_keys(item)
    elif isinstance(plan, dict):
        if plan.get("Node Type") == "Sort":
            found += plan["Sort Key"]
        for key in ("Plan", "Plans"):
            found += _sort_keys(plan.get(key))
    return found


def test_the_peak_sorts_each_windows_users_in_the_aggregate(
    events_db: str, sixty_days: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """collect() turns enable_presorted_aggregate off for the peak query only: no Sort node
    copies each window's rows (only the top-1 sort of the windows is left), and the setting is
    back to its default for the metrics read after the peak."""
    from tier_cli.metrics.postgres.reader import MetricReader

    _needs_the_setting(events_db)
    activity = ActivitySource(sixty_days, "user_id", "at")
    seen: dict[str, Any] = {}
    real_run = MetricReader.run

    def run(self: MetricReader, name: str, query: Any, *args: Any, **kwargs: Any) -> Any:
        if name == "concurrent_users" and query == peak.peak_query(activity):
            explain = sql.SQL("EXPLAIN (FORMAT JSON) ") + query
            seen["plan"] = self.conn.execute(explain, args[0]).fetchone()
        elif name != "concurrent_users" and "plan" in seen and "after" not in seen:
            seen["after"] = self.conn.execute("SHOW enable_presorted_aggregate").fetchone()
        return real_run(self, name, query, *args, **kwargs)

    monkeypatch.setattr(MetricReader, "run", run)
    metrics = collect(events_db, DatabaseSettings(activity=activity))
    assert metrics.get("concurrent_users") == 5
    assert seen["plan"] is not None
    assert _sort_keys(seen["plan"][0]) == [
        "(count(DISTINCT sixty_days.user_id)) DESC",
        "w.tier_window DESC",
    ]
    assert seen["after"] == ("on",)
