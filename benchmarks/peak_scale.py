"""Goal 3: the peak of concurrent users at 1x, 2x and 10x the data, serial and split.

Used by run.py (``--scales``). For each dataset and each order of the events on disk (random,
as the generator writes them; time order, as an append-only table lies), with the recommended
index on (at, user_id):

- the rows in the 7-day lookback;
- the peak read alone by tier's reader inside one REPEATABLE READ READ ONLY transaction:
  serial (one session) and split (the form collect() uses on a big lookback: two read-only
  sessions on one exported snapshot, peak.py), R repetitions, median wall milliseconds, and the
  CPU the server's sessions spent on it (from /proc: the machine is shared, so the wall time
  includes waiting for a core; the CPU time does not);
- the cost per lookback row (serial wall and CPU) and the split's result equal to the serial's;
- collect() with the default statement timeout (5 s): whether it finishes, and in what time.

Goal: at 10x (26 M rows in the lookback) the split peak finishes inside the 5 s statement
timeout, on the wall clock. Where 10x is not measured, the projection from the largest measured
scale is printed as such. Per order, the verdict reads the full table where there is one (time
order at 10x), else the lookback-only build.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import psycopg
from psycopg.conninfo import make_conninfo

from tier_cli.config.settings import ActivitySource, DatabaseSettings
from tier_cli.errors import MetricsError
from tier_cli.metrics.postgres import peak
from tier_cli.metrics.postgres.collect import collect
from tier_cli.metrics.postgres.reader import MetricReader
from tier_cli.metrics.postgres.url import connection_params

TIMEOUT_MS = DatabaseSettings().statement_timeout_ms
TEN_X_ROWS = 26_000_000  # the 10x: 10 M users, 200 M events, 26 M in the lookback
ORDERS = {"random": "activity", "time": "activity_by_time"}
TICK = os.sysconf("SC_CLK_TCK")


class Dataset(NamedTuple):
    """A built database: its label, scale, URL, and whether it holds the full table (else only
    the events of the last days, which are all the peak reads)."""

    label: str
    scale: float
    url: str
    full: bool


def _cpu(pid: int) -> float:
    """Seconds of CPU (user + system) a server process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


