"""Build the benchmark's database: a student platform with N users and M activity rows.

Everything is generated inside PostgreSQL (INSERT ... SELECT generate_series), with
setseed(0.42) so that two builds of the same size hold the same data relative to now():

- activity: M events in M / 5 sessions of 5 events, 50 s apart plus up to 40 s of jitter (a
  session lasts about 4 minutes). Sessions are spread over the last 90 days, three times as dense
  today as 90 days ago (the density falls linearly with age), and within a day around 14:00 UTC
  (the sum of three uniform draws: 08:00 to 20:00, most near 14:00). A session that would start
  in the future moves one day back. The user of a session is 1 + floor(N * r^2) for a uniform r:
  low ids are the most active. With M = 20,000,000 about 2.3 M events fall in the last 7 days.
- users: N rows; last_seen_at is the user's last event, else (no event in 90 days) a day 91 to
  360 days ago, or NULL for every fifth of those; created_at is before the first event.
- The recommended indexes (docs/metrics.md): users (last_seen_at) and activity (at, user_id),
  plus the primary keys; then VACUUM ANALYZE, as autovacuum would do in time.
- ``orders``: "random" is the table ``activity`` above (events in random time order on disk);
  "time" is ``activity_by_time``, the same events stored in time order, as an append-only table
  lies on disk, with its (at, user_id) index and no primary key. With both, activity_by_time is a
  sorted copy of activity (the same rows); with "time" alone (the 10x build, where two copies do
  not fit on the disk), the generator's rows are inserted sorted and activity is not built.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg

SCHEMA = """
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    created_at timestamptz NOT NULL,
    last_seen_at timestamptz
);
"""

ACTIVITY_TABLE = """
CREATE TABLE {table} (
    id bigint GENERATED ALWAYS AS IDENTITY,
    user_id bigint NOT NULL,
    at timestamptz NOT NULL
)
"""

BY_TIME = "activity_by_time"
BY_TIME_COPY = f"INSERT INTO {BY_TIME} (user_id, at) SELECT user_id, at FROM activity ORDER BY at"

ACTIVITY = """
INSERT INTO {table} (user_id, at)
SELECT s.user_id, s.start + make_interval(secs => k * 50 + 40 * random())
FROM (
    SELECT r.user_id,
           CASE WHEN c.start > now() - interval '5 minutes' THEN c.start - interval '1 day'
                ELSE c.start END AS start
    FROM (
        SELECT 1 + floor(%(users)s * random() ^ 2)::bigint AS user_id,
               floor(90 * (3 - sqrt(9 - 8 * random())) / 2)::int AS age_days,
               50400 + 14400 * (random() + random() + random() - 1.5) AS day_secs
        FROM generate_series(1, %(sessions)s)
    ) AS r,
    LATERAL (
        SELECT date_trunc('day', now(), 'UTC') - make_interval(days => r.age_days)
               + make_interval(secs => r.day_secs) AS start
    ) AS c
    {where}
) AS s,
generate_series(0, 4) AS k
{order}
"""

USERS = """
INSERT INTO users (id, email, created_at, last_seen_at)
SELECT i,
       'user' || i || '@example.com',
       now() - make_interval(days => 91 + i %% 640),
       coalesce(m.last_at, CASE WHEN i %% 5 <> 0
                                THEN now() - make_interval(days => 91 + (i * 7) %% 270) END)
FROM generate_series(1, %(users)s) AS i
LEFT JOIN (SELECT user_id, max(at) AS last_at FROM {table} GROUP BY user_id) AS m
       ON m.user_id = i
"""

INDEXES = (
    "ALTER TABLE activity ADD PRIMARY KEY (id)",
    "CREATE INDEX ON users (last_seen_at)",
    "CREATE INDEX ON activity (at, user_id)",
)
BY_TIME_INDEX = f"CREATE INDEX ON {BY_TIME} (at, user_id)"


def build(
    url: str,
    users: int,
    events: int,
    say: Callable[[str], None],
    orders: tuple[str, ...] = ("random",),
    recent_days: int | None = None,
) -> dict[str, float]:
    """Create and fill the tables at ``url``; the seconds each step took.

    ``recent_days``: keep only the sessions of the last ``recent_days`` days (the generator still
    draws all ``events / 5`` sessions, so the kept ones are exactly those of the full build).
    """
    steps: dict[str, float] = {}
    random_order = "random" in orders
    first = "activity" if random_order else BY_TIME
    generate = ACTIVITY.format(
        table=first,
        order="" if random_order else "ORDER BY 2",
        where="" if recent_days is None else f"WHERE r.age_days < {int(recent_days)}",
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET work_mem = '256MB'")
        conn.execute(SCHEMA)
        for table in ("activity", BY_TIME) if random_order else (BY_TIME,):
            conn.execute(ACTIVITY_TABLE.format(table=table))
        conn.execute("SELECT setseed(0.42)")
        kept = "" if recent_days is None else f", only those of the last {recent_days} days"
        todo: list[tuple[str, str, dict[str, int] | None]] = [
            (
                f"{first}: {events:,} rows{kept}",
                generate,
                {"users": users, "sessions": events // 5},
            ),
            (f"users: {users:,} rows", USERS.format(table=first), {"users": users}),
            *((s, s, None) for s in (INDEXES if random_order else INDEXES[1:2])),
        ]
        if "time" in orders:
            if random_order:
                todo.append((f"{BY_TIME}: the same rows in time order", BY_TIME_COPY, None))
            todo.append((BY_TIME_INDEX, BY_TIME_INDEX, None))
        tables = [
            "users",
            *(["activity"] if random_order else []),
            *([BY_TIME] if "time" in orders else []),
        ]
        todo.append(("VACUUM ANALYZE", f"VACUUM ANALYZE {', '.join(tables)}", None))
        for name, statement, params in todo:
            say(f"  {name} ...")
            started = time.perf_counter()
            conn.execute(statement, params)
            steps[name] = time.perf_counter() - started
            say(f"  {name}: {steps[name]:.1f} s")
    return steps


FACTS = {
    "users": "SELECT count(*) FROM users",
    "activity rows": "SELECT count(*) FROM activity",
    "activity rows in the last 7 days": (
        "SELECT count(*) FROM activity WHERE at >= now() - interval '7 days' AND at <= now()"
    ),
    "users seen in the last 30 days": (
        "SELECT count(*) FROM users WHERE last_seen_at >= now() - interval '30 days'"
    ),
    "activity table MB": "SELECT pg_table_size('activity') / 1048576",
    "activity indexes MB": "SELECT pg_indexes_size('activity') / 1048576",
    "database MB": "SELECT pg_database_size(current_database()) / 1048576",
}


def facts(url: str) -> dict[str, int]:
    """What the built database holds (exact counts: slow, run once)."""
    with psycopg.connect(url) as conn:
        return {name: _one(conn, query) for name, query in FACTS.items()}


def _one(conn: psycopg.Connection[Any], query: str) -> int:
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0
