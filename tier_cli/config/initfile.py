"""`tier init`: the guide's tiers.toml, with metric SQL fitted to a schema that was inspected.

The tiers are the shipped file's (tier_cli/data/tiers.toml, a copy of the repository's): the
guide's thresholds, commands and web plans on Render's current Postgres plans and worker class.
"""

from __future__ import annotations

from tier_cli.models import DATA, SchemaGuess

QUERIES_HEADER = "[database.queries]\n"
ACTIVITY_HEADER = "[database.activity]\n"
ACTIVITY_EXAMPLE_END = "# window_minutes = 5\n"  # the commented example in the packaged file
STAMP = "# written by `tier init` from the schema of the database it was given\n"
CONVENTIONAL = ("public.users", "last_seen_at", "created_at")


def _ident(name: str) -> str:
    """Quote each part of a possibly schema-qualified identifier."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def _toml_string(sql: str) -> str:
    """A TOML literal string when it can be one (readable SQL), else a basic string."""
    if "'" not in sql and "\n" not in sql:
        return f"'{sql}'"
    return '"' + sql.replace("\\", "\\\\").replace('"', '\\"') + '"'


def queries_for(guess: SchemaGuess) -> dict[str, str]:
    if guess.users_table is None:
        return {}
    table = _ident(guess.users_table)
    out = {"users": f"SELECT count(*) FROM {table}"}
    if guess.last_seen_column is not None:
        col = _ident(guess.last_seen_column)
        out["active_users"] = (
            f"SELECT count(*) FROM {table} "
            f"WHERE {col} >= now() - make_interval(days => %(active_days)s)"
        )
        out["concurrent_users"] = (
            f"SELECT count(*) FROM {table} "
            f"WHERE {col} >= now() - make_interval(mins => %(concurrent_minutes)s)"
        )
    return out


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
    if guess.users_table is None:
        notes.append(
            "no users table found: the default SQL expects users(created_at, last_seen_at); "
            "write your own under [database.queries]"
        )
        return text, notes
    has_activity = bool(
        guess.activity_table and guess.activity_user_column and guess.activity_time_column
    )
    if found != CONVENTIONAL:
        queries = queries_for(guess)
        if has_activity:  # a custom concurrent_users query would win over the peak
            queries.pop("concurrent_users", None)
        lines = "".join(f"{metric} = {_toml_string(sql)}\n" for metric, sql in queries.items())
        text = text.replace(QUERIES_HEADER, QUERIES_HEADER + STAMP + lines, 1)
        notes.append(f"metric SQL written for {guess.users_table}({guess.last_seen_column})")
    else:
        notes.append("the conventional schema: users(created_at, last_seen_at); default SQL kept")
    if has_activity:
        assert guess.activity_table and guess.activity_user_column and guess.activity_time_column
        section = (
            f"\n{ACTIVITY_HEADER}{STAMP}table = {_toml_string(guess.activity_table)}\n"
            f"user_column = {_toml_string(guess.activity_user_column)}\n"
            f"time_column = {_toml_string(guess.activity_time_column)}\n"
            "lookback_days = 7\nwindow_minutes = 5\n"
        )
        assert ACTIVITY_EXAMPLE_END in text
        text = text.replace(ACTIVITY_EXAMPLE_END, ACTIVITY_EXAMPLE_END + section, 1)
        notes.append(
            f"peak concurrency from {guess.activity_table}({guess.activity_user_column}, "
            f"{guess.activity_time_column}): index it with CREATE INDEX ON "
            f"{guess.activity_table} ({guess.activity_time_column}, {guess.activity_user_column})"
        )
    return text, notes
