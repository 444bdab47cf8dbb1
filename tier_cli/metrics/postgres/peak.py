"""The peak of concurrent users, from a table of user events ([database.activity] in tiers.toml).

``concurrent_users`` is then the largest number of distinct users with an event in one window of
``window_minutes`` over the last ``lookback_days`` days. The windows are aligned: they start at
whole multiples of ``window_minutes`` since 2000-01-01 00:00 UTC (for 5 minutes: 14:30:00,
14:35:00, ...), the first is cut at the start of the lookback and the last at ``now()`` (the
start of the transaction). An event at a window's start belongs to that window, not the one
before. The peak is exact for these windows. A burst that straddles a boundary is split between
two windows, so a window at another start could hold more users, at most twice the peak (its
users are those of the two aligned windows it overlaps). Ties go to the latest window.

Two forms of the same query; both give the same answer:

- :data:`WINDOWS_SQL`, the fast one: for each window, one index range scan of an index on
  ``(time_column, user_column)`` (index-only after VACUUM) and a small sort. It reads only the
  events of the lookback, never the whole table, and needs that index.
- :data:`ONE_PASS_SQL` when the planner would scan the table sequentially for every window (no
  index): one pass over the table with a hash of (window, user).

On a big lookback (the planner estimates more than :data:`SPLIT_ABOVE_ROWS` events in it) the
windows are split in :data:`PARTS` runs of consecutive windows, :func:`part_params`, read at the
same time on two read-only sessions that see one snapshot: the metrics transaction is
``REPEATABLE READ READ ONLY``, it exports its snapshot (``pg_export_snapshot()``) and a second
read-only session imports it (``SET TRANSACTION SNAPSHOT``) and reads the later windows, with
the first session's ``now()`` passed in. Every window is in exactly one part and each part
gives its best window under the same order, so the best of the parts is the serial answer.

Each window's ``count(DISTINCT user)`` sorts the window's users; that sort is most of the
query's CPU at scale. From PostgreSQL 16 the planner sorts the rows in a Sort node below the
aggregate, which copies every row first; with ``enable_presorted_aggregate`` off (``SET LOCAL``
for the peak's statements only: :data:`SORT_IN_AGGREGATE`) the aggregate sorts the bare values
itself, as PostgreSQL 15 and earlier always do: the same answer for about 11% less CPU.

The identifiers come from tiers.toml and are quoted (``psycopg.sql.Identifier``); ``table`` may be
schema-qualified (``public.events``): it is split on dots, so a name with a dot in it cannot be
named here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import sql

from tier_cli.config.settings import ActivitySource

WINDOWS_SQL = """
SELECT w.tier_window, c.tier_users
FROM generate_series(
         to_timestamp(
             floor(date_part('epoch', {now} - make_interval(days => %(lookback_days)s))
                   / %(window_s)s::int) * %(window_s)s::int
         ),
         {now},
         make_interval(secs => %(window_s)s::int)
     ) AS w (tier_window)
CROSS JOIN LATERAL (
    SELECT count(DISTINCT {user}) AS tier_users
    FROM {table}
    WHERE {time} >= w.tier_window
      AND {time} < w.tier_window + make_interval(secs => %(window_s)s::int)
      AND {time} >= {now} - make_interval(days => %(lookback_days)s) AND {time} <= {now}
) AS c{part}
ORDER BY c.tier_users DESC, w.tier_window DESC
LIMIT 1
"""
"""The peak window's start and its number of distinct users, window by window."""

ONE_PASS_SQL = """
SELECT to_timestamp(p.tier_bucket * %(window_s)s::int), count(p.tier_user) AS tier_users
FROM (
    SELECT DISTINCT
           floor(date_part('epoch', {time}::timestamptz) / %(window_s)s::int) AS tier_bucket,
           {user} AS tier_user
    FROM {table}
    WHERE {time} >= now() - make_interval(days => %(lookback_days)s) AND {time} <= now()
) AS p
GROUP BY p.tier_bucket
ORDER BY tier_users DESC, p.tier_bucket DESC
LIMIT 1
"""
"""The same answer in one pass over the table (no row at all when there are no events)."""


def table_parts(activity: ActivitySource) -> list[str]:
    """The table's name as its parts: ["public", "events"] for "public.events"."""
    return activity.table.split(".")


