"""Run the `run:` steps of an example GitHub Actions workflow here, as the runner would.

Each step's script runs as written with `bash --noprofile --norc -eo pipefail` (Actions' default
shell on Linux), with the runner's variables (RUNNER_TEMP, GITHUB_STEP_SUMMARY, GITHUB_REF_NAME)
and its step `env:`. `${{ ... }}` in `env:` is replaced from a table the test gives; any other
expression fails the test, so a new one cannot slip by. `uses:` steps are the runner's own
setup (checkout, Python) and are skipped; the "Install tier" step is replaced by a `tier` on PATH
that runs this checkout; `gh` is the test's own (no GitHub here).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
INSTALL_TIER = 'python -m pip install "$TIER_SOURCE"'
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class Step(NamedTuple):
    name: str
    run: str
    env: dict[str, str]


def load(workflow: str) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((EXAMPLES / workflow).read_text("utf-8"))
    return data


def run_steps(workflow: str, job: str, expressions: Mapping[str, str]) -> list[Step]:
    """The job's `run:` steps, their env's expressions filled in; the install step left out."""
    steps = []
    for raw in load(workflow)["jobs"][job]["steps"]:
        if "uses" in raw:
            continue
        run = str(raw["run"])
        if raw.get("name") == "Install tier":
            assert run.startswith(INSTALL_TIER), run
            continue
        assert "${{" not in run, f"{raw.get('name')}: an expression in a script is an injection"
        env = {
            k: EXPRESSION.sub(lambda m: expressions[m[1]], str(v))
            for k, v in raw.get("env", {}).items()
        }
        steps.append(Step(str(raw.get("name", run.splitlines()[0])), run, env))
    return steps


ACTION = ROOT / "action.yml"
INSTALL_FROM_ACTION = (
    '"$RUNNER_TEMP/tier-venv/bin/python" -m pip install --quiet "$GITHUB_ACTION_PATH"'
)


def action_steps(expressions: Mapping[str, str]) -> list[Step]:
    """action.yml's composite `run:` steps, as the runner runs them for a workflow that uses
    it: `uses:` steps and "Install tier" (this checkout's `tier` is on PATH) left out."""
    data = YAML(typ="safe").load(ACTION.read_text("utf-8"))
    assert data["runs"]["using"] == "composite"
    steps = []
    for raw in data["runs"]["steps"]:
        if "uses" in raw:
            continue
        assert raw["shell"] == "bash", raw  # composite steps name their shell
        run = str(raw["run"])
        if raw.get("name") == "Install tier":
            assert INSTALL_FROM_ACTION in run, run
            continue
        assert "${{" not in run, f"{raw.get('name')}: an expression in a script is an injection"
        env = {
            k: EXPRESSION.sub(lambda m: expressions[m[1]], str(v))
            for k, v in raw.get("env", {}).items()
        }
        steps.append(Step(str(raw["name"]), run, env))
    return steps


def tier_commands(workflow: str) -> list[str]:
    """Every `tier ...` command line the workflow's scripts run."""
    lines = []
    for raw in load(workflow)["jobs"].values():
        for step in raw["steps"]:
            for line in str(step.get("run", "")).splitlines():
                command = line.split("#")[0].strip()
                if command.startswith("tier "):
                    lines.append(command)
                lines += re.findall(r"\$\((tier [^)]*)\)", command)  # target=$(tier ...)
    return lines


class Runner:
    """A runner's machine for one workflow run: a temp folder, PATH with `tier` and `gh`."""

    def __init__(self, home: Path, fake_bin: Path, base_env: Mapping[str, str]) -> None:
        self.home = home
        self.temp = home / "runner-temp"
        self.temp.mkdir(parents=True)
        self.summary = home / "step-summary.md"
        self.summary.write_text("", "utf-8")
        tier_bin = home / "tier-bin"
        tier_bin.mkdir()
        tier = tier_bin / "tier"
        tier.write_text(
            f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m tier_cli "$@"\n', "utf-8"
        )
        tier.chmod(0o755)
        self.env = {
            k: v
            for k, v in base_env.items()
            if k not in ("DATABASE_URL", "GH_TOKEN", "GITHUB_TOKEN") and not k.startswith("PG")
        }
        self.env.update(
            PATH=os.pathsep.join([str(fake_bin), str(tier_bin), base_env.get("PATH", "")]),
            HOME=str(home),
            GIT_CONFIG_NOSYSTEM="1",
            CI="true",
            GITHUB_ACTIONS="true",
            GITHUB_REF_NAME="main",
            RUNNER_TEMP=str(self.temp),
            GITHUB_STEP_SUMMARY=str(self.summary),
        )

    def run(self, steps: list[Step], cwd: Path) -> list[subprocess.CompletedProcess[str]]:
        """Run the steps in order; stop at the first that fails, as Actions does."""
        done = []
        for i, step in enumerate(steps):
            script = self.temp / f"step-{i}.sh"
            script.write_text(step.run, "utf-8")
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=cwd,
                env={**self.env, **step.env},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            done.append(proc)
            if proc.returncode != 0:
                break
        return done


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def origin_repository(tmp_path: Path, tier_files: Mapping[str, str]) -> Path:
    """A bare repository (tmp_path/origin.git) whose main holds the example app on free, the
    shipped tiers.toml and `tier_files` (paths under .tier/ -> their text), all committed."""
    seed = tmp_path / "seed"
    (seed / ".tier").mkdir(parents=True)
    shutil.copy(EXAMPLES / "render.yaml", seed / "render.yaml")
    shutil.copy(EXAMPLES / "requirements.txt", seed / "requirements.txt")
    shutil.copy(ROOT / "tiers.toml", seed / "tiers.toml")
    for name, text in tier_files.items():
        (seed / ".tier" / name).write_text(text)
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", ".")
    git(seed, "-c", "user.name=dev", "-c", "user.email=dev@example.invalid", "commit", "-qm", "app")
    git(seed, "push", "-q", str(bare), "main")
    return bare


def recording_gh(tmp_path: Path, program: str) -> Path:
    """tmp_path/fake-bin/gh, a Python `program` standing in for GitHub's CLI; returns the folder
    it keeps its state in (tmp_path/gh-state)."""
    folder = tmp_path / "gh-state"
    bin_dir = tmp_path / "fake-bin"
    folder.mkdir()
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f"#!{sys.executable}\n{program}", "utf-8")
    gh.chmod(0o755)
    return folder
