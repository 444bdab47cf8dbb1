"""Read one metric after another on collect.py's connection, inside its read-only transaction.

A metric's SQL, best first: a custom query (``[database.queries]`` in tiers.toml: it wins over
everything below, the peak included), the peak from ``[database.activity]`` for
``concurrent_users`` (peak.py), the default SQL (config/metric_table.py).

Default queries on big tables: ``users`` is the planner's estimate (``pg_class.reltuples``,
labelled ``estimate (pg_class.reltuples)``) above ``estimate_above_rows``, and the exact count
below it or when the table was never analyzed. The queries that an index makes fast are
EXPLAINed first (no ANALYZE: nothing runs), and every default query on a table is timed, for the
advice (plans.py). Every statement for a metric (catalog lookup, EXPLAIN, the query) goes
through :meth:`MetricReader.run`, so that a failure, a statement timeout included, names it.
"""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, NamedTuple

import psycopg
from psycopg import pq, sql

from tier_cli.config.metric_table import BY_NAME, EXACT, Metric
from tier_cli.config.settings import ActivitySource, DatabaseSettings
from tier_cli.errors import ConfigError, MetricsError
from tier_cli.metrics.postgres import peak
from tier_cli.metrics.postgres.deadline import Deadline
from tier_cli.metrics.postgres.failures import Expected, default_expected, number, query_failure
from tier_cli.metrics.postgres.plans import TableInfo, advice, seq_scans
from tier_cli.metrics.postgres.sql import (
    ESTIMATE_LABEL,
    TABLE_SQL,
    query_params,
    tagged,
)
from tier_cli.metrics.postgres.url import LOCK_TIMEOUT_MS, WORK_MEM, masked, reason

EXPLAIN = "EXPLAIN (FORMAT JSON, VERBOSE) "
RUN_DEADLINE_MS = 180_000
"""All metrics of a run are read within three minutes: each statement's timeout is the smaller of
statement_timeout_ms and what is left of it, so many statements cannot add up to hours."""
CURSOR = "tier_metric"  # the server-side cursor of a metric query
MAX_ROWS = 2  # rows fetched of a metric query: one is the answer, a second says it is not one


class Reading(NamedTuple):
    """One metric: its value, its label for Metrics.labels, and advice when it was costly."""

    value: float | None
    label: str = ""
    advice: str | None = None
    quality: str = EXACT  # Metrics.quality: "exact", "lower_bound", "single_reading"


