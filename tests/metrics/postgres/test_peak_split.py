"""The split peak (peak.py): two read-only sessions on one snapshot give the serial answer.

Against the real server. SPLIT_ABOVE_ROWS is patched down so that these small tables take the
split form; every case compares it with the serial form on the same data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import psycopg
import pytest
from as_superuser import collect
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tier_cli.config.settings import ActivitySource, DatabaseSettings
from tier_cli.metrics.postgres import peak
from tier_cli.metrics.postgres.reader import MetricReader

pytestmark = pytest.mark.postgres


def _indexed(url: str) -> str:
    """The URL with sequential scans off: these small tables are read as a big one would be."""
    options = "-c enable_seqscan=off"
    if "://" not in url:
        return make_conninfo(url, options=options)
    return url + ("&" if "?" in url else "?") + urlencode({"options": options}, quote_via=quote)


def _events(url: str, rows: list[tuple[int, datetime]]) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE users (id int, created_at timestamptz, last_seen_at timestamptz)"
        )
        conn.execute("CREATE TABLE events (id serial, user_id bigint, at timestamptz NOT NULL)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO events (user_id, at) VALUES (%s, %s)", rows)
        conn.execute("CREATE INDEX ON events (at, user_id)")
        conn.execute("VACUUM ANALYZE events")
    return _indexed(url)


NOW = datetime.now(UTC)


def _spread(count: int, seed: int, days: float) -> list[tuple[int, datetime]]:
    """``count`` events over the last ``days`` days (and a few in the future), users 1-50."""
    span = int(days * 86400)
    return [
        (1 + (i * seed) % 50, NOW - timedelta(seconds=(i * 7919 * seed) % span - 600))
        for i in range(count)
    ]


# (id, events, lookback days, window minutes, parts)
CASES = [
    ("spread-two-parts", _spread(3000, 13, 7), 7, 5, 2),
    ("spread-three-parts", _spread(3000, 13, 7), 7, 5, 3),
    ("peak-in-the-first-part", [(u, NOW - timedelta(days=6)) for u in range(9)], 7, 5, 2),
    ("peak-in-the-last-part", [(u, NOW - timedelta(minutes=3)) for u in range(9)], 7, 5, 2),
    (
        "tie-across-parts-goes-to-the-latest",
        [(u, NOW - timedelta(days=6)) for u in range(4)]
        + [(u, NOW - timedelta(hours=1)) for u in range(4)],
        7,
        5,
        2,
    ),
    ("one-day-hour-windows", _spread(2000, 7, 2), 1, 60, 2),
    ("more-parts-than-windows", _spread(50, 3, 1), 1, 1440, 4),
    ("no-events", [], 7, 5, 2),
]


@pytest.mark.parametrize(
    ("events", "lookback", "window", "parts"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_split_equals_serial(
    pg_db: str,
    monkeypatch: pytest.MonkeyPatch,
    events: list[tuple[int, datetime]],
    lookback: int,
    window: int,
    parts: int,
) -> None:
    url = _events(pg_db, events)
    activity = ActivitySource("events", "user_id", "at", lookback, window)
    settings = DatabaseSettings(activity=activity)
    serial = collect(url, settings)
    split_parts: list[int] = []
    real_part = MetricReader._part

    def part(self: MetricReader, conn: Any, query: Any, params: Any, expected: Any) -> Any:
        split_parts.append(len(params))
        return real_part(self, conn, query, params, expected)

    monkeypatch.setattr(peak, "SPLIT_ABOVE_ROWS", -1)
    monkeypatch.setattr(peak, "PARTS", parts)
    monkeypatch.setattr(MetricReader, "_part", part)
    split = collect(url, settings)
    assert split_parts == [parts - 1]  # the helper read the other parts
    assert split.get("concurrent_users") == serial.get("concurrent_users")
    assert split.labels["concurrent_users"] == serial.labels["concurrent_users"]


def test_the_helper_is_read_only_on_the_same_snapshot(
    pg_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events committed while the peak is read are seen by neither session, and the helper's
    transaction is read-only with the first session's snapshot (and the peak's sort setting)."""
    url = _events(pg_db, [(u, NOW - timedelta(days=5)) for u in range(3)])
    activity = ActivitySource("events", "user_id", "at")
    seen: dict[str, Any] = {}
    real_part = MetricReader._part

    def part(self: MetricReader, conn: Any, query: Any, params: Any, expected: Any) -> Any:
        seen["helper"] = conn.execute(
            "SELECT current_setting('transaction_read_only'),"
            " current_setting('transaction_isolation'), pg_current_snapshot()::text,"
            " current_setting('enable_presorted_aggregate', true)"
        ).fetchone()
        seen["main"] = self.conn.execute("SELECT pg_current_snapshot()::text").fetchone()
        with psycopg.connect(pg_db, autocommit=True) as writer:  # a burst in the helper's part
            writer.execute(
                "INSERT INTO events (user_id, at) SELECT u, now() - interval '1 minute'"
                " FROM generate_series(100, 120) AS u"
            )
        return real_part(self, conn, query, params, expected)

    monkeypatch.setattr(peak, "SPLIT_ABOVE_ROWS", -1)
    monkeypatch.setattr(MetricReader, "_part", part)
    metrics = collect(url, DatabaseSettings(activity=activity))
    assert metrics.get("concurrent_users") == 3  # the burst came after the snapshot
    read_only, isolation, snapshot, presorted = seen["helper"]
    assert (read_only, isolation) == ("on", "repeatable read")
    assert presorted in ("off", None)  # the aggregate sorts the users itself (peak.py); None: < 16
    assert snapshot == seen["main"][0]
    monkeypatch.undo()
    assert collect(url, DatabaseSettings(activity=activity)).get("concurrent_users") == 21


def test_small_lookbacks_stay_serial(pg_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _events(pg_db, _spread(500, 5, 7))
    calls: list[bool] = []
    real = peak.peak_query

    def spy(activity: ActivitySource, *, one_pass: bool = False, part: bool = False) -> Any:
        calls.append(part)
        return real(activity, one_pass=one_pass, part=part)

    monkeypatch.setattr(peak, "peak_query", spy)
    collect(url, DatabaseSettings(activity=ActivitySource("events", "user_id", "at")))
    assert calls == [False, False]  # EXPLAIN, then the serial query: 500 rows are not big


def test_parts_cover_every_window_once() -> None:
    activity = ActivitySource("events", "user_id", "at", 7, 5)
    params = peak.part_params(activity, datetime(2026, 11, 30, 7, 31, 12, 5, tzinfo=UTC), 3)
    bounds = [(p["part_from"], p["part_to"]) for p in params]
    assert bounds[0][0] == "-infinity" and bounds[-1][1] == "infinity"
    assert all(bounds[k][1] == bounds[k + 1][0] for k in range(2))
    cuts = [b[1] for b in bounds[:-1]]
    assert all(isinstance(c, datetime) and c.timestamp() % 300 == 0 for c in cuts)
    assert cuts == sorted(cuts)


def test_the_split_query_is_the_serial_one_with_now_passed_in() -> None:
    activity = ActivitySource("events", "user_id", "at")
    serial = peak.peak_query(activity).as_string(None)
    split = peak.peak_query(activity, part=True).as_string(None)
    assert "now()" not in split and split.count("%(now)s::timestamptz") == serial.count("now()")
    assert (
        split.replace("%(now)s::timestamptz", "now()").replace(
            sql.SQL(peak.PART).as_string(None), ""
        )
        == serial
    )
