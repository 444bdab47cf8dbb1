"""Issue 18, item 7: speed on real schemas at 1 M users and 20 M activity rows.

Two of the five real schemas of tests/fixtures/apps (built by the apps' own migrations):
- phoenix: 1 M `users`, 20 M `refresh_tokens` (a sign-in each; `access_tokens` is left empty:
  each of its rows needs a refresh token of its own, which would make 40 M rows);
- fastapi-realworld-example-app: 1 M `users`, 1,000 `articles`, 20 M `commentaries`.
Activity rows are spread evenly over the last 60 days, users drawn by a fixed permutation.

For each: `tier init` (timed), the indexes it suggests created, `tier recommend --json` (timed,
as a whole process), and each metric query of the tiers.toml init wrote timed alone under the
statement timeout; it prints the figures and whether every metric came back within it.

    python benchmarks/real_apps.py                      # both apps, 1 M users, 20 M rows
    python benchmarks/real_apps.py --users 100000 --rows 2000000   # a quick look
    python benchmarks/real_apps.py --data-dir /tmp/tier-real       # keep and reuse the data
    python benchmarks/real_apps.py --data-dir /tmp/tier-real --postgres 18   # on PostgreSQL 18

The data is loaded as the server's superuser with foreign-key triggers off (the rows are
consistent by construction): a 20 M-row load checking each key would take several times longer.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql
from server import server

from tier_cli.config.catalogue import load_catalogue
from tier_cli.config.tiers import load_config
from tier_cli.metrics.postgres.collect import collect

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "apps"
SPAN_S = 60 * 24 * 3600  # activity rows over the last 60 days


def _fill_phoenix(conn: psycopg.Connection[object], users: int, rows: int) -> None:
    conn.execute(
        "INSERT INTO user_roles (id, name) VALUES (1, 'SYSTEM'), (2, 'ADMIN'), (3, 'MEMBER')"
    )
    conn.execute(
        "INSERT INTO users (id, user_role_id, username, email, password_hash, password_salt, "
        "reset_password, created_at, updated_at, auth_method) SELECT i, 3, 'user' || i, "
        "'u' || i || '@example.org', '\\x00'::bytea, '\\x00'::bytea, false, "
        "now() - interval '100 days', CASE WHEN i % 13 = 0 THEN now() - make_interval(hours "
        "=> i % 700) ELSE now() - interval '100 days' END, 'LOCAL' "
        f"FROM generate_series(1, {users}) AS i"
    )
    conn.execute(
        "INSERT INTO refresh_tokens (id, user_id, created_at, expires_at) "
        f"SELECT i, 1 + (i::bigint * 7919) % {users}, now() - make_interval(secs => i % {SPAN_S}),"
        f" now() - make_interval(secs => i % {SPAN_S}) + interval '7 days' "
        f"FROM generate_series(1, {rows}) AS i"
    )


def _fill_realworld(conn: psycopg.Connection[object], users: int, rows: int) -> None:
    conn.execute(
        "INSERT INTO users (id, username, email, salt, hashed_password, bio, created_at, "
        "updated_at) SELECT i, 'user' || i, 'u' || i || '@example.org', 's', 'h', '', "
        "now() - interval '100 days', CASE WHEN i % 13 = 0 THEN now() - make_interval(hours "
        "=> i % 700) ELSE now() - interval '100 days' END "
        f"FROM generate_series(1, {users}) AS i"
    )
    conn.execute(
        "INSERT INTO articles (id, slug, title, description, body, author_id, created_at, "
        "updated_at) SELECT i, 'a-' || i, 't', 'd', 'b', i, now() - interval '90 days', "
        "now() - interval '90 days' FROM generate_series(1, 1000) AS i"
    )
    conn.execute(
        "INSERT INTO commentaries (body, author_id, article_id, created_at, updated_at) "
        f"SELECT 'c', 1 + (i::bigint * 7919) % {users}, 1 + i % 1000, "
        f"now() - make_interval(secs => i % {SPAN_S}), now() - make_interval(secs => i % {SPAN_S}) "
        f"FROM generate_series(1, {rows}) AS i"
    )


FILLERS: dict[str, Callable[[psycopg.Connection[object], int, int], None]] = {
    "phoenix": _fill_phoenix,
    "fastapi-realworld-example-app": _fill_realworld,
}


def build(
    urls: Callable[[str], str], app: str, users: int, rows: int, say: Callable[[str], None]
) -> str:
    name = f"real_{app.replace('-', '_')}_{users}_{rows}"
    with psycopg.connect(urls("postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            with psycopg.connect(urls(name)) as db:
                if db.execute("SELECT to_regclass('bench_built') IS NOT NULL").fetchone() == (
                    True,
                ):
                    say(f"{app}: reusing {name}")
                    return urls(name)
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    started = time.perf_counter()
    with psycopg.connect(urls(name), autocommit=True) as conn:
        conn.execute((FIXTURES / app / "schema.sql").read_text("utf-8"))
    with psycopg.connect(urls(name)) as conn:
        conn.execute("SET session_replication_role = replica")  # no foreign-key triggers
        FILLERS[app](conn, users, rows)
    with psycopg.connect(urls(name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CREATE TABLE bench_built ()")
    say(
        f"{app}: built {users:,} users and {rows:,} activity rows "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return urls(name)


def tier(folder: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tier_cli", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - started, done


# The table each app records its activity rows in (user column, time column): what init should
# choose (issue 18, item 1). When it chooses another source, the metrics are measured a second
# time with tiers.toml pointed at this one, so the 20 M-row path is timed either way.
ROWS_TABLE = {
    "phoenix": ("refresh_tokens", "user_id", "created_at"),
    "fastapi-realworld-example-app": ("commentaries", "author_id", "created_at"),
}


def build_indexes(url: str, statements: list[str], say: Callable[[str], None]) -> None:
    """Create each suggested index (without CONCURRENTLY: nothing else runs), unless there."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            statement = statement.replace("CONCURRENTLY ", "")
            target = statement.split(" ON ", 1)[-1].replace('"', "")
            rows = conn.execute("SELECT indexdef FROM pg_indexes").fetchall()
            if any(target == d.split(" ON ", 1)[-1].replace("USING btree ", "") for (d,) in rows):
                say(f"  index suggested, already there: {statement}")
                continue
            began = time.perf_counter()
            try:
                conn.execute(statement)
                say(f"  index suggested, built in {time.perf_counter() - began:.0f} s: {statement}")
            except psycopg.Error as error:
                say(f"  index suggested, not built ({error.diag.message_primary}): {statement}")
        conn.execute("ANALYZE")


