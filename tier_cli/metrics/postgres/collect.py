"""Read the metrics from PostgreSQL, safely: the modules that talk to a database are this one
(the session) and reader.py (the queries, on this module's connection).

Safe on a production database:
- The session is read-only (``default_transaction_read_only=on`` in the startup options, see
  url.py) and all queries run in one ``REPEATABLE READ READ ONLY`` transaction that is rolled
  back at the end. The peak of a big lookback also reads on a second session of the same kind,
  on the first one's snapshot (peak.py).
- Each metric query is sent alone as a prepared statement, so it cannot carry a second statement,
  and a query that ends the transaction (``COMMIT``) is refused before anything else runs.
- Custom queries are read by PostgreSQL's own parser first (guard.py): one SELECT calling only
  allowlisted functions, else a ConfigError before connecting. A role that could act on the
  server (superuser, pg_write_server_files, pg_execute_server_program) is refused unless the
  user passes --allow-superuser.
- ``statement_timeout`` guards every statement, the catalog lookups and EXPLAINs included; a
  timeout is a MetricsError that names the metric.
- On big tables: ``users`` is the planner's estimate above ``estimate_above_rows``, the peak of
  concurrent users reads only the lookback through an index, and Metrics.advice says which index
  would fix a default query that scans a big table or is slow (reader.py, plans.py).

Custom queries (``[database.queries]`` in tiers.toml) replace a metric's default SQL, and win
over ``[database.activity]`` for concurrent_users. A query returns one row with one column: a
number, or NULL for "unknown". It may use the parameters ``%(active_days)s`` and
``%(concurrent_minutes)s`` (psycopg named placeholders, sent as integers, e.g.
``now() - make_interval(days => %(active_days)s)``); they are passed only to a query that
contains one, and such a query must write a literal ``%`` as ``%%``. Custom queries get no advice.

Passwords: messages name the database by :func:`public_url` (no user, no password), everything
else is masked, and no psycopg exception is chained to ours (they hold the password).

:func:`inspect_schema` (for `tier init`) reads information_schema in the same kind of session.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

import psycopg
from psycopg import pq, sql
from psycopg.conninfo import make_conninfo

from tier_cli.config.metric_table import BY_NAME, METRIC_NAMES
from tier_cli.config.settings import DatabaseSettings
from tier_cli.errors import ConfigError, MetricsError
from tier_cli.metrics.measured import Metrics
from tier_cli.metrics.postgres.reader import MetricReader, Reading
from tier_cli.metrics.postgres.schema import (
    COLUMNS_SQL,
    Index,
    Probe,
    SchemaGuess,
    Stats,
    guess_schema,
    probes,
    wanted_indexes,
)
from tier_cli.metrics.postgres.sql import TABLE_SQL, tagged
from tier_cli.metrics.postgres.url import (
    connect_message,
    connection_params,
    masked,
    public_url_of,
    reason,
)


def collect(
    url: str,
    settings: DatabaseSettings,
    progress: Callable[[str], None] | None = None,
    *,
    allow_superuser: bool = False,
) -> Metrics:
    """Read every metric from the database at ``url`` in one read-only transaction.

    ``progress`` is told the name of each metric before it is read (the CLI's status line).
    Custom queries are checked by PostgreSQL's parser first (guard.py); the role is refused when
    it could act on the server (a superuser, ...) unless ``allow_superuser``.
    """
    _check_query_names(settings)
    check_queries(settings)
    params = connection_params(url, settings)
    password = str(params.get("password") or "")
    source = public_url_of(params)
    try:
        with _read_only_session(params, settings, source, password, allow_superuser) as conn:
            row = conn.execute(tagged("SELECT now()")).fetchone()
            _check_resolution(conn, settings)
            reader = MetricReader(
                conn, settings, password, lambda: _connect(params, settings, source, password)
            )
            readings: dict[str, Reading] = {}
            timings: dict[str, float] = {}
            for name in METRIC_NAMES:
                if progress is not None:
                    progress(name)
                started = time.perf_counter()
                readings[name] = _one(conn, reader, name)
                timings[name] = round((time.perf_counter() - started) * 1000, 1)
    except psycopg.Error as exc:
        failure = MetricsError(
            masked(f"reading metrics from {source} failed: {reason(exc)}", password)
        )
    else:
        return Metrics(
            values=MappingProxyType({n: r.value for n, r in readings.items()}),
            source=source,
            collected_at=row[0] if row else None,
            labels=MappingProxyType({n: r.label for n, r in readings.items() if r.label}),
            advice=tuple(r.advice for r in readings.values() if r.advice),
            timings_ms=MappingProxyType(timings),
            quality=MappingProxyType(
                {n: r.quality for n, r in readings.items() if r.value is not None}
            ),
        )
    raise failure  # outside the except block: nothing from psycopg is chained


def _one(conn: psycopg.Connection[Any], reader: MetricReader, name: str) -> Reading:
    """One metric; when its query fails on the server (no permission, a timeout, a missing
    column), the metric is unknown with that reason and its fix, and the others are still read
    in a new read-only transaction. A lost connection, or a mistake in tiers.toml, stops all."""
    try:
        return reader.read(name)
    except MetricsError as exc:
        if conn.closed or conn.broken:
            raise
        failure = str(exc)
    conn.execute("ROLLBACK")  # the failed statement aborted the transaction
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    prefix = f"metric '{name}': "
    return Reading(None, "unknown: " + failure.removeprefix(prefix))


def inspect_schema(
    url: str, settings: DatabaseSettings | None = None, *, allow_superuser: bool = False
) -> SchemaGuess:
    """Guess the users table, its columns and an activity table from their names (`tier init`)."""
    settings = settings or DatabaseSettings()
    params = connection_params(url, settings)
    password = str(params.get("password") or "")
    source = public_url_of(params)
    try:
        with _read_only_session(params, settings, source, password, allow_superuser) as conn:
            rows = conn.execute(tagged(COLUMNS_SQL)).fetchall()
            stats = {p.key: _count(conn, p, settings.active_days) for p in probes(rows)}
            guess = guess_schema(rows, stats, settings.active_days)
            guess = guess._replace(indexed=_indexed(conn, guess))
    except psycopg.Error as exc:
        failure = MetricsError(
            masked(f"reading the schema of {source} failed: {reason(exc)}", password)
        )
    else:
        return guess
    raise failure  # outside the except block: nothing from psycopg is chained


def _indexed(conn: psycopg.Connection[Any], guess: SchemaGuess) -> tuple[Index, ...]:
    """The indexes the guess's queries need that exist already (a valid index starting with
    those columns, in that order: pg_index, through TABLE_SQL), so that init never suggests one
    that exists."""
    found = []
    for index in wanted_indexes(guess):
        params = {"table": index.table.split("."), "columns": list(index.columns)}
        row = conn.execute(tagged(TABLE_SQL), params).fetchone()
        if row and row[5]:
            found.append(index)
    return tuple(found)


def _count(conn: psycopg.Connection[Any], probe: Probe, days: int) -> Stats:
    """The rows of a table, or of its last ``days`` days and their distinct users; unknown when
    the count fails (a timeout, no permission)."""
    table = sql.Identifier(*probe.table)
    if probe.time_column is None:
        query = sql.SQL("SELECT count(*), NULL FROM {}").format(table)
    else:
        distinct: sql.Composable = sql.SQL("NULL")
        if probe.user_column is not None:
            distinct = sql.SQL("count(DISTINCT {})").format(sql.Identifier(probe.user_column))
        query = sql.SQL(
            "SELECT count(*), {} FROM {} WHERE {} >= now() - make_interval(days => {})"
        ).format(distinct, table, sql.Identifier(probe.time_column), sql.Literal(days))
    conn.execute("SAVEPOINT tier_count")
    try:
        row = conn.execute(tagged(query)).fetchone()
    except psycopg.Error as exc:
        if exc.sqlstate is None:  # not the server's answer: the connection is gone
            raise
        conn.execute("ROLLBACK TO SAVEPOINT tier_count")
        return Stats()
    conn.execute("RELEASE SAVEPOINT tier_count")
    n = int(row[0]) if row else None
    if probe.time_column is None:
        return Stats(rows=n)
    if probe.user_column is None:  # a users table's column: one row per user
        return Stats(recent=n, users=n)
    return Stats(recent=n, users=int(row[1]) if row and row[1] is not None else None)


# The role's powers outside a read-only transaction: a superuser, or a member of a role that
# writes server files or runs programs on the server (COPY ... TO PROGRAM).
ROLE_SQL = """
SELECT r.rolsuper,
       pg_has_role(current_user, 'pg_write_server_files', 'MEMBER'),
       pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER')
