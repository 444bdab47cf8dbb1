"""What tier writes deploys on today's Render, and a green `tier check` is true.

Whole files through the CLI: `tier apply`, then `tier check` on the result. The shipped tiers on
databases that are on free, basic-256mb, a legacy plan and no plan key; the guide's tiers as
written (legacy Postgres plans) refused; check's truth (nothing measured, stale snapshots, plans
no tier uses, ::error annotations); the monthly cost as Render bills it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cli_project
import pytest
from cli_project import run
from tier_targets import TIERS, start

from tier_cli.config.catalogue import load_catalogue

ROOT = Path(__file__).resolve().parents[1]
CAT = load_catalogue()

FILE = """\
# the app
services:
  - type: web
    name: api
    runtime: python
    plan: {web}
    buildCommand: pip install -r requirements.txt
    startCommand: {start}
    envVars:
      - key: DATABASE_URL
        fromDatabase:
          name: db
          property: connectionString
databases:
  - name: db
{db}    databaseName: app
"""

REDIS = """\
      - key: REDIS_URL
        fromService:
          type: keyvalue
          name: cache
          property: connectionString
  - type: keyvalue
    name: cache
    plan: starter
    ipAllowList: []
"""

UVICORN = "uvicorn main:app --host 0.0.0.0 --port $PORT"


def blueprint(web: str, db: str | None, command: str = UVICORN, redis: bool = False) -> str:
    text = FILE.format(web=web, start=command, db="" if db is None else f"    plan: {db}\n")
    if redis:  # REDIS_URL after the last env var, the Key Value service after the last service
        head, tail = text.split("databases:\n")
        text = head + REDIS + "databases:\n" + tail
    return text


# Metrics that call for each shipped tier (and keep it, once render.yaml is on it).
LOAD = {
    "free": {"active_users": 40, "concurrent_users": 2},
    "starter": {"active_users": 812, "concurrent_users": 31},
    "pro": {"active_users": 6000, "concurrent_users": 150},
    "pro+redis": {"active_users": 12000, "concurrent_users": 150},
}


def snapshot(path: Path, days_old: float = 0, **metrics: float | None) -> str:
    at = (datetime.now(UTC) - timedelta(days=days_old)).isoformat(timespec="seconds")
    return cli_project.snapshot(path, at, **metrics).name


@pytest.fixture
def project(project: Path) -> Path:
    """The shared project without render.yaml: each test writes its own."""
    (project / "render.yaml").unlink()
    return project


def db_plan(text: str) -> str | None:
    tail = text.split("databases:\n")[1]
    for line in tail.splitlines():
        if line.strip().startswith("plan:"):
            return line.split(":", 1)[1].strip()
    return None


# --- the shipped tiers on every kind of database plan ------------------------------------------

DATABASES = ["free", "basic-256mb", "starter", "pro", "pro plus", None]


@pytest.mark.parametrize("tier", list(TIERS))
@pytest.mark.parametrize("db", DATABASES, ids=[str(d) for d in DATABASES])
def test_shipped_tiers_never_write_a_legacy_plan(project: Path, tier: str, db: str | None) -> None:
    before = blueprint("free", db)
    (project / "render.yaml").write_text(before, "utf-8")
    code, out, err = run("apply", "--tier", tier)
    assert (code, out) == (0, ""), err
    after = (project / "render.yaml").read_text("utf-8")
    target = TIERS[tier]
    now = CAT.find("postgres", db) or CAT.default("postgres")
    paid_kept = target.database_plan == "free" and now.name != "free"  # Render moves none to free
    expected = blueprint(
        target.web_plan,
        db if paid_kept else target.database_plan,
        start(tier),
        redis=target.keyvalue is not None,
    )
    assert after == expected
    assert ("[database-plan-kept]" in err) is paid_kept
    written = CAT.find("postgres", db_plan(after) or "basic-256mb")
    assert written is not None and (paid_kept or not written.legacy)  # no legacy plan written
    snap = snapshot(project / "m.json", **LOAD[tier])
    code, out, _ = run("check", "--metrics", snap)
    assert code == 0 and out.startswith(f"render.yaml: on tier {tier}, in sync\n"), out
    again = run("apply", "--tier", tier)  # a second run changes nothing (and says so again)
    assert again[:2] == (0, "") and (project / "render.yaml").read_text("utf-8") == after
    assert again[2] == ("" if not paid_kept else err.splitlines(keepends=True)[0])


# --- the guide as written: legacy Postgres plans -------------------------------------------------


def guide_as_written(project: Path) -> None:
    path = project / "tiers.toml"
    text = path.read_text("utf-8")
    text = text.replace('database_plan = "basic-256mb"', 'database_plan = "starter"')
    path.write_text(text.replace('database_plan = "pro-4gb"', 'database_plan = "pro"'), "utf-8")


# (id, the file's database plan, tier, `tier apply` exit, what stderr says)
LEGACY = [
    pytest.param("free", "starter", 3, 'set database_plan = "basic-256mb" for tier starter',
                 id="free-to-legacy-starter"),
    pytest.param("basic-256mb", "pro", 3, 'set database_plan = "pro-4gb" for tier pro',
                 id="current-to-legacy-pro"),
    pytest.param(None, "starter", 3, "has no `plan:` (a new database gets basic-256mb)",
                 id="no-plan-key-to-legacy"),
    pytest.param("starter", "pro", 3, "is on legacy plan `starter`",
                 id="legacy-to-another-legacy"),
]  # fmt: skip


@pytest.mark.parametrize(("db", "tier", "exit_code", "said"), LEGACY)
def test_the_guide_as_written_is_refused_with_the_successor(
    project: Path, db: str | None, tier: str, exit_code: int, said: str
) -> None:
    guide_as_written(project)
    before = blueprint("free", db)
    (project / "render.yaml").write_text(before, "utf-8")
    code, out, err = run("apply", "--tier", tier)
    assert (code, out) == (exit_code, "")
    assert err.startswith("tier: error: render.yaml:") and said in err and err.count("\n") == 1
    assert (project / "render.yaml").read_text("utf-8") == before  # untouched
    snap = snapshot(project / "m.json", **LOAD[tier])
    code, out, check_err = run("check", "--metrics", snap)
    assert (code, out) == (2, "")  # the fix is in tiers.toml: a configuration problem
    assert check_err == err
    code, out, _ = run("check", "--metrics", snap, "--format", "github")
    assert code == 2
    line = re.match(r"tier: error: render\.yaml:(\d+):", err)[1]  # type: ignore[index]
    assert out.startswith(f"::error file=render.yaml,line={line},title=tier%3A exit 2::render")


def test_a_database_already_on_the_legacy_plan_stays_in_sync(project: Path) -> None:
    guide_as_written(project)
    before = blueprint("free", "pro")
    (project / "render.yaml").write_text(before, "utf-8")
    code, _, err = run("apply", "--tier", "pro")
    assert code == 0 and "db plan" not in err
    after = (project / "render.yaml").read_text("utf-8")
    assert db_plan(after) == "pro"
    guide_pro = TIERS["pro"].start_template.replace("{app}", "main:app")
    assert after == blueprint("pro", "pro", guide_pro)
    snap = snapshot(project / "m.json", **LOAD["pro"])
    code, out, _ = run("check", "--metrics", snap)
    assert code == 0 and out.startswith("render.yaml: on tier pro, in sync\n")
    assert "legacy Render Postgres plan" in out and "[legacy-postgres-plan]" in out


# --- check tells the truth ------------------------------------------------------------------------


def test_nothing_measured_cannot_be_in_sync(project: Path) -> None:
    (project / "render.yaml").write_text(blueprint("free", "free"), "utf-8")
    snap = snapshot(project / "m.json", users=None, active_users=None, db_size_mb=120)
    message = (
        "tier: error: snapshot m.json: cannot tell which tier the app needs: no metric that a "
        "threshold in tiers.toml uses was measured: active_users (unknown), concurrent_users "
        "(unknown). Tip: measure them (`tier snapshot` with DATABASE_URL set), or fix their SQL "
        "under [database.queries]\n"
    )
    for command in ("check", "apply"):
        code, out, err = run(command, "--metrics", snap)
        assert (code, out) == (4, ""), command
        assert err.replace(f"snapshot {snap}", "snapshot m.json") == message
    code, out, _ = run("check", "--metrics", snap, "--format", "github")
    assert code == 4 and out.startswith("::error title=tier%3A exit 4::snapshot")
    assert run("recommend", "--metrics", snap)[0] == 0  # recommend still shows what it has


@pytest.mark.parametrize("in_sync", [True, False], ids=["in-sync", "out-of-sync"])
def test_a_stale_snapshot_warns_in_every_format(project: Path, in_sync: bool) -> None:
    web, db = ("starter", "basic-256mb") if in_sync else ("free", "free")
    command = start("starter") if in_sync else UVICORN
    (project / "render.yaml").write_text(blueprint(web, db, command), "utf-8")
    snap = snapshot(project / "m.json", days_old=60, **LOAD["starter"])
    want = 0 if in_sync else 1
    code, out, _ = run("check", "--metrics", snap, "--summary", "s.md")
    assert code == want and "warning: metrics are 60 days old" in out
    assert "[stale-snapshot]" in out
    assert "- warning: metrics are 60 days old" in (project / "s.md").read_text("utf-8")
    code, out, _ = run("check", "--metrics", snap, "--format", "github")
    assert code == want
    assert "::warning file=render.yaml,title=tier [stale-snapshot]::metrics are 60 days old" in out
    code, out, _ = run("check", "--metrics", snap, "--format", "json")
    assert any(w["code"] == "stale-snapshot" for w in json.loads(out)["warnings"])


# (id, web plan in render.yaml, metrics, the tier it is taken as, the tier recommended)
NEAREST = [
    pytest.param("standard", LOAD["pro"], "pro", "pro", id="standard-as-pro-stays-pro"),
    pytest.param("pro plus", {"active_users": 1000, "concurrent_users": 20}, "pro", "starter",
                 id="pro-plus-as-pro-clearly-below-falls-to-starter"),
    pytest.param("standard", {"active_users": 4500, "concurrent_users": 20}, "pro", "pro",
                 id="standard-as-pro-held-by-the-dead-band"),
    pytest.param("0.5c-512mb", LOAD["starter"], "starter", "starter",
                 id="spec-id-of-a-tier-plan-is-that-tier"),
]  # fmt: skip


@pytest.mark.parametrize(("web", "load", "taken_as", "recommended"), NEAREST)
def test_plans_no_tier_uses_are_placed_on_the_nearest_tier(
    project: Path, web: str, load: dict[str, float], taken_as: str, recommended: str
) -> None:
    db = TIERS[taken_as].database_plan
    (project / "render.yaml").write_text(blueprint(web, db, start(taken_as)), "utf-8")
    snap = snapshot(project / "m.json", **load)
    code, out, _ = run("check", "--metrics", snap, "--format", "json")
    data = json.loads(out)
    assert (data["current"], data["recommended"]) == (taken_as, recommended)
    nearest = [w for w in data["warnings"] if w["code"] == "nearest-tier"]
    same = CAT.find("web", web) is CAT.find("web", TIERS[taken_as].web_plan)
    assert code == (0 if same else 1)  # apply writes the tier's own plan over an unused one
    if same:
        assert nearest == []
        return
    assert [(w["line"], f"taken as tier {taken_as}" in w["message"]) for w in nearest] == [
        (3, True)
    ]
    code, out, _ = run("check", "--metrics", snap, "--format", "github")
    assert "::notice file=render.yaml,line=3,title=tier [nearest-tier]::" in out


# --- cost as Render bills it ------------------------------------------------------------------


def _on(text: str, *lines: str) -> str:
    """`text` with `lines` added to the web service (after its startCommand)."""
    marker = "    envVars:\n"
    return text.replace(marker, "".join(f"    {x}\n" for x in lines) + marker, 1)


# (id, render.yaml, the cost line of `tier recommend` (starter load), JSON current, JSON after)
COSTS = [
    pytest.param(
        blueprint("free", "free"),
        "monthly cost: now $0/month (web free $0 + postgres free $0) -> on starter $17.5/month "
        "(web starter $7 + postgres basic-256mb $6 + disk 15 GB $4.5) (+17.5 $/month)",
        (0, 0, False), (17.5, 17.5, False), id="free-to-starter-with-default-disk"),
    pytest.param(
        _on(blueprint("starter", "basic-256mb", start("starter")), "numInstances: 3")
        .replace("    databaseName", "    diskSizeGB: 20\n    databaseName"),
        "monthly cost: now $33/month (web starter $7 x 3 + postgres basic-256mb $6 + disk 20 GB "
        "$6) -> on starter $33/month (web starter $7 x 3 + postgres basic-256mb $6 + disk 20 GB "
        "$6) (+0 $/month)",
        (33, 33, False), (33, 33, False), id="instances-and-disk-size"),
    pytest.param(
        _on(blueprint("starter", "basic-256mb", start("starter")),
            "scaling:", "  minInstances: 1", "  maxInstances: 4"),
        "monthly cost: now $17.5-$38.5/month (web starter $7 x 1-4 + postgres basic-256mb $6 + "
        "disk 15 GB $4.5) -> on starter $17.5-$38.5/month (web starter $7 x 1-4 + postgres "
        "basic-256mb $6 + disk 15 GB $4.5) (+0 $/month at the fewest instances)",
        (17.5, 38.5, False), (17.5, 38.5, False), id="scaling-range"),
    pytest.param(
        blueprint("starter", "pro-64gb", start("starter")),
        "monthly cost: now $837/month (web starter $7 + postgres pro-64gb $800 + disk 100 GB "
        "$30) -> on starter $43/month (web starter $7 + postgres basic-256mb $6 + disk 100 GB "
        "$30) (-794 $/month)",
        (837, 837, False), (43, 43, False), id="downgrade-keeps-the-disk"),
    pytest.param(
        blueprint("starter", "basic-256mb", start("starter"))
        .replace("    databaseName", "    storageAutoscalingEnabled: true\n    databaseName"),
        "monthly cost: now at least $17.5/month (web starter $7 + postgres basic-256mb $6 + "
        "disk 15 GB $4.5 or more) -> on starter at least $17.5/month (web starter $7 + postgres "
        "basic-256mb $6 + disk 15 GB $4.5 or more) (+0 $/month)",
        (17.5, None, True), (17.5, None, True), id="growing-disk-is-a-floor"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "now", "after"), COSTS)
def test_cost_as_render_bills_it(
    project: Path,
    text: str,
    line: str,
    now: tuple[float, float | None, bool],
    after: tuple[float, float | None, bool],
) -> None:
    (project / "render.yaml").write_text(text, "utf-8")
    snap = snapshot(project / "m.json", **LOAD["starter"])
    code, out, _ = run("recommend", "--metrics", snap)
    assert code == 0 and line + "\n" in out
    code, out, _ = run("recommend", "--metrics", snap, "--json")
    cost = json.loads(out)["monthly_cost"]
    for key, (usd, top, floor) in (("current_cost", now), ("recommended_cost", after)):
        assert (cost[key]["usd"], cost[key]["max_usd"], cost[key]["at_least"]) == (usd, top, floor)
    code, _, _ = run("check", "--metrics", snap, "--summary", "s.md")
    assert f"**Cost**: {line}" in (project / "s.md").read_text("utf-8")


@pytest.mark.parametrize(
    "command",
    [
        pytest.param("./start.sh", id="script"),
        pytest.param("python main.py", id="python-main"),
        pytest.param("bash ops/start.sh && echo done", id="script-then-more"),
    ],
)
def test_a_start_command_tier_cannot_read_is_never_in_sync(project: Path, command: str) -> None:
    """The plans are on the tier; the worker count cannot be read: exit 3, not "in sync"."""
    text = blueprint("starter", "basic-256mb", command)
    (project / "render.yaml").write_text(text, "utf-8")
    snap = snapshot(project / "m.json", **LOAD["starter"])
    code, out, err = run("check", "--metrics", snap)
    assert (code, out) == (3, "")
    assert err.startswith("tier: error: render.yaml: the plans are on tier starter, but tier")
    assert "[warnings] ignore" in err and err.count("\n") == 1
    code, out, _ = run("check", "--metrics", snap, "--format", "github")
    assert code == 3 and out.startswith("::error ")
    assert (project / "render.yaml").read_text("utf-8") == text  # nothing written
    # the user accepts the command as it is: then it is in sync, with the warning silenced
    tiers = project / "tiers.toml"
    tiers.write_text('[warnings]\nignore = ["start-command-kept"]\n\n' + tiers.read_text("utf-8"))
    code, out, _ = run("check", "--metrics", snap)
    assert code == 0 and out.startswith("render.yaml: on tier starter, in sync")
