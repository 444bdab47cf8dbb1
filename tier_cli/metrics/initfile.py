"""`tier init`: the guide's tiers.toml, with metric SQL fitted to a schema that was inspected.

The tiers are the shipped file's (tier_cli/data/tiers.toml, a copy of the repository's): the
guide's thresholds, commands and web plans on Render's current Postgres plans and worker class.

Every metric of an inspected database gets working SQL for that schema, or an explicit unknown
(``SELECT NULL``) with a comment that says why and what would measure it, so that `tier
recommend` runs right after `tier init`. The notes say where each metric comes from and what it
means; they are printed as the summary.
"""

import re
from typing import NamedTuple

from tier_cli.config.metric_table import (
    ACTIVE_USERS,
    CONCURRENT_USERS,
    EDIT_COLUMNS,
    EXACT,
    LOWER_BOUND,
    QUALITY_WORDS,
    SCHEMA_METRICS,
    SECRET_COLUMN,
    SINGLE_READING,
    USERS,
)
from tier_cli.config.paths import DATA
from tier_cli.metrics.postgres.schema import Index, SchemaGuess, wanted_indexes

QUERIES_HEADER = "[database.queries]\n"
QUALITY_HEADER = "[database.quality]\n"
ACTIVITY_HEADER = "[database.activity]\n"
ACTIVITY_EXAMPLE_END = "# window_minutes = 5\n"  # the commented example in the packaged file
STAMP = "# written by `tier init` from the schema of the database it was given\n"
CONVENTIONAL = ("public.users", "last_seen_at", "created_at")
UNKNOWN_SQL = "SELECT NULL"
RECIPE = 'README, "Your schema"'
ACTIVE_DAYS = 30  # the packaged file's [database] active_days, named in the notes
LOOKBACK_DAYS, WINDOW_MINUTES = 7, 5  # the [database.activity] section init writes


class Written(NamedTuple):
    """One metric's line under [database.queries]: its SQL and the comment above it."""

    metric: str
    sql: str
    comment: tuple[str, ...]  # lines, without "# "
    note: str  # the summary line
    quality: str = EXACT  # its line under [database.quality] when not exact


def _ident(name: str) -> str:
    """Quote each part of a possibly schema-qualified identifier."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def _toml_string(sql: str) -> str:
    """A TOML literal string when it can be one (readable SQL), else a basic string."""
    if "'" not in sql and "\n" not in sql:
        return f"'{sql}'"
    return '"' + sql.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _since(column: str, unit: str, parameter: str) -> str:
    return f"{_ident(column)} >= now() - make_interval({unit} => %({parameter})s)"


def last_seen_recipe_sql(users_table: str) -> str:
    """active_users once the users table has the recipe's last_seen_at column."""
    return (
        f"SELECT count(*) FROM {_ident(users_table)} "
        f"WHERE {_since('last_seen_at', 'days', 'active_days')}"
    )


def written(guess: SchemaGuess) -> list[Written]:
    """users, active_users and concurrent_users for the guessed schema, each with its why."""
    if guess.users_table is None:
        why = f"no users table was found ({RECIPE}: the names tier looks for)"
        return [
            Written(
                m,
                UNKNOWN_SQL,
                (f"{m}: unknown: {why}. Write the SQL for your schema here.",),
                f"{m}: unknown: {why}",
            )
            for m in SCHEMA_METRICS
        ]
    users = guess.users_table
    table = _ident(users)
    counted = f" ({guess.users_rows:,} now)" if guess.users_rows is not None else ""
    out = [
        Written(
            USERS,
            f"SELECT count(*) FROM {table}",
            (f"users: the rows of {users}",),
            f"users: the rows of {users}{counted}",
        )
    ]
    out.append(_active(guess, table))
    if guess.activity_table is None:  # with one, [database.activity] gives the peak
        out.append(_concurrent(guess, table))
    return out


def _active(guess: SchemaGuess, table: str) -> Written:
    """active_users from the source guess_schema chose by evidence, its candidates with their
    figures in the comment, and its quality: a lower bound from edits or added rows."""
    found = _active_source(guess, table)
    if not guess.candidates:
        return found
    listed = ["candidates, most distinct users in 30 days first:"] + [
        f"- {line}" for line in guess.candidates
    ]
    return found._replace(comment=(*listed, *found.comment))