@contextmanager
def _session(params: dict[str, Any]) -> Iterator[psycopg.Connection[Any]]:
    conn = psycopg.connect(make_conninfo("", **params), autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def read_peak(url: str, table: str, split: bool) -> tuple[Any, float, float]:
    """(the peak's (window, users), wall seconds, server CPU seconds) of one read by tier."""
    settings = DatabaseSettings(
        activity=ActivitySource(table, "user_id", "at"), statement_timeout_ms=600_000
    )
    params = connection_params(url, settings)
    helpers: list[float] = []  # the CPU each helper session used, read as it closes

    def helper() -> psycopg.Connection[Any]:
        conn = psycopg.connect(make_conninfo("", **params), autocommit=True)
        pid, start, close = conn.info.backend_pid, _cpu(conn.info.backend_pid), conn.close

        def closing() -> None:
            helpers.append(_cpu(pid) - start)
            close()

        conn.close = closing  # type: ignore[method-assign]
        return conn

    with _session(params) as conn:
        pid = conn.info.backend_pid
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        reader = MetricReader(conn, settings, "", helper if split else None)
        threshold = peak.SPLIT_ABOVE_ROWS
        peak.SPLIT_ABOVE_ROWS = -1  # the split form at every size (collect(): above 2 M rows)
        before = _cpu(pid)
        started = time.perf_counter()
        try:
            reading = reader.read("concurrent_users")
        finally:
            peak.SPLIT_ABOVE_ROWS = threshold
        wall = time.perf_counter() - started
        cpu = _cpu(pid) - before + sum(helpers)
        conn.execute("ROLLBACK")
    assert split == bool(helpers), "the split form was not used"
    return (reading.value, reading.label), wall, cpu


def lookback_rows(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            f"SELECT count(*) FROM {table} WHERE at >= now() - interval '7 days' AND at <= now()"
        ).fetchone()
    return int(row[0]) if row else 0


def measure(
    url: str, label: str, repeat: int, say: Callable[[str], None]
) -> dict[str, dict[str, float]]:
    """Print the figures of one dataset; per order: rows, serial/split wall and CPU medians."""
    results: dict[str, dict[str, float]] = {}
    with psycopg.connect(url) as conn:
        present = {
            order: table
            for order, table in ORDERS.items()
            if conn.execute("SELECT to_regclass(%s)", [table]).fetchone() not in (None, (None,))
        }
    for order, table in present.items():
        rows = lookback_rows(url, table)
        read_peak(url, table, False)  # warm the cache, as a second run would find it
        figures: dict[str, list[float]] = {
            "serial": [],
            "serial cpu": [],
            "split": [],
            "split cpu": [],
        }
        answers = set()
        for _ in range(repeat):
            for split in (False, True):
                answer, wall, cpu = read_peak(url, table, split)
                answers.add(answer)
                name = "split" if split else "serial"
                figures[name].append(wall)
                figures[f"{name} cpu"].append(cpu)
        med = {k: statistics.median(v) for k, v in figures.items()}
        fastest = {k: min(v) for k, v in figures.items()}  # the least disturbed by other work
        exact = len(answers) == 1
        results[order] = {"rows": rows, **med}
        say(
            f"  {label}, {order} order: {rows:,} rows in the lookback; peak {answers.pop()[0]:,.0f}"
            f" users; serial {med['serial'] * 1000:,.0f} ms (min {fastest['serial'] * 1000:,.0f};"
            f" server CPU {med['serial cpu'] * 1000:,.0f} ms), split over 2 sessions "
            f"{med['split'] * 1000:,.0f} ms (min {fastest['split'] * 1000:,.0f}; CPU "
            f"{med['split cpu'] * 1000:,.0f} ms); "
            f"{med['serial'] / rows * 1e6:.3f} us a row (CPU {med['serial cpu'] / rows * 1e6:.3f});"
            f" split = serial: {'yes' if exact else 'NO'}"
        )
        if not exact:
            raise SystemExit("the split peak differs from the serial one")
    return results


def default_timeout(url: str, table: str) -> tuple[bool, str]:
    """collect() as users run it: the default statement timeout, the split on a big lookback.
    (Finished, what happened)."""
    settings = DatabaseSettings(activity=ActivitySource(table, "user_id", "at"))
    started = time.perf_counter()
    try:
        collect(url, settings, allow_superuser=True)  # the embedded server: its superuser
    except MetricsError as exc:
        return False, f"FAILED after {time.perf_counter() - started:.1f} s: {exc}"
    return True, f"finished in {time.perf_counter() - started:.1f} s"


def verdict(
    measured: list[tuple[Dataset, dict[str, dict[str, float]]]], say: Callable[[str], None]
) -> bool:
    """Goal 3 at 10x, per order from the largest scale measured (the full table where there is
    one): PASS when the split peak's wall time is inside the default statement timeout. The
    server CPU time halved (two sessions on two cores) is printed beside it."""
    scale = max(dataset.scale for dataset, _ in measured)
    passed = True
    for order in ORDERS:
        found = [(d, r[order]) for d, r in measured if d.scale == scale and order in r]
        if not found:
            continue
        dataset, figures = max(found, key=lambda item: item[0].full)
        factor = TEN_X_ROWS / figures["rows"]
        kind = "measured at" if 0.9 <= factor <= 1.1 else f"x{factor:.1f} projected from"
        wall = figures["split"] * factor * 1000
        cores = figures["split cpu"] / 2 * factor * 1000
        ok = wall < TIMEOUT_MS
        passed = passed and ok
        say(
            f"  10x ({TEN_X_ROWS:,} lookback rows), {order} order, split, {kind} "
            f"{dataset.label}: wall {wall:,.0f} ms (server CPU / 2: {cores:,.0f} ms), "
            f"{'inside' if ok else 'over'} {TIMEOUT_MS:,} ms: {'PASS' if ok else 'FAIL'}"
        )
    return passed
