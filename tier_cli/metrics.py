"""Read the metrics from PostgreSQL, safely: the only module that talks to a database.

Safe on a production database:
- The session is read-only (``default_transaction_read_only=on`` in the startup options) and all
  queries run in one ``READ ONLY`` transaction that is rolled back at the end.
- Each query is sent alone as a prepared statement, so it cannot carry a second statement, and a
  query that ends the transaction (``COMMIT``) is refused before anything else runs.
- ``statement_timeout``, ``connect_timeout`` and ``application_name`` come from ``[database]`` in
  tiers.toml. Everything else in the URL is kept as it is (``sslmode``, ``sslrootcert``, ...), and
  its ``options`` are kept too, with ours appended so that they win.

Custom queries (``[database.queries]`` in tiers.toml) replace a metric's default SQL. A query
returns one row with one column: a number, or NULL for "unknown". It may use the parameters
``%(active_days)s`` and ``%(concurrent_minutes)s`` (psycopg named placeholders, sent as integers,
e.g. ``now() - make_interval(days => %(active_days)s)``); they are passed only to a query that
contains one, and such a query must write a literal ``%`` as ``%%``.

Passwords: messages name the database by :func:`public_url` (no user, no password), everything
else is masked, and no psycopg exception is chained to ours (they hold the password).

:func:`inspect_schema` (for `tier init`) reads information_schema in the same kind of session.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg import pq, sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tier_cli.errors import ConfigError, MetricsError, TierError, mask
from tier_cli.models import METRIC_NAMES, DatabaseSettings, Metrics, SchemaGuess

USERS_SQL = "SELECT count(*) FROM users"
"""Registered users: every row of ``users``."""

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

PARAMETERS: tuple[str, ...] = ("active_days", "concurrent_minutes")
"""The named parameters a query may use, filled from [database] in tiers.toml."""


@dataclass(frozen=True)
class DefaultQuery:
    """How a metric is read when tiers.toml does not replace its SQL."""

    sql: str
    needs: str  # what the SQL expects, named when it is missing
    speedup: str  # the other fix when it times out: "... or add an index on ..."
    label: str = ""  # for Metrics.labels: "single reading", "estimate", ...
    extension: str = ""  # the SQL reads this extension's view from {schema}; unknown without it


_TABLE_USERS = "a table users with columns created_at and last_seen_at (timestamptz)"

DEFAULT_QUERIES: Mapping[str, DefaultQuery] = MappingProxyType(
    {
        "users": DefaultQuery(
            USERS_SQL,
            _TABLE_USERS,
            "replace it under [database.queries] with an estimate: "
            "SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass",
        ),
        "active_users": DefaultQuery(
            ACTIVE_USERS_SQL, _TABLE_USERS, "add an index on users(last_seen_at)"
        ),
        "concurrent_users": DefaultQuery(
            CONCURRENT_USERS_SQL,
            _TABLE_USERS,
            "add an index on users(last_seen_at)",
            label="single reading",
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

COLUMNS_SQL = """
SELECT c.table_schema, c.table_name, c.column_name, c.data_type
FROM information_schema.columns AS c
WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY array_position(current_schemas(false), c.table_schema::name), c.table_schema,
         c.table_name, c.ordinal_position