def timed_pass(url: str, folder: Path, label: str, say: Callable[[str], None]) -> bool:
    """Every metric read by collect() with this tiers.toml, then `tier recommend --json`."""
    settings = load_config(folder / "tiers.toml", load_catalogue()).database
    metrics = collect(url, settings, allow_superuser=True)
    timeout_ms = settings.statement_timeout_ms
    for metric, ms in metrics.timings_ms.items():
        say(f"  {metric}: {ms:.0f} ms -> {metrics.values.get(metric)}")
    for advice in metrics.advice:
        say(f"  advice: {advice}")
    within = max(metrics.timings_ms.values()) < timeout_ms
    seconds, done = tier(folder, "recommend", "--database-url", url, "--json", "--allow-superuser")
    data = json.loads(done.stdout) if done.stdout.strip() else {}
    say(f"  tier recommend --json {seconds:.2f} s (exit {done.returncode})")
    say(f"  metrics: {data.get('metrics')}")
    say(f"  quality: {data.get('quality')}  uncertain: {data.get('uncertain')}")
    say(f"  unknown: {data.get('unknown')}  recommended: {data.get('recommended')}")
    reasons = json.dumps(data.get("warnings", []))
    if "timeout" in reasons or "canceled" in reasons or done.returncode != 0:
        within = False
    verdict = "PASS" if within else "FAIL"
    say(f"{label}: every metric within the {timeout_ms} ms statement timeout: {verdict}")
    return within


def point_at(folder: Path, table: str, user: str, at: str) -> None:
    """Rewrite tiers.toml's active_users query and [database.activity] to `table` (the peak
    then gives concurrent_users: a query of its own under [database.queries] is removed)."""
    path = folder / "tiers.toml"
    text = path.read_text("utf-8")
    query = (
        f'active_users = \'SELECT count(DISTINCT "{user}") FROM "public"."{table}" '
        f'WHERE "{at}" >= now() - make_interval(days => %(active_days)s)\''
    )
    text = re.sub(r"(?ms)^\[database\.activity\]\n.*?(?=^\[|\Z)", "", text)
    head, queries = text.split("[database.queries]\n", 1)
    queries, n = re.subn(r"^active_users = .*$", lambda _: query, queries, count=1, flags=re.M)
    if not n:
        queries = query + "\n" + queries
    queries = re.sub(r"^concurrent_users = .*\n", "", queries, flags=re.M)  # the peak instead
    activity = (
        f"[database.activity]\ntable = 'public.{table}'\nuser_column = '{user}'\n"
        f"time_column = '{at}'\nlookback_days = 7\nwindow_minutes = 5\n\n"
    )
    path.write_text(head + activity + "[database.queries]\n" + queries, "utf-8")


def measure(url: str, app: str, say: Callable[[str], None]) -> bool:
    folder = Path(tempfile.mkdtemp(prefix=f"tier-real-{app}-"))
    (folder / "render.yaml").write_bytes((ROOT / "examples" / "render.yaml").read_bytes())
    seconds, done = tier(folder, "init", "--database-url", url)
    say(f"{app}: tier init {seconds:.2f} s (exit {done.returncode})")
    text = (folder / "tiers.toml").read_text("utf-8")
    config = tomllib.loads(text)
    activity = config.get("database", {}).get("activity", {})
    chosen = config["database"]["queries"].get("active_users", "")
    say(f"  chosen: active_users = {chosen!r}")
    say(f"  [database.activity]: {activity or 'none'}")
    # the statement only: the summary goes on after its column list
    found = re.findall(r"CREATE INDEX[^;\n(]*\([^)\n]*\)", done.stdout + done.stderr + text)
    suggested = sorted(set(found))
    build_indexes(url, [s for s in suggested if " ON activity " not in s], say)
    ok = timed_pass(url, folder, f"{app}, as init wrote tiers.toml", say)
    table, user, at = ROWS_TABLE[app]
    if activity.get("table") != f"public.{table}" or table not in chosen:
        say(f"{app}: again with tiers.toml pointed at {table}({user}, {at}), its 20 M rows")
        point_at(folder, table, user, at)
        build_indexes(url, [f'CREATE INDEX ON "public"."{table}" ("{at}", "{user}")'], say)
        ok = timed_pass(url, folder, f"{app}, on {table}", say) and ok
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", default=",".join(FILLERS))
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--postgres", choices=("16", "18"), default="16")
    args = parser.parse_args()

    def say(line: str) -> None:
        print(line, flush=True)

    folder = args.data_dir or Path(tempfile.mkdtemp(prefix="tier-real-pg-"))
    folder.mkdir(parents=True, exist_ok=True)
    ok = True
    with server(folder, args.postgres) as urls:
        for app in args.apps.split(","):
            url = build(urls, app, args.users, args.rows, say)
            ok = measure(url, app, say) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