def _active_source(guess: SchemaGuess, table: str) -> Written:
    users, days = guess.users_table, ACTIVE_DAYS
    if guess.last_seen_column is not None and guess.active_table is None:
        col = guess.last_seen_column
        meaning = (
            f"a user who logged in within {days} days ({col} changes at login only)"
            if guess.active_login_only
            else f"a user whose {col} is within {days} days"
        )
        edits = _is_edit(col)
        if edits:
            meaning += (
                f" ({col} changes when a profile is edited, not when a user visits: a lower bound)"
            )
        return Written(
            ACTIVE_USERS,
            f"SELECT count(*) FROM {table} WHERE {_since(col, 'days', 'active_days')}",
            (f"active_users: from {users}.{col}: {meaning}",),
            f"active_users: from {users}.{col}: {meaning}",
            LOWER_BOUND if edits else EXACT,
        )
    if guess.active_table is not None:
        assert guess.active_user_column and guess.active_time_column
        source = f"{guess.active_table}({guess.active_user_column}, {guess.active_time_column})"
        quality = EXACT
        if guess.active_login_only:
            meaning = f"a user who logged in within {days} days"
        elif guess.active_table in guess.item_tables:
            meaning = (
                f"a user who added a row to {guess.active_table} within {days} days (users "
                "who only read are not counted: a lower bound)"
            )
            quality = LOWER_BOUND
        elif _is_edit(guess.active_time_column):
            meaning = (
                f"a user who edited a row of {guess.active_table} within {days} days (users "
                "who only visit are not counted: a lower bound)"
            )
            quality = LOWER_BOUND
        else:
            meaning = f"a user with a recorded action within {days} days"
        return Written(
            ACTIVE_USERS,
            f"SELECT count(DISTINCT {_ident(guess.active_user_column)}) "
            f"FROM {_ident(guess.active_table)} "
            f"WHERE {_since(guess.active_time_column, 'days', 'active_days')}",
            (f"active_users: distinct users with a row in {source}: {meaning}",),
            f"active_users: distinct users with a row in {source}: {meaning}",
            quality,
        )
    why = (
        f"nothing records when a user was active: {users} has no last-activity column and no "
        "table that references it has a timestamp"
    )
    return Written(
        ACTIVE_USERS,
        UNKNOWN_SQL,
        (
            f"active_users: unknown: {why}.",
            f"To measure it, add a last_seen_at column ({RECIPE}), then write:",
            f"active_users = {_toml_string(last_seen_recipe_sql(users or ''))}",
        ),
        f"active_users: unknown: {why}. Tip: add a last_seen_at column ({RECIPE})",
    )


def _is_edit(column: str | None) -> bool:
    """A time that changes when a row is edited (updated_at, updatedAt, ...)."""
    spelled = (column or "").replace("_", "").lower()
    return spelled in {c.replace("_", "") for c in EDIT_COLUMNS}


def _concurrent(guess: SchemaGuess, table: str) -> Written:
    users = guess.users_table
    if guess.last_seen_column is not None:
        col = guess.last_seen_column
        meaning = f"users whose {col} is within concurrent_minutes, one reading"
        if guess.active_login_only:
            meaning += (
                f"; {col} changes at login only, so this undercounts: users who logged in "
                "earlier and are still online are not counted"
            )
        return Written(
            CONCURRENT_USERS,
            f"SELECT count(*) FROM {table} WHERE {_since(col, 'mins', 'concurrent_minutes')}",
            (f"concurrent_users: from {users}.{col}: {meaning} (not the peak)",),
            f"concurrent_users: from {users}.{col}: {meaning} (not the peak)",
            SINGLE_READING,
        )
    items = ", ".join(guess.item_tables)
    why = "nothing records when users are online" + (
        f" ({items} records what users add, not when they are online)" if items else ""
    )
    return Written(
        CONCURRENT_USERS,
        UNKNOWN_SQL,
        (
            f"concurrent_users: unknown: {why}.",
            f"To measure it, add a last_seen_at column ({RECIPE}) and write:",
            "concurrent_users = "
            + _toml_string(
                f"SELECT count(*) FROM {_ident(users or '')} "
                f"WHERE {_since('last_seen_at', 'mins', 'concurrent_minutes')}"
            ),
        ),
        f"concurrent_users: unknown: {why}. Tip: add a last_seen_at column ({RECIPE})",
    )


