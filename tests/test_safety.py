"""Issue 12: safe in CI on a pull request. Whatever a pull request puts in tiers.toml, render.yaml
or a snapshot, tier writes nothing outside the project, changes nothing in the database or its
server, shows no secret, injects nothing into CI output, and ends in bounded time with a
documented exit code.

Each section is one numbered item of the issue, through the CLI; database cases run on the real
server, as its superuser (with --allow-superuser: the worst case) and as the read-only monitoring
role that `tier init` prints.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from cli_project import EXAMPLE, make_project, run, snapshot
from pgproxy import DROP, STALL, proxy

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime.now(UTC).isoformat()
LOAD = {"users": 2400, "active_users": 812, "concurrent_users": 31, "db_size_mb": 120}


def tier(
    *args: str, cwd: Path, timeout: float = 60, env: dict[str, str] | None = None, **kw: object
) -> subprocess.CompletedProcess[bytes]:
    """The real console entry point in its own process (streams, signals, limits are real)."""
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("PG")}
    base["PYTHONPATH"] = str(ROOT)  # this checkout's tier, not the one installed in the venv
    return subprocess.run(
        [sys.executable, "-m", "tier_cli", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output="stdout" not in kw,
        timeout=timeout,
        check=False,
        **kw,  # type: ignore[call-overload]
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository below tmp_path (tests put things beside it): the shared project's files, a
    committed snapshot, a .git folder."""
    repo = make_project(tmp_path / "repo")
    snapshot(repo / "m.json", NOW, **LOAD)
    monkeypatch.chdir(repo)
    return repo


def set_toml(project: Path, old: str, new: str) -> None:
    path = project / "tiers.toml"
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def set_key(project: Path, section: str, key: str, value: str) -> None:
    """Set ``key = value`` (TOML) in ``[section]`` of tiers.toml, replacing the line if there."""
    path = project / "tiers.toml"
    text = path.read_text("utf-8")
    header = f"[{section}]\n"
    start = text.index(header) + len(header)
    end = text.find("\n[", start)
    end = len(text) if end < 0 else end + 1
    body = text[start:end]
    line = f"{key} = {value}\n"
    new, n = re.subn(rf"^{re.escape(key)} = .*\n", lambda m: line, body, count=1, flags=re.M)
    path.write_text(text[:start] + (new if n else line + body) + text[end:], "utf-8")


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (the .git folder aside)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.endswith("\n"), err
    return err


# --- the database: a users table, the monitoring role, what must never change ------------------


def _execute(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _as_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))


def _app_tables(url: str) -> None:
    _execute(
        url,
        "CREATE TABLE users (id serial PRIMARY KEY, email text, created_at timestamptz "
        "DEFAULT now(), last_seen_at timestamptz)",
        "CREATE TABLE audit (id int)",
    )


@pytest.fixture
def app_db(pg_clone: Callable[[Callable[[str], None]], str]) -> str:
    """15 users: 9 seen in 30 days, 3 in the last 5 minutes; an audit table beside them. The
    tables come from a template; the rows are added now, as their times are relative to now."""
    pg_db = pg_clone(_app_tables)
    _execute(
        pg_db,
        "INSERT INTO users (email, last_seen_at) SELECT 'u' || i || '@x', CASE "
        "WHEN i <= 3 THEN now() - interval '1 minute' WHEN i <= 9 THEN now() - interval '3 days' "
        "WHEN i <= 14 THEN now() - interval '60 days' END FROM generate_series(1, 15) AS i",
    )
    return pg_db


PASSWORD = "Sekr1t/@:?#%! Pw0rd"  # every character that moves a URL's parts, and a space
SECRET_PARTS = ("Sekr1t", "Pw0rd")


@pytest.fixture
def reader(app_db: str, tmp_path: Path) -> Iterator[str]:
    """The URL of the read-only monitoring role, created by the SQL `tier init` prints."""
    code, out, err = run(
        "init",
        "--tiers",
        str(tmp_path / "init.toml"),
        "--database-url",
        app_db,
    )  # the admin's URL: init runs only its own catalog queries
    assert code == 0, err
    role = f"tier_mon_{uuid.uuid4().hex[:8]}"
    script = out.replace("tier_monitor", role).replace(
        "choose-a-long-random-password", PASSWORD.replace("'", "''")
    )
    _execute(app_db, script)
    try:
        yield _as_user(app_db, role, PASSWORD)
    finally:
        _execute(app_db, f"DROP OWNED BY {role}", f"DROP ROLE {role}")


