"""Benchmark tier on a big database: metric collection, its plans, and whole CLI runs.

Run: python benchmarks/run.py [--users N] [--events M] [--repeat R] [--cli-runs C] [--quick]

Starts an embedded PostgreSQL (pgserver) in a temporary folder, builds the dataset of
benchmarks/dataset.py (default 1,000,000 users and 20,000,000 activity rows: about 2 minutes and
3 GB of disk on 2 cores; --quick: 100,000 users and 2,000,000 rows), then prints, as min and
median milliseconds of R repetitions:

1. tier: collect() from connect to rollback, and each metric read alone in one transaction
   (catalog lookup, EXPLAIN and query), with [database.activity] set to activity(user_id, at).
2. The naive baseline on the same data and indexes: plain count(*), count(*) WHERE last_seen_at,
   and the peak as count(DISTINCT user_id) GROUP BY 5-minute window over 7 days, each on an open
   connection (connecting is not timed: compare them with tier's per-metric figures).
3. The plans: how each query reads users and activity, and that no tier query scans activity
   sequentially.
4. Whole processes (a cold interpreter each run, median of C runs): `tier check --metrics FILE`
   and `tier recommend --database-url URL --json` beside `python -c "import typer"` and the eager
   imports `python -c "import typer, rich, psycopg, ruamel.yaml"`.
5. collect() again once the two recommended indexes are dropped: the one-pass fallback of the
   peak, and the advice that names the missing indexes.

The server and its folder are removed at the end. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from dataset import build, facts  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

from tier_cli import peak  # noqa: E402
from tier_cli.metrics.postgres.collect import collect  # noqa: E402
from tier_cli.metrics.postgres.plans import seq_scans  # noqa: E402
from tier_cli.metrics.postgres.reader import MetricReader  # noqa: E402
from tier_cli.metrics.postgres.sql import ACTIVE_USERS_SQL, CONCURRENT_USERS_SQL, USERS_SQL  # noqa: E402
from tier_cli.metrics.postgres.url import connection_params  # noqa: E402
from tier_cli.models import METRIC_NAMES, ActivitySource, DatabaseSettings  # noqa: E402

ACTIVITY = ActivitySource("activity", "user_id", "at")
SETTINGS = DatabaseSettings(activity=ACTIVITY)
PARAMS = {"active_days": 30, "concurrent_minutes": 5}

NAIVE = {
    "users: count(*)": "SELECT count(*) FROM users",
    "active_users: count(*) WHERE last_seen_at": (
        "SELECT count(*) FROM users WHERE last_seen_at >= now() - interval '30 days'"
    ),
    "peak: count(DISTINCT) GROUP BY 5-min window": """
        SELECT max(users) FROM (
            SELECT date_trunc('hour', at) + floor(date_part('minute', at) / 5)
                   * interval '5 minutes' AS w,
                   count(DISTINCT user_id) AS users
            FROM activity WHERE at >= now() - interval '7 days'
            GROUP BY 1
        ) AS windows""",
}
WIDTH = 50


def main() -> None:
    args = _arguments()
    folder = Path(tempfile.mkdtemp(prefix="tier-bench-"))
    try:
        with _server(folder) as url:
            _run(url, args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each query")
    parser.add_argument("--cli-runs", type=int, default=7, help="runs of each command")
    parser.add_argument("--quick", action="store_true", help="100,000 users, 2,000,000 events")
    args = parser.parse_args()
    if args.quick:
        args.users, args.events = 100_000, 2_000_000
    return args


@contextmanager
def _server(folder: Path) -> Iterator[str]:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from pgserver import postgres_server

        server = postgres_server.get_server(folder / "pgdata", cleanup_mode="stop")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


def _run(url: str, args: argparse.Namespace, folder: Path) -> None:
    cores = os.cpu_count()
    with psycopg.connect(url) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    print(
        f"PostgreSQL {version[0] if version else '?'} (pgserver), {cores} cores, Python "
        f"{sys.version.split()[0]}; {args.repeat} repetitions, {args.cli_runs} CLI runs"
    )
    print(f"\n## Build: {args.users:,} users, {args.events:,} activity rows")
    started = time.perf_counter()
    build(url, args.users, args.events, print)
    print(f"  total: {time.perf_counter() - started:.0f} s")
    print("\n## The data")
    for name, value in facts(url).items():
        print(f"  {name:<40} {value:>12,}")
    _metrics(url, args.repeat)
    _plans(url)
    _cli(url, args.cli_runs, folder)
    _without_indexes(url, args.repeat)


def _metrics(url: str, repeat: int) -> None:
    collect(url, SETTINGS)  # warm the cache, as a second run would find it
    metrics = collect(url, SETTINGS)
    print("\n## tier's metrics (one collect)")
    for name in METRIC_NAMES:
        label = metrics.labels.get(name)
        value = metrics.get(name)
        shown = "unknown" if value is None else f"{value:,.1f}".removesuffix(".0")
        print(f"  {name:<18} {shown:>12}  {label or ''}")
    for line in metrics.advice or ("(no advice)",):
        print(f"  advice: {line}")
    print(f"\n## {'Metric queries (ms)':<{WIDTH}} {'min':>9} {'median':>9}")
    _show(
        "tier: collect(), connect to rollback",
        _times(lambda: collect(url, SETTINGS), repeat),
    )
    per_metric: dict[str, list[float]] = {name: [] for name in METRIC_NAMES}
    for _ in range(repeat):
        for name, seconds in _read_each(url).items():
            per_metric[name].append(seconds)
    for name, times in per_metric.items():
        _show(f"tier: {name}", times)
    params = peak.peak_params(ACTIVITY)
    with psycopg.connect(url, autocommit=True) as conn:  # connected before the clock starts
        _show(
            "tier: the peak query alone",
            _times(_query(conn, peak.peak_query(ACTIVITY), params), repeat),
        )
        medians = 0.0
        for name, query in NAIVE.items():
            naive = _times(_query(conn, sql.SQL(query), None), repeat)
            _show(f"naive: {name}", naive)
            medians += statistics.median(naive)
    print(f"  {'naive: the three, sum of the medians':<{WIDTH}} {'':>9} {medians * 1000:>9.1f}")


def _query(
    conn: psycopg.Connection[Any], query: sql.SQL | sql.Composed, params: dict[str, Any] | None
) -> Callable[[], object]:
    return lambda: conn.execute(query, params).fetchall()


def _read_each(url: str) -> dict[str, float]:
    """Each metric read by tier alone, all in one read-only transaction as collect does."""
    params = connection_params(url, SETTINGS)
    times: dict[str, float] = {}
    with psycopg.connect(make_conninfo("", **params), autocommit=True) as conn:
        conn.execute("BEGIN READ ONLY")
        reader = MetricReader(conn, SETTINGS, "")
        for name in METRIC_NAMES:
            started = time.perf_counter()
            reader.read(name)
            times[name] = time.perf_counter() - started
        conn.execute("ROLLBACK")
    return times


def _times(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def _show(name: str, seconds: list[float]) -> None:
    print(
        f"  {name:<{WIDTH}} {min(seconds) * 1000:>9.1f} {statistics.median(seconds) * 1000:>9.1f}"
    )


def _without_indexes(url: str, repeat: int) -> None:
    """collect() once the README's indexes are dropped: the fallback and the advice."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP INDEX users_last_seen_at_idx, activity_at_user_id_idx")
    settings = DatabaseSettings(activity=ACTIVITY, statement_timeout_ms=120_000)
    print(f"\n## {'Without the two indexes (ms)':<{WIDTH}} {'min':>9} {'median':>9}")
    _show("tier: collect(), connect to rollback", _times(lambda: collect(url, settings), repeat))
    metrics = collect(url, settings)
    print(f"  concurrent_users: {metrics.get('concurrent_users'):,.0f} (the same peak, one pass)")
    for line in metrics.advice:
        print(f"  advice: {line}")


