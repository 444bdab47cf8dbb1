"""Issue 18's proof on real apps: five open-source apps' schemas, built by their own migrations
(tests/fixtures/apps), filled with data of known truth (tests/real_apps.py), measured by
`tier init` then `tier recommend --json` as the database owner (no superuser, no CREATEROLE).

For each app, one row: the value and quality of each metric an honest tier measures there, the
tier it recommends and whether it says the recommendation is uncertain. The truth behind every
row is 800 users, 520 active in 30 days and a peak of 120 in one 5-minute window (pro); only an
app that records visits (Phoenix's sign-in tokens) shows all of it. Where the schema holds a
proxy (items, comments, profile edits) or one reading, the measured value is a lower bound or a
single reading, the recommendation says it is uncertain, and on pro it is no downgrade.

Then the least-privilege role `tier init --role-sql` prints, run twice (it is idempotent), reads
none of the secret-looking columns, and measures what the owner measured.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
import uuid
from pathlib import Path

import psycopg
import pytest
from cli_project import run
from psycopg import errors, sql
from real_apps import FILLERS, Truth, app_database, as_role, same_database, secret_columns

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("users", "active_users", "concurrent_users")
APPS = tuple(FILLERS)


@pytest.fixture(scope="module", params=APPS)
def built(request: pytest.FixtureRequest, pg_url: str, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Once per app: its database (schema and data, as its owner), and `tier init` run on it as
    that owner. Yields the app's name, the owner's URL, the truth and the tiers.toml written."""
    tiers = tmp_path_factory.mktemp(request.param) / "tiers.toml"
    with app_database(pg_url, request.param) as (url, truth):
        code, _, err = run("init", "--tiers", str(tiers), "--database-url", url)
        assert code == 0, err
        yield request.param, url, truth, tiers.read_text("utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built) -> Path:  # type: ignore[no-untyped-def]
    """A project on tier free with the tiers.toml `tier init` wrote for the app."""
    shutil.copy(ROOT / "examples" / "render.yaml", tmp_path / "render.yaml")
    (tmp_path / "tiers.toml").write_text(built[3], "utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def real_app(built, project: Path) -> tuple[str, str, Truth]:  # type: ignore[no-untyped-def]
    """(app name, the owner's URL, the truth), in a project holding init's tiers.toml."""
    return built[0], built[1], built[2]


def recommend(url: str) -> dict[str, object]:
    code, out, err = run("recommend", "--database-url", url, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def test_each_metric_its_quality_and_the_tier(real_app: tuple[str, str, Truth]) -> None:
    name, url, truth = real_app
    data = recommend(url)
    metrics, quality = data["metrics"], data.get("quality")
    assert isinstance(metrics, dict)
    assert {k: metrics[k] for k in METRICS} == truth.metrics, name
    assert isinstance(quality, dict), f"{name}: no per-metric quality in the JSON"
    assert {k: quality.get(k) for k in METRICS} == truth.quality, name
    assert quality.get("slow_query_ms") == "unknown"  # no pg_stat_statements on the test server
    assert data["recommended"] == truth.tier, name
    assert data.get("uncertain") is truth.uncertain, name
    because = data.get("uncertain_because")
    if truth.uncertain:
        assert because, f"{name}: uncertain without a reason"
        named = {k for k in METRICS if k in json.dumps(because)}
        assert named & {k for k in METRICS if truth.quality[k] != "exact"}, because
    if truth.uncertain and truth.tier != truth.true_tier:
        # what was measured undershoots the truth: the reading was a proxy or one instant
        assert any((truth.metrics[k] or 0) < v for k, v in _true(truth).items()), name


def _true(truth: Truth) -> dict[str, int]:
    return {"active_users": truth.true_active, "concurrent_users": truth.true_peak}


def test_on_pro_a_lower_bound_or_single_reading_is_no_downgrade(
    real_app: tuple[str, str, Truth], project: Path
) -> None:
    """Every app's true tier is pro. Put render.yaml on pro: an exact reading keeps it there,
    and a lower bound or a single reading below pro's thresholds cannot move it down."""
    name, url, truth = real_app
    code, _, err = run("apply", "--tier", "pro")
    assert code == 0, err
    assert "plan: pro" in (project / "render.yaml").read_text("utf-8")
    data = recommend(url)
    assert data["recommended"] == "pro", name
    assert data.get("uncertain") is truth.uncertain, name


# Per app: what the active_users query init writes must read, and, where a table that references
# users beats a profile-edit updated_at, a comment in tiers.toml naming that table with its count
# of distinct active users (the evidence).
CHOSEN: dict[str, tuple[str, str | None]] = {
    "full-stack-fastapi-template": (r'"item"', None),
    "minimal-fastapi-postgres-template": (r'"auth_user".*"updated_at"', None),
    "fastapi-realworld-example-app": (r'"commentaries"', r"#.*commentaries.*\b350\b"),
    "phoenix": (r'"(access|refresh)_tokens"', r"#.*(access|refresh)_tokens.*\b520\b"),
    "healthchecks": (r'"(last_login|last_active_date)"', None),
}


def test_init_chooses_the_activity_source_by_evidence(
    real_app: tuple[str, str, Truth], project: Path
) -> None:
    """The source with the most distinct active users, never the profile-edit updated_at over a
    table referencing users with more; tiers.toml shows the candidates with their figures."""
    name, _, _ = real_app
    query, evidence = CHOSEN[name]
    text = (project / "tiers.toml").read_text("utf-8")
    chosen = tomllib.loads(text)["database"]["queries"].get("active_users", "")
    assert re.search(query, chosen), f"{name}: active_users = {chosen!r}"
    if evidence:
        assert re.search(evidence, text), f"{name}: no candidate with its figures in tiers.toml"


# --- the least-privilege role -----------------------------------------------------------------

ROLE_PASSWORD = "Mon-pw-7f3a"


def _role_sql(url: str, project: Path, role: str) -> str:
    before = {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()}
    code, out, err = run("init", "--role-sql", "--database-url", url)
    assert code == 0, err
    after = {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()}
    assert after == before, "init --role-sql wrote a file"
    assert "CREATE" in out and "GRANT" in out, out
    script = out.replace("tier_monitor", role)
    return re.sub(r"PASSWORD '[^']*'", f"PASSWORD '{ROLE_PASSWORD}'", script)


def test_the_role_reads_no_secret_and_measures_the_same(
    real_app: tuple[str, str, Truth], project: Path, pg_url: str
) -> None:
    name, url, _ = real_app
    role = f"tier_mon_{uuid.uuid4().hex[:8]}"
    script = _role_sql(url, project, role)
    admin = same_database(pg_url, url)
    try:
        for _ in range(2):  # idempotent: a second run is no error
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(script)
        reader = as_role(url, role, ROLE_PASSWORD)
        secrets = secret_columns(url)
        assert secrets, name
        readable = []
        for schema, table, column in secrets:
            with psycopg.connect(reader, autocommit=True) as conn:
                query = sql.SQL("SELECT {} FROM {}.{} LIMIT 1").format(
                    sql.Identifier(column), sql.Identifier(schema), sql.Identifier(table)
                )
                try:
                    conn.execute(query)
                except errors.InsufficientPrivilege:
                    continue
                readable.append(f"{schema}.{table}.{column}")
        assert not readable, f"{name}: the monitoring role reads {readable}"
        owner, mine = recommend(url), recommend(reader)
        measured = [data["metrics"] for data in (owner, mine)]
        assert all(isinstance(m, dict) for m in measured)
        assert [{k: m[k] for k in METRICS} for m in measured if isinstance(m, dict)] == [
            {k: measured[0][k] for k in METRICS}  # type: ignore[index]
        ] * 2
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if exists:
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


# --- the data: its truth, checked from the app's own record of visits where it has one --------

TRUE_SIGNAL = {  # SQL giving (distinct active users in 30 days, the 7-day 5-minute peak)
    "phoenix": (
        "SELECT count(DISTINCT user_id) FROM access_tokens WHERE created_at >= now() - "
        "interval '30 days'",
        "SELECT max(n) FROM (SELECT count(DISTINCT user_id) AS n FROM access_tokens "
        "WHERE created_at >= now() - interval '7 days' GROUP BY date_bin('5 minutes', "
        "created_at, '2000-01-01')) AS w",
    ),
    "minimal-fastapi-postgres-template": (  # a refresh token lives 7 days after its visit
        "SELECT count(DISTINCT user_id) FROM auth_refresh_token WHERE to_timestamp(exp) - "
        "interval '7 days' >= now() - interval '30 days'",
        "SELECT max(n) FROM (SELECT count(DISTINCT user_id) AS n FROM auth_refresh_token "
        "WHERE to_timestamp(exp) - interval '7 days' >= now() - interval '7 days' "
        "GROUP BY date_bin('5 minutes', to_timestamp(exp), '2000-01-01')) AS w",
    ),
}


@pytest.mark.parametrize("name", TRUE_SIGNAL)
def test_the_data_holds_its_truth(pg_url: str, name: str) -> None:
    with app_database(pg_url, name) as (url, truth), psycopg.connect(url) as conn:
        active, peak = (conn.execute(q).fetchone()[0] for q in TRUE_SIGNAL[name])  # type: ignore[index]
    assert (active, peak) == (truth.true_active, truth.true_peak)
