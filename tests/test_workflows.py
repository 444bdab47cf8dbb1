"""The example workflows: actionlint passes on them, and their tier steps run here as written.

The steps run on a fixture repository (git init, render.yaml, tiers.toml, a committed snapshot)
whose `origin` is a bare repository in the test's folder, against the real PostgreSQL fixture.
`gh` is a stand-in that records what it is asked and keeps which pull requests are open.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sysconfig
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from cli_project import run
from pg_roles import monitoring_role
from workflows import (
    EXAMPLES,
    ROOT,
    Runner,
    git,
    load,
    origin_repository,
    recording_gh,
    run_steps,
    tier_commands,
)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SCRIPTS = Path(sysconfig.get_path("scripts"))  # where pip put actionlint and shellcheck
SHELLCHECK = any((SCRIPTS / name).exists() for name in ("shellcheck", "shellcheck.exe"))
BRANCH = "tier/update"
TOKEN = "token-from-the-runner"
OLD_SNAPSHOT = {
    "collected_at": "2026-11-02T05:23:00+00:00",
    "metrics": {"users": 300, "active_users": 120, "concurrent_users": 3},
}

FAKE_GH = """\
import json, os, subprocess, sys
from pathlib import Path

state = Path(os.environ["FAKE_GH_DIR"])
prs_file = state / "prs.json"
# branch -> {"state": OPEN | CLOSED | MERGED, "body": ...}: the latest pull request of each
prs = json.loads(prs_file.read_text()) if prs_file.exists() else {}
args = sys.argv[1:]
call = {"args": args, "token": os.environ.get("GH_TOKEN")}
if "--body-file" in args:
    call["body"] = Path(args[args.index("--body-file") + 1]).read_text()
with (state / "calls.jsonl").open("a") as log:
    log.write(json.dumps(call) + "\\n")
if args[:2] == ["pr", "view"] and args[3:] == ["--json", "state", "--jq", ".state"]:
    if args[2] not in prs:
        sys.exit(f'no pull requests found for branch "{args[2]}"')
    print(prs[args[2]]["state"])
elif args[:2] == ["pr", "list"]:
    assert args[2] == "--head" and args[4:9] == ["--state", "closed", "--limit", "1", "--json"]
    assert args[9] == "state,body" and args[10] == "--jq", args
    pr = prs.get(args[3])
    found = [pr] if pr and pr["state"] in ("CLOSED", "MERGED") else []
    out = subprocess.run(["jq", "-r", args[11]], input=json.dumps(found), text=True,
                         capture_output=True, check=True).stdout
    sys.stdout.write(out)
elif args[:2] == ["pr", "create"]:
    prs[args[args.index("--head") + 1]] = {"state": "OPEN", "body": call["body"]}
    prs_file.write_text(json.dumps(prs))
elif args[:2] == ["pr", "edit"]:
    prs[args[2]]["body"] = call["body"]
    prs_file.write_text(json.dumps(prs))
else:
    sys.exit(f"gh stand-in: unexpected call {args}")
