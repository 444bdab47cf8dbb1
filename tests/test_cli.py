"""The commands as a user runs them: flags, stdout/stderr, files, and every exit code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from cli_project import EXAMPLE, run, snapshot
from dates import RECENT

from tier_cli.config.paths import DATA

ROOT = Path(__file__).resolve().parents[1]


STARTER_LOAD = {"users": 2400, "active_users": 812, "concurrent_users": 31, "db_size_mb": 120}


@pytest.fixture
def project(project: Path) -> Path:
    """The shared project, with a requirements.txt that has the servers the shipped tiers run."""
    servers = "fastapi\nuvicorn\ngunicorn\nuvicorn-worker\n"
    (project / "requirements.txt").write_text(servers, "utf-8")
    return project


# --- recommend -----------------------------------------------------------------------------------


def test_recommend_json_from_a_snapshot(project: Path) -> None:
    snap = snapshot(project / "m.json", **STARTER_LOAD)
    code, out, err = run("recommend", "--metrics", str(snap), "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["recommended"] == "starter" and data["current"] == "free"
    assert data["metrics"] == {**STARTER_LOAD, "slow_query_ms": None, "db_connections": None}
    assert {r["metric"] for r in data["reasons"]} == {"active_users", "concurrent_users"}
    cost = data["monthly_cost"]
    assert {k: v for k, v in cost.items() if not k.endswith("_cost")} == {
        "current": 0.0,
        "recommended": 17.5,
        "change": 17.5,
        "current_detail": "$0/month (web free $0 + postgres free $0)",
        "recommended_detail": "$17.5/month (web starter $7 + postgres basic-256mb $6 + disk 15 GB "
        "$4.5)",
    }
    assert cost["recommended_cost"] == {
        "usd": 17.5,
        "max_usd": 17.5,
        "at_least": False,
        "unknown_prices": [],
        "lines": [
            {"part": "web", "plan": "starter", "usd": 7.0, "count": 1, "or_more": False},
            {"part": "postgres", "plan": "basic-256mb", "usd": 6.0, "count": 1, "or_more": False},
            {"part": "storage", "plan": "15 GB", "usd": 0.3, "count": 15, "or_more": False},
        ],
        "text": cost["recommended_detail"],
    }
    assert not any("legacy Render Postgres plan" in w["message"] for w in data["warnings"])
    assert any("slow_query_ms: unknown" in w["message"] for w in data["warnings"])


def test_recommend_text_when_piped_is_plain(project: Path) -> None:
    snap = snapshot(project / "m.json", **STARTER_LOAD)
    code, out, _ = run("recommend", "--metrics", str(snap))
    assert code == 0
    assert "\x1b[" not in out  # no colour codes when not a terminal
    assert "recommended tier: starter (upgrade)" in out
    assert "active_users 812 >= 500: reaches starter" in out
    assert "monthly cost: now $0/month" in out


def test_recommend_on_a_terminal_uses_colour_unless_no_color(project: Path) -> None:
    snap = snapshot(project / "m.json", **STARTER_LOAD)
    forced = {"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1", "TERM": "xterm-256color"}
    _, coloured, _ = run("recommend", "--metrics", str(snap), env=forced)
    _, plain, _ = run("recommend", "--metrics", str(snap), env={**forced, "NO_COLOR": "1"})
    colour = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|9[0-7])[;m]")  # foreground colour codes
    assert colour.search(coloured)
    assert not colour.search(plain)  # NO_COLOR: bold and dim may stay, colours go


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["recommend", "--metrics", "m.json", "--demo"], 2, "cannot be used together"),
        (
            ["recommend", "--tiers", "absent.toml", "--metrics", "m.json"],
            2,
            "absent.toml: not found",
        ),
        (
            ["recommend", "--render", "absent.yaml", "--metrics", "m.json"],
            3,
            "absent.yaml: not found",
        ),
        (["recommend", "--metrics", "absent.json"], 4, "absent.json: no such snapshot"),
        (["recommend"], 4, "no metrics source"),
        (["recommend", "--metrics", "m.json", "--service", "nope"], 2, "nope"),
        (["apply", "--tier", "enterprise"], 2, "--tier enterprise: no such tier"),
        (["apply", "--tier", "pro", "--metrics", "m.json"], 2, "--tier reads no metrics"),
        (["check", "--metrics", "m.json", "--format", "xml"], 2, "unknown format"),
        (["apply", "--tier", "pro", "--summary", "s.md"], 2, "--summary reports the recomm"),
    ],
    ids=[
        "two-sources",
        "no-tiers",
        "no-render",
        "no-snapshot",
        "no-source",
        "unknown-service",
        "unknown-tier",
        "tier-and-metrics",
        "bad-format",
        "tier-and-summary",
    ],
)
def test_errors_are_one_line_with_their_exit_code(
    project: Path, args: list[str], code: int, message: str
) -> None:
    snapshot(project / "m.json", **STARTER_LOAD)
    before = (project / "render.yaml").read_bytes()
    got, out, err = run(*args)
    assert got == code
    assert err.startswith("tier: error: ") and err.count("\n") == 1 and message in err, err
    assert out == ""
    assert (project / "render.yaml").read_bytes() == before


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"services:\n  - type: web\n    name: [unclosed\n", 3, "render.yaml:"),
        (b"services:\n  - type: web\n    name: a\n    name: b\n", 3, "render.yaml:"),
        (b"\xff\xfeservices: []\n", 3, "UTF-8"),
        (b"a: " + b"[" * 3000 + b"]" * 3000 + b"\n", 3, "nested too deeply"),
    ],
    ids=["invalid-yaml", "duplicate-key", "not-utf8", "too-deep"],
)
def test_bad_render_yaml_exits_3_untouched(
    project: Path, content: bytes, code: int, message: str
) -> None:
    (project / "render.yaml").write_bytes(content)
    for args in (
        ["apply", "--tier", "pro"],
        ["recommend", "--metrics", str(snapshot(project / "m.json", **STARTER_LOAD))],
    ):
        got, _, err = run(*args)
        assert got == code and message in err and err.count("\n") == 1, err
        assert (project / "render.yaml").read_bytes() == content


def test_bad_snapshot_exits_4(project: Path) -> None:
    (project / "m.json").write_text('{"collected_at": "yesterday", "metrics": {}}', "utf-8")
    code, _, err = run("recommend", "--metrics", "m.json")
    assert code == 4 and "not an ISO 8601 time" in err


def test_stale_snapshot_warns(project: Path) -> None:
    snap = snapshot(project / "m.json", collected_at="2020-01-01T00:00:00+00:00", **STARTER_LOAD)
    _, out, _ = run("recommend", "--metrics", str(snap), "--json")
    assert any(
        "days old" in w["message"] and "tier snapshot" in w["message"]
        for w in json.loads(out)["warnings"]
    )


# --- apply ---------------------------------------------------------------------------------------


def test_apply_named_tier_then_again_is_a_no_op(project: Path) -> None:
    code, out, err = run("apply", "--tier", "pro")
    assert (code, out) == (0, "")
    assert err == (
        "render.yaml: api plan free -> pro; api startCommand -> gunicorn main:app --workers 5 "
        "--worker-class uvicorn_worker.UvicornWorker --bind 0.0.0.0:$PORT --timeout 120 "
        "--max-requests 1000 --max-requests-jitter 50; db plan free -> pro-4gb\n"
    )
    after = (project / "render.yaml").read_bytes()
    changed = [
        i
        for i, (a, b) in enumerate(zip(EXAMPLE.splitlines(), after.splitlines(), strict=True))
        if a != b
    ]
    assert changed == [8, 11, 23]  # the two plan lines and the startCommand line, nothing else
    assert run("apply", "--tier", "pro") == (0, "", "")
    assert (project / "render.yaml").read_bytes() == after


def test_apply_recommended_tier_from_metrics(project: Path) -> None:
    snapshot(project / "m.json", **STARTER_LOAD)
    code, _, err = run("apply", "--metrics", "m.json")
    assert code == 0 and "api plan free -> starter" in err
    assert b"plan: starter  # free -> starter" in (project / "render.yaml").read_bytes()


def test_apply_dry_run_prints_a_diff_and_writes_nothing(project: Path) -> None:
    code, out, _ = run("apply", "--tier", "starter", "--dry-run")
    assert code == 0
    assert out.startswith("--- a/render.yaml\n+++ b/render.yaml\n")
    assert "-    plan: free  # free -> starter -> pro, as the app grows\n" in out
    assert "+    plan: starter  # free -> starter -> pro, as the app grows\n" in out
    assert (project / "render.yaml").read_bytes() == EXAMPLE


def test_apply_refuses_an_edit_through_an_anchor(project: Path) -> None:
    shared = (
        b"x-common: &common\n  runtime: python\n  plan: free\n"
        b"services:\n  - type: web\n    name: api\n    <<: *common\n"
        b"    startCommand: uvicorn main:app --host 0.0.0.0 --port $PORT\n"
        b"  - type: worker\n    name: jobs\n    <<: *common\n    startCommand: python jobs.py\n"
    )
    (project / "render.yaml").write_bytes(shared)
    code, _, err = run("apply", "--tier", "pro")
    assert code == 3 and err.count("\n") == 1 and "render.yaml:" in err
    assert (project / "render.yaml").read_bytes() == shared


def test_apply_keeps_file_mode_and_follows_symlinks(project: Path) -> None:
    real = project / "deploy" / "render.yaml"
    real.parent.mkdir()
    (project / "render.yaml").rename(real)
    real.chmod(0o640)
    (project / "render.yaml").symlink_to(real)
    assert run("apply", "--tier", "starter")[0] == 0
    assert (project / "render.yaml").is_symlink()
    assert b"plan: starter" in real.read_bytes()
    assert real.stat().st_mode & 0o777 == 0o640


# --- check ---------------------------------------------------------------------------------------


def test_check_out_of_sync_exits_1_with_the_fix(project: Path) -> None:
    snapshot(project / "m.json", **STARTER_LOAD)
    code, out, _ = run("check", "--metrics", "m.json")
    assert code == 1
    assert "render.yaml: not on tier starter (now: free; recommended: starter)" in out
    assert "render.yaml:9: api plan free -> starter" in out
    assert out.rstrip().endswith("Fix: tier apply --tier starter")


def test_check_in_sync_exits_0_with_its_warnings(project: Path) -> None:
    snapshot(project / "m.json", **STARTER_LOAD, slow_query_ms=40, db_connections=12)
    assert run("apply", "--tier", "starter")[0] == 0
    code, out, err = run("check", "--metrics", "m.json")
    assert (code, err) == (0, "")
    # the shipped tiers agree with tier's catalogue: no price or size notice about them
    assert out == "render.yaml: on tier starter, in sync\n"


def test_check_json_and_github_and_summary(project: Path) -> None:
    snapshot(project / "m.json", **STARTER_LOAD)
    code, out, _ = run("check", "--metrics", "m.json", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["in_sync"] is False and data["recommended"] == "starter"
    assert data["fix"] == "tier apply --tier starter"
    code, out, _ = run(
        "check",
        "--metrics",
        "m.json",
        "--format",
        "github",
        "--summary",
        "summary.md",
        env={"GITHUB_STEP_SUMMARY": str(project / "gh.md")},
    )
    assert code == 1
    assert (
        "::error file=render.yaml,line=9,title=tier%3A not on starter::api plan free -> starter"
    ) in out
    for name in ("summary.md", "gh.md"):
        md = (project / name).read_text("utf-8")
        assert "| active_users | 812 | **500** ✓ | 5,000 | 10,000 |" in md
        assert "**Fix**: `tier apply --tier starter`" in md
        assert "```diff\n--- a/render.yaml" in md


@pytest.mark.parametrize(
    ("load", "flags", "changed"),
    [
        (STARTER_LOAD, [], True),
        (STARTER_LOAD, ["--dry-run"], False),
        ({"users": 40, "active_users": 12}, [], False),
    ],
    ids=["changes-render-yaml", "dry-run", "in-sync"],
)
def test_apply_summary_is_the_check_summary(
    project: Path, load: dict[str, float], flags: list[str], changed: bool
) -> None:
    snapshot(project / "m.json", **load)
    run("check", "--metrics", "m.json", "--summary", "check.md", env={"GITHUB_STEP_SUMMARY": ""})
    code, _, _ = run("apply", "--metrics", "m.json", "--summary", "apply.md", *flags)
    assert code == 0
    expected = (project / "check.md").read_text("utf-8")
    assert (project / "apply.md").read_text("utf-8") == expected
    assert ((project / "render.yaml").read_bytes() != EXAMPLE) is changed
    assert ("```diff" in expected) is (load is STARTER_LOAD)


def test_check_summary_in_sync_still_shows_the_metrics(project: Path) -> None:
    """What a weekly pull request that only refreshes the snapshot has for a body."""
    snapshot(project / "m.json", users=40, active_users=12)
    code, _, _ = run("check", "--metrics", "m.json", "--summary", "s.md")
    assert code == 0
    assert (project / "s.md").read_text("utf-8") == (
        "### tier: `render.yaml` is on **free**, in sync\n"
        "\n"
        "| metric | value | starter | pro | pro+redis |\n"
        "|---|---:|---:|---:|---:|\n"
        "| users | 40 |  |  |  |\n"
        "| active_users | 12 | 500 | 5,000 | 10,000 |\n"
        "| concurrent_users | unknown | 25 | 100 |  |\n"
        "| db_size_mb | unknown |  |  |  |\n"
        "| slow_query_ms | unknown |  |  |  |\n"
        "| db_connections | unknown |  |  |  |\n"
        "\n"
        "**Reasons**\n"
        "\n"
        "- (none)\n"
        "\n"
        "**Cost**: monthly cost: now $0/month (web free $0 + postgres free $0) -> on free "
        "$0/month (web free $0 + postgres free $0) (+0 $/month)\n"
        "\n"
        "**Warnings**\n"
        "\n"
        "- notice: concurrent_users: unknown; it triggered nothing [unknown-metric]\n"
        "- notice: db_size_mb: unknown; it triggered nothing [unknown-metric]\n"
        "- notice: slow_query_ms: unknown; it triggered nothing [unknown-metric]\n"
        "- notice: db_connections: unknown; it triggered nothing [unknown-metric]\n"
        "- warning: the recommendation (free) is uncertain: concurrent_users is unknown: its "
        "true value may reach starter (25). Tip: measure these metrics exactly (README, "
        '"Metrics") [uncertain-recommendation]\n'
        "- notice: tiers.toml: tier free: Render's free Postgres expires 30 days after creation "
        "(14-day grace) and has no backups [free-postgres-expires]\n"
    )


def test_check_pinned_passes_with_a_warning(project: Path) -> None:
    toml = (project / "tiers.toml").read_text("utf-8").replace('# pin = "starter"', 'pin = "free"')
    (project / "tiers.toml").write_text(toml, "utf-8")
    snapshot(project / "m.json", **STARTER_LOAD)
    code, out, _ = run("check", "--metrics", "m.json")
    assert code == 0
    assert "pinned to free; the metrics call for starter" in out


def test_check_reports_an_outgrown_cap(project: Path) -> None:
    toml = (
        (project / "tiers.toml")
        .read_text("utf-8")
        .replace('# max_tier = "pro"', 'max_tier = "starter"')
    )
    (project / "tiers.toml").write_text(toml, "utf-8")
    snapshot(project / "m.json", active_users=20_000)
    code, out, _ = run("check", "--metrics", "m.json", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["recommended"] == "starter" and data["needed"] == "pro+redis"
    assert any("outgrown max_tier" in w["message"] for w in data["warnings"])
    run("apply", "--tier", "starter")
    code, out, _ = run("check", "--metrics", "m.json")
    assert code == 0 and "the app has outgrown max_tier" in out


def test_offline_uses_the_committed_snapshot_not_the_database(project: Path) -> None:
    (project / ".tier").mkdir()
    snapshot(project / ".tier" / "metrics.json", **STARTER_LOAD)
    env = {"DATABASE_URL": "postgresql://u:secret@127.0.0.1:1/none?connect_timeout=1"}
    code, out, _ = run("check", "--offline", env=env)
    assert code == 1 and "not on tier starter" in out
    code, out, _ = run("recommend", "--json")  # no DATABASE_URL: falls back to the snapshot
    assert code == 0 and json.loads(out)["source"].startswith("snapshot .tier/metrics.json")


# --- database-backed -----------------------------------------------------------------------------


def _users(url: str, active: int, online: int, idle: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE users (id serial PRIMARY KEY, created_at timestamptz NOT NULL "
            "DEFAULT now(), last_seen_at timestamptz)"
        )
        conn.execute(
            "INSERT INTO users (last_seen_at) SELECT now() - interval '1 minute' "
            "FROM generate_series(1, %s)",
            (online,),
        )
        conn.execute(
            "INSERT INTO users (last_seen_at) SELECT now() - interval '3 days' "
            "FROM generate_series(1, %s)",
            (active - online,),
        )
        conn.execute(
            "INSERT INTO users (last_seen_at) SELECT now() - interval '90 days' "
            "FROM generate_series(1, %s)",
            (idle,),
        )


def test_recommend_from_a_real_database(project: Path, pg_db: str) -> None:
    _users(pg_db, active=5200, online=40, idle=100)
    code, out, err = run("recommend", "--database-url", pg_db, "--json", "--allow-superuser")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["metrics"]["users"] == 5300 and data["metrics"]["active_users"] == 5200
    assert data["metrics"]["concurrent_users"] == 40
    assert data["recommended"] == "pro"


def test_snapshot_writes_the_file_and_the_history(project: Path, pg_db: str) -> None:
    _users(pg_db, active=600, online=5, idle=10)
    for _ in range(2):
        code, _, err = run("snapshot", "--allow-superuser", env={"DATABASE_URL": pg_db})
        assert code == 0 and ".tier/metrics.json: snapshot written" in err
    data = json.loads((project / ".tier" / "metrics.json").read_text("utf-8"))
    assert data["metrics"]["active_users"] == 600
    assert data["source"].startswith("postgresql://") and "password" not in data["source"]
    lines = (project / ".tier" / "history.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 2
    code, out, _ = run("check", "--offline")
    assert code == 1 and "not on tier starter" in out


def test_unreachable_database_exits_4_without_the_password(project: Path) -> None:
    url = "postgresql://alice:s3cr3t-pw@127.0.0.1:1/app?connect_timeout=1"
    for args, env in (
        (["recommend", "--database-url", url], None),
        (["recommend"], {"DATABASE_URL": url}),
    ):
        code, out, err = run(*args, env=env)
        assert code == 4 and out == ""
        assert "s3cr3t-pw" not in err and err.count("\n") == 1, err


def test_trend_from_history(project: Path) -> None:
    (project / ".tier").mkdir()
    history = project / ".tier" / "history.jsonl"
    history.write_text(
        "".join(
            json.dumps(
                {
                    "collected_at": f"2026-11-{day:02d}T09:00:00+00:00",
                    "metrics": {"active_users": 300 + 50 * week},
                }
            )
            + "\n"
            for week, day in enumerate((1, 8, 15, 22))
        ),
        "utf-8",
    )
    snap = snapshot(project / "m.json", collected_at="2026-11-22T09:00:00+00:00", active_users=450)
    _, out, _ = run("recommend", "--metrics", str(snap), "--json")
    trend = json.loads(out)["trend"]
    assert trend["per_week"]["active_users"] == pytest.approx(50.0)
    assert trend["eta"]["tier"] == "starter" and trend["eta"]["weeks"] == pytest.approx(1.0)
    _, text, _ = run("recommend", "--metrics", str(snap))
    assert "starter in ~1 week (active_users reaches 500)" in text


# --- tiers, init, version ------------------------------------------------------------------------


def test_tiers_table_shows_render_prices(project: Path) -> None:
    code, out, _ = run("tiers", "--json")
    tiers = {t["name"]: t for t in json.loads(out)["tiers"]}
    assert code == 0
    # pro: web pro $85 + postgres pro-4gb $55 + its default disk, 100 GB at $0.30
    assert (tiers["pro"]["price_usd"], tiers["pro"]["catalogue_usd"]) == (None, 170)
    assert tiers["pro+redis"]["catalogue_usd"] == 180
    code, out, _ = run("tiers")
    assert code == 0 and "pro+redis" in out and "$180/month" in out
    assert "guide" not in out.splitlines()[1]  # no "guide $" column: the header row


@pytest.mark.parametrize("command", ["tiers", "recommend"])
def test_piped_tables_never_cut_cells(project: Path, command: str) -> None:
    """Not a terminal (CliRunner, like `| cat`): every cell whole, whatever COLUMNS says."""
    snapshot(project / "m.json", **STARTER_LOAD)
    args = [command] if command == "tiers" else [command, "--metrics", "m.json"]
    code, out, _ = run(*args, env={"COLUMNS": "60"})
    assert code in (0, 1)
    assert "…" not in out
    whole = "active_users >= 10,000" if command == "tiers" else "concurrent_users"
    assert whole in out
    assert max(len(line) for line in out.splitlines()) > 60


@pytest.mark.parametrize("args", [[], ["--json"]], ids=["table", "json"])
def test_tiers_without_a_tiers_toml_shows_the_bundled_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    bundled = run("tiers", "--tiers", str(DATA / "tiers.toml"), *args)
    monkeypatch.chdir(tmp_path)
    code, out, err = run("tiers", *args)
    assert (code, out) == (0, bundled[1]) and bundled[0] == 0
    assert err == (
        "tiers.toml: notice: not found; showing the tiers bundled with tier (the guide's). "
        "Tip: run `tier init` to write your own, or pass --tiers PATH [bundled-tiers]\n"
    )
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_tiers_with_a_named_missing_file_still_fails(project: Path) -> None:
    code, out, err = run("tiers", "--tiers", "absent.toml")
    assert (code, out) == (2, "") and "absent.toml: not found" in err


def test_init_writes_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("init")[0] == 0
    assert (tmp_path / "tiers.toml").read_text("utf-8") == (ROOT / "tiers.toml").read_text("utf-8")
    (tmp_path / "tiers.toml").write_text("# mine\n", "utf-8")
    code, _, err = run("init")
    assert code == 2 and "already exists" in err
    assert (tmp_path / "tiers.toml").read_text("utf-8") == "# mine\n"
    assert run("init", "--force")[0] == 0


def test_version_and_help_document_exit_codes() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("tier ")
    for command in ("recommend", "apply", "check"):
        code, out, _ = run(command, "--help")
        assert (
            code == 0
            and "Exit codes: 0 ok" in " ".join(out.split())
            and "4 metrics" in " ".join(out.split())
        )


# --- the real console script ---------------------------------------------------------------------


def test_console_script_end_to_end(project: Path) -> None:
    snapshot(project / "m.json", **STARTER_LOAD)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "tier_cli", "check", "--metrics", "m.json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1 and "Fix: tier apply --tier starter" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "tier_cli", "apply", "--metrics", "m.json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout == "" and "api plan free -> starter" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "tier_cli", "check", "--metrics", "m.json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0


def test_init_inspects_the_schema_and_writes_working_sql(project: Path, pg_db: str) -> None:
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE accounts (id serial PRIMARY KEY, signed_up timestamptz, "
            "last_login_at timestamptz)"
        )
        conn.execute(
            "INSERT INTO accounts (last_login_at) SELECT now() - interval '2 days' "
            "FROM generate_series(1, 700)"
        )
    (project / "tiers.toml").unlink()
    code, _, err = run("init", "--database-url", pg_db)
    assert code == 0, err
    text = (project / "tiers.toml").read_text("utf-8")
    assert '"public"."accounts"' in text and '"last_login_at"' in text
    code, out, err = run("recommend", "--database-url", pg_db, "--json", "--allow-superuser")
    assert code == 0, err
    data = json.loads(out)
    assert (data["metrics"]["users"], data["metrics"]["active_users"]) == (700, 700)
    assert data["recommended"] == "starter"


def test_shell_completion_script() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONPATH"] = str(ROOT)
    # take the shell named below, not the one pytest was started from (`sh -c` is not supported)
    env["_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "tier_cli", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0 and "_tier_completion" in proc.stdout


def test_check_from_a_snapshot_imports_no_database_driver(project: Path) -> None:
    """The hot path (every commit): no psycopg, no rich, no pgserver, no pglast."""
    snapshot(project / "m.json", **STARTER_LOAD)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONPATH"] = str(ROOT)
    for args in (["check", "--metrics", "m.json"], ["check", "--offline", "--metrics", "m.json"]):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "tier_cli", *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr[-500:]
        imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
        assert "tier_cli.blueprint.editor" in imported  # the measurement is real
        heavy = ("psycopg", "rich", "pgserver", "pglast")
        assert not {m for m in imported if m.split(".")[0] in heavy}


def test_check_says_a_leftover_key_value_once(project: Path) -> None:
    snapshot(project / "m.json", **STARTER_LOAD)
    assert run("apply", "--tier", "pro+redis")[0] == 0
    code, out, _ = run("check", "--metrics", "m.json")
    assert code == 1
    assert out.count("Key Value service `cache` is no longer needed") == 1
    code, _, err = run("apply", "--metrics", "m.json")
    assert code == 0 and "Key Value service `cache` is no longer needed" in err


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_snapshot_values_exit_4(project: Path, value: str) -> None:
    (project / "m.json").write_text(
        '{"collected_at": "' + RECENT + '", "metrics": {"active_users": ' + value + "}}",
        "utf-8",
    )
    for command in ("recommend", "check"):
        code, out, err = run(command, "--metrics", "m.json")
        assert code == 4 and out == "" and "not a finite number" in err, err


def test_unwritable_summary_is_a_config_error(project: Path) -> None:
    snapshot(project / "m.json", **STARTER_LOAD)
    code, _, err = run("check", "--metrics", "m.json", "--summary", "no/such/dir/r.md")
    assert code == 2 and "cannot write the summary" in err and err.count("\n") == 1
    code, _, err = run("check", "--metrics", "m.json", env={"GITHUB_STEP_SUMMARY": "no/x.md"})
    assert code == 2 and "$GITHUB_STEP_SUMMARY" in err


@pytest.mark.parametrize("content", [b"", b"# only a comment\n", b"build: pip install\n"])
def test_a_file_without_services_exits_3(project: Path, content: bytes) -> None:
    (project / "render.yaml").write_bytes(content)
    code, _, err = run("apply", "--tier", "pro")
    assert code == 3 and "declares no services" in err
    assert (project / "render.yaml").read_bytes() == content


def test_folders_in_place_of_files(project: Path) -> None:
    (project / "dir.json").mkdir()
    code, _, err = run("recommend", "--metrics", "dir.json")
    assert code == 4 and "is a folder" in err
    code, _, err = run("recommend", "--tiers", str(project), "--metrics", "dir.json")
    assert code == 2 and "is a folder" in err


def test_options_tier_does_not_manage_are_never_dropped(project: Path) -> None:
    text = EXAMPLE.replace(b"--port $PORT\n", b"--port $PORT --proxy-headers --root-path /api\n")
    (project / "render.yaml").write_bytes(text)
    snapshot(project / "m.json", users=10, active_users=10, concurrent_users=1, db_size_mb=5)
    code, out, _ = run("check", "--metrics", "m.json")
    assert code == 0 and "in sync" in out  # extra options are not a difference
    code, _, err = run("apply", "--tier", "starter")
    assert code == 0 and "keeps uvicorn and its options, with the tier's worker count" in err
    after = (project / "render.yaml").read_bytes()
    assert b"--proxy-headers --root-path /api --workers 2\n" in after
    code, out, _ = run("check", "--metrics", "m.json")  # on the free tier: a single worker
    assert code == 1 and "--proxy-headers --root-path /api\n" in out.replace(" --workers 2", "")


def test_a_bug_exits_5_not_1(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CI must never read a crash as "out of sync"."""
    snapshot(project / "m.json", **STARTER_LOAD)

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr("tier_cli.decide.recommendation.recommend", broken)
    code, out, err = run("check", "--metrics", "m.json")
    assert code == 5 and out == ""
    assert err.startswith("tier: internal error: KeyError") and err.count("\n") == 1


