"""The startCommand `tier apply` writes on real repository layouts really serves, whether or not the
build installs gunicorn: Poetry and uv projects at the root, a service with rootDir, and a Blueprint
in a subfolder with the project at the repository's root (the issue's case).

"Installed" is what the project's build files declare (pyproject.toml, the lock, requirements):
every case runs in this test's own environment, which has all the servers, so a command that
runs a server the build does not declare would still start here. The test therefore checks two
things: the written command runs only what the build declares, and it serves with the tier's
worker count when started as Render starts it (a shell in the build folder, $PORT set). `poetry
run` and `uv run` are stood in for by a shim that runs the rest of the line in this environment.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from test_start_cli import TIERS_TOML, run
from test_start_serves import MAIN, serve

from tier_cli.blueprint.startcmd import parse_start
from tier_cli.blueprint.startplan import packages
from tier_cli.blueprint.view import read_blueprint

pytest.importorskip("fastapi")
pytest.importorskip("gunicorn")
pytest.importorskip("uvicorn_worker")

TIER, WORKERS = "starter", 2  # TIERS_TOML: gunicorn --workers 2 with uvicorn_worker
WITH = ["fastapi", "uvicorn", "gunicorn", "uvicorn-worker"]
WITHOUT = ["fastapi", "uvicorn"]


def _poetry(deps: list[str]) -> dict[str, str]:
    table = "".join(f'{d} = "*"\n' for d in deps)
    lock = "".join(f'[[package]]\nname = "{d}"\n\n' for d in deps)
    return {
        "pyproject.toml": f'[tool.poetry]\nname = "parts"\n\n[tool.poetry.dependencies]\n'
        f'python = "^3.11"\n{table}',
        "poetry.lock": lock,
    }


def _uv(deps: list[str]) -> dict[str, str]:
    listed = ", ".join(f'"{d}"' for d in deps)
    lock = "".join(f'[[package]]\nname = "{d}"\n\n' for d in deps)
    return {
        "pyproject.toml": f'[project]\nname = "parts"\ndependencies = [{listed}]\n',
        "uv.lock": f"version = 1\n\n{lock}",
    }


def _service(build: str, start: str, extra: str = "") -> str:
    return (
        "services:\n"
        "  - type: web\n"
        "    name: api\n"
        "    runtime: python\n"
        "    plan: free\n"
        f"{extra}"
        f"    buildCommand: {build}\n"
        f"    startCommand: {start}\n"
    )


UVICORN = "uvicorn app.main:app --host 0.0.0.0 --port $PORT"
# (layout: render.yaml path, its text, files (with or without the servers), folder the build
# and the start run in)
LAYOUTS = {
    "poetry": ("render.yaml", _service("poetry install --only main", "poetry run " + UVICORN),
               _poetry, ""),
    "uv": ("render.yaml", _service("uv sync --frozen --no-dev", "uv run " + UVICORN), _uv, ""),
    "root-dir": ("render.yaml", _service("pip install -r requirements.txt", UVICORN,
                                         "    rootDir: backend\n"),
                 lambda deps: {"backend/requirements.txt": "\n".join(deps) + "\n"}, "backend"),
    "subfolder-blueprint": ("deployment/render.yaml",
                            _service("poetry install", "poetry run " + UVICORN), _poetry, ""),
}  # fmt: skip
CASES = [
    pytest.param(layout, servers, id=f"{layout}-{'with' if servers else 'without'}-gunicorn")
    for layout in LAYOUTS
    for servers in (True, False)
]


def _repository(root: Path, layout: str, servers: bool) -> tuple[Path, Path]:
    """A git work tree with the layout; (render.yaml, the folder Render builds and starts in)."""
    render_path, render, files, build = LAYOUTS[layout]
    (root / ".git").mkdir(parents=True)
    for name, text in {**files(WITH if servers else WITHOUT), render_path: render}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")
    (root / render_path).parent.joinpath("tiers.toml").write_text(TIERS_TOML, "utf-8")
    app = root / build / "app"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("", "utf-8")
    (app / "main.py").write_text(MAIN, "utf-8")
    return root / render_path, root / build


def _shims(folder: Path) -> Path:
    """`poetry run X` and `uv run X` run X here, as the installed project's runner would."""
    folder.mkdir()
    for runner in ("poetry", "uv"):
        shim = folder / runner
        shim.write_text('#!/bin/sh\n[ "$1" = run ] && shift\nexec "$@"\n', "utf-8")
        shim.chmod(0o755)
    return folder


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="counts processes through /proc")
@pytest.mark.parametrize(("layout", "servers"), CASES)
def test_written_command_runs_what_the_build_installs(
    tmp_path: Path, layout: str, servers: bool
) -> None:
    render_path, build_folder = _repository(tmp_path / "repo", layout, servers)
    root = tmp_path / "repo"
    relative = str(render_path.relative_to(root))
    code, _, err = run(root, "apply", "--tier", TIER, "--render", relative)
    assert code == 0, err
    command = read_blueprint(render_path.read_text("utf-8"), relative).services[0].start_command
    parsed = parse_start(command)
    assert parsed is not None
    declared = set(WITH if servers else WITHOUT)
    assert packages(parsed) <= declared  # nothing the build does not install
    if servers:
        assert parsed.server == "gunicorn" and "[server-not-installed]" not in err
    else:
        assert parsed.server == "uvicorn" and f"--workers {WORKERS}" in command
        assert "does not install gunicorn and uvicorn-worker" in err
        assert "[server-not-installed]" in err
    assert "could not be read" not in err
    serve(command, build_folder, WORKERS, (_shims(tmp_path / "bin"),))


@pytest.mark.parametrize("servers", [True, False], ids=["with-gunicorn", "without-gunicorn"])
def test_subfolder_blueprint_same_from_root_or_subfolder(tmp_path: Path, servers: bool) -> None:
    """`--render deployment/render.yaml` from the root, and `--render render.yaml` from
    deployment/, write the same file with the same messages."""
    written = []
    for where in ("root", "subfolder"):
        render_path, _ = _repository(tmp_path / where, "subfolder-blueprint", servers)
        folder = render_path.parent if where == "subfolder" else tmp_path / where
        relative = os.path.relpath(render_path, folder)
        code, out, err = run(folder, "apply", "--tier", TIER, "--render", relative)
        assert code == 0, err
        written.append((render_path.read_bytes(), err.replace(relative, "RENDER"), out))
    assert written[0] == written[1]
    assert shlex.split(read_blueprint(written[0][0].decode(), "x").services[0].start_command or "")
