"""Benchmark tier: the three speed goals, metric collection on a big database, its plans, CLI runs.

Run: python benchmarks/run.py [--scales 1,2,10] [--data-dir DIR] [--repeat R] [--cli-runs C]
                              [--start-pairs P] [--apply-pairs A] [--venv DIR] [--quick]
                              [--lookback-only] [--peak-only]

Starts an embedded PostgreSQL (pgserver), builds the datasets of benchmarks/dataset.py (scale k:
k x 1,000,000 users and k x 20,000,000 activity rows, stored twice: in random order and in time
order; from 5x up also the events of the last 9 days alone, see below), then prints:

1. tier on the first scale's dataset: collect() from connect to rollback, and each metric read
   alone in one transaction (catalog lookup, EXPLAIN and query), with [database.activity] set to
   activity(user_id, at); min and median milliseconds of R repetitions.
2. The naive baseline on the same data and indexes: plain count(*), count(*) WHERE last_seen_at,
   and the peak as count(DISTINCT user_id) GROUP BY 5-minute window over 7 days.
3. The plans: how each query reads users and activity, and that no tier query scans activity
   sequentially.
4. Whole processes (a cold interpreter each run, median of C runs): `tier check --metrics FILE`
   and `tier recommend --database-url URL --json` beside `python -c "import typer"` and the eager
   imports `python -c "import typer, rich, psycopg, ruamel.yaml"`.
5. collect() again once the two recommended indexes are dropped (then they are rebuilt).
6. Goal 1, start-up (bench_start.py): `tier check --metrics FILE` in sync and out of sync
   against `python -c "import typer"`, tier installed normally in a virtualenv of its own, P
   paired runs, median of the ratios; PASS when <= 1.5.
7. Goal 2, `tier apply` on big files (bench_apply.py --goal): 5,000 against 500 services (<= 11)
   and against a naive ruamel.yaml round trip (<= 0.2), A pairs; peak memory at 5,000.
8. Goal 3, the peak at every scale (peak_scale.py): rows in the lookback, serial and split
   (two read-only sessions on one snapshot) wall and server CPU time, cost per lookback row,
   split = serial; collect() with the default 5 s statement timeout on the largest; 10x
   measured or projected; PASS when the split's wall time is inside 5 s and every collect()
   with the default timeout finished.

With --data-dir DIR the server's folder is kept and its datasets reused by the next run (a
dataset is built once: 1x about 3 minutes on 2 cores and 4 GB of disk); without, a temporary
folder is removed at the end. From 5x up each scale is two databases: the full table in time
order only (200 M events at 10x, 17 GB, 26 minutes here; a random-order copy would double
both), and the lookback-only build in both orders (the generator draws every session of the
full table and keeps those of the last 9 days, exactly the full table's rows in the lookback:
the peak reads only those, through the index). --lookback-only skips the full table; --peak-only
runs goal 3 alone. Not part of the test suite.
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bench_apply  # noqa: E402
import bench_start  # noqa: E402
import peak_scale  # noqa: E402
import psycopg  # noqa: E402
from dataset import INDEXES, facts  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402
from server import ensure, server  # noqa: E402

from tier_cli.config.metric_table import (  # noqa: E402
    ACTIVE_USERS_SQL,
    CONCURRENT_USERS_SQL,
    METRIC_NAMES,
    USERS_SQL,
)
from tier_cli.config.settings import ActivitySource, DatabaseSettings  # noqa: E402
from tier_cli.metrics.postgres import peak  # noqa: E402
from tier_cli.metrics.postgres.collect import collect  # noqa: E402
from tier_cli.metrics.postgres.plans import seq_scans  # noqa: E402
from tier_cli.metrics.postgres.reader import MetricReader  # noqa: E402
from tier_cli.metrics.postgres.url import connection_params  # noqa: E402

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


RECENT_ONLY_FROM = 5  # from here on: the full table in time order, and the last RECENT_DAYS days
RECENT_DAYS = 9


def main() -> None:
    args = _arguments()
    folder = args.data_dir or Path(tempfile.mkdtemp(prefix="tier-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with server(folder) as urls:
            _run(urls, args, folder)
    finally:
        if args.data_dir is None:
            shutil.rmtree(folder, ignore_errors=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scales", default="1", help="dataset sizes, comma-separated: 1,2,10 (default 1)"
    )
    parser.add_argument("--data-dir", type=Path, help="keep the server here; reuse its datasets")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each query")
    parser.add_argument("--cli-runs", type=int, default=7, help="runs of each command")
    parser.add_argument("--start-pairs", type=int, default=30, help="goal 1: pairs of runs")
    parser.add_argument("--apply-pairs", type=int, default=5, help="goal 2: pairs of runs")
    parser.add_argument("--venv", type=Path, help="goal 1: reuse (or create) this virtualenv")
    parser.add_argument("--quick", action="store_true", help="scale 0.1, fewer runs")
    parser.add_argument(
        "--peak-only", action="store_true", help="goal 3 alone (skip sections 1 to 7)"
    )
    parser.add_argument(
        "--lookback-only",
        action="store_true",
        help=f"from {RECENT_ONLY_FROM}x up, skip the full table (its build takes half an hour)",
    )
    args = parser.parse_args()
    args.scales = [float(k) for k in args.scales.split(",")]
    if args.quick:
        args.scales, args.start_pairs, args.apply_pairs, args.repeat = [0.1], 10, 3, 3
    return args


def _datasets(urls: Callable[[str], str], scale: float, full: bool) -> list[peak_scale.Dataset]:
    """The datasets of ``scale``, built unless the server already holds them: from
    RECENT_ONLY_FROM up, the full table in time order (unless not ``full``) and the last
    RECENT_DAYS days in both orders; below, the full table in both orders."""
    users, events = int(scale * 1_000_000), int(scale * 20_000_000)
    base = f"scale_{scale:g}x".replace(".", "_")
    builds: list[tuple[str, tuple[str, ...], int | None]] = []
    if scale < RECENT_ONLY_FROM or full:
        both = scale < RECENT_ONLY_FROM  # at 10x a second full copy doubles a 26-minute build
        builds.append((base, ("random", "time") if both else ("time",), None))
    if scale >= RECENT_ONLY_FROM:
        builds.append((f"{base}_recent", ("random", "time"), RECENT_DAYS))
    found = []
    for name, orders, recent in builds:
        kept = f", only those of the last {recent} days kept" if recent else ""
        print(
            f"\n## Dataset {scale:g}x: {users:,} users, {events:,} activity rows{kept}, "
            f"{' and '.join(orders)} order"
        )
        started = time.perf_counter()
        url = ensure(urls, name, users, events, orders, print, recent)
        print(f"  ready in {time.perf_counter() - started:.0f} s")
        label = f"{scale:g}x" + (f", last {recent} days only" if recent else "")
        found.append(peak_scale.Dataset(label, scale, url, recent is None))
    return found


def _run(urls: Callable[[str], str], args: argparse.Namespace, folder: Path) -> None:
    cores = os.cpu_count()
    with psycopg.connect(urls("postgres")) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"PostgreSQL {version[0] if version else '?'} (pgserver), {cores} cores (load average "
        f"{load}), Python {sys.version.split()[0]}; {args.repeat} repetitions, "
        f"{args.cli_runs} CLI runs"
    )
    datasets = [d for scale in args.scales for d in _datasets(urls, scale, not args.lookback_only)]
    goals = {} if args.peak_only else _sections(datasets[0].url, args, folder)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        "\n## Goal 3: the peak at every scale, serial and split (2 sessions, one snapshot); "
        f"load average {load}"
    )
    measured = [(d, peak_scale.measure(d.url, d.label, args.repeat, print)) for d in datasets]
    largest = max(d.scale for d in datasets)
    finished = True
    for dataset, results in measured:
        for order in results if dataset.scale == largest else ():
            ok, outcome = peak_scale.default_timeout(dataset.url, peak_scale.ORDERS[order])
            finished = finished and ok
            print(
                f"  collect() at {dataset.label}, {order} order, default statement timeout: "
                f"{outcome}"
            )
    goals[3] = peak_scale.verdict(measured, print) and finished
    print(f"\n## Goals (load average now {', '.join(f'{x:.1f}' for x in os.getloadavg())})")
    for number, ok in goals.items():
        print(f"  goal {number}: {'PASS' if ok else 'FAIL'}")


def _sections(url: str, args: argparse.Namespace, folder: Path) -> dict[int, bool]:
    """Sections 1 to 7 on the first dataset: the metrics, plans, processes, goals 1 and 2."""
    print(f"\n## The data ({args.scales[0]:g}x)")
    for name, value in facts(url).items():
        print(f"  {name:<40} {value:>12,}")
    _metrics(url, args.repeat)
    _plans(url)
    _cli(url, args.cli_runs, folder)
    _without_indexes(url, args.repeat)
    goals = {}
    print("\n## Goal 1: tier check --metrics FILE against python -c 'import typer'")
    goals[1] = bench_start.measure(args.venv, args.start_pairs, print)
    print("\n## Goal 2: tier apply on 500 and 5,000 services")
    goals[2] = bench_apply.goal(args.apply_pairs, print)
    return goals


def _metrics(url: str, repeat: int) -> None:
    collect(url, SETTINGS, allow_superuser=True)  # warm the cache, as a second run would find it
    metrics = collect(url, SETTINGS, allow_superuser=True)
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
        _times(lambda: collect(url, SETTINGS, allow_superuser=True), repeat),
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
    """collect() once the recommended indexes are dropped: the fallback and the advice; then the
    indexes are built again (the dataset may be kept for the next run)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP INDEX users_last_seen_at_idx, activity_at_user_id_idx")
    settings = DatabaseSettings(activity=ACTIVITY, statement_timeout_ms=120_000)
    print(f"\n## {'Without the two indexes (ms)':<{WIDTH}} {'min':>9} {'median':>9}")
    _show(
        "tier: collect(), connect to rollback",
        _times(lambda: collect(url, settings, allow_superuser=True), repeat),
    )
    metrics = collect(url, settings, allow_superuser=True)
    print(f"  concurrent_users: {metrics.get('concurrent_users'):,.0f} (the same peak, one pass)")
    for line in metrics.advice:
        print(f"  advice: {line}")
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in INDEXES[1:]:
            conn.execute(statement)
        conn.execute("ANALYZE users, activity")


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
    project.mkdir(exist_ok=True)  # --data-dir: a previous run left it
    shutil.copy(ROOT / "examples" / "render.yaml", project / "render.yaml")
    tiers = (ROOT / "tier_cli" / "data" / "tiers.toml").read_text("utf-8")
    section = (
        '[database.activity]\ntable = "activity"\nuser_column = "user_id"\ntime_column = "at"\n\n'
    )
    assert "\n[database.queries]\n" in tiers
    tiers = tiers.replace("\n[database.queries]\n", f"\n{section}[database.queries]\n", 1)
    (project / "tiers.toml").write_text(tiers, "utf-8")
    metrics = collect(url, SETTINGS, allow_superuser=True)
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
            "--allow-superuser",  # the embedded server's only role is its superuser
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
