"""The metric table: one row per metric, the one place that defines it.

A row says what the metric is called, how it is read by default (its SQL and what that SQL
needs), how people see it (label, unit) and where it takes part (a tier threshold, the trend,
the peak of the history). Adding a metric is one new row here; the reader, the snapshot, the
tiers.toml validation and the outputs loop over :data:`METRICS`.

Pure and import-light: `tier check --metrics FILE` imports it without psycopg.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, NamedTuple

Source = Literal["count", "table", "peak", "extension", "plain"]

# How far a value can be trusted, said beside it in every output (README, "Metrics"):
EXACT = "exact"  # measured as defined
LOWER_BOUND = "lower_bound"  # a proxy that can only undercount (items created, profile edits)
SINGLE_READING = "single_reading"  # a count at one instant, not the peak over a lookback
UNKNOWN = "unknown"  # not measured
EDIT_COLUMNS = ("updated_at", "modified_at", "modified", "updated", "date_modified")
"""A time that changes when a row is edited: on a users or profile table it records edits, not
visits, so active users read from it are a lower bound (tier init, metrics/postgres/schema.py)."""
QUALITIES: tuple[str, ...] = (EXACT, LOWER_BOUND, SINGLE_READING, UNKNOWN)
SECRET_COLUMN = r"(?i)pass|hash|token|secret|salt|key|otp|credential"
"""A column tier's monitoring role is never granted: passwords, their hashes, tokens, secrets
(a pattern for re.search, compiled on first use: only `tier init` reads it)."""
MEASURED_QUALITIES: tuple[str, ...] = (EXACT, LOWER_BOUND, SINGLE_READING)  # tiers.toml may say
QUALITY_WORDS: Mapping[str, str] = MappingProxyType(
    {
        EXACT: "exact",
        LOWER_BOUND: "a lower bound",
        SINGLE_READING: "a single reading, not the peak",
        UNKNOWN: "unknown",
    }
)


class Metric(NamedTuple):
    """One metric tier reads."""

    name: str
    sql: str  # the default SQL; {schema} is the extension's schema for an extension metric
    label: str  # what it is, in the user's words (README, tiers.toml, reports)
    unit: str  # "users", "MB", "ms", "connections"
    needs: str  # what the default SQL expects, named when it is missing
    speedup: str  # the other fix when it times out: "... or add an index on ..."
    extension: str = ""  # the SQL reads this extension's view from {schema}; unknown without it
    table: str = ""  # the table it reads, for the advice: "users"
    index_columns: tuple[str, ...] = ()  # the columns an index on that table needs
    estimate: bool = False  # count(*) of `table`: the planner's estimate above estimate_above_rows
    peak: bool = False  # [database.activity] replaces it with the peak of a window (peak.py)
    activity: bool = False  # needs a per-user timestamp: unknown when nothing records activity
    threshold: bool = True  # a tier may set a threshold on it
    trend: bool = True  # its growth per week is shown
    history_peak: bool = False  # its highest value in the history is reported beside it
    quality: str = EXACT  # what its default SQL gives, and a custom query unless tiers.toml says

    @property
    def reading(self) -> str:
        """For Metrics.labels: "single reading" when that is what the default SQL gives."""
        return "single reading" if self.quality == SINGLE_READING else ""


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
UTILITY_STATEMENTS = (
    "create", "alter", "drop", "copy", "vacuum", "analyze", "reindex", "cluster", "truncate",
    "grant", "revoke", "comment", "refresh", "lock", "set", "reset", "show", "begin", "start",
    "commit", "rollback", "abort", "end", "savepoint", "release", "prepare", "execute",
    "deallocate", "discard", "listen", "notify", "unlisten", "do", "call", "checkpoint", "load",
    "explain", "declare", "fetch", "move", "close", "security", "import", "reassign",
)  # fmt: skip
"""The first words of the statements slow_query_ms leaves out: DDL, COPY, VACUUM, transaction
control, settings... what a migration, a backup or a maintenance job runs, not what users wait
for."""
SLOW_QUERY_MS_SQL = (
    "WITH app AS ("
    " SELECT s.mean_exec_time AS mean, s.calls"
    " FROM {schema}.pg_stat_statements AS s JOIN pg_roles AS r ON r.oid = s.userid"
    " WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND s.calls >= %(slow_query_min_calls)s"
    " AND NOT r.rolsuper"
    " AND NOT pg_has_role(r.oid, 'pg_read_all_stats', 'MEMBER')"
    " AND s.query !~* '^\\s*(" + "|".join(UTILITY_STATEMENTS) + ")\\M'"
    " AND s.query !~* 'pg_sleep|pg_stat_statements|pg_catalog\\.|information_schema\\.'"
    " AND s.query <> '<insufficient privilege>' AND s.query NOT LIKE '%%/* tier */'),"
    " ranked AS (SELECT mean, sum(calls) OVER (ORDER BY mean ROWS UNBOUNDED PRECEDING) AS below,"
    " sum(calls) OVER () AS total FROM app)"
    " SELECT min(mean) FROM ranked WHERE below >= 0.95 * total"
)
"""slow_query_ms: the calls-weighted 95th percentile of the mean times of the statements users
wait for (docs/metrics.md, "Still slow"): in this database, called at least
slow_query_min_calls times since the statistics were reset, run by a role that is not a
superuser or a monitoring one (pg_read_all_stats: tier's role, other tools, other roles'
maintenance), not tier's own (each ends with sql.TAG) and not a utility statement, pg_sleep
or a catalog lookup. Ordered by mean time,
it is the mean time of the statement at which 95% of all their calls are reached. NULL (unknown)
when no statement qualifies."""
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
        table="users",
        index_columns=("last_seen_at",),
        quality=SINGLE_READING,
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
        "calls-weighted p95 of the app's mean statement times (pg_stat_statements)",
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