def test_a_snapshot_dated_in_the_future_warns(project: Path) -> None:
    snap = snapshot(project / "m.json", collected_at="2099-01-01T00:00:00+00:00", **STARTER_LOAD)
    _, out, _ = run("recommend", "--metrics", str(snap), "--json")
    assert any("dated in the future" in w["message"] for w in json.loads(out)["warnings"])


# --- writes that fail, and where the snapshot's history goes ----------------------------------


def test_snapshot_elsewhere_does_not_touch_the_history(project: Path, pg_db: str) -> None:
    _users(pg_db, active=600, online=5, idle=10)
    code, _, err = run(
        "snapshot", "-o", "elsewhere/m.json", "--allow-superuser", env={"DATABASE_URL": pg_db}
    )
    assert code == 0 and "elsewhere/m.json: snapshot written" in err and "appended" not in err
    assert (project / "elsewhere" / "m.json").is_file()
    assert not (project / ".tier" / "history.jsonl").exists()
    code, _, err = run(
        "snapshot", "-o", ".tier/metrics.json", "--allow-superuser", env={"DATABASE_URL": pg_db}
    )
    assert code == 0 and "appended to .tier/history.jsonl" in err  # the configured path


@pytest.mark.parametrize(
    ("args", "blocker", "exit_code"),
    [
        pytest.param(
            ("snapshot", "-o", "afile/m.json", "--allow-superuser"),
            "afile",
            2,
            id="snapshot-folder-is-file",
        ),
        pytest.param(("snapshot", "--allow-superuser"), ".tier", 2, id="dot-tier-is-a-file"),
        pytest.param(("init", "--tiers", "afile/t.toml"), "afile", 2, id="init-folder-is-file"),
    ],
)
def test_a_write_that_fails_is_one_line_not_a_bug(
    project: Path, pg_db: str, args: tuple[str, ...], blocker: str, exit_code: int
) -> None:
    _users(pg_db, active=600, online=5, idle=10)
    (project / blocker).write_text("a file, not a folder", "utf-8")
    code, out, err = run(*args, env={"DATABASE_URL": pg_db})
    assert code == exit_code, err
    assert err.count("\n") == 1 and "cannot be written" in err and "Tip:" in err
    assert "bug in tier" not in err and out == ""


