"""The README's three ways into CI (the action, the weekly workflow, the pre-commit hook): each
block works as written, and they all name the same repository and release."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

from repo_files import ROOT, readme_section
from ruamel.yaml import YAML
from test_workflows import SCRIPTS

SECTION = readme_section("In CI and before every commit")
SOURCE = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Source"]
OWNER_REPO = SOURCE.removeprefix("https://github.com/")


def blocks(language: str, text: str = SECTION) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.M | re.S)


def test_the_three_ways_in_are_there() -> None:
    assert len(blocks("yaml")) == 2 and len(blocks("sh")) == 1


def test_the_action_block_is_a_workflow_actionlint_passes_with_the_action_s_inputs(
    tmp_path: Path,
) -> None:
    workflow = blocks("yaml")[0]
    data = YAML(typ="safe").load(workflow)
    assert set(data["on"]) == {"pull_request"}
    assert data["jobs"]["tier"]["steps"][-1] == {"uses": f"{OWNER_REPO}@v1"}
    docs = (ROOT / "docs" / "pull-requests.md").read_text("utf-8")
    assert workflow in blocks("yaml", docs)  # one block, the same in both places
    # in a repository holding action.yml, `uses: ./`: actionlint checks it against the inputs
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")
    local = workflow.replace(f"{OWNER_REPO}@v1", "./")
    (tmp_path / ".github" / "workflows" / "tier-pr.yml").write_text(local, "utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    proc = subprocess.run(
        [str(SCRIPTS / "actionlint"), "-no-color"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout


def test_the_weekly_block_fetches_the_example_at_the_release() -> None:
    (script,) = blocks("sh")
    url = re.search(r"https://raw\.githubusercontent\.com/(\S+)", script)
    assert url is not None
    owner, repo, tag, path = url[1].split("/", 3)
    assert f"{owner}/{repo}" == OWNER_REPO
    assert (ROOT / path).is_file() and path == "examples/tier-weekly.yml"
    assert tag == _release()
    assert "gh secret set DATABASE_URL" in script


def test_the_pre_commit_block_names_a_hook_this_repository_ships() -> None:
    config = YAML(typ="safe").load(blocks("yaml")[1])
    (repo,) = config["repos"]
    assert repo["repo"] == SOURCE and repo["rev"] == _release()
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert {h["id"] for h in repo["hooks"]} <= {h["id"] for h in hooks}


def test_the_examples_install_the_same_release() -> None:
    for name in ("github-actions.yml", "tier-weekly.yml"):
        text = (ROOT / "examples" / name).read_text("utf-8")
        assert f"TIER_SOURCE: render-tier=={_release().removeprefix('v')}" in text


def _release() -> str:
    """The release the README pins: the first tag after 0.1.0, the CHANGELOG's next version."""
    (tag,) = set(re.findall(r"\brev: (v\d+\.\d+\.\d+)", SECTION))
    return tag
