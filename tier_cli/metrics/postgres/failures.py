"""A metric query that failed, as one line that names the metric and the fix (pure).

No value is ever echoed. A server error raised by a custom query is named by its SQLSTATE and
condition name (``22P02 invalid_text_representation``), never by the server's message, which
can quote data the query read (``invalid input syntax for type integer: "sk_live_..."``); so is
a data error (class 22) of tier's own queries, whose tables and columns tiers.toml names. The
message of other errors of tier's own queries (a missing table, a permission) is kept, masked.
A result that is not a number is named by its type, never shown. A custom query's mistakes are
the config's (ConfigError, exit 2); the database's failures are MetricsError (exit 4).
"""

import math
import re
from decimal import Decimal
from typing import NamedTuple

import psycopg
from psycopg import errors

from tier_cli.config.settings import DatabaseSettings
from tier_cli.errors import ConfigError, MetricsError, TierError
from tier_cli.metrics.postgres.url import masked, reason

WRITE_IN_READ_ONLY = "25006"
QUERY_CANCELED = "57014"
MISSING_OBJECT = ("42P01", "42703")  # undefined table, undefined column
WRONG_TYPE = ("42883", "42804")  # no such operator or function for the types, type mismatch
NO_PERMISSION = "42501"


class Expected(NamedTuple):
    """What a default query needs, and the fixes to name when it fails."""

    needs: str  # "the default query expects a table users with ..."
    fix: str  # when a table or column is missing
    speedup: str  # the other fix for a timeout (besides a longer one)


def default_expected(needs: str, speedup: str, settings: DatabaseSettings) -> Expected:
    return Expected(
        f"the default query expects {needs}",
        "point the URL at the app's database, or replace the query under "
        f"[database.queries] in {settings.config_path}",
        speedup,
    )


def query_failure(
    exc: psycopg.Error,
    name: str,
    settings: DatabaseSettings,
    password: str,
    expected: Expected | None,
    *,
    closed: bool = False,
) -> TierError:
    """The one-line message for a metric's query that failed; ``expected`` None: a custom one.

    ``closed``: tier's own deadline shut the connection (deadline.py).
    """
    where = f"{settings.config_path}: [database.queries] {name}"
    metric = f"metric '{name}'"
    state = exc.sqlstate
    why = reason(exc)
    if state is not None and (expected is None or state.startswith("22")):
        why = condition(state)
    if closed:
        return MetricsError(
            f"{metric}: no answer within {settings.statement_timeout_ms} ms, and none to the "
            "cancel request: tier closed the connection. Tip: check the database and the "
            f"network, or raise statement_timeout_ms under [database] in {settings.config_path}"
        )
    if state is None and isinstance(exc, psycopg.OperationalError):
        return MetricsError(
            masked(
                f"{metric}: the connection to the database was lost during the query ({why}). "
                "Tip: check that the database is up, then run tier again",
                password,
            )
        )
    if expected is None and state == WRITE_IN_READ_ONLY:
        return ConfigError(
            masked(
                f"{where}: this query tried to write ({why}). "
                "Tip: metric queries must be read-only SELECTs; nothing was written.",
                password,
            )
        )
    if state == NO_PERMISSION:
        return MetricsError(
            masked(
                f"{metric}: {why}. Tip: grant SELECT on it to the URL's role "
                "(a read-only role is best)",
                password,
            )
        )
    if expected is None and (
        state is None or (state.startswith(("42", "0A")) and state not in MISSING_OBJECT)
    ):
        tip = "a metric query is one SELECT statement; try it in psql first"
        if state is None:  # refused by psycopg before it was sent: a placeholder problem
            tip = "in a query that uses %(active_days)s or %(concurrent_minutes)s, write % as %%"
        return ConfigError(masked(f"{where}: {why}. Tip: {tip}", password))
    if state == QUERY_CANCELED:
        speedup = (
            expected.speedup if expected else "make the query under [database.queries] cheaper"
        )
        return MetricsError(
            f"{metric}: statement timeout after {settings.statement_timeout_ms} ms. "
            f"Tip: raise statement_timeout_ms under [database] in {settings.config_path}"
            f" or {speedup}"
        )
    if state in MISSING_OBJECT and expected is None:
        tip = f"fix the query under [database.queries] in {settings.config_path}"
        return MetricsError(masked(f"{metric}: {why} (custom query). Tip: {tip}", password))
    if state in (*MISSING_OBJECT, *WRONG_TYPE) and expected is not None:
        return MetricsError(
            masked(f"{metric}: {why}; {expected.needs}. Tip: {expected.fix}", password)
        )
    code = f" (SQLSTATE {state})" if state and not why.startswith(state) else ""
    return MetricsError(masked(f"{metric}: {why}{code}", password))


def condition(sqlstate: str) -> str:
    """``22P02 invalid_text_representation``: a server error named without its message."""
    try:
        found = errors.lookup(sqlstate).__name__
    except KeyError:
        return f"SQLSTATE {sqlstate}"
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", found).lower().rstrip("_")
    return f"{sqlstate} {name}"


def number(value: object, where: str, sql_type: str | None = None) -> float | None:
    """A metric query's one value as a number (None: unknown); anything else is refused, with
    the value's type (``sql_type``, the column's type as the server names it, when known) and
    never the value: it may be a secret the query read."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            result = float(value)
        except OverflowError:  # an int too big for a float
            result = math.inf
        if math.isfinite(result) and result < 0:
            raise ConfigError(
                f"{where}: the query returned a negative number. Tip: a metric "
                "counts or measures something: fix the query so that it returns 0 or more"
            )
        if math.isfinite(result):
            return result
        kind = "a number that is not finite (NaN, infinity or too big for a float)"
    else:
        kind = f"a value of type {sql_type or type(value).__name__}"
    raise ConfigError(
        f"{where}: the query returned {kind}, not a number. "
        "Tip: a metric query returns one row with one number (or NULL for unknown)"
    )