def test_apply_into_a_read_only_folder_exits_3(project: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    project.chmod(0o555)
    try:
        code, _, err = run("apply", "--tier", "pro")
    finally:
        project.chmod(0o755)
    assert code == 3 and "render.yaml: cannot be written" in err
    assert (project / "render.yaml").read_bytes() == EXAMPLE


# --- database URLs as apps keep them, masking, a closed pipe --------------------------------------


def _scheme(url: str, scheme: str) -> str:
    return scheme + url.split("://", 1)[1]


@pytest.mark.parametrize(
    "scheme",
    ["postgresql+asyncpg://", "postgresql+psycopg://", "postgres://", "POSTGRESQL+psycopg2://"],
    ids=["asyncpg", "psycopg", "postgres", "psycopg2-upper-case"],
)
def test_driver_urls_are_accepted_silently(project: Path, pg_db: str, scheme: str) -> None:
    _users(pg_db, active=600, online=5, idle=10)
    url = _scheme(pg_db, scheme)
    code, out, err = run("recommend", "--json", "--allow-superuser", env={"DATABASE_URL": url})
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["metrics"]["active_users"] == 600
    assert data["source"].startswith("postgresql://")
    assert not any("scheme" in w or "driver" in w for w in data["warnings"])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param(
            "postgresql://u:pw@db.example/app\n",
            "tier: error: DATABASE_URL: the database URL ends with a newline. Tip: remove the "
            "whitespace around it (a file read with $(cat ...) or a pasted line break often adds "
            "one)\n",
            id="trailing-newline",
        ),
        pytest.param(
            " postgresql://u:pw@db.example/app",
            "tier: error: DATABASE_URL: the database URL starts with whitespace. Tip: remove the "
            "whitespace around it (a file read with $(cat ...) or a pasted line break often adds "
            "one)\n",
            id="leading-space",
        ),
        pytest.param(
            "p",
            "tier: error: the database URL is not a valid PostgreSQL URL. Tip: use "
            "postgresql://USER:PASSWORD@HOST:PORT/DBNAME, with special characters "
            "percent-encoded\n",
            id="not-a-url-one-letter",
        ),
    ],
)
def test_bad_urls_give_one_legible_line(project: Path, url: str, message: str) -> None:
    code, out, err = run("recommend", env={"DATABASE_URL": url})
    assert (code, out, err) == (2, "", message)


