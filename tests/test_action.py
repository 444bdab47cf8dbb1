"""action.yml, the composite action `uses: OWNER/tier@v1`, run here as a pull request runs it.

A fixture repository (main, and a pull request's branch that changes render.yaml) whose origin
is a bare repository; the action's `run:` steps as written (tests/workflows.py), this checkout's
`tier` on PATH; `gh` a stand-in that keeps the pull request's comments and answers `gh api`
(its `--jq` through the real jq). No database: pull requests run offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dates import RECENT
from ruamel.yaml import YAML
from test_workflows import SCRIPTS, actionlint
from workflows import (
    ACTION,
    EXAMPLES,
    ROOT,
    Runner,
    action_steps,
    git,
    load,
    origin_repository,
    recording_gh,
)

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("jq") is None, reason="needs git and jq"
)

REPO = "acme/app"
PR = "7"
TOKEN = "token-of-the-action"
MARKER = "<!-- tier: pull request report -->"
STARTER_LOAD = {"active_users": 812, "concurrent_users": 31, "db_size_mb": 120}

FAKE_GH = """\
import json, os, subprocess, sys
from pathlib import Path

state = Path(os.environ["FAKE_GH_DIR"])
store = state / "comments.json"
comments = json.loads(store.read_text()) if store.exists() else []
args = sys.argv[1:]
call = {"args": args, "token": os.environ.get("GH_TOKEN")}
with (state / "calls.jsonl").open("a") as log:
    log.write(json.dumps(call) + "\\n")
assert args[0] == "api", args
rest = args[1:]
method = "GET"
if rest[0] == "--method":
    method, rest = rest[1], rest[2:]
if method == "GET":
    assert rest[0] == "--paginate" and rest[2] == "--jq", rest
    out = subprocess.run(["jq", "-r", rest[3]], input=json.dumps(comments), text=True,
                         capture_output=True, check=True).stdout
    sys.stdout.write(out)
    sys.exit(0)
path, field = rest[0], rest[1:]
assert field[0] == "-F" and field[1].startswith("body=@"), field
body = Path(field[1][len("body=@"):]).read_text()
if method == "POST":
    comments.append({"id": 100 + len(comments), "body": body, "user": {"type": "Bot"}})
elif method == "PATCH":
    target = int(path.rsplit("/", 1)[1])
    (found,) = [c for c in comments if c["id"] == target]
    found["body"] = body
store.write_text(json.dumps(comments))
print("{}")
"""


def render_at(tier: str, folder: Path) -> bytes:
    """The example render.yaml as `tier apply --tier NAME` writes it."""
    from typer.testing import CliRunner

    from tier_cli.cli import app

    folder.mkdir()
    shutil.copy(EXAMPLES / "render.yaml", folder / "render.yaml")
    shutil.copy(EXAMPLES / "requirements.txt", folder / "requirements.txt")
    shutil.copy(ROOT / "tiers.toml", folder / "tiers.toml")
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        assert CliRunner().invoke(app, ["apply", "--tier", tier]).exit_code == 0
    finally:
        os.chdir(cwd)
    return (folder / "render.yaml").read_bytes()


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """main: the example on free, tiers.toml, a snapshot at starter's load, all committed."""
    snap = {"collected_at": RECENT, "metrics": STARTER_LOAD}
    return origin_repository(tmp_path, {"metrics.json": json.dumps(snap) + "\n"})


@pytest.fixture
def gh_state(tmp_path: Path) -> Path:
    return recording_gh(tmp_path, FAKE_GH)


def push_branch(tmp_path: Path, origin: Path, name: str, render: bytes) -> None:
    """The pull request's branch: main with render.yaml as given."""
    work = tmp_path / f"dev-{name}-{len(list(tmp_path.iterdir()))}"
    git(tmp_path, "clone", "-q", str(origin), str(work))
    git(work, "switch", "-q", "-C", name, f"origin/{name}" if _has(origin, name) else "main")
    (work / "render.yaml").write_bytes(render)
    git(work, "-c", "user.name=dev", "-c", "user.email=d@example.invalid", "commit", "-qam", "x")
    git(work, "push", "-q", "--force", "origin", name)


def _has(origin: Path, branch: str) -> bool:
    return bool(git(origin, "branch", "--list", branch).strip())