def _activity_note(guess: SchemaGuess) -> str:
    source = f"{guess.activity_table}({guess.activity_user_column}, {guess.activity_time_column})"
    note = (
        f"concurrent_users: the peak of distinct users with a row in {source} in one "
        f"{WINDOW_MINUTES}-minute window over {LOOKBACK_DAYS} days ([database.activity])"
    )
    if guess.activity_login_only:
        note += (
            "; a row there is made at login, so this undercounts concurrency: users who "
            "logged in earlier and are still online are not counted"
        )
    return note


def initial_tiers_toml(guess: SchemaGuess | None) -> tuple[str, list[str]]:
    """The packaged tiers.toml; [database.queries] filled when the schema is not the default."""
    text = (DATA / "tiers.toml").read_text("utf-8")
    if guess is None:
        return text, [
            "the guide's tiers, on Render's current Postgres plans (README: What Render will "
            "accept); default SQL for the conventional schema (README)"
        ]
    notes = list(guess.notes)
    found = (guess.users_table, guess.last_seen_column, guess.created_column)
    has_activity = bool(
        guess.activity_table and guess.activity_user_column and guess.activity_time_column
    )
    lines = written(guess)
    if found != CONVENTIONAL:
        body = "".join(_comment(w) + f"{w.metric} = {_toml_string(w.sql)}\n" for w in lines)
        text = text.replace(QUERIES_HEADER, QUERIES_HEADER + STAMP + body, 1)
    qualities = [(w.metric, w.quality) for w in lines if w.quality != EXACT]
    if guess.activity_login_only:  # the peak of logins undercounts who is online
        qualities.append((CONCURRENT_USERS, LOWER_BOUND))
    if qualities:
        assert QUALITY_HEADER in text
        body = "".join(f'{metric} = "{quality}"\n' for metric, quality in qualities)
        text = text.replace(QUALITY_HEADER, QUALITY_HEADER + STAMP + body, 1)
        notes.extend(
            f"{metric}: {QUALITY_WORDS[quality]} ([database.quality])"
            for metric, quality in qualities
        )
    else:
        notes.append("the conventional schema: users(created_at, last_seen_at); default SQL kept")
    notes.extend(w.note for w in lines)
    if has_activity:
        assert guess.activity_table and guess.activity_user_column and guess.activity_time_column
        comment = "".join(f"# {part}\n" for part in _wrap(_activity_note(guess)))
        section = (
            f"\n{ACTIVITY_HEADER}{STAMP}{comment}table = {_toml_string(guess.activity_table)}\n"
            f"user_column = {_toml_string(guess.activity_user_column)}\n"
            f"time_column = {_toml_string(guess.activity_time_column)}\n"
            f"lookback_days = {LOOKBACK_DAYS}\nwindow_minutes = {WINDOW_MINUTES}\n"
        )
        assert ACTIVITY_EXAMPLE_END in text
        text = text.replace(ACTIVITY_EXAMPLE_END, ACTIVITY_EXAMPLE_END + section, 1)
        notes.append(_activity_note(guess))
    notes.extend(_index_note(index, index in guess.indexed) for index in wanted_indexes(guess))
    return text, notes


INDEX_FOR = {
    CONCURRENT_USERS: "the peak's table",
    ACTIVE_USERS: "active_users' table",
}
INDEX_WHY = {
    CONCURRENT_USERS: "each 5-minute window is one range of it",
    ACTIVE_USERS: "its users come out in order, so counting them sorts nothing",
}


def _index_note(index: Index, exists: bool) -> str:
    """The index a metric's query needs: there already, or the statement that makes it."""
    columns = ", ".join(_ident(c) for c in index.columns)
    if exists:
        return f"{INDEX_FOR[index.metric]} has its index already: ({columns})"
    return (
        f"index {INDEX_FOR[index.metric]}: CREATE INDEX CONCURRENTLY ON {_ident(index.table)} "
        f'({columns}) ({INDEX_WHY[index.metric]}; docs/metrics.md, "Index recipes": in a psql '
        "session, or in an Alembic migration)"
    )