"""




# --- actionlint ----------------------------------------------------------------------------------


def actionlint(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{SCRIPTS}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(SCRIPTS / "actionlint"), "-verbose", "-no-color", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("workflow", ["github-actions.yml", "tier-weekly.yml"])
def test_actionlint_passes(workflow: str) -> None:
    proc = actionlint(str(EXAMPLES / workflow))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if SHELLCHECK:
        assert 'Rule "shellcheck" was disabled' not in proc.stderr  # run: scripts checked too


BROKEN = {
    "unquoted-variable": pytest.param(
        "      - run: tier apply --summary $RUNNER_TEMP/s.md\n",
        "SC2086",
        marks=pytest.mark.skipif(not SHELLCHECK, reason="no shellcheck wheel for this machine"),
    ),
    "expression-in-script": (
        "      - run: echo '${{ github.event.head_commit.message }}'\n",
        "potentially untrusted",
    ),
    "unknown-permission": ("    permissions:\n      pull-request: write\n", "pull-request"),
}


@pytest.mark.parametrize(("lines", "expected"), list(BROKEN.values()), ids=list(BROKEN))
def test_actionlint_fails_on_what_it_should(tmp_path: Path, lines: str, expected: str) -> None:
    """The check above can fail: actionlint (and shellcheck through it) run, and complain."""
    head = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
    body = "    steps:\n      - run: 'true'\n"
    text = head + (lines + body if "permissions" in lines else body + lines)
    (tmp_path / "w.yml").write_text(text, "utf-8")
    proc = actionlint(str(tmp_path / "w.yml"))
    assert proc.returncode == 1 and expected in proc.stdout, proc.stdout + proc.stderr


def test_the_weekly_workflow_declares_its_permissions_and_triggers() -> None:
    data = load("tier-weekly.yml")
    assert data["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert set(data["on"]) == {"schedule", "workflow_dispatch"}
    uses = [s["uses"] for s in data["jobs"]["propose"]["steps"] if "uses" in s]
    assert all("@v" in u for u in uses), uses  # actions pinned by version


def test_every_tier_command_of_the_workflows_is_run_by_these_tests() -> None:
    """The scenario tests below run the steps as written; this says which commands that is."""
    assert tier_commands("github-actions.yml") == ["tier check --format github"]
    assert tier_commands("tier-weekly.yml") == [
        "tier snapshot",
        'tier apply --offline --summary "$RUNNER_TEMP/tier-summary.md"',
        "tier recommend --offline --quiet",
    ]


# --- running the steps ---------------------------------------------------------------------------


def _users(url: str, active: int, online: int) -> None:
    """Refill the users table: `active` seen 3 days ago, `online` of them a minute ago (the
    table is kept, so that the monitoring role's grants on it hold)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS users (id serial PRIMARY KEY, created_at timestamptz "
            "NOT NULL DEFAULT now(), last_seen_at timestamptz)"
        )
        conn.execute("TRUNCATE users RESTART IDENTITY")
        conn.execute(
            "INSERT INTO users (last_seen_at) SELECT now() - CASE WHEN i <= %s THEN "
            "interval '1 minute' ELSE interval '3 days' END FROM generate_series(1, %s) i",
            (online, active),
        )
        conn.execute("VACUUM ANALYZE users")  # the database's size settles now, not later


@pytest.fixture
def monitor(pg_db: str) -> Iterator[str]:
    """The DATABASE_URL secret as the README asks: the read-only monitoring role's URL."""
    _users(pg_db, active=0, online=0)
    with monitoring_role(pg_db) as url:
        yield url


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A bare repository holding main: render.yaml on free, tiers.toml, an old small snapshot."""
    files = {
        "metrics.json": json.dumps(OLD_SNAPSHOT, indent=2) + "\n",
        "history.jsonl": json.dumps(OLD_SNAPSHOT) + "\n",
    }
    return origin_repository(tmp_path, files)


@pytest.fixture
def fake_gh(tmp_path: Path) -> Path:
    return recording_gh(tmp_path, FAKE_GH)


def gh_calls(state: Path) -> list[dict[str, object]]:
    log = state / "calls.jsonl"
    if not log.exists():
        return []
    calls = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    log.unlink()
    return calls


def weekly_run(tmp_path: Path, origin: Path, gh_state: Path, name: str, db: str) -> Runner:
    """One scheduled run: a fresh checkout of main, then every run: step of the workflow."""
    runner = Runner(
        tmp_path / name, tmp_path / "fake-bin", {**os.environ, "FAKE_GH_DIR": str(gh_state)}
    )
    checkout = runner.home / "checkout"
    git(tmp_path, "clone", "-q", "-b", "main", str(origin), str(checkout))
    steps = run_steps(
        "tier-weekly.yml",
        "propose",
        {"secrets.DATABASE_URL": db, "github.token": TOKEN},
    )
    assert [s.name for s in steps] == [
        "tier snapshot",
        "tier apply",
        "Open or update the pull request",
    ]
    done = runner.run(steps, checkout)
    assert len(done) == 3 and done[-1].returncode == 0, [(p.stdout, p.stderr) for p in done]
    return runner


def expected_summary(folder: Path, snapshot: str) -> str:
    """What `tier check --summary` says of main's render.yaml with the branch's snapshot, in a
    repository as the runner's checkout is."""
    (folder / ".git").mkdir(parents=True)
    shutil.copy(EXAMPLES / "render.yaml", folder / "render.yaml")
    shutil.copy(EXAMPLES / "requirements.txt", folder / "requirements.txt")
    shutil.copy(ROOT / "tiers.toml", folder / "tiers.toml")
    (folder / "m.json").write_text(snapshot, "utf-8")
    with contextlib.chdir(folder):
        run("check", "--metrics", "m.json", "--summary", "s.md", env={"GITHUB_STEP_SUMMARY": ""})
    return (folder / "s.md").read_text("utf-8")


