"""pip without the package index, for the tests that make a virtualenv and install tier into it.

The wheels of tier's dependencies (with the demo extra) and of what builds tier (setuptools),
are built once per test run into a folder that every xdist worker shares; the first worker that
needs them builds them under a lock, the others wait and reuse them. Installing from that folder
asks no index, and without compiling to bytecode (what runs is compiled when it is imported).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from repo_files import ROOT

# What builds tier (pyproject.toml's [build-system] requires): pip installs it to build tier.
BUILD_REQUIRES = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["build-system"][
    "requires"
]


def offline_pip_env(run_folder: Path) -> dict[str, str]:
    """PIP_* variables for a child process: installs come from the wheels in `run_folder`."""
    wheels = run_folder / "wheels"
    with (run_folder / "wheels.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (wheels / "done").exists():
            built = subprocess.run(
                [sys.executable, "-m", "pip", "wheel", "-q", "--wheel-dir", str(wheels),
                 f"{ROOT}[demo]", *BUILD_REQUIRES],
                capture_output=True,
                text=True,
                check=False,
            )  # fmt: skip
            assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
            (wheels / "done").write_text("", "utf-8")
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "PIP_NO_COMPILE": "1"}


def run_folder(basetemp: Path) -> Path:
    """The folder this test run's xdist workers share (each has its own basetemp inside it)."""
    return basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