"""
"""Every column the role can see, the schemas of the search_path first (for `tier init`)."""

# Names looked for by `tier init`, best first.
USERS_TABLES = ("users", "user", "accounts", "account", "auth_user", "members", "students")
LAST_SEEN_COLUMNS = (
    "last_seen_at", "last_seen", "last_active_at", "last_activity_at", "last_login_at",
    "last_login", "last_sign_in_at", "updated_at",
)  # fmt: skip
CREATED_COLUMNS = ("created_at", "date_joined", "inserted_at", "created", "registered_at")
ACTIVITY_TABLES = ("activity", "activities", "events", "user_events", "activity_log", "sessions")
ACTIVITY_USER_COLUMNS = ("user_id", "account_id", "member_id", "student_id")
ACTIVITY_TIME_COLUMNS = ("at", "occurred_at", "created_at", "timestamp", "ts", "inserted_at")
_TIMESTAMPS = ("timestamp with time zone", "timestamp without time zone")

_PLACEHOLDER = re.compile(r"%%|%\((?P<name>[^)]*)\)[sbt]")
_WRITE_IN_READ_ONLY = "25006"
_QUERY_CANCELED = "57014"
_MISSING_OBJECT = ("42P01", "42703")  # undefined table, undefined column
_NO_PERMISSION = "42501"


def collect(url: str, settings: DatabaseSettings) -> Metrics:
    """Read every metric from the database at ``url`` in one read-only transaction."""
    _check_query_names(settings)
    params = _connection_params(url, settings)
    password = str(params.get("password") or "")
    source = _public_url(params)
    try:
        return _collect(params, settings, source, password)
    except psycopg.Error as exc:
        failure = MetricsError(
            _masked(f"reading metrics from {source} failed: {_reason(exc)}", password)
        )
    raise failure  # outside the except block: nothing from psycopg is chained


def public_url(url: str) -> str:
    """Host, port and database of ``url``, for messages and Metrics.source.

    No user, no password, no other parameters: ``postgresql://db.example:5432/app``, or
    ``postgresql:///app?host=/run/postgresql`` for a Unix socket.
    """
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        return "(a database URL that cannot be parsed)"
    if "@" in str(params.get("host") or ""):
        return "(a database URL with an @ in its password)"
    return _public_url(params)


def inspect_schema(url: str, settings: DatabaseSettings | None = None) -> SchemaGuess:
    """Guess the users table, its columns and an activity table from their names (`tier init`)."""
    settings = settings or DatabaseSettings()
    params = _connection_params(url, settings)
    password = str(params.get("password") or "")
    source = _public_url(params)
    try:
        with _read_only_session(params, settings, source, password) as conn:
            rows = conn.execute(COLUMNS_SQL).fetchall()
    except psycopg.Error as exc:
        failure = MetricsError(
            _masked(f"reading the schema of {source} failed: {_reason(exc)}", password)
        )
    else:
        return guess_schema(rows)
    raise failure  # outside the except block: nothing from psycopg is chained


@contextmanager
def _read_only_session(
    params: dict[str, Any], settings: DatabaseSettings, source: str, password: str
) -> Iterator[psycopg.Connection[Any]]:
    """A connection inside a READ ONLY transaction, rolled back and closed at the end."""
    conn = _connect(params, settings, source, password)
    try:
        conn.execute("BEGIN READ ONLY")
        yield conn
    finally:
        _roll_back(conn)


def _collect(
    params: dict[str, Any], settings: DatabaseSettings, source: str, password: str
) -> Metrics:
    with _read_only_session(params, settings, source, password) as conn:
        collected_at = conn.execute("SELECT now()").fetchone()
        values: dict[str, float | None] = {}
        labels: dict[str, str] = {}
        for name in METRIC_NAMES:
            values[name], label = _read(conn, name, settings, password)
            if label:
                labels[name] = label
    return Metrics(
        values=MappingProxyType(values),
        source=source,
        collected_at=collected_at[0] if collected_at else None,
        labels=MappingProxyType(labels),
    )


def _read(
    conn: psycopg.Connection[Any], name: str, settings: DatabaseSettings, password: str
) -> tuple[float | None, str]:
    """One metric's value and label: a custom query, or the default one."""
    custom = settings.queries.get(name)
    if custom is not None:
        value = _fetch(conn, name, custom, settings, password, custom=True)
        return value, _label(value, DEFAULT_QUERIES[name].label)
    default = DEFAULT_QUERIES[name]
    if not default.extension:
        value = _fetch(conn, name, default.sql, settings, password, custom=False)
        return value, _label(value, default.label)
    return _read_from_extension(conn, name, default, settings, password)


