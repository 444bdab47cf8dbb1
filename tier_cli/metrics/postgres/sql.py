"""The SQL tier runs by default, one query per metric, the catalog lookup beside it, and the
parameters a query gets.

Pure: reader.py runs it. The peak of concurrent users, when an activity table is
configured, is in peak.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from tier_cli.errors import ConfigError
from tier_cli.models import DatabaseSettings

USERS_SQL = "SELECT count(*) FROM users"
"""Registered users: every row of ``users`` (the planner's estimate above estimate_above_rows)."""

ACTIVE_USERS_SQL = (
    "SELECT count(*) FROM users"
    " WHERE last_seen_at >= now() - make_interval(days => %(active_days)s)"
)
"""Active users: seen within ``active_days`` (``now()`` is the start of the transaction)."""

CONCURRENT_USERS_SQL = (
    "SELECT count(*) FROM users"
    " WHERE last_seen_at >= now() - make_interval(mins => %(concurrent_minutes)s)"
)
"""Users online now: seen within ``concurrent_minutes``. One reading, not a peak."""

DB_SIZE_MB_SQL = "SELECT pg_database_size(current_database()) / 1048576.0"
"""Size of the current database in MB (MiB)."""

SLOW_QUERY_MS_SQL = (
    "SELECT max(mean_exec_time) FROM {schema}.pg_stat_statements"
    " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
"""The slowest mean execution time (ms) among this database's statements.

``{schema}`` is the schema pg_stat_statements is installed in. Without the extension, or when it
cannot be read, the metric is unknown (never an error).
"""

TABLE_SQL = """
WITH t AS (
    SELECT string_agg(quote_ident(part), '.' ORDER BY i) AS text
    FROM unnest(%(table)s::text[]) WITH ORDINALITY AS p (part, i)
)
SELECT t.text,
       (SELECT string_agg(quote_ident(col), ', ' ORDER BY i)
        FROM unnest(%(columns)s::text[]) WITH ORDINALITY AS k (col, i)),
       n.nspname::text, c.relname::text, c.reltuples::float8,
       EXISTS (
           SELECT FROM pg_index AS x
           WHERE x.indrelid = c.oid AND x.indisvalid AND x.indpred IS NULL
             AND ARRAY(
                 SELECT a.attname::text
                 FROM generate_series(0, cardinality(%(columns)s::text[]) - 1) AS k (i)
                 LEFT JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum = x.indkey[k.i]
                 ORDER BY k.i
             ) = %(columns)s::text[]
       )
FROM t
LEFT JOIN pg_class AS c ON c.oid = to_regclass(t.text)
LEFT JOIN pg_namespace AS n ON n.oid = c.relnamespace
"""
"""One table as the server sees it: its name quoted for SQL, the given columns quoted, schema,
name, ``pg_class.reltuples`` (-1: never analyzed) and whether a valid index starts with exactly
those columns. Nothing but the quoted names when the table does not exist. Reads the catalog only.
"""

ESTIMATE_LABEL = "estimate (pg_class.reltuples)"

PARAMETERS: tuple[str, ...] = ("active_days", "concurrent_minutes")
"""The named parameters a query may use, filled from [database] in tiers.toml."""


class DefaultQuery(NamedTuple):
    """How a metric is read when tiers.toml does not replace its SQL."""

    sql: str
    needs: str  # what the SQL expects, named when it is missing
    speedup: str  # the other fix when it times out: "... or add an index on ..."
    label: str = ""  # for Metrics.labels: "single reading", "estimate", ...
    extension: str = ""  # the SQL reads this extension's view from {schema}; unknown without it
    table: str = ""  # the table it reads, for the advice: "users"
    index_columns: tuple[str, ...] = ()  # the columns an index on that table needs


_TABLE_USERS = "a table users with columns created_at and last_seen_at (timestamptz)"
_INDEX = "add an index: CREATE INDEX CONCURRENTLY ON users (last_seen_at)"

DEFAULT_QUERIES: Mapping[str, DefaultQuery] = MappingProxyType(
    {
        "users": DefaultQuery(
            USERS_SQL,
            _TABLE_USERS,
            "lower estimate_above_rows under [database] to read the planner's estimate",
            table="users",
        ),
        "active_users": DefaultQuery(
            ACTIVE_USERS_SQL, _TABLE_USERS, _INDEX, table="users", index_columns=("last_seen_at",)
        ),
        "concurrent_users": DefaultQuery(
            CONCURRENT_USERS_SQL,
            _TABLE_USERS,
            _INDEX,
            label="single reading",
            table="users",
            index_columns=("last_seen_at",),
        ),
        "db_size_mb": DefaultQuery(
            DB_SIZE_MB_SQL, "the current database", "try when it is less busy"
        ),
        "slow_query_ms": DefaultQuery(
            SLOW_QUERY_MS_SQL,
            "the pg_stat_statements view",
            "try when it is less busy",
            extension="pg_stat_statements",
        ),
    }
)
"""The default SQL of each metric. A custom query under [database.queries] replaces it."""


def query_params(query: str, name: str, settings: DatabaseSettings) -> dict[str, int] | None:
    """The parameters ``query`` uses, from [database]; an unknown one is a config error."""
    values = {
        "active_days": settings.active_days,
        "concurrent_minutes": settings.concurrent_minutes,
    }
    used = {m["name"] for m in _PLACEHOLDER.finditer(query) if m["name"] is not None}
    if unknown := sorted(used - set(values)):
        raise ConfigError(
            f"{settings.config_path}: [database.queries] {name}: unknown parameter "
            f"%({unknown[0]})s. Tip: the parameters are "
            + ", ".join(f"%({p})s" for p in PARAMETERS)
        )
    return {key: values[key] for key in sorted(used)} or None


_PLACEHOLDER = re.compile(r"%%|%\((?P<name>[^)]*)\)[sbt]")
