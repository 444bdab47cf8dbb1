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

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from pglast import ast, parse_sql
from pglast.parser import ParseError

from tier_cli.errors import ConfigError
from tier_cli.metrics.postgres.sql import PLACEHOLDER


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


AGGREGATES = _names(
    "count sum avg min max bool_and bool_or every percentile_cont percentile_disc mode stddev "
    "stddev_pop stddev_samp variance var_pop var_samp corr covar_pop covar_samp regr_slope "
    "regr_intercept"
)
DATE_TIME = _names(
    "now current_timestamp transaction_timestamp statement_timestamp clock_timestamp "
    "make_interval make_date make_time make_timestamp make_timestamptz date_trunc date_part "
    "date_bin extract age to_timestamp timezone isfinite justify_days justify_hours "
    "justify_interval"
)
MATH = _names(
    "abs ceil ceiling floor round trunc sqrt cbrt power pow exp ln log log10 div mod sign "
    "width_bucket greatest least float4 float8 int2 int4 int8 numeric scale"
)
CATALOG = _names(
    "pg_database_size pg_relation_size pg_total_relation_size pg_table_size pg_indexes_size "
    "pg_size_bytes current_database to_regclass coalesce nullif"
)
ALLOWED_FUNCTIONS: frozenset[str] = AGGREGATES | DATE_TIME | MATH | CATALOG
"""What a metric query may call (unqualified or ``pg_catalog.``), compared as PostgreSQL compares
names (a quoted ``"COUNT"`` is not ``count``). Nothing that turns a value into text or a bigger
value (string, array, JSON, XML functions, ``repeat``, ``md5``, ``generate_series``): a metric is
a number, and such functions either echo data or amplify it into memory and temp files."""

ALLOWED_TYPES = _names(
    "int2 int4 int8 smallint integer bigint int numeric decimal float4 float8 real bool boolean "
    "interval date time timestamp timestamptz oid regclass"
)
"""The types a value may be cast to: numbers, times, and the relation lookups of size queries."""

CATALOG_RELATIONS = _names(
    "pg_stat_user_tables pg_stat_all_tables pg_stat_sys_tables pg_statio_user_tables "
    "pg_statio_all_tables pg_stat_user_indexes pg_stat_all_indexes pg_statio_user_indexes "
    "pg_stat_database pg_stat_bgwriter pg_stat_activity pg_stat_statements pg_class "
    "pg_namespace pg_database pg_index pg_locks pg_stat_progress_vacuum"
)
"""The catalog and statistics relations a metric may read; never pg_proc (function bodies),
pg_db_role_setting (settings, secrets included, set with ALTER ROLE ... SET), pg_authid, nor
information_schema (routine bodies). Of the two with query text, never that column."""
QUERY_TEXT = {"pg_stat_activity": "query", "pg_stat_statements": "query"}

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