def _read_from_extension(
    conn: psycopg.Connection[Any],
    name: str,
    default: DefaultQuery,
    settings: DatabaseSettings,
    password: str,
) -> tuple[float | None, str]:
    """A metric that needs an extension: unknown when it is missing or unreadable."""
    found = conn.execute(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = %s",
        [default.extension],
    ).fetchone()
    if found is None:
        return None, f"{default.extension} not installed"
    query = sql.SQL(default.sql).format(schema=sql.Identifier(found[0])).as_string(conn)
    where = f"{settings.config_path}: [database.queries] {name}"
    conn.execute("SAVEPOINT tier_optional")
    try:
        row = conn.execute(query, prepare=True).fetchone()
    except psycopg.Error as exc:
        if exc.sqlstate is None:  # not the server's answer: the connection is gone
            raise
        reason = _masked(_reason(exc), password)
    else:
        conn.execute("RELEASE SAVEPOINT tier_optional")
        value = _number(row[0] if row else None, where)
        return value, _label(value, default.label)
    conn.execute("ROLLBACK TO SAVEPOINT tier_optional")
    return None, f"{default.extension} not readable: {reason}"


def _fetch(
    conn: psycopg.Connection[Any],
    name: str,
    query: str,
    settings: DatabaseSettings,
    password: str,
    *,
    custom: bool,
) -> float | None:
    """Run one metric query and return its number; every failure becomes a TierError."""
    where = f"{settings.config_path}: [database.queries] {name}"
    values = {
        "active_days": settings.active_days,
        "concurrent_minutes": settings.concurrent_minutes,
    }
    used = {m["name"] for m in _PLACEHOLDER.finditer(query) if m["name"] is not None}
    if unknown := sorted(used - set(values)):
        raise ConfigError(
            f"{where}: unknown parameter %({unknown[0]})s. "
            f"Tip: the parameters are {', '.join(f'%({p})s' for p in PARAMETERS)}"
        )
    params = {key: values[key] for key in sorted(used)} or None
    try:
        cur = conn.execute(query, params, prepare=True)
        row = cur.fetchone() if cur.description is not None else None
        rows = cur.rowcount
        columns = len(cur.description or ())
    except psycopg.Error as exc:
        failure = _query_failure(exc, name, settings, custom=custom, password=password)
    else:
        if conn.info.transaction_status != pq.TransactionStatus.INTRANS:
            raise ConfigError(
                f"{where}: this query ended the read-only transaction. "
                "Tip: metric queries must be read-only SELECTs"
            )
        if columns != 1 or rows != 1 or row is None:
            shape = "no result" if not columns else f"{rows} row(s) of {columns} column(s)"
            raise ConfigError(
                f"{where}: the query returned {shape}. "
                "Tip: a metric query returns one row with one number (or NULL for unknown)"
            )
        return _number(row[0], where)
    raise failure  # outside the except block: nothing from psycopg is chained


def _number(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number):
            return number
    raise ConfigError(
        f"{where}: the query returned {value!r}, not a number. "
        "Tip: a metric query returns one row with one number (or NULL for unknown)"
    )


def _label(value: float | None, label: str) -> str:
    return "query returned NULL" if value is None else label