def fingerprint(url: str) -> tuple[object, ...]:
    """What a metric query must never change: rows, tables, sequences, prepared transactions,
    replication slots, statistics resets, role settings."""
    with psycopg.connect(url, autocommit=True) as conn:
        return tuple(
            conn.execute(query).fetchone()
            for query in (
                "SELECT string_agg(id || email || coalesce(last_seen_at::text, ''), ',' "
                "ORDER BY id) FROM users",
                "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class "
                "WHERE relnamespace = 'public'::regnamespace",
                "SELECT last_value FROM users_id_seq",
                "SELECT count(*) FROM pg_prepared_xacts",
                "SELECT count(*) FROM pg_replication_slots",
                "SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()",
                "SELECT count(*) FROM pg_db_role_setting",
            )
        )


@pytest.fixture
def bystander(app_db: str) -> Iterator[psycopg.Connection[object]]:
    """Another session on the database, which no metric query may end."""
    with psycopg.connect(app_db, autocommit=True, application_name="bystander") as conn:
        yield conn  # type: ignore[misc]


# --- 1. files tier writes stay in the project -------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        pytest.param("path", "{outside}/victim.json", "is an absolute path", id="absolute-path"),
        pytest.param("history", "../../victim.jsonl", "leads outside", id="dotdot-history"),
        pytest.param("path", "~/victim.json", "is an absolute path", id="home"),
        pytest.param("path", "escape/victim.json", "leads outside", id="symlinked-folder"),
        pytest.param("history", "link.jsonl", "leads outside", id="symlinked-file"),
    ],
)
def test_snapshot_paths_from_tiers_toml_stay_in_the_project(
    project: Path, reader: str, key: str, value: str, problem: str
) -> None:
    outside = project.parent / "outside"
    outside.mkdir()
    (outside / "victim.json").write_text("precious\n")
    (project / "escape").symlink_to(outside)
    (project / "link.jsonl").symlink_to(outside / "victim.json")
    set_key(project, "snapshot", key, json.dumps(value.format(outside=outside)))
    before, before_outside = tree(project), tree(project.parent)
    for command in ("snapshot", "recommend", "check"):
        code, _out, err = run(command, env={"DATABASE_URL": reader})
        assert code == 2, err
        assert f"tiers.toml: snapshot.{key}: " in one_line(err) and problem in err
    assert tree(project) == before and tree(project.parent) == before_outside


def test_paths_inside_the_work_tree_and_dash_o_anywhere(
    project: Path, reader: str, tmp_path: Path
) -> None:
    """tiers.toml in a subfolder may name the repository's .tier; -o is the user's choice."""
    (project / "deploy").mkdir()
    (project / "tiers.toml").rename(project / "deploy" / "tiers.toml")
    set_key(project / "deploy", "snapshot", "path", '"../.tier/m.json"')
    code, _, err = run("snapshot", "--tiers", "deploy/tiers.toml", env={"DATABASE_URL": reader})
    assert code == 0, err
    assert json.loads((project / ".tier" / "m.json").read_text())["metrics"]["users"] == 15
    elsewhere = tmp_path / "elsewhere.json"
    code, _, err = run(
        "snapshot",
        "--tiers",
        "deploy/tiers.toml",
        "-o",
        str(elsewhere),
        env={"DATABASE_URL": reader},
    )
    assert code == 0, err
    assert json.loads(elsewhere.read_text())["metrics"]["active_users"] == 9


# --- 2. no secret in any output ---------------------------------------------------------------

COMMANDS = [
    ("recommend",),
    ("check",),
    ("snapshot",),
    ("apply",),
    ("check", "--format", "github"),
    ("recommend", "--json"),
]


@pytest.mark.parametrize("char", [*list("/@:?#%!"), " "], ids=lambda c: repr(c))
@pytest.mark.parametrize("how", ["flag", "environment"])
def test_no_password_in_any_output(project: Path, char: str, how: str) -> None:
    """A password with a character a URL treats specially, written raw: never shown."""
    url = f"postgresql://app:Sekr1t{char}Pw0rd@127.0.0.1:1/shop"
    for command in [*COMMANDS, ("init", "--tiers", "new.toml")]:
        args, env = (
            ([*command, "--database-url", url], None)
            if how == "flag"
            else (list(command), {"DATABASE_URL": url})
        )
        code, out, err = run(*args, env=env)
        assert code in (2, 4), (command, err)
        for part in SECRET_PARTS:
            assert part not in out + err, (command, out + err)
        assert one_line(err).startswith("tier: error: ")


@pytest.mark.parametrize("flag", ["--metrics", "--render"])
def test_a_url_given_to_a_file_flag_is_masked(project: Path, flag: str) -> None:
    url = f"postgresql://app:{PASSWORD}@db.example/shop"
    code, out, err = run("check", flag, url)
    assert code in (3, 4)
    assert re.search(r"postgresql:/+app:\*\*\*@db\.example/shop", one_line(err))
    assert not any(part in out + err for part in SECRET_PARTS)


