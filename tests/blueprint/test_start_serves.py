"""What `tier apply` writes as startCommand really serves: run it as Render does (a shell, $PORT
set, in the project folder) on a tiny FastAPI app, call it over HTTP on loopback, and count its
worker processes. Bounded: every wait has a deadline, and the server is stopped in every case.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_start_cli import SERVERS, TIERS_TOML, run

from tier_cli.blueprint.view import read_blueprint

pytest.importorskip("fastapi")
pytest.importorskip("gunicorn")
pytest.importorskip("uvicorn_worker")

MAIN = """\
import os
from fastapi import FastAPI

app = FastAPI()


@app.get("/pid")
def pid() -> dict[str, int]:
    return {"pid": os.getpid()}
"""
RENDER = """\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    buildCommand: pip install -r requirements.txt
    startCommand: {start}
"""
DEADLINE_S = 60.0

# (startCommand before, tier, what the written command starts with, workers expected)
CASES = [
    pytest.param("python init_db.py && uvicorn app.main:app --host 0.0.0.0 --port $PORT",
                 "starter", "python init_db.py && gunicorn app.main:app --workers 2", 2,
                 id="prefix-kept-gunicorn-uvicorn-worker"),
    pytest.param("uvicorn app.main:app --host 0.0.0.0 --port $PORT --root-path /api",
                 "starter", "uvicorn app.main:app --host 0.0.0.0 --port $PORT --root-path /api "
                 "--workers 2", 2, id="own-workers-uvicorn"),
    pytest.param("gunicorn app.main:app -k uvicorn.workers.UvicornWorker -b 0.0.0.0:$PORT",
                 "free", "uvicorn app.main:app --host 0.0.0.0 --port $PORT", 1,
                 id="down-to-one-uvicorn"),
    pytest.param("fastapi run app/main.py", "starter", "fastapi run app/main.py --workers 2", 2,
                 id="own-workers-fastapi-run"),
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" in cmdline or b"semaphore_tracker" in cmdline:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _workers(root: int) -> int:
    """The most children any process of the tree under `root` has (a master's workers); 1
    for a single process."""
    tree = _children()
    most, pending = 0, [root]
    while pending:
        pid = pending.pop()
        kids = tree.get(pid, [])
        most = max(most, len(kids) if pid != root else 0)
        pending += kids
    return max(most, 1)


def _get(port: int) -> dict[str, int] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/pid", timeout=2) as response:
            return dict(json.load(response))
    except OSError:
        return None


def serve(command: str, cwd: Path, workers: int, first_on_path: tuple[Path, ...] = ()) -> None:
    """Start `command` as Render does (sh -c, $PORT set), wait until it answers over HTTP with
    `workers` worker processes, then stop it."""
    port = _free_port()
    path = [*map(str, first_on_path), str(Path(sys.executable).parent), os.environ["PATH"]]
    env = {**os.environ, "PORT": str(port), "PATH": os.pathsep.join(path)}
    env.pop("WEB_CONCURRENCY", None)
    server = subprocess.Popen(
        ["/bin/sh", "-c", command],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE_S
        answer, counted = None, 0
        while time.monotonic() < deadline:
            answer = answer or _get(port)
            counted = _workers(server.pid)
            if answer is not None and counted == workers:
                break
            assert server.poll() is None, f"`{command}` exited with {server.returncode}"
            time.sleep(0.2)
        assert answer is not None and answer["pid"] > 0
        assert counted == workers
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="counts processes through /proc")
@pytest.mark.parametrize(("before", "tier", "written", "workers"), CASES)
def test_written_command_serves_with_the_tier_workers(
    tmp_path: Path, before: str, tier: str, written: str, workers: int
) -> None:
    if before.startswith("fastapi"):
        pytest.importorskip("fastapi_cli")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", "utf-8")
    (tmp_path / "app" / "main.py").write_text(MAIN, "utf-8")
    (tmp_path / "init_db.py").write_text("open('initialized', 'w').close()\n", "utf-8")
    (tmp_path / "requirements.txt").write_text(SERVERS + "fastapi-cli\n", "utf-8")
    (tmp_path / "tiers.toml").write_text(TIERS_TOML, "utf-8")
    (tmp_path / "render.yaml").write_text(RENDER.format(start=before), "utf-8")
    assert run(tmp_path, "apply", "--tier", tier)[0] == 0
    view = read_blueprint((tmp_path / "render.yaml").read_text("utf-8"), "render.yaml")
    command = view.services[0].start_command
    assert command is not None and command.startswith(written)

    serve(command, tmp_path, workers)
    if "init_db.py" in command:
        assert (tmp_path / "initialized").exists()
