"""The metric table: one row per metric, the one place that defines it.

A row says what the metric is called, how it is read by default (its SQL and what that SQL
needs), how people see it (label, unit) and where it takes part (a tier threshold, the trend,
the peak of the history). Adding a metric is one new row here; the reader, the snapshot, the
tiers.toml validation and the outputs loop over :data:`METRICS`.

Pure and import-light: `tier check --metrics FILE` imports it without psycopg.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, NamedTuple

Source = Literal["count", "table", "peak", "extension", "plain"]


class Metric(NamedTuple):
    """One metric tier reads."""

    name: str
    sql: str  # the default SQL; {schema} is the extension's schema for an extension metric
    label: str  # what it is, in the user's words (README, tiers.toml, reports)
    unit: str  # "users", "MB", "ms", "connections"
    needs: str  # what the default SQL expects, named when it is missing
    speedup: str  # the other fix when it times out: "... or add an index on ..."
    reading: str = ""  # for Metrics.labels: "single reading", ...
    extension: str = ""  # the SQL reads this extension's view from {schema}; unknown without it
    table: str = ""  # the table it reads, for the advice: "users"
    index_columns: tuple[str, ...] = ()  # the columns an index on that table needs
    estimate: bool = False  # count(*) of `table`: the planner's estimate above estimate_above_rows
    peak: bool = False  # [database.activity] replaces it with the peak of a window (peak.py)
    activity: bool = False  # needs a per-user timestamp: unknown when nothing records activity
    threshold: bool = True  # a tier may set a threshold on it
    trend: bool = True  # its growth per week is shown
    history_peak: bool = False  # its highest value in the history is reported beside it


USERS_SQL = "SELECT count(*) FROM users"
ACTIVE_USERS_SQL = (
    "SELECT count(*) FROM users"
    " WHERE last_seen_at >= now() - make_interval(days => %(active_days)s)"
)
CONCURRENT_USERS_SQL = (
    "SELECT count(*) FROM users"
    " WHERE last_seen_at >= now() - make_interval(mins => %(concurrent_minutes)s)"
)
DB_SIZE_MB_SQL = "SELECT pg_database_size(current_database()) / 1048576.0"
SLOW_QUERY_MS_SQL = (
    "SELECT max(mean_exec_time) FROM {schema}.pg_stat_statements"
    " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
DB_CONNECTIONS_SQL = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND backend_type = 'client backend'"
    " AND pid <> pg_backend_pid() AND application_name <> current_setting('application_name')"
)
"""The app's connections: tier's own session, and the helper of a split peak (the same
application_name, [database] application_name), are left out."""

_TABLE_USERS = "a table users with columns created_at and last_seen_at (timestamptz)"
_INDEX = "add an index: CREATE INDEX CONCURRENTLY ON users (last_seen_at)"
_LATER = "try when it is less busy"

METRICS: tuple[Metric, ...] = (
    Metric(
        "users",
        USERS_SQL,
        "registered users (rows in `users`)",
        "users",
        _TABLE_USERS,
        "lower estimate_above_rows under [database] to read the planner's estimate",
        table="users",
        estimate=True,
    ),
    Metric(
        "active_users",
        ACTIVE_USERS_SQL,
        "users seen in the last [database] active_days days",
        "users",
        _TABLE_USERS,
        _INDEX,
        table="users",
        index_columns=("last_seen_at",),
        activity=True,
    ),
    Metric(
        "concurrent_users",
        CONCURRENT_USERS_SQL,
        "users seen in the last [database] concurrent_minutes minutes (or the peak)",
        "users",
        _TABLE_USERS,
        _INDEX,
        reading="single reading",
        table="users",
        index_columns=("last_seen_at",),
        peak=True,
        activity=True,
    ),
    Metric(
        "db_size_mb",
        DB_SIZE_MB_SQL,
        "size of the database",
        "MB",
        "the current database",
        _LATER,
    ),
    Metric(
        "slow_query_ms",
        SLOW_QUERY_MS_SQL,
        "slowest mean statement time in pg_stat_statements",
        "ms",
        "the pg_stat_statements view",
        _LATER,
        extension="pg_stat_statements",
        trend=False,
    ),
    Metric(
        "db_connections",
        DB_CONNECTIONS_SQL,
        "connections to this database now (pg_stat_activity, tier's own left out)",
        "connections",
        "the pg_stat_activity view",
        _LATER,
        threshold=False,
        trend=False,
        history_peak=True,
    ),
)

BY_NAME: Mapping[str, Metric] = MappingProxyType({m.name: m for m in METRICS})
METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)
THRESHOLD_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.threshold)
ACTIVITY_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.activity)

# The metrics the decision's own rules read (advisor.py) and `tier init` writes SQL for.
USERS = BY_NAME["users"].name
CONCURRENT_USERS = BY_NAME["concurrent_users"].name
SCHEMA_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.table)  # read app tables
SLOW_QUERY_MS = BY_NAME["slow_query_ms"].name
DB_SIZE_MB = BY_NAME["db_size_mb"].name
ACTIVE_USERS = BY_NAME["active_users"].name
DB_CONNECTIONS = BY_NAME["db_connections"].name