@pytest.mark.postgres
def test_the_monitoring_role_with_that_password_works(project: Path, reader: str) -> None:
    """Percent-encoded, the same password connects; raw, it is refused and never shown."""
    code, out, err = run("recommend", "--json", "--database-url", reader)
    assert (code, err) == (0, "")
    assert json.loads(out)["metrics"]["active_users"] == 9
    raw = reader.replace(quote(PASSWORD, safe=""), PASSWORD)
    code, out, err = run("recommend", "--database-url", raw)
    assert code == 2 and "unencoded" in one_line(err)
    assert not any(part in out + err for part in SECRET_PARTS)


# --- 3. a metric query cannot act outside its read-only transaction ---------------------------

ATTACKS = [
    (
        "SELECT count(set_config('statement_timeout', '0', false)) + 0 * count(pg_sleep(20))",
        "calls set_config()",
    ),
    (
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = 'bystander'",
        "calls pg_terminate_backend()",
    ),
    ("COPY (SELECT 1) TO PROGRAM 'touch {marker}'", "is COPY, not a SELECT"),
    ("COPY (SELECT 1) TO '{marker}'", "is COPY, not a SELECT"),
    (
        "SELECT count(*) FROM pg_create_physical_replication_slot('tier_evil')",
        "calls pg_create_physical_replication_slot()",
    ),
    ("SELECT count(*) FROM (SELECT pg_stat_reset()) AS s", "calls pg_stat_reset()"),
    ("SELECT pg_switch_wal() IS NOT NULL", "calls pg_switch_wal()"),
    ("SELECT pg_reload_conf()::int", "calls pg_reload_conf()"),
    ("PREPARE TRANSACTION 'tier_evil'", "is a transaction command"),
    ("COMMIT", "is a transaction command"),
    (
        "WITH gone AS (DELETE FROM users RETURNING 1) SELECT count(*) FROM gone",
        "has a data-modifying WITH (DELETE in gone)",
    ),
    (
        "WITH x AS (INSERT INTO audit VALUES (1) RETURNING 1) SELECT count(*) FROM x",
        "has a data-modifying WITH (INSERT in x)",
    ),
    ("SELECT 1; DELETE FROM users", "has 2 statements, not one SELECT"),
    ("DO $$BEGIN PERFORM pg_sleep(0); END$$", "is DO, not a SELECT"),
    ("SELECT count(*) FROM users FOR UPDATE", "uses FOR UPDATE / FOR SHARE"),
    ("SELECT count(*) INTO copy_of_users FROM users", "uses SELECT INTO"),
    ("SELECT count(pg_read_file('/etc/hostname'))", "calls pg_read_file()"),
    ("SELECT lo_export(1, '{marker}')", "calls lo_export()"),
    ("SELECT nextval('users_id_seq')", "calls nextval()"),
    ("SELECT public.evil()", "calls public.evil()"),
    ("SELECT count(*) FROM dblink('host=x', 'DELETE FROM users') AS t(n int)", "calls dblink()"),
    ("SET statement_timeout = 0", "is SET, not a SELECT"),
    ("SELEC count(*) FROM users", "is not valid SQL"),
]


@pytest.mark.postgres
@pytest.mark.parametrize("role", ["superuser", "monitor"])
@pytest.mark.parametrize(("query", "construct"), ATTACKS, ids=[a[1] for a in ATTACKS])
def test_hostile_custom_queries_are_refused_before_they_run(
    project: Path,
    app_db: str,
    reader: str,
    bystander: psycopg.Connection[object],
    tmp_path: Path,
    role: str,
    query: str,
    construct: str,
) -> None:
    marker = tmp_path / f"pwned-{uuid.uuid4().hex[:6]}"
    toml_query = query.format(marker=marker).replace("\\", "\\\\").replace('"', '\\"')
    set_key(project, "database.queries", "users", f'"{toml_query}"')
    before, files = fingerprint(app_db), tree(project)
    url, flags = (app_db, ["--allow-superuser"]) if role == "superuser" else (reader, [])
    started = time.monotonic()
    code, out, err = run("snapshot", "--database-url", url, *flags)
    assert time.monotonic() - started < 5
    assert code == 2 and out == ""
    assert one_line(err).startswith("tier: error: tiers.toml: [database.queries] users: ")
    assert construct in err
    assert fingerprint(app_db) == before and tree(project) == files
    assert not marker.exists()
    assert bystander.execute("SELECT 1").fetchone() == (1,)  # the other session lives


