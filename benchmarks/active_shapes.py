"""Which query and which index count active users exactly within the timeout on a big table.

On the real apps' databases of real_apps.py (1 M users, 20 M activity rows, half of them in the
last 30 days), in a session bounded as tier's are (work_mem 2 MB, hash_mem_multiplier 1, jit
off), each way of counting the distinct users of the last 30 days is run on each set of indexes
on (time, user) and (user, time), with the server's parallel workers and without:

- ``count(DISTINCT)``: ``SELECT count(DISTINCT user) FROM t WHERE at >= ...`` (what init wrote
  before), the same query init's candidate count makes beside ``count(*)``;
- the same with the distinct values sorted inside the aggregate, as PostgreSQL 15 and earlier
  always do (``enable_presorted_aggregate`` off);
- ``GROUP BY`` and ``SELECT DISTINCT``: the distinct users grouped, then counted (a Group or
  Unique node reads presorted input on every version);
- ``EXISTS``: the users of the users table with a row in t in the window (a semi-join, which
  the planner may make a hash join);
- ``LATERAL``: the same, one index probe per user whatever the planner thinks (``LIMIT 1`` in a
  lateral subquery);
- init's count of a candidate table: its rows and its distinct users of the window in one
  query, as ``count(*), count(DISTINCT user)`` and grouped by user;
- the peak (``concurrent_users``, peak.py's window-by-window query, serial form), which needs
  its own index on (time, user): the set of indexes init suggests must keep it fast.

Each is EXPLAINed (ANALYZE, BUFFERS, TIMING OFF) once and then timed ``--repeat`` times; a run
stops at ``--cap-ms`` (the statement timeout). The indexes a set leaves out are dropped inside
the transaction that measures it and come back at its rollback.

    python benchmarks/active_shapes.py --data-dir /tmp/tier-real
    python benchmarks/active_shapes.py --data-dir /tmp/tier-real --postgres 18

The databases are real_apps.py's (built there, or here when missing, with the same options).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from real_apps import FILLERS, ROWS_TABLE, build
from server import server

from tier_cli.config.settings import ActivitySource
from tier_cli.metrics.postgres import peak

DAYS = 30
SINCE = "{at} >= now() - make_interval(days => 30)"
SHAPES = {  # name: (query, settings for it alone)
    "count(DISTINCT)": ("SELECT count(DISTINCT {u}) FROM {t} WHERE " + SINCE, ()),
    "count(DISTINCT) sorted in the aggregate": (  # as PostgreSQL 15 and earlier always do
        "SELECT count(DISTINCT {u}) FROM {t} WHERE " + SINCE,
        ("enable_presorted_aggregate = off",),
    ),
    "GROUP BY": (
        "SELECT count(*) FROM (SELECT {u} FROM {t} WHERE " + SINCE + " GROUP BY {u}) AS a",
        (),
    ),
    "SELECT DISTINCT": (
        "SELECT count({u}) FROM (SELECT DISTINCT {u} FROM {t} WHERE " + SINCE + ") AS a",
        (),
    ),
    "EXISTS": (
        "SELECT count(*) FROM {users} AS u WHERE EXISTS "
        "(SELECT FROM {t} AS e WHERE e.{u} = u.id AND e." + SINCE + ")",
        (),
    ),
    "LATERAL": (
        "SELECT count(*) FROM {users} AS u CROSS JOIN LATERAL "
        "(SELECT FROM {t} AS e WHERE e.{u} = u.id AND e." + SINCE + " LIMIT 1) AS e",
        (),
    ),
    "init's count": ("SELECT count(*), count(DISTINCT {u}) FROM {t} WHERE " + SINCE, ()),
    "init's count grouped": (
        "SELECT coalesce(sum(n), 0), count({u}) FROM (SELECT {u}, count(*) AS n FROM {t} "
        "WHERE " + SINCE + " GROUP BY {u}) AS a",
        (),
    ),
    "peak": ("", ("enable_presorted_aggregate = off",)),  # peak.py's query, as reader.py runs it
}
SETS = {  # the indexes on (time, user) and (user, time) a set keeps; the app's own stay
    "the app's own": (),
    "(time, user)": ("time_user",),
    "(user, time)": ("user_time",),
    "both": ("time_user", "user_time"),
}
BOUNDS = "SET LOCAL work_mem = '2MB'; SET LOCAL hash_mem_multiplier = 1; SET LOCAL jit = off"


def ensure_indexes(url: str, table: str, user: str, at: str, say: Callable[[str], None]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for columns in ((at, user), (user, at)):
            if _index(conn, table, list(columns)) is None:
                began = time.perf_counter()
                conn.execute(
                    sql.SQL("CREATE INDEX ON {} ({})").format(
                        sql.Identifier("public", table),
                        sql.SQL(", ").join(map(sql.Identifier, columns)),
                    )
                )
                say(f"  built ({', '.join(columns)}) in {time.perf_counter() - began:.0f} s")
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier("public", table)))


def _index(conn: psycopg.Connection[Any], table: str, columns: list[str]) -> str | None:
    """The name of a valid, non-partial index on exactly these columns, in this order."""
    row = conn.execute(
        "SELECT i.relname::text FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = to_regclass(%s) AND x.indisvalid AND x.indpred IS NULL "
        "AND x.indnkeyatts = cardinality(%s::text[]) AND ARRAY(SELECT a.attname::text "
        "FROM unnest(x.indkey) WITH ORDINALITY AS k (n, i) JOIN pg_attribute AS a "
        "ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.i) = %s::text[]",
        [f"public.{table}", columns, columns],
    ).fetchone()
    return None if row is None else str(row[0])


def _plan(conn: psycopg.Connection[Any], query: sql.Composable, params: Any) -> dict[str, Any]:
    row = conn.execute(
        sql.SQL("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) ") + query, params
    ).fetchone()
    assert row is not None
    found: dict[str, Any] = row[0][0]
    return found


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def describe(explained: dict[str, Any]) -> str:
    """The plan in one line: its nodes, scans named by index, and the buffers it touched."""
    top = explained["Plan"]
    parts = []
    for node in _nodes(top):
        kind = node["Node Type"]
        if node.get("Index Name"):
            kind += f" {node['Index Name']}"
            if node.get("Actual Loops", 1) > 1:
                kind += f" x{node['Actual Loops']:,}"
        if node.get("Sort Method"):
            kind += f" ({node['Sort Method']})"
        if kind not in parts:
            parts.append(kind)
    hit, read = top.get("Shared Hit Blocks", 0), top.get("Shared Read Blocks", 0)
    temp = top.get("Temp Written Blocks", 0)
    extra = f", temp written {temp * 8 // 1024:,} MB" if temp else ""
    return f"{' > '.join(parts)}; buffers {(hit + read):,}{extra}"


def measure(
    url: str,
    app: str,
    choice: tuple[list[str], list[str]],
    repeat: int,
    cap_ms: int,
    say: Callable[[str], None],
) -> list[dict[str, Any]]:
    """Each shape of ``choice[0]`` on each set of indexes of ``choice[1]``."""
    shapes, sets = choice
    table, user, at = ROWS_TABLE[app]
    ensure_indexes(url, table, user, at, say)
    activity = ActivitySource(f"public.{table}", user, at, 7, 5)
    names = {"t": sql.Identifier("public", table), "u": sql.Identifier(user)}
    names |= {"at": sql.Identifier(at), "users": sql.Identifier("public", "users")}
    out = []
    with psycopg.connect(url) as conn:
        version = conn.info.server_version // 10000
        indexes = {
            "time_user": _index(conn, table, [at, user]),
            "user_time": _index(conn, table, [user, at]),
        }
        conn.rollback()
        for label in sets:
            kept = SETS[label]
            for workers in ("default", "0"):
                conn.execute(BOUNDS)
                if workers == "0":
                    conn.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                for key, index in indexes.items():
                    if key not in kept and index is not None:
                        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))
                for shape in shapes:
                    text, settings = SHAPES[shape]
                    params: dict[str, Any] | None = None
                    if shape == "peak":
                        query: sql.Composable = peak.peak_query(activity)
                        params = peak.peak_params(activity)
                    else:
                        query = sql.SQL(text).format(**names)
                    for setting in settings:
                        conn.execute(f"SET LOCAL {setting}")
                    row = _one(conn, query, params, repeat, cap_ms)
                    row |= {"postgres": version, "app": app, "indexes": label, "workers": workers}
                    row["shape"] = shape
                    for setting in settings:
                        conn.execute(f"SET LOCAL {setting.split(' = ')[0]} TO DEFAULT")
                    say(_line(row))
                    out.append(row)
                conn.rollback()  # the dropped indexes come back
    return out


def _one(
    conn: psycopg.Connection[Any],
    query: sql.Composable,
    params: dict[str, Any] | None,
    repeat: int,
    cap_ms: int,
) -> dict[str, Any]:
    conn.execute(f"SET LOCAL statement_timeout = {cap_ms}")
    conn.execute("SAVEPOINT shape")
    try:
        plan = describe(_plan(conn, query, params))
    except psycopg.errors.QueryCanceled:
        conn.execute("ROLLBACK TO SAVEPOINT shape")
        found = conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) ") + query, params).fetchone()
        plan = describe(found[0][0]) if found else "?"
        return {"ms": None, "value": None, "plan": f"stopped at {cap_ms:,} ms: {plan}"}
    times, value = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        row = conn.execute(query, params).fetchone()
        times.append((time.perf_counter() - began) * 1000)
        value = row[-1] if row else None
    conn.execute("RELEASE SAVEPOINT shape")
    return {"ms": statistics.median(times), "all_ms": times, "value": value, "plan": plan}


def _line(row: dict[str, Any]) -> str:
    ms = "timeout" if row["ms"] is None else f"{row['ms']:,.0f} ms"
    return (
        f"  PG{row['postgres']} {row['app']} [{row['indexes']}, workers {row['workers']}] "
        f"{row['shape']}: {ms} -> {row['value']}; {row['plan']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", default=",".join(FILLERS))
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--postgres", choices=("16", "18"), default="16")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cap-ms", type=int, default=15_000)
    parser.add_argument("--json", type=Path, help="also write every row here")
    args = parser.parse_args()

    def say(line: str) -> None:
        print(line, flush=True)

    rows = []
    with server(args.data_dir, args.postgres) as urls:
        for app in args.apps.split(","):
            url = build(urls, app, args.users, args.rows, say)
            choice = (args.shapes.split(","), args.sets.split(","))
            rows += measure(url, app, choice, args.repeat, args.cap_ms, say)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str), "utf-8")


if __name__ == "__main__":
    main()
