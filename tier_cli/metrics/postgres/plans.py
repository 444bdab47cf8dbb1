"""Which index would make a metric query fast: read from its plan and its time (pure).

Before a default query runs, the reader asks the planner for its plan (``EXPLAIN (FORMAT JSON,
VERBOSE)``: no ANALYZE, so nothing is executed) and looks up the table in the catalog
(:data:`tier_cli.metrics.postgres.sql.TABLE_SQL`); after, it knows how long the query took. A
metric gets one line of advice when

- its plan scans the table sequentially, the table has at least :data:`SEQ_SCAN_ADVICE_ROWS`
  rows (``pg_class.reltuples``) and no index starts with the columns the query needs; or
- it took ``slow_query_warn_ms`` or longer.
"""

import json
from collections.abc import Iterator
from typing import NamedTuple

SEQ_SCAN_ADVICE_ROWS = 100_000
"""Below this a sequential scan takes milliseconds and an index would hardly be faster."""


class TableInfo(NamedTuple):
    """A table a metric reads, as the catalog sees it (one row of TABLE_SQL)."""

    text: str  # its name as written in SQL, quoted where needed: users, public."My Events"
    columns: str  # the columns the index needs, quoted where needed: at, user_id
    schema: str | None = None  # None: no such table
    name: str | None = None
    rows: float | None = None  # pg_class.reltuples; -1 (or 0) when never analyzed
    indexed: bool = False  # a valid index starts with exactly those columns

    @property
    def create_index(self) -> str:
        return f"CREATE INDEX CONCURRENTLY ON {self.text} ({self.columns})"


def seq_scans(explained: object) -> set[tuple[str, str]]:
    """(schema, table) of each Seq Scan in an EXPLAIN (FORMAT JSON, VERBOSE) result."""
    if isinstance(explained, str | bytes):
        explained = json.loads(explained)
    return {
        (str(node.get("Schema", "")), str(node.get("Relation Name", "")))
        for node in _nodes(explained)
        if node.get("Node Type") == "Seq Scan"
    }


def _nodes(value: object) -> Iterator[dict[str, object]]:
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item)
    elif isinstance(value, dict):
        if "Node Type" in value:
            yield value
        for key in ("Plan", "Plans"):
            yield from _nodes(value.get(key))


def advice(
    metric: str,
    table: TableInfo,
    *,
    scanned: bool,
    elapsed_ms: float,
    warn_ms: int,
    slow_tip: str,
) -> str | None:
    """One line for Metrics.advice, or None when the query is fine.

    ``scanned``: the plan scans ``table`` sequentially. ``slow_tip``: the fix for a slow query when
    the index exists already (or when the metric needs none: empty ``table.columns``).
    """
    ms = f"{elapsed_ms:,.0f} ms"
    rows = max(table.rows or 0.0, 0.0)
    missing = bool(table.columns) and not table.indexed
    if scanned and missing and rows >= SEQ_SCAN_ADVICE_ROWS:
        return (
            f"metric '{metric}' scans {table.text} sequentially ({rows:,.0f} rows; {ms}). "
            f"Tip: {table.create_index}"
        )
    if elapsed_ms < warn_ms:
        return None
    slow = f"metric '{metric}' took {ms} (slow_query_warn_ms: {warn_ms:,})"
    if missing:
        return f"{slow}. Tip: {table.create_index}"
    if table.columns:
        slow += f" although an index on {table.text} ({table.columns}) exists"
    return f"{slow}. Tip: {slow_tip}"
