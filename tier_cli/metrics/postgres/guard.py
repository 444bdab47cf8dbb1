"""Custom metric SQL, read by PostgreSQL's own parser (pglast, libpg_query) before it is sent.

A pull request can change ``[database.queries]`` in tiers.toml, and CI runs it against the
production database. The read-only transaction stops plain writes, but not functions that act
outside it (``pg_terminate_backend``, ``set_config``, ``pg_reload_conf``, ``COPY ... TO
PROGRAM``, ...). So a custom query must be exactly one ``SELECT`` (``WITH`` allowed, a
data-modifying ``WITH`` not, no ``SELECT INTO``, no ``FOR UPDATE``), and every function it calls
must be on :data:`ALLOWED_FUNCTIONS`: aggregates, date and time, math, string, JSON and the
size and catalog lookups a metric needs. Anything else is a ConfigError (exit 2) that names the
metric and the construct, before any connection is made.

Imported only when a database is read: `tier check --metrics FILE` never loads pglast.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pglast import ast, parse_sql
from pglast.parser import ParseError

from tier_cli.errors import ConfigError


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


AGGREGATES = _names(
    "count sum avg min max bool_and bool_or every string_agg array_agg percentile_cont "
    "percentile_disc mode stddev stddev_pop stddev_samp variance var_pop var_samp corr "
    "covar_pop covar_samp regr_slope regr_intercept bit_and bit_or json_agg jsonb_agg "
    "json_object_agg jsonb_object_agg rank dense_rank row_number ntile lag lead first_value "
    "last_value nth_value cume_dist percent_rank"
)
DATE_TIME = _names(
    "now current_timestamp transaction_timestamp statement_timestamp clock_timestamp "
    "make_interval make_date make_time make_timestamp make_timestamptz date_trunc date_part "
    "date_bin extract age to_timestamp to_char to_date to_number timezone isfinite "
    "justify_days justify_hours justify_interval generate_series"
)
MATH = _names(
    "abs ceil ceiling floor round trunc sqrt cbrt power pow exp ln log log10 div mod sign "
    "width_bucket greatest least float4 float8 int2 int4 int8 numeric scale"
)
STRING = _names(
    "length char_length character_length octet_length lower upper initcap substring substr "
    "position strpos trim btrim ltrim rtrim replace split_part concat concat_ws left right "
    "lpad rpad reverse repeat starts_with md5 regexp_replace regexp_match regexp_matches "
    "regexp_like regexp_count regexp_substr format quote_ident quote_literal text"
)
JSON = _names(
    "json_array_length jsonb_array_length json_extract_path json_extract_path_text "
    "jsonb_extract_path jsonb_extract_path_text json_typeof jsonb_typeof "
    "array_length cardinality unnest array_position"
)
CATALOG = _names(
    "pg_database_size pg_relation_size pg_total_relation_size pg_table_size pg_indexes_size "
    "pg_size_bytes current_database current_schema to_regclass to_regnamespace "
    "coalesce nullif"
)
ALLOWED_FUNCTIONS: frozenset[str] = AGGREGATES | DATE_TIME | MATH | STRING | JSON | CATALOG
"""What a metric query may call (unqualified or ``pg_catalog.``). Everything else is refused."""

_STATEMENTS = {
    "CopyStmt": "COPY",
    "TransactionStmt": "a transaction command (BEGIN, COMMIT, PREPARE TRANSACTION, ...)",
    "VariableSetStmt": "SET",
    "DoStmt": "DO",
    "CallStmt": "CALL",
    "ExplainStmt": "EXPLAIN",
    "InsertStmt": "INSERT",
    "UpdateStmt": "UPDATE",
    "DeleteStmt": "DELETE",
    "MergeStmt": "MERGE",
    "LockStmt": "LOCK",
}

_PLACEHOLDER = re.compile(r"%%|%\((?P<name>[^)]*)\)[sbt]")


def check_queries(queries: Mapping[str, str], config_path: str) -> None:
    """Refuse (ConfigError) any custom query that is not one plain, allowlisted SELECT."""
    for name, query in queries.items():
        problem = query_problem(query)
        if problem:
            raise ConfigError(
                f"{config_path}: [database.queries] {name}: {problem}. Tip: a metric query is "
                "one SELECT that reads tables and calls only aggregate, date/time, math, string "
                "and size functions (see 'Running tier in CI safely' in the README)"
            )


def query_problem(query: str) -> str | None:
    """What makes ``query`` unsafe to run as a metric, or None when it is fine."""
    try:
        statements = parse_sql(_parsable(query))
    except ParseError as exc:
        return f"is not valid SQL ({str(exc).splitlines()[0]})"
    if len(statements) != 1:
        return f"has {len(statements)} statements, not one SELECT"
    stmt = statements[0].stmt
    if not isinstance(stmt, ast.SelectStmt):
        kind = type(stmt).__name__
        return f"is {_STATEMENTS.get(kind, kind.removesuffix('Stmt'))}, not a SELECT"
    for node in _walk(stmt):
        problem = _node_problem(node)
        if problem:
            return problem
    return None


def _parsable(query: str) -> str:
    """psycopg's named placeholders as PostgreSQL parameters, ``%%`` as ``%`` (when used)."""
    if not any(m["name"] is not None for m in _PLACEHOLDER.finditer(query)):
        return query
    return _PLACEHOLDER.sub(lambda m: "%" if m["name"] is None else "$1", query)


def _node_problem(node: ast.Node) -> str | None:
    if isinstance(node, ast.SelectStmt):
        if node.intoClause is not None:
            return "uses SELECT INTO, which creates a table"
        if node.lockingClause:
            return "uses FOR UPDATE / FOR SHARE, which locks rows"
    if isinstance(node, ast.CommonTableExpr) and not isinstance(node.ctequery, ast.SelectStmt):
        kind = type(node.ctequery).__name__
        return f"has a data-modifying WITH ({_STATEMENTS.get(kind, kind)} in {node.ctename})"
    if isinstance(node, ast.FuncCall):
        parts = [getattr(p, "sval", "") for p in node.funcname or ()]
        schema, fn = (parts[0], parts[-1]) if len(parts) > 1 else ("pg_catalog", parts[-1])
        if schema.lower() != "pg_catalog" or fn.lower() not in ALLOWED_FUNCTIONS:
            return f"calls {'.'.join(parts)}(), which is not on tier's list of allowed functions"
    if isinstance(node, ast.A_Expr) and isinstance(node.name, tuple) and len(node.name) > 1:
        parts = [getattr(p, "sval", "") for p in node.name]
        if parts[0].lower() != "pg_catalog":
            return f"uses the operator {'.'.join(parts)}, outside pg_catalog"
    return None


def _walk(root: ast.Node) -> Iterator[ast.Node]:
    """Every node under ``root``, root first, in the order of the text (iteratively: deep SQL
    cannot overflow the stack)."""
    stack: list[Any] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Node):
            yield item
            slots = getattr(type(item), "__slots__", ())
            stack.extend(getattr(item, attr, None) for attr in reversed(tuple(slots)))
        elif isinstance(item, tuple | list):
            stack.extend(reversed(item))