def _plans(url: str) -> None:
    print("\n## Plans: how each query reads users and activity (EXPLAIN, no ANALYZE)")
    queries: dict[str, tuple[sql.SQL | sql.Composed, dict[str, Any] | None]] = {
        "tier users (exact below estimate_above_rows)": (sql.SQL(USERS_SQL), None),
        "tier active_users": (sql.SQL(ACTIVE_USERS_SQL), PARAMS),
        "tier concurrent_users, single reading": (sql.SQL(CONCURRENT_USERS_SQL), PARAMS),
        "tier concurrent_users, peak": (peak.peak_query(ACTIVITY), peak.peak_params(ACTIVITY)),
        **{f"naive {name.split(':')[0]}": (sql.SQL(q), None) for name, q in NAIVE.items()},
    }
    scanning = []
    with psycopg.connect(url) as conn:
        for name, (query, params) in queries.items():
            row = conn.execute(
                sql.SQL("EXPLAIN (FORMAT JSON, VERBOSE) ") + query, params
            ).fetchone()
            plan = row[0] if row else None
            print(f"  {name:<{WIDTH}} {'; '.join(_scans(plan))}")
            if name.startswith("tier") and any(t == "activity" for _, t in seq_scans(plan)):
                scanning.append(name)
    print(f"  no tier query scans activity sequentially: {scanning or 'yes'}")


