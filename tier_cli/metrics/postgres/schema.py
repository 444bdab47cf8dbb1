"""Guess the users table, its columns and an activity table from their names (`tier init`).

Pure: :func:`guess_schema` reads the rows of :data:`COLUMNS_SQL` (metrics.inspect_schema runs
it) and returns a SchemaGuess with the reasons for each choice in its notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tier_cli.models import SchemaGuess

COLUMNS_SQL = """
SELECT c.table_schema, c.table_name, c.column_name, c.data_type
FROM information_schema.columns AS c
WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY array_position(current_schemas(false), c.table_schema::name), c.table_schema,
         c.table_name, c.ordinal_position
"""
"""Every column the role can see, the schemas of the search_path first."""

# Names looked for, best first.
USERS_TABLES = ("users", "user", "accounts", "account", "auth_user", "members", "students")
LAST_SEEN_COLUMNS = (
    "last_seen_at", "last_seen", "last_active_at", "last_activity_at", "last_login_at",
    "last_login", "last_sign_in_at", "updated_at",
)  # fmt: skip
CREATED_COLUMNS = ("created_at", "date_joined", "inserted_at", "created", "registered_at")
ACTIVITY_TABLES = ("activity", "activities", "events", "user_events", "activity_log", "sessions")
ACTIVITY_USER_COLUMNS = ("user_id", "account_id", "member_id", "student_id")
ACTIVITY_TIME_COLUMNS = ("at", "occurred_at", "created_at", "timestamp", "ts", "inserted_at")
TIMESTAMPS = ("timestamp with time zone", "timestamp without time zone")


def guess_schema(rows: list[tuple[Any, ...]]) -> SchemaGuess:
    """Pick the tables and columns from COLUMNS_SQL's rows (schema, table, column, type).

    The activity table is the first of ACTIVITY_TABLES (search_path first) that has both a user
    column and a timestamp column; its name is schema-qualified, like the users table's, so a
    schema or table with a dot in its name is passed over ([database.activity] splits on dots).
    """
    tables: dict[tuple[str, str], dict[str, str]] = {}
    for schema, table, column, data_type in rows:
        tables.setdefault((schema, table), {})[column] = data_type
    users = _first_table(tables, USERS_TABLES)
    if users is None:
        looked = ", ".join(USERS_TABLES)
        return SchemaGuess(None, None, notes=(f"no users table found (looked for {looked})",))
    name = ".".join(users)
    seen = _first_column(tables[users], LAST_SEEN_COLUMNS, TIMESTAMPS)
    created = _first_column(tables[users], CREATED_COLUMNS, (*TIMESTAMPS, "date"))
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
        at = _first_column(tables[table], ACTIVITY_TIME_COLUMNS, TIMESTAMPS)
        if user and at and "." not in "".join(table):
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