def expected_render(folder: Path, tier: str) -> bytes:
    """render.yaml as `tier apply --tier NAME` writes it: no metrics involved."""
    folder.mkdir()
    shutil.copy(EXAMPLES / "render.yaml", folder / "render.yaml")
    shutil.copy(EXAMPLES / "requirements.txt", folder / "requirements.txt")
    shutil.copy(ROOT / "tiers.toml", folder / "tiers.toml")
    with contextlib.chdir(folder):
        assert run("apply", "--tier", tier)[0] == 0
    return (folder / "render.yaml").read_bytes()


@pytest.mark.postgres
def test_weekly_workflow_opens_then_updates_one_pull_request_then_rests(
    tmp_path: Path, origin: Path, fake_gh: Path, pg_db: str, monitor: str
) -> None:
    main_before = git(origin, "rev-parse", "main")

    # Week 1: the app grew past starter's thresholds. A branch, and a pull request opened.
    _users(pg_db, active=700, online=30)
    runner = weekly_run(tmp_path, origin, fake_gh, "week-1", monitor)
    assert git(origin, "rev-parse", "main") == main_before  # main is never pushed to
    assert git(origin, "rev-list", "--count", f"main..{BRANCH}").strip() == "1"
    changed = git(origin, "diff", "--name-only", f"main..{BRANCH}").split()
    assert changed == [".tier/history.jsonl", ".tier/metrics.json", "render.yaml"]
    render = git(origin, "show", f"{BRANCH}:render.yaml").encode("utf-8")
    assert render == expected_render(tmp_path / "expected-starter", "starter")
    snapshot = git(origin, "show", f"{BRANCH}:.tier/metrics.json")
    metrics = json.loads(snapshot)["metrics"]
    assert (metrics["users"], metrics["active_users"], metrics["concurrent_users"]) == (
        700,
        700,
        30,
    )
    history = git(origin, "show", f"{BRANCH}:.tier/history.jsonl").splitlines()
    assert len(history) == 2 and json.loads(history[1])["metrics"] == metrics
    summary = expected_summary(tmp_path / "expected-1", snapshot)
    assert "is not on **starter** (now: free)" in summary and "```diff" in summary
    calls = gh_calls(fake_gh)
    assert [c["args"][:2] for c in calls] == [["pr", "view"], ["pr", "list"], ["pr", "create"]]
    assert calls[2]["args"] == [
        "pr",
        "create",
        "--head",
        BRANCH,
        "--base",
        "main",
        "--title",
        "tier: update render.yaml and the metrics snapshot",
        "--body-file",
        str(runner.temp / "tier-pr-body.md"),
    ]
    assert calls[2]["body"] == "<!-- tier-target: starter -->\n\n" + summary
    assert calls[2]["token"] == TOKEN
    assert runner.summary.read_text("utf-8") == summary  # the job summary shows it too

    # Week 2: more users, still starter. The same branch is rewritten, the pull request edited.
    _users(pg_db, active=900, online=40)
    weekly_run(tmp_path, origin, fake_gh, "week-2", monitor)
    assert git(origin, "rev-list", "--count", f"main..{BRANCH}").strip() == "1"
    snapshot = git(origin, "show", f"{BRANCH}:.tier/metrics.json")
    assert json.loads(snapshot)["metrics"]["active_users"] == 900
    assert git(origin, "show", f"{BRANCH}:render.yaml").encode("utf-8") == render
    calls = gh_calls(fake_gh)
    assert [c["args"][:3] for c in calls] == [["pr", "view", BRANCH], ["pr", "edit", BRANCH]]
    assert calls[1]["body"] == "<!-- tier-target: starter -->\n\n" + expected_summary(
        tmp_path / "expected-2", snapshot
    )

    # The team merges it. Week 3, same data: nothing to propose, nothing pushed, no gh call.
    git(origin, "update-ref", "refs/heads/main", git(origin, "rev-parse", BRANCH).strip())
    refs = git(origin, "for-each-ref")
    runner = weekly_run(tmp_path, origin, fake_gh, "week-3", monitor)
    assert git(origin, "for-each-ref") == refs
    assert gh_calls(fake_gh) == []
    checkout = runner.home / "checkout"
    assert git(checkout, "status", "--porcelain", "render.yaml") == ""  # on starter already
    assert "in sync" in runner.summary.read_text("utf-8")