def _query_failure(
    exc: psycopg.Error, name: str, settings: DatabaseSettings, *, custom: bool, password: str
) -> TierError:
    """The one-line message for a query that failed."""
    where = f"{settings.config_path}: [database.queries] {name}"
    metric = f"metric '{name}'"
    reason = _reason(exc)
    state = exc.sqlstate
    default = DEFAULT_QUERIES[name]
    if custom and state == _WRITE_IN_READ_ONLY:
        return ConfigError(
            _masked(
                f"{where}: this query tried to write ({reason}). "
                "Tip: metric queries must be read-only SELECTs; nothing was written.",
                password,
            )
        )
    if custom and (state is None or (state.startswith("42") and state not in _MISSING_OBJECT)):
        tip = "a metric query is one SELECT statement; try it in psql first"
        if state is None:  # refused by psycopg before it was sent: a placeholder problem
            tip = "in a query that uses %(active_days)s or %(concurrent_minutes)s, write % as %%"
        return ConfigError(_masked(f"{where}: {reason}. Tip: {tip}", password))
    if state == _QUERY_CANCELED:
        speedup = "make the query under [database.queries] cheaper" if custom else default.speedup
        return MetricsError(
            f"{metric}: statement timeout after {settings.statement_timeout_ms} ms. "
            f"Tip: raise statement_timeout_ms under [database] in {settings.config_path}"
            f" or {speedup}"
        )
    if state in _MISSING_OBJECT:
        if custom:
            tip = f"fix the query under [database.queries] in {settings.config_path}"
            return MetricsError(_masked(f"{metric}: {reason} (custom query). Tip: {tip}", password))
        return MetricsError(
            _masked(
                f"{metric}: {reason}; the default query expects {default.needs}. "
                "Tip: point the URL at the app's database, or replace the query under "
                f"[database.queries] in {settings.config_path}",
                password,
            )
        )
    if state == _NO_PERMISSION:
        return MetricsError(
            _masked(
                f"{metric}: {reason}. Tip: grant SELECT on it to the URL's role "
                "(a read-only role is best)",
                password,
            )
        )
    code = f" (SQLSTATE {state})" if state else ""
    return MetricsError(_masked(f"{metric}: {reason}{code}", password))


def _connect(
    params: dict[str, Any], settings: DatabaseSettings, source: str, password: str
) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(make_conninfo("", **params), autocommit=True)
    except psycopg.Error as exc:
        failure = MetricsError(_connect_message(_reason(exc), settings, source, password))
    raise failure  # outside the except block: psycopg's error holds the password


def _connect_message(reason: str, settings: DatabaseSettings, source: str, password: str) -> str:
    detail = reason.split(" failed: ")[-1].removeprefix("FATAL:").strip()
    if "password" in detail and ("authentication failed" in detail or "no password" in detail):
        tip = "check the user and password in the database URL"
    elif "database" in detail and "does not exist" in detail:
        tip = "check the database name at the end of the URL"
    elif "timeout expired" in detail:
        detail = f"no answer within {settings.connect_timeout_s} s"
        tip = (
            "check the host and port in the URL (on Render: the External Database URL), "
            f"or raise connect_timeout_s under [database] in {settings.config_path}"
        )
    else:
        tip = (
            "check the host and port in the URL, and that the database accepts connections "
            "from this machine (on Render: the External Database URL and its access control)"
        )
    return _masked(f"cannot connect to {source}: {detail}. Tip: {tip}", password)


