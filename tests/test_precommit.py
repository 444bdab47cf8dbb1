"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit tool in a throwaway repository.

pre-commit installs this repository into its own virtualenv (offline, from wheels built once per
run: tests/offline_pip.py), so these are slow tests; its cache lives in the test's tmp folder, so
it never touches ~/.cache.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dates import RECENT
from repo_files import copy_of_this_repo
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def hooks_env(
    tmp_path_factory: pytest.TempPathFactory, offline_pip: dict[str, str]
) -> dict[str, str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    home = tmp_path_factory.mktemp("pre-commit-home")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("PG")}
    env.update(
        **offline_pip,  # pre-commit's pip installs tier from wheels built once, no index
        PRE_COMMIT_HOME=str(home),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
        # a database that must never be contacted: the hooks run offline
        DATABASE_URL="postgresql://u:never-used@127.0.0.1:1/none?connect_timeout=1",
    )
    return env


def user_repo(tmp_path: Path, active_users: int) -> Path:
    repo = tmp_path / "app"
    (repo / ".tier").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "render.yaml", repo / "render.yaml")
    shutil.copy(ROOT / "examples" / "requirements.txt", repo / "requirements.txt")  # the build's
    shutil.copy(ROOT / "tiers.toml", repo / "tiers.toml")
    (repo / ".tier" / "metrics.json").write_text(
        json.dumps({"collected_at": RECENT, "metrics": {"active_users": active_users}}),
        "utf-8",
    )
    git(repo, "init", "-q")
    git(repo, "add", ".")
    return repo


def pre_commit(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def tier_repo(folder: Path) -> tuple[Path, str]:
    """This working tree (committed or not) as a one-commit repository, and its commit."""
    copy = copy_of_this_repo(folder)
    git(copy, "init", "-q")
    git(copy, "add", ".")
    git(copy, "commit", "-q", "-m", "snapshot")
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=copy, check=True, capture_output=True, text=True
    ).stdout.strip()
    return copy, sha


def use_hooks(repo: Path, tier_repo: tuple[Path, str], *hooks: str) -> None:
    """.pre-commit-config.yaml naming `hooks` of the committed copy of this repository."""
    source, sha = tier_repo
    ids = "".join(f"      - id: {hook}\n" for hook in hooks)
    config = f"repos:\n  - repo: {source}\n    rev: {sha}\n    hooks:\n{ids}"
    (repo / ".pre-commit-config.yaml").write_text(config, "utf-8")


@pytest.mark.slow
def test_the_hooks_in_a_team_s_repository(tmp_path: Path, hooks_env: dict[str, str]) -> None:
    """As a team wires them: .pre-commit-config.yaml naming this repository's hooks. Run alone,
    tier-check fails offline with the fix and writes nothing; installed, tier-apply stops the
    commit that needs a new tier and lets the next one through. (One test: pre-commit installs
    tier once.)"""
    repo = user_repo(tmp_path, active_users=900)  # starter; render.yaml is on free
    use_hooks(repo, tier_repo(tmp_path / "tier-repo"), "tier-apply", "tier-check")
    before = (repo / "render.yaml").read_bytes()
    failed = pre_commit(repo, hooks_env, "run", "tier-check", "--all-files")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Fix: tier apply --tier starter" in failed.stdout
    assert "never-used" not in failed.stdout + failed.stderr
    assert (repo / "render.yaml").read_bytes() == before

    git(repo, "add", ".")
    assert pre_commit(repo, hooks_env, "install").returncode == 0
    commit = subprocess.run(
        ["git", "commit", "-q", "-m", "first"],
        cwd=repo,
        env=hooks_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert commit.returncode == 1  # tier-apply rewrote render.yaml: the commit stops
    assert "files were modified by this hook" in commit.stdout + commit.stderr
    assert b"plan: starter  # free -> starter -> pro" in (repo / "render.yaml").read_bytes()
    git(repo, "add", ".")
    commit = subprocess.run(
        ["git", "commit", "-q", "-m", "first"],
        cwd=repo,
        env=hooks_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert "never-used" not in commit.stdout + commit.stderr


@pytest.mark.parametrize(
    "path",
    ["render.yaml", "deployment/render.yaml", "deployment/tiers.toml",
     "deployment/.tier/metrics.json", "infra/render/render.yml"],
)  # fmt: skip
def test_hook_files_match_a_blueprint_outside_the_root(path: str) -> None:
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    for hook in hooks:
        assert re.search(hook["files"], path), (hook["id"], path)
    text = (ROOT / ".pre-commit-hooks.yaml").read_text("utf-8")
    assert "args: [--render, deployment/render.yaml]" in text


@pytest.mark.parametrize("example", ["github-actions.yml", "tier-pr.yml"])
def test_example_workflows_document_a_subfolder_blueprint(example: str) -> None:
    text = (ROOT / "examples" / example).read_text("utf-8")
    assert '"deployment/render.yaml", "deployment/tiers.toml", "deployment/.tier/**"' in text
    assert "deployment/render.yaml" in text.split("paths:")[-1] or "render:" in text
