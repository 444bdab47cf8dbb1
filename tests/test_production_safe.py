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
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from typer.testing import CliRunner

from tier_cli.cli import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "examples" / "render.yaml").read_bytes()
SECRET = "sk_live_9f3Kq7ZxSECRET"  # in a table the owner reads
BYSTANDER_SECRET = "bystander_Pw_7731q"  # in another session's query text
SETTING_SECRET = "role_setting_8ZkQ"  # set with ALTER ROLE ... SET
FUNCTION_SECRET = "function_body_4Tq"  # in a function's body (pg_proc.prosrc)
SECRETS = (SECRET, BYSTANDER_SECRET, SETTING_SECRET, FUNCTION_SECRET)


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def write_snapshot(path: Path, metrics: dict[str, object] | None = None) -> Path:
    from datetime import UTC, datetime

    data = {
        "collected_at": datetime.now(UTC).isoformat(),
        "metrics": metrics or {"users": 2400, "active_users": 812, "concurrent_users": 31},
    }
    path.write_text(json.dumps(data), "utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".git").mkdir()
    (repo / "render.yaml").write_bytes(EXAMPLE)
    shutil.copy(ROOT / "tiers.toml", repo / "tiers.toml")
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
    from tier_cli.config.initfile import monitoring_role_sql

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
    """Another session, its last query text holding a secret literal (pg_stat_activity.query)."""
    with psycopg.connect(db.admin, autocommit=True, application_name="bystander") as conn:
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
