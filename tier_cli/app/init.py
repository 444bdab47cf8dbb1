"""`tier init`'s work: a commented tiers.toml, fitted to the database's schema when given one,
and the SQL of a read-only monitoring role."""

import os
from pathlib import Path
from typing import NamedTuple

from tier_cli.app import write_file
from tier_cli.errors import ConfigError


class Written(NamedTuple):
    """`tier init`'s file written: what the schema told it, and the monitoring role's SQL."""

    notes: tuple[str, ...]
    role_sql: str


def write_init(
    path: Path,
    database_url: str | None,
    force: bool,
    allow_pull_request_database: bool = False,
    role_only: bool = False,
) -> Written:
    """A commented tiers.toml with the guide's tiers, and the metric SQL fitted to the schema of
    the database, when given one; with ``role_only``, only the monitoring role's SQL, and
    nothing written."""
    from tier_cli.metrics.initfile import initial_tiers_toml, monitoring_role_sql
    from tier_cli.metrics.sources import MetricsSource, resolve_url

    if path.exists() and not force and not role_only:
        raise ConfigError(f"{path}: already exists. Tip: pass --force to overwrite it")
    url = resolve_url(MetricsSource(database_url))
    guess = None
    database = "app"
    if url:
        from tier_cli.metrics.ci import refuse_pull_request_database
        from tier_cli.metrics.postgres.collect import inspect_schema
        from tier_cli.metrics.postgres.url import database_name

        refuse_pull_request_database(os.environ, allow_pull_request_database)

        # Any role, an admin's included: init runs only tier's own catalog queries (no SQL from
        # a file) in a read-only transaction, and prints the role the other commands then use.
        guess = inspect_schema(url, allow_superuser=True)
        database = database_name(url) or database
    if role_only:
        return Written((), monitoring_role_sql(guess, database))
    text, notes = initial_tiers_toml(guess)
    write_file(path, text.encode("utf-8"))
    return Written(tuple(notes), monitoring_role_sql(guess, database))
