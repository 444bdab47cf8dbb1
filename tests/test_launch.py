"""The fast start (launch.py) prints and writes exactly what the plain start does.

Every case runs `python -m tier_cli` twice in a fresh copy of the same project: once as users
run it (the garbage collector off, the process ended once its output is flushed) and once with
TIER_PLAIN_START=1 (the collector on, the interpreter's usual exit). The exit code, stdout,
stderr and every file of the project must be the same.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STARTER_LOAD = {"users": 2400, "active_users": 812, "concurrent_users": 31, "db_size_mb": 120}
SMALL_LOAD = {"users": 10, "active_users": 10, "concurrent_users": 1, "db_size_mb": 5}

Setup = Callable[[Path], None]


def _metrics(load: dict[str, float]) -> Setup:
    def setup(folder: Path) -> None:
        snapshot = {"collected_at": "2026-11-24T09:00:00+00:00", "metrics": load}
        (folder / "m.json").write_text(json.dumps(snapshot), "utf-8")

    return setup


def _tiers(old: str, new: str) -> Setup:
    def setup(folder: Path) -> None:
        text = (folder / "tiers.toml").read_text("utf-8")
        assert old in text
        (folder / "tiers.toml").write_text(text.replace(old, new), "utf-8")

    return setup


def _render(old: bytes, new: bytes) -> Setup:
    def setup(folder: Path) -> None:
        data = (folder / "render.yaml").read_bytes()
        assert old in data
        (folder / "render.yaml").write_bytes(data.replace(old, new))

    return setup


STARTER = _metrics(STARTER_LOAD)
CASES: list[tuple[str, list[Setup], list[str], int]] = [
    # (id, setup steps, arguments, the exit code both must give)
    ("out-of-sync", [STARTER], ["check", "--metrics", "m.json"], 1),
    ("in-sync", [_metrics(SMALL_LOAD)], ["check", "--metrics", "m.json"], 0),
    ("json", [STARTER], ["check", "--metrics", "m.json", "--format", "json"], 1),
    (
        "github-and-summary",
        [STARTER],
        ["check", "--metrics", "m.json", "--format", "github", "--summary", "s.md"],
        1,
    ),
    ("offline", [STARTER], ["check", "--offline", "--metrics", "m.json"], 1),
    (
        "pinned",
        [STARTER, _tiers('# pin = "starter"', 'pin = "free"')],
        ["check", "--metrics", "m.json"],
        0,
    ),
    (
        "outgrown-cap",
        [_metrics({"active_users": 20_000}), _tiers('# max_tier = "pro"', 'max_tier = "starter"')],
        ["check", "--metrics", "m.json", "--format", "json"],
        1,
    ),
    (
        "extra-options",
        [_metrics(SMALL_LOAD), _render(b"--port $PORT\n", b"--port $PORT --proxy-headers\n")],
        ["check", "--metrics", "m.json"],
        0,
    ),
    ("bad-format", [STARTER], ["check", "--metrics", "m.json", "--format", "xml"], 2),
    ("no-snapshot", [], ["check", "--metrics", "absent.json"], 4),
    ("non-finite", [_metrics({"active_users": float("inf")})], ["check", "--metrics", "m.json"], 4),
    (
        "bad-yaml",
        [STARTER, _render(b"services:", b"services: [")],
        ["check", "--metrics", "m.json"],
        3,
    ),
    ("unknown-option", [STARTER], ["check", "--metrics", "m.json", "--colour"], 2),
    ("check-help", [], ["check", "--help"], 0),
    ("help", [], ["--help"], 0),
    ("no-command", [], [], 2),
    ("version", [], ["--version"], 0),
    ("unknown-command", [], ["chek"], 2),
    ("apply", [], ["apply", "--tier", "pro+redis"], 0),
    ("apply-dry-run", [STARTER], ["apply", "--metrics", "m.json", "--dry-run"], 0),
    ("tiers-json", [], ["tiers", "--json"], 0),
    # every other command alone (the fast start builds only the command it runs): its help and
    # a usage error
    ("recommend-help", [], ["recommend", "--help"], 0),
    ("snapshot-help", [], ["snapshot", "-h"], 0),
    ("init-help", [], ["init", "--help"], 0),
    ("diff-no-base", [], ["diff"], 2),
    ("schema-unknown", [], ["schema", "nope"], 2),
    ("schema-extra", [], ["schema", "check", "tiers"], 2),
    ("version-after-command", [], ["check", "--version"], 2),
]


def _run(folder: Path, args: list[str], plain: bool) -> tuple[int, str, str, dict[str, bytes]]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TIER_PLAIN_START")}
    env["PYTHONPATH"] = str(ROOT)
    env["COLUMNS"] = "100"  # click wraps help text to the terminal's width
    env.pop("GITHUB_STEP_SUMMARY", None)
    if plain:
        env["TIER_PLAIN_START"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "tier_cli", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    return proc.returncode, proc.stdout, proc.stderr, files


@pytest.mark.parametrize(
    ("setup", "args", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_fast_start_prints_and_writes_what_the_plain_start_does(
    tmp_path: Path, setup: list[Setup], args: list[str], code: int
) -> None:
    results = []
    for plain in (False, True):
        folder = tmp_path / ("plain" if plain else "fast")
        folder.mkdir()
        shutil.copy(ROOT / "examples" / "render.yaml", folder / "render.yaml")
        shutil.copy(ROOT / "examples" / "requirements.txt", folder / "requirements.txt")
        shutil.copy(ROOT / "tiers.toml", folder / "tiers.toml")
        for step in setup:
            step(folder)
        results.append(_run(folder, args, plain))
    fast, plain_result = results
    assert fast[0] == code, fast[2][-500:]
    assert fast == plain_result


def test_the_fast_start_is_on_unless_turned_off() -> None:
    """The cases above compare two different starts: the collector's state tells them apart."""
    probe = "import gc, sys, tier_cli.launch as l; sys.argv = ['tier', '--version']; "
    probe += "import atexit; atexit.register(lambda: print(gc.isenabled())); l.main()"
    states = []
    for plain in (False, True):
        env = {k: v for k, v in os.environ.items() if k != "TIER_PLAIN_START"}
        env["PYTHONPATH"] = str(ROOT)
        if plain:
            env["TIER_PLAIN_START"] = "1"
        proc = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
        )
        states.append(proc.stdout.split()[-1])
    assert states == ["False", "True"]


