"""The README's Quickstart, as a new user runs it: the commands are read from README.md itself.

The demo line runs in a clean copy of this repository with the Python that runs the suite as
`python3`: it makes .venv, installs (offline, from the wheels tests/offline_pip.py builds once
per run from the package index this machine is configured with), and runs the demo. Marked
`slow`: it runs first, in the default suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from repo_files import ROOT, copy_of_this_repo, readme_section, shell_blocks


def quickstart_lines() -> dict[str, str]:
    """{"demo": line, "test": line}: the Quickstart's two commands, one line each."""
    blocks = [block.strip() for block in shell_blocks(readme_section("Quickstart"))]
    assert len(blocks) == 2 and all("\n" not in b for b in blocks), blocks
    demo, test = blocks
    assert demo.endswith("recommend --demo") and test.endswith("-m pytest"), blocks
    return {"demo": demo, "test": test}


def test_ci_runs_the_readme_test_line_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert quickstart_lines()["test"] in ci


@pytest.mark.parametrize("name", ["demo", "test"])
def test_each_line_makes_and_uses_its_own_virtualenv(name: str) -> None:
    """No bare `pip install`: PEP 668 systems (Debian, Ubuntu, Homebrew) refuse it."""
    words = quickstart_lines()[name].split(" && ")
    assert words[0] == "python3 -m venv .venv"
    assert all(w.startswith(".venv/bin/python -m ") for w in words[1:]), words


@pytest.fixture
def clean_folder() -> Iterator[Path]:
    """A new folder outside pytest's tmp root: as root, pgserver runs PostgreSQL as another user
    and opens the folders above its binaries to it, which pytest's 0700 tmp root forbids."""
    folder = Path(tempfile.mkdtemp(prefix="tier-quickstart-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_the_demo_line_works_in_a_clean_copy(
    clean_folder: Path, offline_pip: dict[str, str]
) -> None:
    line = quickstart_lines()["demo"]
    checkout = copy_of_this_repo(clean_folder / "tier")
    assert not (checkout / ".venv").exists()
    bin_dir = clean_folder / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)  # the README says python3: this one
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
        and not k.startswith("PG")
    }
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.update(offline_pip)  # the line's pip install, from wheels built once: no index
    proc = subprocess.run(
        ["sh", "-c", line],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "recommended tier: starter (upgrade)" in proc.stdout
    assert "metrics: demo database (embedded PostgreSQL)" in proc.stdout
    assert (checkout / ".venv" / "bin" / "tier").is_file()  # the console script, as promised