class MetricReader:
    """Reads metrics on ``conn``, which is inside a READ ONLY transaction."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        settings: DatabaseSettings,
        password: str,
        helper: Callable[[], psycopg.Connection[Any]] | None = None,
    ) -> None:
        """``helper`` opens a second read-only session for the split peak (peak.py); with
        None the peak is always read on ``conn`` alone."""
        self.conn = conn
        self.settings = settings
        self.password = password
        self.helper = helper
        self.ends_at = time.monotonic() + RUN_DEADLINE_MS / 1000  # one deadline for the run
        self._hash_mem = conn.info.server_version >= 130000  # hash_mem_multiplier: 13 and later

    def read(self, name: str) -> Reading:
        """The metric and its quality: a custom query's and the peak's as [database.quality]
        says (else the default SQL's, and the peak's is exact), the default SQL's as its row
        in the metric table says."""
        custom = self.settings.queries.get(name)
        default = BY_NAME[name]
        declared = self.settings.quality.get(name)
        if custom is not None:
            value = self.number(name, custom, None)
            quality = declared or default.quality
            return Reading(value, _label(value, default.reading), quality=quality)
        if default.peak and self.settings.activity is not None:
            return self._peak(name, self.settings.activity)._replace(quality=declared or EXACT)
        return self._default(name, default)._replace(quality=default.quality)

    def _default(self, name: str, default: Metric) -> Reading:
        if default.extension:
            return self._from_extension(name, default)
        expected = default_expected(default.needs, default.speedup, self.settings)
        if not default.table:
            value = self.number(name, default.sql, expected)
            return Reading(value, _label(value, default.reading))
        return self._measured(name, default, expected)

    def _measured(self, name: str, default: Metric, expected: Expected) -> Reading:
        """A default query on a table: the estimate when it is big, else EXPLAINed and timed."""
        table = self._table(name, [default.table], list(default.index_columns), expected)
        if default.estimate and (table.rows or 0) > self.settings.estimate_above_rows:
            return Reading(table.rows, ESTIMATE_LABEL)
        scanned = False
        if default.index_columns:
            params = query_params(default.sql, name, self.settings)
            plan = self.run(name, EXPLAIN + default.sql, params, expected).fetchone()
            scanned = (table.schema, table.name) in seq_scans(plan[0] if plan else None)
        started = time.perf_counter()
        value = self.number(name, default.sql, expected)
        where = f"under [database] in {self.settings.config_path}"
        tip = f"VACUUM ANALYZE {table.text}, or raise slow_query_warn_ms {where}"
        if not default.index_columns:
            tip = f"lower estimate_above_rows {where}: above it, {name} is the planner's estimate"
        found = self._advice(name, table, scanned, started, tip)
        return Reading(value, _label(value, default.reading), found)

    def _peak(self, name: str, activity: ActivitySource) -> Reading:
        """concurrent_users as the peak of distinct users in a window (peak.py)."""
        where = f"[database.activity] in {self.settings.config_path}"
        columns = f"{activity.time_column}, {activity.user_column}"
        expected = Expected(
            f"the peak query reads {where}: table {activity.table}, user_column "
            f"{activity.user_column}, time_column {activity.time_column} (a timestamp)",
            f"fix table, user_column and time_column under {where}, or remove that section "
            "to read concurrent_users from users.last_seen_at",
            f"add an index on {activity.table} ({columns})",
        )
        parts, index = peak.table_parts(activity), peak.index_columns(activity)
        table = self._table(name, parts, index, expected)
        speedup = (  # the index is there: what is left is less to read
            f"shorten lookback_days under {where}"
            if table.indexed
            else f"add an index: {table.create_index}"
        )
        expected = expected._replace(speedup=speedup)
        params = peak.peak_params(activity)
        plan = self.run(name, sql.SQL(EXPLAIN) + peak.peak_query(activity), params, expected)
        explained = plan.fetchone()
        # A Seq Scan in the window-by-window plan would be repeated for every window.
        scans = seq_scans(explained[0] if explained else None)
        started = time.perf_counter()
        row: tuple[datetime, int] | None
        version = self.conn.info.server_version
        for statement in peak.sort_settings(version, peak.SORT_IN_AGGREGATE):
            self.run(name, statement, None, expected)
        if not scans and self._big_lookback(activity, expected):
            row = self._peak_split(activity, expected)
        else:
            query = peak.peak_query(activity, one_pass=bool(scans))
            row = self.run(name, query, params, expected, prepare=True).fetchone()
        for statement in peak.sort_settings(version, peak.SORT_DEFAULT):
            self.run(name, statement, None, expected)
        at, users = row if row and row[1] else (None, 0)
        tip = f"shorten lookback_days under {where}, or VACUUM ANALYZE {table.text}"
        scanned = (table.schema, table.name) in scans
        found = self._advice(name, table, scanned, started, tip)
        return Reading(float(users), peak.peak_label(activity, at), found)

    def _big_lookback(self, activity: ActivitySource, expected: Expected) -> bool:
        """A helper session can be opened and the planner expects a big lookback."""
        if self.helper is None:
            return False
        query = peak.lookback_rows_query(activity)
        found = self.run("concurrent_users", query, peak.peak_params(activity), expected)
        plan = found.fetchone()
        rows = plan[0][0]["Plan"]["Plan Rows"] if plan else 0
        return bool(rows > peak.SPLIT_ABOVE_ROWS)

    def _peak_split(
        self, activity: ActivitySource, expected: Expected
    ) -> tuple[datetime, int] | None:
        """The peak read in parts at once, on this session and a helper session that imports
        this transaction's snapshot (peak.py); None when no part has a window."""
        name = "concurrent_users"
        # Not in a savepoint: PostgreSQL exports no snapshot from a subtransaction (standbys
        # export since PostgreSQL 10).
        found = self.run(name, "SELECT now(), pg_export_snapshot()", None, expected).fetchone()
        assert found is not None
        now, exported = found[0], sql.Literal(found[1])
        parts = peak.part_params(activity, now, peak.PARTS)
        query = peak.peak_query(activity, part=True)
        assert self.helper is not None
        helper = self.helper()
        version = helper.info.server_version
        try:
            try:
                helper.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                helper.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(exported))
                for statement in peak.sort_settings(version, peak.SORT_IN_AGGREGATE):
                    helper.execute(statement)
            except psycopg.Error as exc:
                failure = query_failure(exc, name, self.settings, self.password, expected)
                raise failure from None
            with ThreadPoolExecutor(1) as pool:
                theirs = pool.submit(self._part, helper, query, parts[1:], expected)
                mine = self.run(name, query, parts[0], expected, prepare=True).fetchone()
                rows = [mine, *theirs.result()]
        finally:
            helper.close()  # its transaction only read: closing rolls it back
        return peak.best(rows)

    def _part(
        self,
        conn: psycopg.Connection[Any],
        query: sql.Composed,
        parts: list[dict[str, Any]],
        expected: Expected,
    ) -> list[Any]:
        try:
            return [conn.execute(tagged(query), part, prepare=True).fetchone() for part in parts]
        except psycopg.Error as exc:
            failure = query_failure(exc, "concurrent_users", self.settings, self.password, expected)
        raise failure  # outside the except block: nothing from psycopg is chained

    def _advice(
        self, name: str, table: TableInfo, scanned: bool, started: float, tip: str
    ) -> str | None:
        return advice(
            name,
            table,
            scanned=scanned,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            warn_ms=self.settings.slow_query_warn_ms,
            slow_tip=tip,
        )

    def _table(
        self, name: str, parts: list[str], columns: list[str], expected: Expected
    ) -> TableInfo:
        row = self.run(name, TABLE_SQL, {"table": parts, "columns": columns}, expected).fetchone()
        assert row is not None  # TABLE_SQL always returns one row
        text, cols, schema, relname, rows, indexed = row
        return TableInfo(text, cols or "", schema, relname, rows, bool(indexed))

    def _from_extension(self, name: str, default: Metric) -> Reading:
        """A metric that needs an extension: unknown when it is missing or unreadable."""
        expected = default_expected(default.needs, default.speedup, self.settings)
        found = self.run(
            name,
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = %(name)s",
            {"name": default.extension},
            expected,
        ).fetchone()
        if found is None:
            return Reading(None, f"{default.extension} not installed")
        query = sql.SQL(default.sql).format(schema=sql.Identifier(found[0]))
        where = f"{self.settings.config_path}: [database.queries] {name}"
        params = query_params(default.sql, name, self.settings)
        self.conn.execute("SAVEPOINT tier_optional")
        try:
            row = self.conn.execute(query, params, prepare=True).fetchone()
        except psycopg.Error as exc:
            if exc.sqlstate is None:  # not the server's answer: the connection is gone
                raise
            why = masked(reason(exc), self.password)
        else:
            self.conn.execute("RELEASE SAVEPOINT tier_optional")
            value = number(row[0] if row else None, where)
            if value is None:
                calls = self.settings.slow_query_min_calls
                return Reading(
                    None,
                    f"no app statement called {calls}+ times since {default.extension} was reset",
                )
            return Reading(value, _label(value, default.reading))
        self.conn.execute("ROLLBACK TO SAVEPOINT tier_optional")
        return Reading(None, f"{default.extension} not readable: {why}")

    def run(
        self,
        name: str,
        query: str | sql.SQL | sql.Composed,
        params: dict[str, Any] | None,
        expected: Expected | None,
        *,
        prepare: bool = False,
    ) -> psycopg.Cursor[Any]:
        """Execute one statement for metric ``name``; every failure becomes a TierError.

        ``expected`` is None for a custom query (its mistakes are the config's).
        """
        left_ms = int((self.ends_at - time.monotonic()) * 1000)
        if left_ms <= 0:
            raise MetricsError(
                f"metric '{name}': the run's deadline ({RUN_DEADLINE_MS // 1000} s for all "
                "metrics) has passed. Tip: make the slow queries cheaper (see the advice of an "
                "earlier run), or lower statement_timeout_ms under [database] in "
                f"{self.settings.config_path}"
            )
        timeout = min(self.settings.statement_timeout_ms, left_ms)
        watch = Deadline(self.conn, timeout)
        try:
            # A query may have changed a session setting (set_config(..., false)) for the ones
            # after it: put tier's back before each statement.
            self.conn.execute(
                f"SET LOCAL statement_timeout = {timeout}; "
                f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}; SET LOCAL work_mem = '{WORK_MEM}'; "
                + ("SET LOCAL hash_mem_multiplier = 1; " if self._hash_mem else "")
                + "SET LOCAL default_transaction_read_only = on"
            )
            with watch:
                return self.conn.execute(tagged(query), params, prepare=prepare)
        except psycopg.Error as exc:
            failure = query_failure(
                exc, name, self.settings, self.password, expected, closed=watch.closed
            )
        raise failure  # outside the except block: nothing from psycopg is chained

    def number(self, name: str, query: str, expected: Expected | None) -> float | None:
        """Run one metric query alone (a prepared statement) and return its number.

        The query runs as a server-side cursor of which at most two rows are fetched (two: to
        tell "one row" from "more"), so no result, however long, fills tier's memory; and a
        cursor is declared only for a SELECT or VALUES, never for a command.
        """
        where = f"{self.settings.config_path}: [database.queries] {name}"
        params = query_params(query, name, self.settings)
        self.run(
            name, f"DECLARE {CURSOR} NO SCROLL CURSOR FOR {query}", params, expected, prepare=True
        )
        cur = self.run(name, f"FETCH FORWARD {MAX_ROWS} FROM {CURSOR}", None, expected)
        rows = cur.fetchall()
        columns = cur.description or []
        self.run(name, f"CLOSE {CURSOR}", None, expected)
        if self.conn.info.transaction_status != pq.TransactionStatus.INTRANS:
            raise ConfigError(
                f"{where}: this query ended the read-only transaction. "
                "Tip: metric queries must be read-only SELECTs"
            )
        if len(columns) != 1 or len(rows) != 1:
            shape = (
                "no result"
                if not columns
                else f"{len(columns)} columns"
                if len(columns) != 1
                else "no row"
                if not rows
                else "more than one row"
            )
            raise ConfigError(
                f"{where}: the query returned {shape}. "
                "Tip: a metric query returns one row with one number (or NULL for unknown)"
            )
        return number(rows[0][0], where, columns[0].type_display)


def _label(value: float | None, label: str) -> str:
    return "query returned NULL" if value is None else label
