"""pip without the package index, for the tests that make a virtualenv and install tier into it.

The wheels of tier's dependencies (with the demo extra) and of what builds tier (setuptools),
are built once per test run into a folder that every xdist worker shares (once_per_run: the
first worker that needs them builds them under a lock, the others wait and reuse them).
Installing from that folder asks no index, and without compiling to bytecode (what runs is
compiled when it is imported).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

from repo_files import ROOT

# What builds tier (pyproject.toml's [build-system] requires): pip installs it to build tier.
BUILD_REQUIRES = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["build-system"][
    "requires"
]


def once_per_run(run_folder: Path, name: str, build: Callable[[Path], None]) -> Path:
    """run_folder/name, made by build(folder) once per test run: the first xdist worker that
    asks builds it under a lock; the others wait, then use it."""
    folder = run_folder / name
    with (run_folder / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (run_folder / f"{name}.done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (run_folder / f"{name}.done").write_text("", "utf-8")
    return folder


def offline_pip_env(run_folder: Path) -> dict[str, str]:
    """PIP_* variables for a child process: installs come from the wheels in `run_folder`."""
    wheels = once_per_run(run_folder, "wheels", _build_wheels)
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "PIP_NO_COMPILE": "1"}


def _build_wheels(wheels: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--wheel-dir", str(wheels),
         f"{ROOT}[demo]", *BUILD_REQUIRES],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]


def run_folder(basetemp: Path) -> Path:
    """The folder this test run's xdist workers share (each has its own basetemp inside it)."""
    return basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