def test_a_one_letter_password_does_not_mangle_messages(project: Path) -> None:
    """DATABASE_URL='p' once printed `Ti***: use ***ostgresql://...`."""
    code, _, err = run("recommend", "--tiers", "none.toml", env={"DATABASE_URL": "p"})
    assert (code, err) == (
        2,
        "tier: error: none.toml: not found. Tip: pass --tiers PATH, or run `tier init` to "
        "write one\n",
    )
    code, _, err = run(
        "recommend", env={"DATABASE_URL": "postgresql://u:p@127.0.0.1:1/app?connect_timeout=1"}
    )
    assert code == 4 and "Tip: check the host and port" in err and ":p@" not in err


def test_a_closed_pipe_is_not_an_error(project: Path) -> None:
    """`tier recommend | head -1`: the reader stops early; tier ends quietly with 0."""
    snapshot(project / "m.json", **STARTER_LOAD)
    for args in (["recommend", "--metrics", "m.json"], ["tiers", "--json"], ["tiers"]):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tier_cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=project,
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # before tier writes anything: its first write meets a closed pipe
        err = proc.stderr.read()
        assert (proc.wait(timeout=60), err) == (0, b""), args


# --- quality: a lower bound or a single reading is said in every output -------------------------

PROXIED = {"users": 9000, "active_users": 628, "concurrent_users": 0, "db_size_mb": 8}
PROXIED_QUALITY = {"active_users": "lower_bound", "concurrent_users": "single_reading"}