FROM pg_roles AS r WHERE r.rolname = current_user
"""


@contextmanager
def _read_only_session(
    params: dict[str, Any],
    settings: DatabaseSettings,
    source: str,
    password: str,
    allow_superuser: bool = False,
) -> Iterator[psycopg.Connection[Any]]:
    """A connection inside a READ ONLY transaction, rolled back and closed at the end.

    REPEATABLE READ: every metric reads one snapshot, which the split peak shares with its
    second session (peak.py). A read-only transaction never fails to serialize.
    """
    conn = _connect(params, settings, source, password)
    try:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if not allow_superuser:
            _check_role(conn, source)
        yield conn
    finally:
        try:
            if conn.info.transaction_status != pq.TransactionStatus.IDLE:
                conn.execute("ROLLBACK")
        except psycopg.Error:
            pass  # closing the connection rolls back too
        conn.close()


def _connect(
    params: dict[str, Any], settings: DatabaseSettings, source: str, password: str
) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(make_conninfo("", **params), autocommit=True)
    except psycopg.Error as exc:
        failure = MetricsError(connect_message(reason(exc), settings, source, password))
    raise failure  # outside the except block: psycopg's error holds the password


def _check_role(conn: psycopg.Connection[Any], source: str) -> None:
    row = conn.execute(tagged(ROLE_SQL)).fetchone() or ()
    names = ("superuser", "pg_write_server_files", "pg_execute_server_program")
    held = [name for name, has in zip(names, row, strict=False) if has][:1]  # superuser: all
    if held:
        raise ConfigError(
            f"{source}: the URL's role is {held[0]}: it could act on the database "
            "server beyond a read-only transaction. Tip: connect as a read-only monitoring role "
            "(`tier init` prints the SQL that creates one), or pass --allow-superuser"
        )


def check_queries(settings: DatabaseSettings) -> None:
    """Custom SQL through PostgreSQL's parser (guard.py); pglast's import (a few hundred ms)
    only when there is custom SQL to read."""
    if settings.queries:
        from tier_cli.metrics.postgres.guard import check_queries as check

        check(settings.queries, settings.config_path)


def _check_resolution(conn: psycopg.Connection[Any], settings: DatabaseSettings) -> None:
    """Refuse a custom query whose function, operator or type names could resolve, on this
    session's search path, to something outside pg_catalog (guard.py), before it runs."""
    if not settings.queries:
        return
    from tier_cli.metrics.postgres.guard import SHADOW_SQL, check_shadowed, shadow_params

    found = conn.execute(SHADOW_SQL, shadow_params(settings.queries)).fetchall()
    check_shadowed(settings.queries, found, settings.config_path)


def _check_query_names(settings: DatabaseSettings) -> None:
    for name in settings.queries:
        if name not in BY_NAME:
            raise ConfigError(
                f"{settings.config_path}: [database.queries] {name}: no such metric. "
                f"Tip: use one of {', '.join(METRIC_NAMES)}"
            )