def run_action(
    tmp_path: Path,
    origin: Path,
    gh_state: Path,
    name: str,
    branch: str | None = "feature",
    **inputs: str,
) -> tuple[Runner, subprocess.CompletedProcess[str]]:
    """The action on a pull request from `branch` (None: a push to main), in a shallow
    checkout as actions/checkout makes one."""
    env = {**os.environ, "FAKE_GH_DIR": str(gh_state), "GITHUB_REPOSITORY": REPO}
    env["GITHUB_EVENT_NAME"] = "pull_request" if branch else "push"
    runner = Runner(tmp_path / name, tmp_path / "fake-bin", env)
    checkout = runner.home / "checkout"
    git(
        tmp_path, "clone", "-q", "--depth=1", "-b", branch or "main", origin.as_uri(), str(checkout)
    )
    expressions = {
        "inputs.render": inputs.get("render", "render.yaml"),
        "inputs.tiers": inputs.get("tiers", "tiers.toml"),
        "inputs.mode": inputs.get("mode", "comment"),
        "inputs.max-increase": inputs.get("max_increase", ""),
        "inputs.github-token": TOKEN,
        "github.base_ref": "main" if branch else "",
        "github.event.pull_request.number": PR if branch else "",
    }
    steps = action_steps(expressions)
    assert [s.name for s in steps] == ["tier report"]
    (proc,) = runner.run(steps, checkout)
    return runner, proc


def comments(state: Path) -> list[dict[str, object]]:
    store = state / "comments.json"
    return json.loads(store.read_text()) if store.exists() else []


def calls(state: Path) -> list[list[str]]:
    log = state / "calls.jsonl"
    if not log.exists():
        return []
    found = [json.loads(line) for line in log.read_text().splitlines()]
    log.unlink()
    assert all(c["token"] == TOKEN for c in found)
    return [c["args"] for c in found]