def _scans(plan: object) -> Iterator[str]:
    if isinstance(plan, list):
        for item in plan:
            yield from _scans(item)
    elif isinstance(plan, dict):
        if "Relation Name" in plan:
            using = f" using {plan['Index Name']}" if "Index Name" in plan else ""
            yield f"{plan['Node Type']} on {plan['Relation Name']}{using}"
        for key in ("Plan", "Plans"):
            yield from _scans(plan.get(key))


def _cli(url: str, runs: int, folder: Path) -> None:
    project = folder / "project"
    project.mkdir()
    shutil.copy(ROOT / "examples" / "render.yaml", project / "render.yaml")
    tiers = (ROOT / "tier_cli" / "data" / "tiers.toml").read_text("utf-8")
    section = (
        '[database.activity]\ntable = "activity"\nuser_column = "user_id"\ntime_column = "at"\n\n'
    )
    assert "\n[database.queries]\n" in tiers
    tiers = tiers.replace("\n[database.queries]\n", f"\n{section}[database.queries]\n", 1)
    (project / "tiers.toml").write_text(tiers, "utf-8")
    metrics = collect(url, SETTINGS)
    snapshot = {
        "collected_at": metrics.collected_at.isoformat() if metrics.collected_at else None,
        "metrics": dict(metrics.values),
    }
    (project / "metrics.json").write_text(json.dumps(snapshot), "utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("PG")}
    env["PYTHONPATH"] = str(ROOT)
    python = sys.executable
    commands = {
        'python -c "import typer"': [python, "-c", "import typer"],
        "eager: import typer, rich, psycopg, ruamel.yaml": [
            python,
            "-c",
            "import typer, rich, psycopg, ruamel.yaml",
        ],
        "tier check --metrics FILE": [
            python,
            "-m",
            "tier_cli",
            "check",
            "--metrics",
            "metrics.json",
        ],
        "tier recommend --database-url URL --json": [
            python,
            "-m",
            "tier_cli",
            "recommend",
            "--database-url",
            url,
            "--json",
        ],
    }
    title = f"Whole processes (ms, {runs} cold runs)"
    print(f"\n## {title:<{WIDTH}} {'min':>9} {'median':>9} {'x typer':>8}")
    base = 0.0
    for name, argv in commands.items():
        times, codes = [], set()
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(argv, cwd=project, env=env, capture_output=True, check=False)
            times.append(time.perf_counter() - started)
            codes.add(done.returncode)
        median = statistics.median(times)
        base = base or median
        print(
            f"  {name:<{WIDTH}} {min(times) * 1000:>9.1f} {median * 1000:>9.1f} "
            f"{median / base:>7.2f}x  exit {sorted(codes)}"
        )


if __name__ == "__main__":
    main()
