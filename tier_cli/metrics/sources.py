"""Where a command's metrics come from: a snapshot file, a database, the demo, or the committed
snapshot.

I/O lives here and in the CLI; heavy imports (psycopg, pgserver) happen only on the paths that
need them, so `tier check --metrics FILE` stays fast.
"""

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from tier_cli.config.settings import DatabaseSettings
from tier_cli.errors import ConfigError, MetricsError
from tier_cli.metrics.measured import Metrics


class MetricsSource(NamedTuple):
    """The metrics flags of a command: at most one of them is set."""

    database_url: str | None = None
    metrics_file: Path | None = None
    demo: bool = False
    offline: bool = False  # never the database: --metrics FILE or the committed snapshot
    allow_superuser: bool = False  # --allow-superuser: connect even as a role with server powers
    allow_pull_request_database: bool = False  # the flag: read a database in a pull-request job

    def reads_database(self) -> bool:
        """Whether the metrics come from a database (where a status line helps), not a file."""
        if self.demo:
            return True
        url = resolve_url(MetricsSource(self.database_url, offline=self.offline))
        return self.metrics_file is None and bool(url)

    def check(self) -> None:
        given = [
            name
            for name, value in (
                ("--database-url", self.database_url),
                ("--metrics", self.metrics_file),
                ("--demo", self.demo),
                ("--offline", self.offline and (self.database_url or self.demo)),
            )
            if value
        ]
        if len(given) > 1:
            raise ConfigError(
                f"{' and '.join(given)} cannot be used together. Tip: choose one metrics source"
            )


def resolve_url(source: MetricsSource) -> str | None:
    """--database-url, else DATABASE_URL (Render's convention); none when offline.

    A SQLAlchemy-style scheme (`postgresql+asyncpg://`, `postgresql+psycopg://`, what FastAPI apps
    keep in DATABASE_URL) and `postgres://` become `postgresql://`, silently; whitespace around
    the URL (a newline pasted with it) is a ConfigError that says so.
    """
    if source.offline:
        return None
    if source.database_url:
        return clean_url(source.database_url, "--database-url")
    env = os.environ.get("DATABASE_URL")
    return clean_url(env, "DATABASE_URL") if env else None


_DRIVER_SCHEME = r"(?i)^postgres(?:ql)?(?:\+[A-Za-z0-9_]+)?://"  # compiled on first use


def clean_url(url: str, given_by: str) -> str:
    """`url` with the driver suffix of its scheme dropped; whitespace around it refused."""
    if url != url.strip():
        where = "ends" if url[-1:].isspace() else "starts"
        what = "a newline" if "\n" in url or "\r" in url else "whitespace"
        raise ConfigError(
            f"{given_by}: the database URL {where} with {what}. Tip: remove the whitespace "
            "around it (a file read with $(cat ...) or a pasted line break often adds one)"
        )
    return re.sub(_DRIVER_SCHEME, "postgresql://", url, count=1)


def read_metrics(
    source: MetricsSource,
    settings: DatabaseSettings,
    committed: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Metrics:
    """--metrics FILE, else --database-url / DATABASE_URL, else the committed snapshot.

    ``progress`` is told each metric's name as a database reads it (never for a file).
    """
    source.check()
    if source.metrics_file is not None:
        from tier_cli.metrics.snapshot import read_snapshot

        return read_snapshot(source.metrics_file)
    if source.demo:
        from tier_cli.metrics.demo import demo_database
        from tier_cli.metrics.postgres.collect import collect

        with demo_database() as demo_url:
            metrics = collect(demo_url, settings, progress, allow_superuser=True)  # its own
        return metrics._replace(source="demo database (embedded PostgreSQL)")
    url = resolve_url(source)
    if url:
        from tier_cli.metrics.ci import refuse_pull_request_database
        from tier_cli.metrics.postgres.collect import collect

        refuse_pull_request_database(os.environ, source.allow_pull_request_database)

        return collect(url, settings, progress, allow_superuser=source.allow_superuser)
    if committed is not None and committed.exists():
        from tier_cli.metrics.snapshot import read_snapshot

        return read_snapshot(committed)
    where = f" (none at {committed})" if committed is not None else ""
    raise MetricsError(
        f"no metrics source{where}. Tip: pass --database-url URL, set DATABASE_URL, pass "
        "--metrics FILE, write a snapshot with `tier snapshot`, or try --demo"
    )
