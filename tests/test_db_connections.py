"""db_connections end to end: measured on a real server, kept in snapshots and the history (with
its peak beside it), and the connection budget of the shipped tiers in `recommend` and `apply`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import psycopg
import pytest
from as_superuser import collect
from cli_project import run, snapshot

from tier_cli.config.settings import DatabaseSettings
from tier_cli.output.progress import metric_status

ROOT = Path(__file__).resolve().parents[1]
USERS = "CREATE TABLE users (id int, created_at timestamptz, last_seen_at timestamptz)"

PRO_BUDGET = (
    "tier pro: 5 web workers x 2 instances x 15 connections each (pool_per_worker) = 150 "
    "connections, above the 100 of database plan pro-4gb. Tip: a smaller pool (pool_size + "
    "max_overflow <= 10 per worker, then set pool_per_worker), fewer workers, a database plan "
    "with more connections (pro-8gb: 200), or Render's connection pooling (PgBouncer)"
)
PLAN_LINE = "    plan: free  # free -> starter -> pro, as the app grows\n"


def _instances(project: Path, n: int) -> None:
    render = project / "render.yaml"
    text = render.read_text("utf-8")
    assert PLAN_LINE in text
    render.write_text(text.replace(PLAN_LINE, PLAN_LINE + f"    numInstances: {n}\n", 1))


@pytest.mark.parametrize("held", [0, 1, 3], ids=["none", "one", "three"])
def test_db_connections_counts_the_other_connections(pg_db: str, held: int) -> None:
    with psycopg.connect(pg_db, autocommit=True) as setup:
        setup.execute(USERS)
    others = [psycopg.connect(pg_db) for _ in range(held)]
    try:
        metrics = collect(pg_db, DatabaseSettings())
    finally:
        for conn in others:
            conn.close()
    assert metrics.get("db_connections") == held  # tier's own connection is left out
    assert set(metrics.timings_ms) == set(metrics.values)


def test_snapshot_and_history_keep_db_connections_and_its_peak(project: Path, pg_db: str) -> None:
    with psycopg.connect(pg_db, autocommit=True) as setup:
        setup.execute(USERS)
    held = [psycopg.connect(pg_db) for _ in range(4)]
    try:
        assert run("snapshot", "--database-url", pg_db, "--allow-superuser")[0] == 0
    finally:
        for conn in held[1:]:
            conn.close()
    try:
        code, _, err = run("snapshot", "--database-url", pg_db, "--allow-superuser")
    finally:
        held[0].close()
    assert code == 0 and "db_connections 1" in err
    snap = json.loads((project / ".tier" / "metrics.json").read_text("utf-8"))
    assert snap["metrics"]["db_connections"] == 1
    lines = (project / ".tier" / "history.jsonl").read_text("utf-8").splitlines()
    first, second = (json.loads(line) for line in lines)
    assert (first["metrics"]["db_connections"], second["metrics"]["db_connections"]) == (4, 1)
    code, out, err = run("recommend", "--offline", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["metrics"]["db_connections"] == 1
    assert data["trend"]["peaks"] == {"db_connections": {"value": 4, "at": first["collected_at"]}}
    code, out, _ = run("recommend", "--offline")
    row = next(line for line in out.splitlines() if "db_connections" in line.split("|")[0])
    assert f"history peak 4 at {first['collected_at'][:16]}" in row


def test_pro_of_the_shipped_tiers_is_over_its_connection_budget(project: Path) -> None:
    """The shipped pro tier (5 workers, pro-4gb: 100 connections) fits one instance, not two."""
    _instances(project, 2)
    snap = snapshot(project / "m.json", users=9000, active_users=6000, db_connections=12)
    code, out, err = run("recommend", "--metrics", str(snap), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["recommended"] == "pro"
    assert (data["units"]["db_connections"], data["units"]["db_size_mb"]) == ("connections", "MB")
    assert data["connection_budget"] == {
        "tier": "pro",
        "workers": 5,
        "instances": 2,
        "pool_per_worker": 15,
        "other": 0,  # 12 measured, within what the free tier's workers may hold (1 x 2 x 15)
        "total": 150,
        "database_plan": "pro-4gb",
        "limit": 100,
    }
    budgets = [w for w in data["warnings"] if w["code"] == "connection-budget"]
    assert [(w["severity"], w["message"]) for w in budgets] == [("warning", PRO_BUDGET)]
    code, _, err = run("apply", "--metrics", str(snap))
    assert code == 0 and f"render.yaml: warning: {PRO_BUDGET} [connection-budget]\n" in err
    code, out, _ = run("recommend", "--metrics", str(snap))
    assert (
        "database connections on pro: 5 workers x 2 instances x 15 (pool_per_worker) = 150 of "
        "100 (database plan pro-4gb)" in out
    )


def test_instances_from_render_yaml_count(project: Path) -> None:
    code, _, err = run("apply", "--tier", "starter", "--dry-run")  # one instance: 30 of 100
    assert code == 0 and "connection-budget" not in err
    _instances(project, 4)
    code, _, err = run("apply", "--tier", "starter")
    assert code == 0
    assert "tier starter: 2 web workers x 4 instances x 15 connections each" in err


# --- the status line ------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "enabled", "shown"),
    [
        pytest.param(_Terminal(), True, True, id="terminal"),
        pytest.param(_Terminal(), False, False, id="terminal-with-json"),
        pytest.param(io.StringIO(), True, False, id="piped"),
    ],
)
def test_status_names_the_metric_only_on_a_terminal(
    stream: io.StringIO, enabled: bool, shown: bool
) -> None:
    with metric_status(stream, enabled) as progress:
        assert (progress is not None) == shown
        if progress is not None:
            progress("active_users")
    assert ("reading metric active_users" in stream.getvalue()) == shown
    if not shown:
        assert stream.getvalue() == ""


def test_recommend_piped_writes_no_status(project: Path, pg_db: str) -> None:
    with psycopg.connect(pg_db, autocommit=True) as setup:
        setup.execute(USERS)
    code, out, err = run("recommend", "--database-url", pg_db, "--json", "--allow-superuser")
    assert code == 0 and err == ""
    assert json.loads(out)["timings_ms"].keys() == json.loads(out)["metrics"].keys()
