"""`tier init` then `tier recommend --json` on a big fastapi-users schema (the access-token table).

    python benchmarks/bench_init.py                      # 200,000 users, 2,000,000 tokens
    python benchmarks/bench_init.py --users 20000 --tokens 200000 --runs 3

Starts an embedded PostgreSQL (pgserver) in a temporary folder, builds fastapi-users' tables
("user", accesstoken(token, created_at, user_id) with its index on created_at) with tokens spread
over 40 days, and times whole processes (cold interpreter each run): `tier init` (the schema
read and the candidate counts) and `tier recommend --json`, whose per-metric `timings_ms` it
prints, before and after the index `tier init` recommends for the peak. Medians of --runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parents[1]

SCHEMA = """
CREATE TABLE "user" (
    id uuid PRIMARY KEY, email varchar(320) NOT NULL, hashed_password varchar(1024) NOT NULL,
    is_active boolean NOT NULL, is_superuser boolean NOT NULL, is_verified boolean NOT NULL
);
CREATE TABLE accesstoken (
    token varchar(43) PRIMARY KEY, created_at timestamptz NOT NULL,
    user_id uuid NOT NULL REFERENCES "user" (id) ON DELETE cascade
);
"""


def _url(base: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    if "://" not in base:
        return make_conninfo(base, dbname=name)
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def build(url: str, users: int, tokens: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("SELECT setseed(0.42)")
        conn.execute(
            """INSERT INTO "user" SELECT gen_random_uuid(), 'u' || i, 'h', true, false, true
               FROM generate_series(1, %(n)s) AS i""",
            {"n": users},
        )
        conn.execute('CREATE TEMP TABLE ids AS SELECT id, row_number() OVER () AS n FROM "user"')
        conn.execute(
            """INSERT INTO accesstoken
               SELECT md5(g::text), now() - random() * interval '40 days', ids.id
               FROM generate_series(1, %(m)s) AS g JOIN ids ON ids.n = 1 + g %% %(n)s""",
            {"m": tokens, "n": users},
        )
        conn.execute("CREATE INDEX ix_accesstoken_created_at ON accesstoken (created_at)")
        conn.execute("VACUUM ANALYZE")


def tier(folder: Path, *args: str) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"}
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "tier_cli", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"tier {' '.join(args[:1])} failed: {proc.stderr}")
    return elapsed, proc.stdout


def measure(url: str, folder: Path, runs: int, label: str) -> None:
    init = [tier(folder, "init", "--force", "--database-url", url)[0] for _ in range(runs)]
    results: list[tuple[float, dict[str, Any]]] = []
    for _ in range(runs):
        elapsed, out = tier(folder, "recommend", "--json", "--database-url", url)
        results.append((elapsed, json.loads(out)))
    median = statistics.median(e for e, _ in results)
    timings = {
        name: statistics.median(r["timings_ms"][name] for _, r in results)
        for name in results[0][1]["timings_ms"]
    }
    data = results[-1][1]
    print(f"{label}:")
    print(f"  tier init            {statistics.median(init) * 1000:8,.0f} ms (median of {runs})")
    print(f"  tier recommend --json {median * 1000:7,.0f} ms (median of {runs})")
    for name, ms in timings.items():
        print(f"    {name:18} {ms:8,.1f} ms   value {data['metrics'][name]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--tokens", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver import postgres_server

        temp = Path(tempfile.mkdtemp(prefix="tier-bench-init-"))
        server = postgres_server.get_server(temp / "pgdata", cleanup_mode="stop")
    try:
        base = server.get_uri()
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute("CREATE DATABASE fastapi_users")
        url = _url(base, "fastapi_users")
        started = time.perf_counter()
        build(url, args.users, args.tokens)
        print(f"built {args.users:,} users, {args.tokens:,} tokens in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        folder = temp / "app"
        folder.mkdir()
        shutil.copy(ROOT / "examples" / "render.yaml", folder / "render.yaml")
        measure(url, folder, args.runs, "with fastapi-users' own index on created_at")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE INDEX ON accesstoken (created_at, user_id)")
            conn.execute("VACUUM ANALYZE accesstoken")
        measure(url, folder, args.runs, "with the index tier init recommends (created_at, user_id)")
    finally:
        server.cleanup()
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