def test_one_comment_posted_then_updated_in_place(
    tmp_path: Path, origin: Path, gh_state: Path
) -> None:
    push_branch(tmp_path, origin, "feature", render_at("starter", tmp_path / "starter"))
    runner, proc = run_action(tmp_path, origin, gh_state, "run-1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (comment,) = comments(gh_state)
    body = str(comment["body"])
    assert body.startswith(MARKER + "\n\n### tier: monthly cost of `render.yaml`: $0 -> **$17.5**")
    assert (
        "| api | web | changed | $0/month (web free $0) | $7/month (web starter $7) | +$7 |" in body
    )
    assert "### tier: `render.yaml` is on **starter**, in sync" in body
    assert runner.summary.read_text("utf-8") == body  # the job summary: the same, once
    list_call = [
        "api",
        "--paginate",
        f"repos/{REPO}/issues/{PR}/comments",
        "--jq",
        f'.[] | select(.user.type == "Bot" and (.body | startswith("{MARKER}"))) | .id',
    ]
    report = str(runner.temp / "tier-report.md")
    assert calls(gh_state) == [
        list_call,
        ["api", "--method", "POST", f"repos/{REPO}/issues/{PR}/comments", "-F", f"body=@{report}"],
    ]

    # A second push to the pull request: two instances. The same comment, edited.
    two = render_at("starter", tmp_path / "two").replace(
        b"    healthCheckPath", b"    numInstances: 2\n    healthCheckPath"
    )
    push_branch(tmp_path, origin, "feature", two)
    runner, proc = run_action(tmp_path, origin, gh_state, "run-2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (comment,) = comments(gh_state)
    assert comment["id"] == 100
    assert "$14/month (web starter $7 x 2) | +$14 |" in str(comment["body"])
    assert runner.summary.read_text("utf-8") == comment["body"]
    assert calls(gh_state)[1][:3] == ["api", "--method", "PATCH"]
    assert calls(gh_state) == []


def test_a_person_s_comment_with_the_marker_is_left_alone(
    tmp_path: Path, origin: Path, gh_state: Path
) -> None:
    person = {"id": 5, "body": MARKER + " copied by hand", "user": {"type": "User"}}
    (gh_state / "comments.json").write_text(json.dumps([person]))
    push_branch(tmp_path, origin, "feature", render_at("starter", tmp_path / "starter"))
    _, proc = run_action(tmp_path, origin, gh_state, "run")
    assert proc.returncode == 0, proc.stderr
    found = comments(gh_state)
    assert found[0] == person and len(found) == 2


@pytest.mark.parametrize(("mode", "code"), [("comment", 0), ("check", 1)])
def test_mode_check_fails_when_render_yaml_is_off_tier(
    tmp_path: Path, origin: Path, gh_state: Path, mode: str, code: int
) -> None:
    """The branch keeps free while the snapshot calls for starter."""
    changed = (EXAMPLES / "render.yaml").read_bytes().replace(b"user: app", b"user: app2")
    push_branch(tmp_path, origin, "feature", changed)
    _, proc = run_action(tmp_path, origin, gh_state, "run", mode=mode)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "::error file=render.yaml,line=9" in proc.stdout  # annotations on the diff view
    (comment,) = comments(gh_state)
    assert "is not on **starter** (now: free)" in str(comment["body"])
    assert "No billed change" in str(comment["body"])


@pytest.mark.parametrize(("limit", "code"), [("10", 1), ("20", 0)])
def test_max_increase_fails_the_job_above_it(
    tmp_path: Path, origin: Path, gh_state: Path, limit: str, code: int
) -> None:
    push_branch(tmp_path, origin, "feature", render_at("starter", tmp_path / "starter"))
    _, proc = run_action(tmp_path, origin, gh_state, "run", max_increase=limit)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert len(comments(gh_state)) == 1  # the comment says why, either way


def test_on_a_push_it_checks_and_summarises_without_gh(
    tmp_path: Path, origin: Path, gh_state: Path
) -> None:
    runner, proc = run_action(tmp_path, origin, gh_state, "run", branch=None)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = runner.summary.read_text("utf-8")
    assert summary.count("### tier: `render.yaml` is not on **starter**") == 1
    assert "monthly cost of" not in summary
    assert calls(gh_state) == []


def test_an_unknown_mode_is_an_error(tmp_path: Path, origin: Path, gh_state: Path) -> None:
    _, proc = run_action(tmp_path, origin, gh_state, "run", branch=None, mode="loud")
    assert proc.returncode == 2
    assert "::error title=tier::mode: 'loud' is not comment or check" in proc.stdout


def test_the_action_s_scripts_pass_shellcheck(tmp_path: Path) -> None:
    shellcheck = SCRIPTS / "shellcheck"
    if not shellcheck.exists():
        pytest.skip("no shellcheck wheel for this machine")
    data = YAML(typ="safe").load(ACTION.read_text("utf-8"))
    for i, step in enumerate(s for s in data["runs"]["steps"] if "run" in s):
        script = tmp_path / f"step-{i}.sh"
        script.write_text("#!/bin/bash\n" + step["run"], "utf-8")
        proc = subprocess.run(
            [str(shellcheck), str(script)], capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, step["name"] + "\n" + proc.stdout


def test_the_example_uses_the_action_on_pull_request_and_actionlint_passes(
    tmp_path: Path,
) -> None:
    data = load("tier-pr.yml")
    assert set(data["on"]) == {"pull_request"}
    assert data["permissions"] == {"contents": "read", "pull-requests": "write"}
    (step,) = [s for s in data["jobs"]["tier"]["steps"] if s["uses"].endswith("/tier@v1")]
    inputs = YAML(typ="safe").load(ACTION.read_text("utf-8"))["inputs"]
    assert set(step["with"]) <= set(inputs)
    assert actionlint(str(EXAMPLES / "tier-pr.yml")).returncode == 0
    # The same workflow on a repository holding the action: actionlint reads action.yml and
    # checks the `with:` inputs against it.
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ACTION, tmp_path / "action.yml")
    local = (EXAMPLES / "tier-pr.yml").read_text("utf-8").replace("render-tier/tier@v1", "./")
    (tmp_path / ".github" / "workflows" / "pr.yml").write_text(local, "utf-8")
    git(tmp_path, "init", "-q")
    proc = subprocess.run(
        [str(SCRIPTS / "actionlint"), "-no-color"], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout
    broken = local.replace("max-increase:", "max-increse:")
    (tmp_path / ".github" / "workflows" / "pr.yml").write_text(broken, "utf-8")
    proc = subprocess.run(
        [str(SCRIPTS / "actionlint"), "-no-color"], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 1 and "max-increse" in proc.stdout, proc.stdout


@pytest.mark.slow
def test_the_install_step_installs_the_action_s_own_tier(
    tmp_path: Path, offline_pip: dict[str, str]
) -> None:
    """`uses: OWNER/tier@v1` without `version`: tier from the action's own files (GitHub
    downloads them without .git: the fallback version), into a virtualenv put on PATH."""
    from repo_files import copy_of_this_repo

    data = YAML(typ="safe").load(ACTION.read_text("utf-8"))
    (step,) = [s for s in data["runs"]["steps"] if s.get("name") == "Install tier"]
    action = copy_of_this_repo(tmp_path / "action")
    runner_temp = tmp_path / "temp"
    runner_temp.mkdir()
    github_path = tmp_path / "github-path"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")},
        "GITHUB_ACTION_PATH": str(action),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_PATH": str(github_path),
        "TIER_VERSION": "",
        **offline_pip,  # the step's pip install, from wheels built once per run: no index
        # the step's `python` is this one, as setup-python makes it (the wheels are its own)
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    script = tmp_path / "install.sh"
    script.write_text(step["run"], "utf-8")
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (bin_dir,) = github_path.read_text().splitlines()
    version = subprocess.run(
        [str(Path(bin_dir) / "tier"), "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout == "tier 0.1.0\n"