ALLOWED = {
    "users": "SELECT count(*) FROM users WHERE last_seen_at IS NOT NULL",
    "active_users": "SELECT count(*) FROM users WHERE last_seen_at >= "
    "date_trunc('day', now()) - make_interval(days => %(active_days)s)",
    "concurrent_users": "WITH recent AS (SELECT last_seen_at FROM users WHERE last_seen_at > "
    "now() - interval '5 minutes') SELECT count(*) FROM recent",
    "db_size_mb": "SELECT round(pg_database_size(current_database()) / 1048576.0, 1)",
}


@pytest.mark.postgres
def test_allowed_custom_queries_run_as_the_monitoring_role(project: Path, reader: str) -> None:
    for key, value in ALLOWED.items():
        set_key(project, "database.queries", key, json.dumps(value))
    code, out, err = run("recommend", "--json", "--database-url", reader)
    assert (code, err) == (0, ""), err
    metrics = json.loads(out)["metrics"]
    assert (metrics["users"], metrics["active_users"], metrics["concurrent_users"]) == (14, 9, 3)
    # The role reads only what its grants name (users.last_seen_at): not the emails. That one
    # metric is unknown, with the reason and the fix; the others are still measured.
    set_key(project, "database.queries", "users", '"SELECT count(DISTINCT email) FROM users"')
    code, out, err = run("recommend", "--json", "--database-url", reader)
    assert code == 0, err
    answer = json.loads(out)
    assert answer["metrics"]["users"] is None and answer["quality"]["users"] == "unknown"
    assert answer["metric_labels"]["users"].startswith(
        "unknown: 42501 insufficient_privilege. Tip: grant SELECT"
    )
    assert (answer["metrics"]["active_users"], answer["quality"]["active_users"]) == (9, "exact")


@pytest.mark.postgres
def test_roles_with_server_powers_are_refused_unless_allowed(
    project: Path, app_db: str, reader: str
) -> None:
    before = fingerprint(app_db)
    code, _, err = run("recommend", "--database-url", app_db)
    assert code == 2 and "the URL's role is superuser" in one_line(err)
    assert "--allow-superuser" in err and "tier init" in err
    role = f"tier_files_{uuid.uuid4().hex[:6]}"
    _execute(app_db, f"CREATE ROLE {role} LOGIN", f"GRANT pg_write_server_files TO {role}")
    try:
        code, _, err = run("recommend", "--database-url", _as_user(app_db, role, "x"))
        assert code == 2 and "the URL's role is pg_write_server_files" in one_line(err)
    finally:
        _execute(app_db, f"DROP ROLE {role}")
    assert run("recommend", "--database-url", app_db, "--allow-superuser")[0] == 0
    assert run("recommend", "--database-url", reader)[0] == 0
    assert fingerprint(app_db) == before


def test_init_prints_the_monitoring_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run("init")
    assert code == 0 and "read-only role" in err
    assert out == (
        "-- A read-only role for tier, with exactly the grants its metric queries need.\n"
        "-- Run it as the database's owner (on Render: the user of the database's own URL).\n"
        "-- Safe to run again: it creates the role only when it is missing.\n"
        "DO $tier$\n"
        "BEGIN\n"
        "    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tier_monitor') THEN\n"
        "        CREATE ROLE \"tier_monitor\" LOGIN PASSWORD 'choose-a-long-random-password'\n"
        "            NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;\n"
        "    END IF;\n"
        "END\n"
        "$tier$;\n"
        'ALTER ROLE "tier_monitor" SET default_transaction_read_only = on;\n'
        'GRANT CONNECT ON DATABASE "app" TO "tier_monitor";\n'
        'GRANT USAGE ON SCHEMA "public" TO "tier_monitor";\n'
        'GRANT SELECT ("last_seen_at") ON "public"."users" TO "tier_monitor";\n'
        "-- slow_query_ms reads pg_stat_statements' query text and db_connections the other\n"
        "-- sessions of pg_stat_activity: both need pg_read_all_stats (statistics only, no data).\n"
        "DO $tier$\n"
        "BEGIN\n"
        '    GRANT pg_read_all_stats TO "tier_monitor";\n'
        "EXCEPTION WHEN insufficient_privilege THEN\n"
        "    RAISE NOTICE 'no pg_read_all_stats: slow_query_ms, db_connections may be unknown';\n"
        "END\n"
        "$tier$;\n"
    )
    assert run("init", "--role-sql")[1] == out  # the same SQL, and nothing written again
    safety = (ROOT / "docs" / "ci-and-safety.md").read_text("utf-8")
    shown = out.replace("choose-a-long-random-password", "...")
    assert textwrap.indent(shown, "  ") in safety  # in a list item of "Running tier in CI safely"