# What the end of the process does (launch._end): the interpreter's teardown is skipped only when
# nothing waits for it. Each probe runs `tier --version` (exit 0) in a process whose __main__
# holds an object that reports its own teardown, and sets up what might be waiting.
_TEARDOWN = (
    "import os, sys\n"
    "class Witness:\n"
    "    def __init__(self):\n"
    "        self.write = os.write\n"
    "    def __del__(self):\n"
    "        self.write(1, b'teardown ran\\n')\n"
    "witness = Witness()\n"
)
_WAITING: list[tuple[str, str, str]] = [
    # (id, what the probe sets up before running tier, what must appear in its output)
    ("nothing", "", ""),
    (
        "exit-handler",
        "import atexit; atexit.register(lambda: print('handler ran'))\n",
        "handler ran",
    ),
    (  # alive until well after `tier --version` is done, even on a loaded machine
        "live-thread",
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(1.5), print('thread done'))).start()\n",
        "thread done",
    ),
]


@pytest.mark.parametrize(
    ("setup", "expected"), [c[1:] for c in _WAITING], ids=[c[0] for c in _WAITING]
)
def test_the_teardown_is_skipped_only_when_nothing_waits(setup: str, expected: str) -> None:
    probe = _TEARDOWN + setup + "sys.argv = ['tier', '--version']\n"
    probe += "from tier_cli.launch import main\nmain()\n"
    outputs = {}
    for plain in (False, True):
        env = {k: v for k, v in os.environ.items() if k != "TIER_PLAIN_START"}
        env["PYTHONPATH"] = str(ROOT)
        if plain:
            env["TIER_PLAIN_START"] = "1"
        proc = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stderr
        outputs[plain] = proc.stdout
    assert "teardown ran" in outputs[True]  # the plain start always tears down
    assert expected in outputs[False] and expected in outputs[True]
    if expected:  # something waited: the usual exit ran, teardown included
        assert "teardown ran" in outputs[False]
    else:  # nothing waited: the process ended at once, and printed all it had to print
        assert "teardown ran" not in outputs[False]
        assert outputs[False].strip() == outputs[True].replace("teardown ran", "").strip()


@pytest.mark.parametrize(
    ("argv", "code", "out"),
    [
        (["--version"], 0, "tier "),
        (["chek"], 2, ""),
        (["tiers", "--tiers", "no-such.toml"], 2, ""),
    ],
    ids=["version", "unknown-command", "config-error"],
)
def test_main_returns_the_exit_status(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], code: int, out: str
) -> None:
    """`main(argv) -> int`: the process entry is one plain function; it raises no SystemExit."""
    import io

    from tier_cli.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)
    assert main(argv) == code
    assert stdout.getvalue().startswith(out)
    assert (code == 0) == (stderr.getvalue() == "")
