"""The machine contract: `schema_version` in every JSON output, `tier schema NAME` printing the
shipped JSON Schemas, and every JSON tier prints or writes valid against them."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cli_project
import pytest
from cli_project import run
from contract import errors, valid, validator
from dates import RECENT

from tier_cli.config.metric_table import METRIC_NAMES, THRESHOLD_METRICS
from tier_cli.config.paths import DATA
from tier_cli.contract import SCHEMA_URL, SCHEMAS, schema_file, schema_text
from tier_cli.metrics.measured import Metrics
from tier_cli.metrics.snapshot import append_history, read_snapshot, write_snapshot
from tier_cli.notices import CODES

ROOT = Path(__file__).resolve().parents[1]
LOADS = {  # metrics that put the example on each kind of verdict
    "free": {"active_users": 40, "concurrent_users": 2, "db_size_mb": 80},
    "starter": {"users": 2400, "active_users": 812, "concurrent_users": 31, "db_size_mb": 120},
    "pro": {"active_users": 6000, "concurrent_users": 150, "db_size_mb": 9000},
}


def snapshot(path: Path, metrics: dict[str, float], at: str = RECENT) -> Path:
    return cli_project.snapshot(path, at, **metrics)


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_each_schema_is_draft_2020_12_and_tier_schema_prints_it(name: str) -> None:
    schema = json.loads(schema_text(name))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_URL.format(schema_file(name))
    validator(name)  # check_schema: a valid draft 2020-12 schema
    code, out, err = run("schema", name)
    assert (code, err) == (0, "")
    assert out == (ROOT / "tier_cli" / "data" / "schemas" / schema_file(name)).read_text()


def test_tier_schema_of_an_unknown_name_is_exit_2_naming_the_names() -> None:
    code, out, err = run("schema", "tier")
    assert (code, out) == (2, "")
    assert (
        err
        == "tier: error: schema tier: unknown schema. Tip: use one of " + ", ".join(SCHEMAS) + "\n"
    )


def test_the_schema_urls_point_into_this_repository() -> None:
    """`#:schema` URLs and `$id`s name tier_cli/data/schemas/FILE: the path exists here."""
    for name in SCHEMAS:
        url = SCHEMA_URL.format(schema_file(name))
        relative = url.split("/main/", 1)[1]
        assert (ROOT / relative).is_file(), relative


@pytest.mark.parametrize("path", [ROOT / "tiers.toml", DATA / "tiers.toml"], ids=["repo", "data"])
def test_the_shipped_tiers_toml_is_valid_and_names_its_schema(path: Path) -> None:
    text = path.read_text("utf-8")
    assert text.splitlines()[0] == "#:schema " + SCHEMA_URL.format(schema_file("tiers"))
    assert errors("tiers", tomllib.loads(text)) == []


BAD_TIERS = [  # (edit of the shipped file, the error the schema gives)
    ("[decision]\n", "[decision]\nmax_teir = 'pro'\n", "Additional properties"),
    ('name = "starter"', 'name = "Starter"', "does not match"),
    ("concurrent_users = 25", "concurrent_users = -25", "less than or equal to the minimum of 0"),
    ("max_age_days = 7", "max_age_days = 'a week'", "is not of type 'number'"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD_TIERS, ids=[b[1][:24] for b in BAD_TIERS])
def test_the_tiers_schema_rejects_what_tier_rejects(old: str, new: str, message: str) -> None:
    text = (ROOT / "tiers.toml").read_text("utf-8")
    assert old in text
    found = errors("tiers", tomllib.loads(text.replace(old, new, 1)))
    assert found and any(message in e for e in found), found


def test_the_tiers_schema_knows_every_threshold_metric_and_warning_code() -> None:
    schema = json.loads(schema_text("tiers"))
    tier = schema["$defs"]["tier"]["properties"]
    assert list(tier["thresholds"]["properties"]) == list(THRESHOLD_METRICS)
    assert schema["properties"]["warnings"]["properties"]["ignore"]["items"]["enum"] == sorted(
        CODES
    )
    queries = schema["$defs"]["database"]["properties"]["queries"]["properties"]
    assert list(queries) == list(METRIC_NAMES)


def test_tier_init_writes_the_schema_line_first(project: Path) -> None:
    (project / "tiers.toml").unlink()
    code, _, _ = run("init")
    assert code == 0
    first = (project / "tiers.toml").read_text("utf-8").splitlines()[0]
    assert first == "#:schema " + SCHEMA_URL.format("tiers.schema.json")


@pytest.mark.parametrize("load", list(LOADS))
def test_recommend_and_check_json_are_valid(project: Path, load: str) -> None:
    snap = snapshot(project / "m.json", LOADS[load])
    code, out, _ = run("recommend", "--metrics", str(snap), "--json")
    assert code == 0
    rec = valid("recommend", out)
    code, out, _ = run("check", "--metrics", str(snap), "--format", "json")
    assert code == (0 if load == "free" else 1)
    check = valid("check", out)
    assert {k: v for k, v in check.items() if k in rec} == rec
    assert check["in_sync"] is (load == "free")


def test_recommend_json_with_a_trend_is_valid(project: Path) -> None:
    start = datetime.now(UTC) - timedelta(days=21)
    history = project / ".tier" / "history.jsonl"
    for week in range(4):
        at = start + timedelta(days=7 * week)
        append_history(history, Metrics({"active_users": 300.0 + 200 * week}, "t", at))
    snap = snapshot(project / "m.json", LOADS["starter"])
    code, out, _ = run("recommend", "--metrics", str(snap), "--json")
    assert code == 0
    assert valid("recommend", out)["trend"]["snapshots"] == 4


def test_check_differences_are_field_line_from_to(project: Path) -> None:
    snap = snapshot(project / "m.json", LOADS["starter"])
    code, out, _ = run("check", "--metrics", str(snap), "--format", "json")
    assert code == 1
    differences = valid("check", out)["differences"]
    assert differences[0] == {
        "field": "plan",
        "line": 9,
        "from": "free",
        "to": "starter",
        "service": "api",
        "text": "api plan free -> starter",
    }
    assert [(d["service"], d["field"], d["from"]) for d in differences] == [
        ("api", "plan", "free"),
        ("api", "startCommand", "uvicorn main:app --host 0.0.0.0 --port $PORT"),
        ("db", "plan", "free"),
    ]


def test_tiers_json_is_valid(project: Path) -> None:
    code, out, _ = run("tiers", "--json")
    assert code == 0
    assert [t["name"] for t in valid("tiers-json", out)["tiers"]] == [
        "free",
        "starter",
        "pro",
        "pro+redis",
    ]


def test_the_snapshot_and_history_tier_writes_are_valid_and_read_back(tmp_path: Path) -> None:
    at = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    metrics = Metrics({"active_users": 812.0, "db_size_mb": None}, "postgres", at, {"users": "x"})
    write_snapshot(tmp_path / "m.json", metrics)
    append_history(tmp_path / "h.jsonl", metrics)
    valid("snapshot", (tmp_path / "m.json").read_text("utf-8"))
    line = (tmp_path / "h.jsonl").read_text("utf-8")
    assert line.count("\n") == 1
    valid("history", line)
    assert read_snapshot(tmp_path / "m.json").values["active_users"] == 812.0


def test_a_snapshot_without_schema_version_still_reads(tmp_path: Path) -> None:
    """Snapshots committed before the contract have no version: readers take them as 1."""
    old = snapshot(tmp_path / "old.json", {"active_users": 5})
    assert errors("snapshot", json.loads(old.read_text())) == []
    assert read_snapshot(old).values["active_users"] == 5


def test_apply_json_is_valid_and_writes_what_it_says(project: Path) -> None:
    snap = snapshot(project / "m.json", LOADS["starter"])
    code, out, err = run("apply", "--metrics", str(snap), "--dry-run", "--json")
    assert (code, err) == (0, "")
    dry = valid("apply", out)
    assert dry["dry_run"] and dry["changed"] and dry["diff"].startswith("--- a/render.yaml")
    assert [c["to"] for c in dry["changes"] if c["field"] == "plan"] == ["starter", "basic-256mb"]
    code, out, err = run("apply", "--metrics", str(snap), "--json")
    assert (code, err) == (0, "")
    done = valid("apply", out)
    assert done["changes"] == dry["changes"] and not done["dry_run"]
    again = valid("apply", run("apply", "--metrics", str(snap), "--json")[1])
    assert (again["changed"], again["changes"], again["diff"]) == (False, [], "")


def test_init_json_is_valid(project: Path) -> None:
    (project / "tiers.toml").unlink()
    code, out, err = run("init", "--json")
    assert (code, err) == (0, "")
    document = valid("init", out)
    assert document["path"] == "tiers.toml"
    assert document["monitoring_role_sql"].startswith("-- ")