@pytest.mark.postgres
@pytest.mark.parametrize("role", ["superuser", "monitor"])
def test_server_dying_during_a_custom_query_exits_4(
    project: Path, pg_url: str, app_db: str, reader: str, role: str
) -> None:
    url = app_db if role == "superuser" else reader
    query = f"SELECT count(*) FROM users WHERE email <> '{DROP.decode()}'"
    set_key(project, "database.queries", "users", json.dumps(query))
    with proxy(pg_url) as (host, port):
        via = urlsplit(url)._replace(
            netloc=f"{urlsplit(url).netloc.rpartition('@')[0]}@{host}:{port}",
            query="sslmode=disable",
        )
        code, _, err = run("recommend", "--database-url", urlunsplit(via), "--allow-superuser")
    assert code == 4
    assert "metric 'users': the connection to the database was lost" in one_line(err)
    assert "%%" not in err and not any(part in err for part in SECRET_PARTS)


@pytest.mark.postgres
def test_a_network_that_stops_answering_ends_in_bounded_time(
    project: Path, pg_url: str, reader: str
) -> None:
    """The server's statement_timeout cannot help when the query never reaches it."""
    query = f"SELECT count(*) FROM users WHERE email <> '{STALL.decode()}'"
    set_key(project, "database.queries", "users", json.dumps(query))
    set_key(project, "database", "statement_timeout_ms", "300")
    with proxy(pg_url) as (host, port):
        via = urlsplit(reader)._replace(
            netloc=f"{urlsplit(reader).netloc.rpartition('@')[0]}@{host}:{port}",
            query="sslmode=disable",
        )
        started = time.monotonic()
        code, _, err = run("recommend", "--database-url", urlunsplit(via))
        elapsed = time.monotonic() - started
    assert code == 4 and elapsed < 10
    assert "metric 'users': no answer within 300 ms" in one_line(err)


@pytest.mark.postgres
def test_a_setting_changed_by_a_query_is_put_back_and_the_client_deadline_holds(
    app_db: str,
) -> None:
    """Below the parser check (which refuses set_config): the session setting a query leaves
    behind is reset before the next statement, and a statement the server would let run past
    its timeout is cancelled by tier's own deadline."""
    from tier_cli.config.settings import DatabaseSettings
    from tier_cli.errors import MetricsError
    from tier_cli.metrics.postgres.reader import MetricReader

    settings = DatabaseSettings(statement_timeout_ms=300)
    with psycopg.connect(app_db, autocommit=True) as conn:
        conn.execute("BEGIN READ ONLY")
        reader = MetricReader(conn, settings, "")
        reader.number("users", "SELECT length(set_config('statement_timeout', '0', false))", None)
        started = time.monotonic()
        with pytest.raises(MetricsError, match="statement timeout after 300 ms"):
            reader.number("users", "SELECT pg_sleep(5)::text::int", None)
        assert time.monotonic() - started < 1.5  # the server's own timeout, put back
        conn.execute("ROLLBACK")
    # With no server timeout at all, the deadline alone cancels the statement.
    from tier_cli.metrics.postgres.deadline import GRACE_S, Deadline

    with psycopg.connect(app_db, autocommit=True) as conn:
        conn.execute("SET statement_timeout = 0")
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled), Deadline(conn, 300) as watch:
            conn.execute("SELECT pg_sleep(5)")
        assert watch.cancelled and not watch.closed
        assert 0.3 + GRACE_S <= time.monotonic() - started < 0.3 + GRACE_S + 1.5
        assert conn.execute("SELECT 1").fetchone() == (1,)  # the session goes on


@pytest.mark.postgres
@pytest.mark.parametrize("role", ["superuser", "monitor"])
def test_a_negative_value_from_a_custom_query_is_refused_when_measured(
    project: Path, app_db: str, reader: str, role: str
) -> None:
    set_key(project, "database.queries", "users", '"SELECT -3"')
    url, flags = (app_db, ["--allow-superuser"]) if role == "superuser" else (reader, [])
    code, _, err = run("snapshot", "--database-url", url, *flags)
    assert code == 2
    assert "[database.queries] users: the query returned a negative number" in one_line(err)
    assert not (project / ".tier").exists()


# --- 4. nothing injected into CI output -------------------------------------------------------

HOSTILE = "x\n::error::pwned\r\n::add-mask::abc\x1b[31mred%0A|`*"


