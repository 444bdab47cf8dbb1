"""CLI conventions: -h, completion of --tier and --format values, "did you mean" for a typo in
tiers.toml, and --quiet and --json on every command that prints results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_project import run, snapshot
from contract import valid
from typer.testing import CliRunner

from tier_cli.cli import app

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["recommend", "apply", "check", "snapshot", "tiers", "init", "diff", "schema"]
# `tier schema` prints a JSON Schema: JSON already, and nothing to leave out.
PRINTS_RESULTS = [c for c in COMMANDS if c != "schema"]


@pytest.fixture
def project(project: Path) -> Path:
    """The shared project, with a snapshot (m.json)."""
    snapshot(project / "m.json", active_users=812, concurrent_users=31)
    return project


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_dash_h_is_help(command: str | None) -> None:
    prefix = [command] if command else []
    code, out, _ = run(*prefix, "-h")
    assert code == 0 and "Usage: " in out
    assert (code, out) == run(*prefix, "--help")[:2]


@pytest.mark.parametrize("command", PRINTS_RESULTS)
def test_every_command_that_prints_results_takes_quiet_and_json(command: str) -> None:
    _, out, _ = run(command, "--help")
    assert "--quiet" in out and "--json" in out


COMPLETIONS = [
    ("tier apply --tier ", ["free", "starter", "pro", "pro+redis"]),
    ("tier apply --tier pro", ["pro", "pro+redis"]),
    ("tier check --format ", ["text", "json", "github"]),
    ("tier check --format g", ["github"]),
    ("tier diff --format ", ["text", "json", "markdown"]),
    ("tier schema ti", ["tiers", "tiers-json"]),
]


@pytest.mark.parametrize(("line", "expected"), COMPLETIONS, ids=[c[0] for c in COMPLETIONS])
def test_option_values_complete_in_the_shell(project: Path, line: str, expected: list[str]) -> None:
    """Through the console script and click's completion protocol, as bash calls it."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    env = {**os.environ, "_TIER_COMPLETE": "complete_bash", "COMP_WORDS": line}
    env["COMP_CWORD"] = str(cword)
    tier = Path(sys.executable).parent / "tier"
    proc = subprocess.run([str(tier)], env=env, capture_output=True, text=True, check=False)
    assert proc.stdout.split() == expected, proc.stderr


def test_tier_completion_reads_the_tiers_option(project: Path) -> None:
    text = (project / "tiers.toml").read_text().replace('name = "pro+redis"', 'name = "scale"')
    (project / "other.toml").write_text(text)
    env = {
        **os.environ,
        "_TIER_COMPLETE": "complete_bash",
        "COMP_WORDS": "tier apply --tiers other.toml --tier s",
        "COMP_CWORD": "5",
    }
    tier = Path(sys.executable).parent / "tier"
    proc = subprocess.run([str(tier)], env=env, capture_output=True, text=True, check=False)
    assert proc.stdout.split() == ["starter", "scale"]


TYPOS = [  # (shipped text, typo, message)
    (
        'web_plan = "starter"',
        'web_pan = "starter"',
        "tier[starter].web_pan: unknown key. Tip: did you mean web_plan? Else remove it or use "
        "one of database_plan, keyvalue_plan, name, price_usd, start_command, storage_gb, "
        "thresholds, web, web_cpu, web_plan, web_ram_gb",
    ),
    (
        "max_age_days = 7",
        "max_age_day = 7",
        "snapshot.max_age_day: unknown key. Tip: did you mean max_age_days? Else remove it",
    ),
    (
        "active_users = 500 ",
        "activ_users = 500 ",
        "tier[starter].thresholds.activ_users: unknown metric. Tip: did you mean active_users?",
    ),
    (
        "[decision]\n",
        "[decision]\nzebra = 1\n",
        "decision.zebra: unknown key. Tip: remove it or use one of capacity_active_users",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), TYPOS, ids=[t[1][:20] for t in TYPOS])
def test_a_typo_in_tiers_toml_gets_did_you_mean(
    project: Path, old: str, new: str, message: str
) -> None:
    text = (project / "tiers.toml").read_text()
    assert old in text
    (project / "tiers.toml").write_text(text.replace(old, new, 1))
    code, out, err = run("tiers")
    assert (code, out) == (2, "")
    assert err.startswith(f"tier: error: tiers.toml: {message}"), err


def test_quiet_prints_only_the_result(project: Path) -> None:
    assert run("tiers", "-q") == (0, "free\nstarter\npro\npro+redis\n", "")
    assert run("recommend", "--metrics", "m.json", "-q") == (0, "starter\n", "")
    code, out, err = run("check", "--metrics", "m.json", "-q")
    assert (code, err) == (
        1,
        "",
    ) and out == "render.yaml: not on tier starter (now: free; recommended: starter)\n"
    (project / "tiers.toml").unlink()
    code, out, err = run("init", "-q")
    assert (code, err) == (0, "") and out.startswith("-- ")


def test_check_json_is_the_json_format(project: Path) -> None:
    a = run("check", "--metrics", "m.json", "--json")
    b = run("check", "--metrics", "m.json", "--format", "json")
    assert a == b and a[0] == 1
    valid("check", a[1])


@pytest.mark.postgres
def test_snapshot_json_prints_what_it_writes_and_quiet_says_nothing(
    project: Path, pg_db: str
) -> None:
    import psycopg

    with psycopg.connect(pg_db, autocommit=True) as setup:  # the conventional users table
        setup.execute(
            "CREATE TABLE users (id serial PRIMARY KEY, created_at timestamptz NOT NULL "
            "DEFAULT now(), last_seen_at timestamptz)"
        )
    code, out, err = run(
        "snapshot", "--database-url", pg_db, "--allow-superuser", "--json", "--quiet"
    )
    assert (code, err) == (0, "")
    printed = valid("snapshot", out)
    assert printed == json.loads((project / ".tier" / "metrics.json").read_text())


@pytest.mark.parametrize("given", ["gh.md", "./gh.md", "{abs}"])
def test_the_summary_is_written_once_when_summary_is_the_step_summary(
    project: Path, given: str
) -> None:
    """`tier check --summary "$GITHUB_STEP_SUMMARY"`: one report, not two."""
    path = given.format(abs=project / "gh.md")
    env = {"GITHUB_STEP_SUMMARY": str(project / "gh.md")}
    result = CliRunner().invoke(app, ["check", "--metrics", "m.json", "--summary", path], env=env)
    assert result.exit_code == 1
    assert (project / "gh.md").read_text("utf-8").count("### tier:") == 1
