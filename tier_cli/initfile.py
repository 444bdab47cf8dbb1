"""`tier init`: the guide's tiers.toml, with metric SQL fitted to a schema that was inspected."""

from __future__ import annotations

from importlib import resources

from tier_cli.models import SchemaGuess

QUERIES_HEADER = "[database.queries]\n"
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
    text = resources.files("tier_cli").joinpath("data/tiers.toml").read_text("utf-8")
    if guess is None:
        return text, ["the guide's tiers; default SQL for the conventional schema (README)"]
    notes = list(guess.notes)
    found = (guess.users_table, guess.last_seen_column, guess.created_column)
    if guess.users_table is None:
        notes.append(
            "no users table found: the default SQL expects users(created_at, last_seen_at); "
            "write your own under [database.queries]"
        )
        return text, notes
    if found == CONVENTIONAL:
        notes.append("the conventional schema: users(created_at, last_seen_at); default SQL kept")
        return text, notes
    queries = queries_for(guess)
    lines = "".join(f"{metric} = {_toml_string(sql)}\n" for metric, sql in queries.items())
    stamp = "# written by `tier init` from the schema of the database it was given\n"
    assert QUERIES_HEADER in text
    text = text.replace(QUERIES_HEADER, QUERIES_HEADER + stamp + lines, 1)
    notes.append(f"metric SQL written for {guess.users_table}({guess.last_seen_column})")
    return text, notes
