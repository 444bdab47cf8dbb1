"""The SQL tier runs by default, one query per metric, the catalog lookup beside it, and the
parameters a query gets.

Pure: reader.py runs it. The default SQL of each metric is its row in config/metric_table.py;
the peak of concurrent users, when an activity table is configured, is in peak.py.
"""

from __future__ import annotations

import re

from psycopg import sql

from tier_cli.config.settings import DatabaseSettings
from tier_cli.errors import ConfigError

"""``{schema}`` is the schema pg_stat_statements is installed in. Without the extension, or when it
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

TAG = "/* tier */"
"""Put after every query tier sends, so that slow_query_ms can leave tier's own statements out
of pg_stat_statements, whichever role tier runs as: pg_stat_statements keeps a trailing comment
in its query text (a leading one is cut off with the text before the statement)."""


def tagged(query: str | sql.SQL | sql.Composed) -> sql.Composed:
    """The query with tier's TAG after it (on a line of its own: a query may end in a
    ``--`` comment)."""
    body = sql.SQL(query) if isinstance(query, str) else query
    return body + sql.SQL("\n" + TAG)


PLACEHOLDER = re.compile(r"%%|%\((?P<name>[^%)]*)\)[sbt]")  # no %: linear on "%(%(%(..."
"""A psycopg placeholder in a query: `%(name)s` (also b, t), or `%%`, a literal percent."""

PARAMETERS: tuple[str, ...] = ("active_days", "concurrent_minutes", "slow_query_min_calls")
"""The named parameters a query may use, filled from [database] in tiers.toml."""


def query_params(query: str, name: str, settings: DatabaseSettings) -> dict[str, int] | None:
    """The parameters ``query`` uses, from [database]; an unknown one is a config error."""
    values = {
        "active_days": settings.active_days,
        "concurrent_minutes": settings.concurrent_minutes,
        "slow_query_min_calls": settings.slow_query_min_calls,
    }
    used = {m["name"] for m in PLACEHOLDER.finditer(query) if m["name"] is not None}
    if unknown := sorted(used - set(values)):
        raise ConfigError(
            f"{settings.config_path}: [database.queries] {name}: unknown parameter "
            f"%({unknown[0]})s. Tip: the parameters are "
            + ", ".join(f"%({p})s" for p in PARAMETERS)
        )
    return {key: values[key] for key in sorted(used)} or None