def _connection_params(url: str, settings: DatabaseSettings) -> dict[str, Any]:
    """The URL's parameters, with tier's safety settings added: ours last, so they win."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:  # its message may quote the password: not shown
        failure = ConfigError(
            "the database URL is not a valid PostgreSQL URL. Tip: use "
            "postgresql://USER:PASSWORD@HOST:PORT/DBNAME, with special characters percent-encoded"
        )
    else:
        if "@" in str(params.get("host") or ""):  # the rest of a password with an @ in it
            raise ConfigError(
                "the database URL has an @ in its password. Tip: percent-encode it as %40"
            )
        ours = "-c default_transaction_read_only=on"
        ours += f" -c statement_timeout={settings.statement_timeout_ms}"
        params["options"] = f"{params['options']} {ours}" if params.get("options") else ours
        params["connect_timeout"] = settings.connect_timeout_s
        params["application_name"] = settings.application_name
        return params
    raise failure  # outside the except block: nothing from psycopg is chained


def _public_url(params: Mapping[str, Any]) -> str:
    hosts = str(params.get("host") or params.get("hostaddr") or "").split(",")
    ports = str(params.get("port") or "").split(",")
    if len(ports) == 1:
        ports *= len(hosts)
    dbname = quote(str(params.get("dbname") or ""), safe="")
    if any(host.startswith("/") for host in hosts):
        query = f"?host={quote(','.join(hosts), safe='/,')}"
        if any(ports):
            query += f"&port={quote(','.join(ports), safe=',')}"
        return f"postgresql:///{dbname}{query}"
    netlocs = []
    for host, port in zip(hosts, ports + [""] * len(hosts), strict=False):
        netloc = f"[{host}]" if ":" in host else host
        netlocs.append(f"{netloc}:{port}" if port else netloc)
    return f"postgresql://{','.join(netlocs)}/{dbname}"


def guess_schema(rows: list[tuple[Any, ...]]) -> SchemaGuess:
    """Pick the tables and columns from COLUMNS_SQL's rows (schema, table, column, type)."""
    tables: dict[tuple[str, str], dict[str, str]] = {}
    for schema, table, column, data_type in rows:
        tables.setdefault((schema, table), {})[column] = data_type
    users = _first_table(tables, USERS_TABLES)
    if users is None:
        looked = ", ".join(USERS_TABLES)
        return SchemaGuess(None, None, notes=(f"no users table found (looked for {looked})",))
    name = ".".join(users)
    seen = _first_column(tables[users], LAST_SEEN_COLUMNS, _TIMESTAMPS)
    created = _first_column(tables[users], CREATED_COLUMNS, (*_TIMESTAMPS, "date"))
    notes = [f"users table: {name}"]
    if seen is None:
        looked = ", ".join(LAST_SEEN_COLUMNS)
        notes.append(f"no timestamp column of last activity in {name} (looked for {looked})")
    elif seen == "updated_at":
        notes.append("last activity: updated_at, which also changes when a profile is edited")
    else:
        notes.append(f"last activity: {name}.{seen}")
    for table in (t for wanted in ACTIVITY_TABLES for t in tables if t[1] == wanted):
        user = _first_column(tables[table], ACTIVITY_USER_COLUMNS, None)
        at = _first_column(tables[table], ACTIVITY_TIME_COLUMNS, _TIMESTAMPS)
        if user and at:
            activity = ".".join(table)
            notes.append(f"activity table: {activity}({user}, {at})")
            return SchemaGuess(name, seen, created, activity, user, at, tuple(notes))
    return SchemaGuess(name, seen, created, notes=tuple(notes))


def _first_table(
    tables: Mapping[tuple[str, str], object], names: tuple[str, ...]
) -> tuple[str, str] | None:
    """The first table by name preference; for one name, the search_path's schemas first."""
    return next((t for name in names for t in tables if t[1] == name), None)


def _first_column(
    columns: Mapping[str, str], names: tuple[str, ...], types: tuple[str, ...] | None
) -> str | None:
    return next((n for n in names if n in columns and (types is None or columns[n] in types)), None)


def _check_query_names(settings: DatabaseSettings) -> None:
    for name in settings.queries:
        if name not in DEFAULT_QUERIES:
            raise ConfigError(
                f"{settings.config_path}: [database.queries] {name}: no such metric. "
                f"Tip: use one of {', '.join(METRIC_NAMES)}"
            )


def _roll_back(conn: psycopg.Connection[Any]) -> None:
    """End the transaction without writing and close, whatever state the connection is in."""
    try:
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
    except psycopg.Error:
        pass  # closing the connection rolls back too
    conn.close()


def _reason(exc: psycopg.Error) -> str:
    """The first line of a psycopg error, without libpq's prefix."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return lines[0].removeprefix("connection failed: ").strip()


def _masked(text: str, password: str) -> str:
    return mask(text, password, quote(password, safe="") if password else None)