def index_columns(activity: ActivitySource) -> list[str]:
    """The index that makes :data:`WINDOWS_SQL` read only the lookback: (time, user)."""
    return [activity.time_column, activity.user_column]


PART = (
    "\nWHERE w.tier_window >= %(part_from)s::timestamptz"
    " AND w.tier_window < %(part_to)s::timestamptz"
)
"""A part of the windows, for the split form: ``part_from <= window start < part_to``."""

SPLIT_ABOVE_ROWS = 2_000_000
"""Split the windows over two sessions above this many events in the lookback (estimated)."""

PARTS = 2

SORT_IN_AGGREGATE = ("SET LOCAL enable_presorted_aggregate = off",)
"""Before the peak query, in each session that reads it (PostgreSQL 16 and later)."""

SORT_DEFAULT = ("SET LOCAL enable_presorted_aggregate TO DEFAULT",)
"""After it, so that the metrics read after the peak plan as they would without tier's setting."""

SORT_SETTING_FROM = 160_000
"""The first server_version with ``enable_presorted_aggregate``."""


def sort_settings(server_version: int, statements: tuple[str, ...]) -> tuple[str, ...]:
    """``statements`` on a server that has the setting, else nothing (PostgreSQL 15 and earlier
    sort inside the aggregate anyway)."""
    return statements if server_version >= SORT_SETTING_FROM else ()


LOOKBACK_ROWS_SQL = "EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} WHERE {time} >= {since}"


def peak_query(
    activity: ActivitySource, *, one_pass: bool = False, part: bool = False
) -> sql.Composed:
    """:data:`WINDOWS_SQL` (or :data:`ONE_PASS_SQL`) for this activity table, quoted.

    ``part``: the windows of one part only, and ``now()`` passed in as ``%(now)s`` (the split
    form; the parameters come from :func:`part_params`).
    """
    now = sql.SQL("%(now)s::timestamptz" if part else "now()")
    return sql.SQL(ONE_PASS_SQL if one_pass else WINDOWS_SQL).format(
        table=sql.Identifier(*table_parts(activity)),
        user=sql.Identifier(activity.user_column),
        time=sql.Identifier(activity.time_column),
        now=now,
        part=sql.SQL(PART if part else ""),
    )


def lookback_rows_query(activity: ActivitySource) -> sql.Composed:
    """The plan of a count of the lookback's events: its top node's rows are the estimate."""
    return sql.SQL(LOOKBACK_ROWS_SQL).format(
        table=sql.Identifier(*table_parts(activity)),
        time=sql.Identifier(activity.time_column),
        since=sql.SQL("now() - make_interval(days => %(lookback_days)s)"),
    )


def part_params(activity: ActivitySource, now: datetime, parts: int) -> list[dict[str, Any]]:
    """The parameters of ``parts`` parts: runs of consecutive windows, about as many in each.

    The boundaries fall on window starts; the first part starts at -infinity and the last ends
    at infinity, so that every window is in exactly one part whatever the rounding.
    """
    window = activity.window_minutes * 60
    since = (now - timedelta(days=activity.lookback_days)).timestamp()
    first = int(since // window) * window
    count = int((now.timestamp() - first) // window) + 1
    cuts = [
        datetime.fromtimestamp(first + window * (count * k // parts), UTC) for k in range(1, parts)
    ]
    bounds: list[datetime | str] = ["-infinity", *cuts, "infinity"]
    return [
        {**peak_params(activity), "now": now, "part_from": bounds[k], "part_to": bounds[k + 1]}
        for k in range(parts)
    ]


def best(rows: list[tuple[datetime, int] | None]) -> tuple[datetime, int] | None:
    """The serial answer from the parts' answers: most users, then the latest window."""
    found = [row for row in rows if row is not None]
    return max(found, key=lambda row: (row[1], row[0])) if found else None


def peak_params(activity: ActivitySource) -> dict[str, Any]:
    return {"lookback_days": activity.lookback_days, "window_s": activity.window_minutes * 60}


def peak_label(activity: ActivitySource, at: datetime | None) -> str:
    """For Metrics.labels: what the number is, and when the peak was (UTC)."""
    days = activity.lookback_days
    what = f"peak of distinct users in a {activity.window_minutes}-minute window over the last " + (
        f"{days} days" if days != 1 else "day"
    )
    if at is None:
        return f"{what}: no events in that time"
    return f"{what}, at {at.astimezone(UTC).isoformat()}"