def test_snapshot_text_cannot_become_a_workflow_command(project: Path) -> None:
    old = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    snapshot(project / "m.json", old, {"source": HOSTILE, "labels": {"users": HOSTILE}}, **LOAD)
    (project / "r,line=99::x.yaml").write_bytes(EXAMPLE)
    summary = project / "summary.md"
    outputs = []
    for args in (
        ("check", "--format", "github", "--summary", str(summary)),
        ("check", "--format", "github", "--render", "r,line=99::x.yaml"),
        ("check",),
        ("recommend",),
    ):
        code, out, err = run(*args, "--metrics", "m.json")
        assert code in (0, 1), err
        outputs.append(out + err)
    for text in outputs:
        assert "\x1b" not in text and "\r" not in text
        for line in text.splitlines():
            if line.startswith("::"):
                assert re.match(r"::(error|warning|notice) file=[^:]*::", line), line
        assert "\n::error::pwned" not in text and "\n::add-mask::" not in text
    assert "file=r%2Cline=99%3A%3Ax.yaml," in outputs[1]
    assert "::warning file=render.yaml" in outputs[0] or "::error file=render.yaml" in outputs[0]
    assert "\\x1b[31m" in outputs[3]  # shown, not obeyed
    md = summary.read_text("utf-8")
    assert "\x1b" not in md and "\n::" not in md and "\\|" in md


# --- 5. bounded time and memory on any file ---------------------------------------------------


def _alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n" + EXAMPLE.decode()


@pytest.mark.parametrize("levels", [9, 10])
def test_an_alias_bomb_is_refused_before_it_is_built(project: Path, levels: int) -> None:
    (project / "render.yaml").write_text(_alias_bomb(levels), "utf-8")
    before = tree(project)
    started = time.monotonic()
    for args in (("apply", "--tier", "starter"), ("check", "--metrics", "m.json")):
        code, _, err = run(*args)
        assert code == 3 and "its aliases expand to more than 200,000 nodes" in one_line(err)
    assert time.monotonic() - started < 5
    assert tree(project) == before


SPECIAL = [
    pytest.param("fifo", id="fifo"),
    pytest.param("/dev/zero", id="dev-zero"),
    pytest.param("/dev/urandom", id="dev-urandom"),
    pytest.param("big", id="over-the-limit"),
]