def _proxied_snapshot(path: Path) -> None:
    data = {"collected_at": RECENT, "metrics": PROXIED, "quality": PROXIED_QUALITY}
    path.write_text(json.dumps(data), "utf-8")


def test_quality_and_uncertainty_in_json_text_and_github(project: Path) -> None:
    _proxied_snapshot(project / "m.json")
    code, out, _ = run("recommend", "--metrics", "m.json", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["quality"] == {
        "users": "exact",
        "active_users": "lower_bound",
        "concurrent_users": "single_reading",
        "db_size_mb": "exact",
        "slow_query_ms": "unknown",
        "db_connections": "unknown",
    }
    assert answer["recommended"] == "starter" and answer["uncertain"] is True
    assert answer["uncertain_because"] == [
        "active_users 628 is a lower bound: its true value may reach pro (5,000)",
        "concurrent_users 0 is a single reading, not the peak: its true value may reach pro (100)",
    ]
    code, out, _ = run("recommend", "--metrics", "m.json")
    rows = {line.split()[0]: line for line in out.splitlines() if line.split()}
    assert "a lower bound" in rows["active_users"]
    assert "a single reading, not the peak" in rows["concurrent_users"]
    assert "uncertain: active_users 628 is a lower bound" in out
    code, out, _ = run("check", "--metrics", "m.json", "--format", "json")
    assert json.loads(out)["uncertain"] is True and json.loads(out)["quality"] == answer["quality"]
    code, out, _ = run("check", "--metrics", "m.json", "--format", "github")
    assert any(line.startswith("::warning") and "uncertain" in line for line in out.splitlines()), (
        out
    )


def test_exact_figures_are_certain(project: Path) -> None:
    snapshot(project / "m.json", **STARTER_LOAD, slow_query_ms=12, db_connections=4)
    code, out, _ = run("recommend", "--metrics", "m.json", "--json")
    answer = json.loads(out)
    assert (code, answer["uncertain"], answer["uncertain_because"]) == (0, False, [])
    assert set(answer["quality"].values()) == {"exact"}


def test_a_snapshot_keeps_the_quality(project: Path) -> None:
    _proxied_snapshot(project / "m.json")
    data = json.loads((project / "m.json").read_text("utf-8"))
    data["quality"]["users"] = "roughly"
    (project / "m.json").write_text(json.dumps(data), "utf-8")
    code, _, err = run("recommend", "--metrics", "m.json")
    assert code == 4, err
    assert "m.json: quality.users: 'roughly' is not a quality. Tip: use exact" in err