@pytest.mark.postgres
@pytest.mark.parametrize("secret", [True, False], ids=["database-secret", "no-secret-snapshot"])
def test_check_workflow_step_as_written(
    tmp_path: Path, origin: Path, pg_db: str, monitor: str, secret: bool
) -> None:
    """examples/github-actions.yml's `tier check --format github`, from the source it should use:
    the database when the secret is set (the committed snapshot says free), else the committed
    snapshot (the database says free)."""
    _users(pg_db, active=700 if secret else 5, online=30 if secret else 0)
    runner = Runner(tmp_path / "run", tmp_path, os.environ)
    checkout = runner.home / "checkout"
    git(tmp_path, "clone", "-q", "-b", "main", str(origin), str(checkout))
    if not secret:  # the committed snapshot: starter's load, while the database is tiny
        now = datetime.now(UTC).isoformat()
        snap = {"collected_at": now, "metrics": {"active_users": 800}}
        (checkout / ".tier" / "metrics.json").write_text(json.dumps(snap), "utf-8")
    db = monitor if secret else ""  # an unset secret is the empty string
    steps = run_steps("github-actions.yml", "check", {"secrets.DATABASE_URL": db})
    assert [s.name for s in steps] == ["tier check"]
    (proc,) = runner.run(steps, checkout)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    errors = [line for line in proc.stdout.splitlines() if line.startswith("::error ")]
    assert errors[0].startswith(
        "::error file=render.yaml,line=9,title=tier%3A not on starter::api plan free -> starter"
    )
    assert "**Fix**: `tier apply --tier starter`" in runner.summary.read_text("utf-8")


def _close(gh_state: Path, branch: str) -> None:
    """The team closes the pull request without merging it."""
    prs = json.loads((gh_state / "prs.json").read_text("utf-8"))
    prs[branch]["state"] = "CLOSED"
    (gh_state / "prs.json").write_text(json.dumps(prs), "utf-8")


@pytest.mark.postgres
def test_weekly_workflow_does_not_reopen_a_closed_pull_request_until_the_tier_changes(
    tmp_path: Path, origin: Path, fake_gh: Path, pg_db: str, monitor: str
) -> None:
    _users(pg_db, active=700, online=30)
    weekly_run(tmp_path, origin, fake_gh, "week-1", monitor)
    assert [c["args"][1] for c in gh_calls(fake_gh)] == ["view", "list", "create"]
    _close(fake_gh, BRANCH)
    proposed = git(origin, "rev-parse", BRANCH)

    # Week 2: more users, the same tier: the team's answer stands. Nothing pushed or opened.
    _users(pg_db, active=900, online=40)
    runner = weekly_run(tmp_path, origin, fake_gh, "week-2", monitor)
    assert git(origin, "rev-parse", BRANCH) == proposed
    assert [c["args"][1] for c in gh_calls(fake_gh)] == ["view", "list"]
    assert runner.summary.read_text("utf-8").count("### tier:") == 1  # the report, still

    # Week 3: the app outgrew pro's thresholds: a new pull request, for pro.
    _users(pg_db, active=5200, online=120)
    weekly_run(tmp_path, origin, fake_gh, "week-3", monitor)
    calls = gh_calls(fake_gh)
    assert [c["args"][1] for c in calls] == ["view", "list", "create"]
    assert str(calls[2]["body"]).startswith("<!-- tier-target: pro -->\n\n")
    assert git(origin, "rev-parse", BRANCH) != proposed


@pytest.mark.postgres
def test_weekly_workflow_commits_the_first_snapshot(
    tmp_path: Path, origin: Path, fake_gh: Path, pg_db: str, monitor: str
) -> None:
    """render.yaml already right (free, a tiny load) and `.tier/` never committed: the first
    snapshot is new (untracked, which `git diff` does not see) and is proposed."""
    seed = tmp_path / "seed"
    git(seed, "rm", "-rq", ".tier")
    git(seed, "-c", "user.name=dev", "-c", "user.email=dev@example.invalid", "commit", "-qm", "-")
    git(seed, "push", "-q", "--force", str(origin), "main")
    _users(pg_db, active=5, online=0)
    runner = weekly_run(tmp_path, origin, fake_gh, "week-1", monitor)
    assert git(runner.home / "checkout", "status", "--porcelain", "render.yaml") == ""
    changed = git(origin, "diff", "--name-only", f"main..{BRANCH}").split()
    assert changed == [".tier/history.jsonl", ".tier/metrics.json"]
    calls = gh_calls(fake_gh)
    assert [c["args"][1] for c in calls] == ["view", "list", "create"]
    assert str(calls[2]["body"]).startswith("<!-- tier-target: free -->\n\n")
