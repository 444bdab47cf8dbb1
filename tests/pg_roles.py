"""The read-only monitoring role `tier init` prints, created on the test server for a test.

tier refuses a superuser's URL without --allow-superuser, and a workflow's DATABASE_URL secret
should be this role's URL: tests that run tier as CI would use it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from tier_cli.metrics.initfile import monitoring_role_sql


@contextmanager
def monitoring_role(admin_url: str, password: str = "Monitor-pw-4e9d") -> Iterator[str]:
    """Create the role on the database of `admin_url` (its users table must exist); yield its
    URL; drop it after."""
    parts = urlsplit(admin_url)
    database = parts.path.lstrip("/")
    role = f"tier_mon_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(monitoring_role_sql(None, database, role, password))  # type: ignore[arg-type]
    host = parts.netloc.rpartition("@")[2]
    login = f"{role}:{quote(password, safe='')}"
    try:
        yield urlunsplit(parts._replace(netloc=f"{login}@{host}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
