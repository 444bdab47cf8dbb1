"""The CLI tests' user: a project folder, the one way to run tier in-process, one snapshot writer.

The `project` fixture (tests/conftest.py) is `make_project(tmp_path)` as the working folder;
a test file that needs more (a requirements.txt, a snapshot, tiers.toml with scale-out) adds it
in a fixture of the same name that takes this one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from dates import RECENT
from repo_files import ROOT
from typer.testing import CliRunner

from tier_cli.cli import app

EXAMPLE = (ROOT / "examples" / "render.yaml").read_bytes()  # on tier free
SHIPPED_TIERS = (ROOT / "tiers.toml").read_text("utf-8")
REQUIREMENTS = (ROOT / "examples" / "requirements.txt").read_bytes()


def make_project(
    folder: Path, render: bytes | None = EXAMPLE, tiers: str | None = SHIPPED_TIERS
) -> Path:
    """`folder` as a user's repository (a .git folder; the example app's requirements.txt, which
    the build installs), holding render.yaml and tiers.toml (None: leave that file out)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".git").mkdir(exist_ok=True)
    (folder / "requirements.txt").write_bytes(REQUIREMENTS)
    if render is not None:
        (folder / "render.yaml").write_bytes(render)
    if tiers is not None:
        (folder / "tiers.toml").write_text(tiers, "utf-8")
    return folder


def run(*args: str, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """tier ARGS in this process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def snapshot(
    path: Path,
    collected_at: str = RECENT,
    extra: Mapping[str, object] | None = None,
    **metrics: float | None,
) -> Path:
    """A metrics snapshot file as `tier snapshot` writes it (`extra`: more top-level keys)."""
    data = {"collected_at": collected_at, "metrics": metrics, **(extra or {})}
    path.write_text(json.dumps(data), "utf-8")
    return path