@pytest.mark.parametrize("kind", SPECIAL)
@pytest.mark.parametrize(
    ("flag", "code", "limit"),
    [("--render", 3, 4), ("--tiers", 2, 1), ("--metrics", 4, 1)],
    ids=["render", "tiers", "metrics"],
)
def test_only_regular_files_of_bounded_size_are_read(
    project: Path, kind: str, flag: str, code: int, limit: int
) -> None:
    if kind == "fifo":
        path = str(project / "pipe")
        os.mkfifo(path)
    elif kind == "big":
        path = str(project / "big")
        Path(path).write_bytes(b"# padding\n" * (limit * 1024 * 1024 // 10 + 1))
    else:
        path = kind
    args = ["check", "--metrics", "m.json", flag, path]
    if flag == "--metrics":
        args = ["check", flag, path]
    proc = tier(*args, cwd=project, timeout=30)
    err = proc.stderr.decode()
    assert proc.returncode == code, err
    why = "bigger than tier's limit" if kind == "big" else "not a regular file"
    assert why in one_line(err)


# --- 6. files keep their owner and permissions -----------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")


@needs_root
def test_apply_keeps_owner_group_and_mode(project: Path) -> None:
    path = project / "render.yaml"
    os.chown(path, 1001, 1001)
    path.chmod(0o640)
    assert run("apply", "--tier", "starter")[0] == 0
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (1001, 1001, 0o640)
    assert b"plan: starter" in path.read_bytes()


@needs_root
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs util-linux setpriv")
def test_a_file_this_user_cannot_write_is_refused(project: Path) -> None:
    """As a user without the power to override permissions, on a 0444 file in a writable
    folder: refused (exit 3), the file untouched, even though a rename would succeed."""
    path = project / "render.yaml"
    path.chmod(0o444)
    proc = subprocess.run(
        [
            "setpriv",
            "--bounding-set",
            "-dac_override,-dac_read_search,-fowner",
            "--",
            sys.executable,
            "-m",
            "tier_cli",
            "apply",
            "--tier",
            "starter",
        ],
        cwd=project,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 3, proc.stderr
    assert "read-only for this user (mode 0444)" in proc.stderr.decode().splitlines()[-1]
    assert path.read_bytes() == EXAMPLE and stat.S_IMODE(path.stat().st_mode) == 0o444


def test_apply_keeps_hard_links(project: Path) -> None:
    path = project / "render.yaml"
    os.link(path, project / "linked.yaml")
    inode = path.stat().st_ino
    assert run("apply", "--tier", "starter")[0] == 0
    assert path.stat().st_ino == inode and path.stat().st_nlink == 2
    assert (project / "linked.yaml").read_bytes() == path.read_bytes() != EXAMPLE
    assert sorted(p.name for p in project.iterdir() if p.name.endswith(".tmp")) == []


# --- 7. exit codes say what happened ----------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "1", "", "no"])
def test_tier_debug_keeps_exit_5(
    project: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr("tier_cli.decide.recommendation.recommend", broken)
    code, out, err = run("check", "--metrics", "m.json", env={"TIER_DEBUG": value})
    assert code == 5 and out == ""
    assert "Traceback (most recent call last):" in err and "KeyError: 'boom'" in err
    assert err.splitlines()[-1].startswith("tier: internal error: KeyError")


def _deep(opening: str, closing: str) -> str:
    return opening * 100_000 + closing * 100_000


# (id, (section, key, value) or (old, new) or whole file, the message)
CONFIG_MISTAKES = [
    ("tier-empty", "tier = []\n", "tiers.toml: tier: must be an array of tables"),
    ("deep-toml", f"a = {_deep('[', ']')}\n", "tiers.toml: nested too deeply"),
    (
        "threshold-nan",
        ("active_users = 500 ", "active_users = nan "),
        "tier[starter].thresholds.active_users: nan is not a finite number",
    ),
    (
        "threshold-inf",
        ("active_users = 5000 ", "active_users = inf "),
        "tier[pro].thresholds.active_users: inf is not a finite number",
    ),
    (
        "price-nan",
        ("storage_gb = 10\n", "storage_gb = 10\nprice_usd = nan\n"),
        "tier[starter].price_usd: nan is not a finite number",
    ),
    (
        "max-monthly-nan",
        ("decision", "max_monthly_usd", "nan"),
        "decision.max_monthly_usd: nan is not a finite number",
    ),
    (
        "max-age-inf",
        ("snapshot", "max_age_days", "inf"),
        "snapshot.max_age_days: inf is not a finite number",
    ),
    (
        "prices-inf",
        ("prices.web", "starter", "-inf"),
        "prices.web.starter: -inf is not a finite number",
    ),
    (
        "statement-timeout-nan",
        ("database", "statement_timeout_ms", "nan"),
        "database.statement_timeout_ms: nan is not a finite number",
    ),
    (
        "statement-timeout-huge",
        ("database", "statement_timeout_ms", "99999999999"),
        "database.statement_timeout_ms: 1e+11 is more than 60,000 milliseconds (a minute)",
    ),
    (
        "active-days-huge",
        ("database", "active_days", "1e15"),
        "database.active_days: 1e+15 is more than 36,500 days (a hundred years)",
    ),
]


@pytest.mark.parametrize(
    ("edit", "message"), [c[1:] for c in CONFIG_MISTAKES], ids=[c[0] for c in CONFIG_MISTAKES]
)
def test_config_mistakes_exit_2(project: Path, edit: str | tuple[str, ...], message: str) -> None:
    if isinstance(edit, str):
        (project / "tiers.toml").write_text(edit, "utf-8")
    elif len(edit) == 2:
        set_toml(project, *edit)
    else:
        set_key(project, *edit)
    for args in (("check", "--metrics", "m.json"), ("tiers",)):
        code, out, err = run(*args)
        assert (code, out) == (2, "")
        assert message in one_line(err)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(_deep('{"a":', "}"), "JSON nested too deeply", id="deep-json"),
        pytest.param(
            '{"collected_at": "2026-11-24T09:00:00+00:00", "metrics": {"users": '
            + "9" * 400
            + "}}",
            "is not a finite number",
            id="400-digits",
        ),
        pytest.param(
            '{"collected_at": "2026-11-24T09:00:00+00:00", "metrics": {"users": '
            + "9" * 5000
            + "}}",
            "invalid JSON",
            id="5000-digits",
        ),
    ],
)
def test_snapshot_mistakes_exit_4(project: Path, text: str, message: str) -> None:
    (project / "m.json").write_text(text, "utf-8")
    code, out, err = run("check", "--metrics", "m.json")
    assert (code, out) == (4, "")
    assert message in one_line(err)


@pytest.mark.postgres
def test_dot_tier_being_a_file_exits_2(project: Path, reader: str) -> None:
    (project / ".tier").write_text("not a folder")
    code, _, err = run("snapshot", "--database-url", reader)
    assert code == 2
    assert "cannot make the folder .tier: a file is in the way" in one_line(err)
    assert (project / ".tier").read_text() == "not a folder"


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small file system needs root")
@pytest.mark.parametrize("options", ["size=16k", "ro"], ids=["full-disk", "read-only-folder"])
@pytest.mark.postgres
def test_a_full_disk_or_read_only_folder_is_one_line(
    project: Path, reader: str, options: str
) -> None:
    mount = project / "disk"
    mount.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    ).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        if options == "ro":
            code, _, err = run("snapshot", "-o", str(mount / "m.json"), "--database-url", reader)
            assert code == 2 and "cannot be written (Read-only file system)" in one_line(err)
        else:
            (mount / "render.yaml").write_bytes(EXAMPLE + b"#" * 12_000 + b"\n")
            target = mount / "render.yaml"
            before = target.read_bytes()
            code, _, err = run("apply", "--tier", "pro+redis", "--render", str(target))
            assert code == 3 and "No space left on device" in err.splitlines()[-1]
            assert target.read_bytes() == before
            assert [p.name for p in mount.iterdir()] == ["render.yaml"]
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small file system needs root")
def test_apply_summary_is_not_written_when_render_yaml_cannot_be(project: Path) -> None:
    """The pull request body describes a file that was written, or nothing."""
    mount = project / "disk"
    mount.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    ).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        target = mount / "render.yaml"
        target.write_bytes(EXAMPLE + b"#" * 12_000 + b"\n")
        before = target.read_bytes()
        code, _, err = run(
            "apply", "--metrics", "m.json", "--render", str(target), "--summary", "body.md"
        )
        assert code == 3 and "No space left on device" in err.splitlines()[-1]
        assert target.read_bytes() == before
        assert not (project / "body.md").exists()
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_non_utf8_database_url_exits_2(project: Path) -> None:
    base = {k: v for k, v in os.environb.items() if not k.startswith((b"PG", b"DATABASE_URL"))}
    proc = subprocess.run(
        [sys.executable, "-m", "tier_cli", "recommend"],
        cwd=project,
        env={**base, b"DATABASE_URL": b"postgresql://app:S\xe9kr1t@127.0.0.1:1/db"},
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert b"the database URL is not UTF-8 text" in proc.stderr
    assert proc.stderr.count(b"\n") == 1 and b"kr1t" not in proc.stderr


@pytest.mark.parametrize("where", ["closed", "dev-full"])
def test_stdout_closed_or_full_is_one_line(project: Path, where: str) -> None:
    if where == "closed":
        proc = tier(
            "recommend",
            "--metrics",
            "m.json",
            cwd=project,
            stdout=None,
            stderr=subprocess.PIPE,
            preexec_fn=lambda: os.close(1),
        )
    else:
        with open("/dev/full", "w") as full:
            proc = tier(
                "recommend", "--metrics", "m.json", cwd=project, stdout=full, stderr=subprocess.PIPE
            )
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert one_line(err).startswith("tier: error: cannot write to standard output")


def test_ascii_output_encoding_with_non_ascii_paths(project: Path) -> None:
    folder = project / "déploiement"
    folder.mkdir()
    (folder / "render.yaml").write_bytes(EXAMPLE)
    env = {"PYTHONIOENCODING": "ascii"}
    proc = tier(
        "check",
        "--metrics",
        "m.json",
        "--render",
        str(folder / "render.yaml"),
        cwd=project,
        env=env,
    )
    assert proc.returncode == 1, proc.stderr
    assert b"d\\xe9ploiement" in proc.stdout
    proc = tier("check", "--metrics", "m.json", "--render", "manquant-é.yaml", cwd=project, env=env)
    assert proc.returncode == 3 and b"manquant-\\xe9.yaml: not found" in proc.stderr


def test_columns_zero_still_prints(project: Path) -> None:
    for args in (("tiers",), ("recommend", "--metrics", "m.json")):
        code, out, _ = run(*args, env={"COLUMNS": "0"})
        assert code == 0 and "starter" in out and "pro" in out


def test_stale_temporary_files_of_a_killed_run_are_cleaned(project: Path) -> None:
    old, fresh, other = (
        project / name
        for name in (
            ".render.yaml.ab12cd34.tmp",
            ".render.yaml.ef56gh78.tmp",
            ".render.yaml.mine.tmp",
        )
    )
    for path in (old, fresh, other):
        path.write_text("half written")
    long_ago = time.time() - 3600
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    assert run("apply", "--tier", "starter")[0] == 0
    assert not old.exists() and fresh.exists() and other.exists()


def test_a_killed_apply_leaves_the_file_whole(project: Path) -> None:
    """SIGKILL at any moment: render.yaml is the old or the new file, never a mix."""
    new = None
    for delay in (0.05, 0.15, 0.3, 0.6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tier_cli", "apply", "--tier", "pro"],
            cwd=project,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = (project / "render.yaml").read_bytes()
        if data != EXAMPLE:
            new = new or data
            assert data == new
        (project / "render.yaml").write_bytes(EXAMPLE)


def test_limits_are_not_hit_by_real_files() -> None:
    """The size limits are far above real files: Render's largest Blueprint in the corpus."""
    from tier_cli.textio import RENDER_LIMIT

    corpus = Path("/work/shared/corpus/render")
    sizes = [p.stat().st_size for p in corpus.rglob("*.yaml")] if corpus.is_dir() else [0]
    assert max(sizes) * 10 < RENDER_LIMIT