def _comment(w: Written) -> str:
    """The comment above a metric's line, wrapped; an example line of SQL is kept whole."""
    out: list[str] = []
    for line in w.comment:
        out.extend([line] if line.startswith(f"{w.metric} = ") else _wrap(line))
    return "".join(f"# {line}\n" for line in out)


def _wrap(text: str, width: int = 96) -> list[str]:
    """Words on lines of at most ``width`` characters, for a TOML comment."""
    out: list[str] = []
    for word in text.split():
        if out and len(out[-1]) + 1 + len(word) <= width:
            out[-1] += " " + word
        else:
            out.append(word)
    return out


MONITOR_ROLE = "tier_monitor"


def monitoring_role_sql(
    guess: SchemaGuess | None,
    database: str = "app",
    role: str = MONITOR_ROLE,
    password: str = "choose-a-long-random-password",
) -> str:
    """SQL (run as the database's owner; safe to run again) creating a read-only login role
    with exactly tier's grants.

    CONNECT on the database (pg_database_size needs it), USAGE on the schemas and SELECT on
    the columns the metric queries read: the users table's last-activity column, or one column
    without a secret-looking name (count(*) needs SELECT on any one column), and the user and
    time columns of the tables active users and the peak are read from. Never a whole table, and
    never a column named like a password, hash, token or secret. pg_read_all_stats, for the
    query text of pg_stat_statements (slow_query_ms) and other sessions in pg_stat_activity
    (db_connections): where the owner may not grant it, a notice says so and the rest stands.
    Nothing else: no superuser, no server-file roles, read-only by default.
    """
    grants: dict[str, list[str]] = {}  # table -> the columns the metric queries read

    def read(table: str | None, *columns: str | None) -> None:
        if table:
            known = grants.setdefault(table, [])
            known += [
                c for c in columns if c and c not in known and not re.search(SECRET_COLUMN, c)
            ]

    if guess is None or guess.users_table is None:
        read("public.users", "last_seen_at")  # the conventional schema's default queries
    else:
        read(guess.users_table, guess.last_seen_column or guess.count_column)
        read(guess.active_table, guess.active_user_column, guess.active_time_column)
        read(guess.activity_table, guess.activity_user_column, guess.activity_time_column)
    name = _ident(role)
    schemas = sorted({t.split(".")[0] if "." in t else "public" for t in grants})
    quoted_password = password.replace("'", "''")
    literal = "'" + role.replace("'", "''") + "'"
    lines = [
        "-- A read-only role for tier, with exactly the grants its metric queries need.",
        "-- Run it as the database's owner (on Render: the user of the database's own URL).",
        "-- Safe to run again: it creates the role only when it is missing.",
        "DO $tier$",
        "BEGIN",
        f"    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal}) THEN",
        f"        CREATE ROLE {name} LOGIN PASSWORD '{quoted_password}'",
        "            NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;",
        "    END IF;",
        "END",
        "$tier$;",
        f"ALTER ROLE {name} SET default_transaction_read_only = on;",
        f"GRANT CONNECT ON DATABASE {_ident_one(database)} TO {name};",
        *(f"GRANT USAGE ON SCHEMA {_ident_one(s)} TO {name};" for s in schemas),
        *(_grant(table, columns, name) for table, columns in grants.items()),
        "-- slow_query_ms reads pg_stat_statements' query text and db_connections the other",
        "-- sessions of pg_stat_activity: both need pg_read_all_stats (statistics only, no data).",
        "DO $tier$",
        "BEGIN",
        f"    GRANT pg_read_all_stats TO {name};",
        "EXCEPTION WHEN insufficient_privilege THEN",
        "    RAISE NOTICE 'no pg_read_all_stats: slow_query_ms, db_connections may be unknown';",
        "END",
        "$tier$;",
    ]
    return "\n".join(line for line in lines if line) + "\n"


def _grant(table: str, columns: list[str], role: str) -> str:
    """SELECT on those columns (count(*) needs any one); nothing when every column of the table
    looks secret (a comment says so)."""
    if not columns:
        return f"-- {table}: no column without a secret-looking name to grant; not readable"
    cols = ", ".join(_ident_one(c) for c in columns)
    return f"GRANT SELECT ({cols}) ON {_ident(table)} TO {role};"


def _ident_one(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