def check_queries(queries: Mapping[str, str], config_path: str) -> None:
    """Refuse (ConfigError) any custom query that is not one plain, allowlisted SELECT."""
    for name, query in queries.items():
        problem = query_problem(query)
        if problem:
            raise ConfigError(
                f"{config_path}: [database.queries] {name}: {problem}. Tip: a metric query is "
                "one SELECT that reads tables and calls only aggregate, date/time, math and size "
                "functions (see 'Running tier in CI safely' in the README)"
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
    return _query_text_problem(stmt)


def _parsable(query: str) -> str:
    """psycopg's named placeholders as PostgreSQL parameters, ``%%`` as ``%`` (when used)."""
    if not any(m["name"] is not None for m in PLACEHOLDER.finditer(query)):
        return query
    return PLACEHOLDER.sub(lambda m: "%" if m["name"] is None else "$1", query)


def _node_problem(node: ast.Node) -> str | None:
    if isinstance(node, ast.SelectStmt):
        if node.intoClause is not None:
            return "uses SELECT INTO, which creates a table"
        if node.lockingClause:
            return "uses FOR UPDATE / FOR SHARE, which locks rows"
    if isinstance(node, ast.CommonTableExpr) and not isinstance(node.ctequery, ast.SelectStmt):
        kind = type(node.ctequery).__name__
        return f"has a data-modifying WITH ({_STATEMENTS.get(kind, kind)} in {node.ctename})"
    if isinstance(node, ast.WithClause) and node.recursive:
        return "uses WITH RECURSIVE, which can make rows without end"
    if isinstance(node, ast.FuncCall):
        parts = _parts(node.funcname)
        schema, fn = (parts[0], parts[-1]) if len(parts) > 1 else ("pg_catalog", parts[-1])
        if schema != "pg_catalog" or fn not in ALLOWED_FUNCTIONS:
            return f"calls {'.'.join(parts)}(), which is not on tier's list of allowed functions"
    for operator in _operators(node):
        if len(operator) > 1 and operator[0] != "pg_catalog":
            return f"uses the operator {'.'.join(operator)}, outside pg_catalog"
    if isinstance(node, ast.TypeName):
        parts = _parts(node.names)
        schema, name = (parts[0], parts[-1]) if len(parts) > 1 else ("pg_catalog", parts[-1])
        if schema != "pg_catalog" or name not in ALLOWED_TYPES or node.arrayBounds:
            return f"casts to {'.'.join(parts)}, not a number or time type"
    if isinstance(node, ast.RangeVar):
        space = node.schemaname
        catalog = space in ("pg_catalog", "information_schema") or (
            space is None and (node.relname or "").startswith("pg_")
        )
        if catalog and (space == "information_schema" or node.relname not in CATALOG_RELATIONS):
            shown = ".".join(filter(None, (space, node.relname)))
            return f"reads {shown}, a catalog relation tier does not allow"
    return None


def _query_text_problem(stmt: ast.Node) -> str | None:
    """A column of query text (or a whole row, or ``*``) of pg_stat_activity or
    pg_stat_statements: other sessions' SQL, with any secret literal in it."""
    views = {
        n.relname: (n.alias.aliasname if n.alias else n.relname)
        for n in _walk(stmt)
        if isinstance(n, ast.RangeVar) and n.relname in QUERY_TEXT
    }
    if not views:
        return None
    names = set(views) | set(views.values())
    for node in _walk(stmt):
        if isinstance(node, ast.ColumnRef):
            fields = [getattr(f, "sval", "*") for f in node.fields or ()]
            if fields[-1] in ("query", "*") or (len(fields) == 1 and fields[0] in names):
                return f"reads the query text of {', '.join(sorted(views))}"
    return None


def _parts(names: Any) -> list[str]:
    return [getattr(p, "sval", "") for p in names or ()]


def _operators(node: ast.Node) -> list[list[str]]:
    """The operator names a node uses: ``a + b``, ``ORDER BY x USING <``, ``x = ANY (...)``."""
    if isinstance(node, ast.A_Expr) and isinstance(node.name, tuple):
        return [_parts(node.name)]
    if isinstance(node, ast.SortBy) and node.useOp:
        return [_parts(node.useOp)]
    if isinstance(node, ast.SubLink) and node.operName:
        return [_parts(node.operName)]
    return []


class Names(NamedTuple):
    """The unqualified functions, operators and types a query uses: each must be the one in
    pg_catalog (collect.py asks the catalog before the query runs)."""

    functions: frozenset[str]
    operators: frozenset[str]
    types: frozenset[str]


def query_names(query: str) -> Names:
    """The names of a query :func:`query_problem` found fine, as PostgreSQL will resolve them."""
    try:
        stmt: Any = parse_sql(_parsable(query))[0].stmt
    except ParseError:  # refused by query_problem before it comes here
        return Names(frozenset(), frozenset(), frozenset())
    functions: set[str] = set()
    operators: set[str] = set()
    types: set[str] = set()
    for node in _walk(stmt):  # qualified names (pg_catalog.x) are resolved as written
        if isinstance(node, ast.FuncCall) and len(parts := _parts(node.funcname)) == 1:
            functions.add(parts[0])
        for operator in _operators(node):
            if len(operator) == 1:
                operators.add(operator[0])
        if isinstance(node, ast.TypeName) and len(parts := _parts(node.names)) == 1:
            types.add(parts[0])
    return Names(frozenset(functions), frozenset(operators), frozenset(types))


SHADOW_SQL = """
SELECT 'function', p.proname::text, n.nspname::text
FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
WHERE p.proname = ANY (%(functions)s::text[])
  AND n.nspname <> 'pg_catalog' AND n.nspname = ANY (current_schemas(true))
UNION ALL
SELECT 'operator', o.oprname::text, n.nspname::text
FROM pg_operator AS o JOIN pg_namespace AS n ON n.oid = o.oprnamespace
WHERE o.oprname = ANY (%(operators)s::text[])
  AND n.nspname <> 'pg_catalog' AND n.nspname = ANY (current_schemas(true))
UNION ALL
SELECT 'type', t.typname::text, n.nspname::text
FROM pg_type AS t JOIN pg_namespace AS n ON n.oid = t.typnamespace
WHERE t.typname = ANY (%(types)s::text[])
  AND n.nspname <> 'pg_catalog' AND n.nspname = ANY (current_schemas(true))
"""
"""Every function, operator or type of those names (any overload) in a schema of the session's
search path other than pg_catalog: PostgreSQL may resolve a name to it (a better overload, or a
schema searched before pg_catalog), and run the owner's code instead of the built-in one."""


def shadow_params(queries: Mapping[str, str]) -> dict[str, list[str]]:
    """The parameters of :data:`SHADOW_SQL`: every name the queries use."""
    names = [query_names(q) for q in queries.values()]
    return {
        "functions": sorted({f for n in names for f in n.functions}),
        "operators": sorted({o for n in names for o in n.operators}),
        "types": sorted({t for n in names for t in n.types}),
    }


def check_shadowed(
    queries: Mapping[str, str], found: list[tuple[str, str, str]], config_path: str
) -> None:
    """ConfigError naming the first query that uses a name :data:`SHADOW_SQL` found."""
    by_kind = {(kind, name): schema for kind, name, schema in found}
    for metric, query in queries.items():
        names = query_names(query)
        for kind, used in (
            ("function", names.functions),
            ("operator", names.operators),
            ("type", names.types),
        ):
            for name in sorted(used):
                schema = by_kind.get((kind, name))
                if schema is not None:
                    raise ConfigError(
                        f"{config_path}: [database.queries] {metric}: uses the {kind} {name}, "
                        f"which also exists in schema {schema} on the search path: PostgreSQL "
                        "could run that one instead of pg_catalog's. Tip: write "
                        f"pg_catalog.{name} for a function, or OPERATOR(pg_catalog.{name}) for "
                        "an operator (see docs/ci-and-safety.md)"
                    )


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
