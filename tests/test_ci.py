"""CI's interpreters: .ci/find-python finds a Python version on PATH or under pyenv, or says no."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from repo_files import ROOT

VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"


def find_python(tmp_path: Path, version: str) -> subprocess.CompletedProcess[str]:
    """.ci/find-python with PATH = tmp_path/bin (its tools) and PYENV_ROOT = tmp_path/pyenv."""
    return subprocess.run(
        [str(ROOT / ".ci" / "find-python"), version],
        env={"PATH": str(tmp_path / "bin"), "PYENV_ROOT": str(tmp_path / "pyenv")},
        capture_output=True,
        text=True,
        check=False,
    )


def machine(tmp_path: Path) -> Path:
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("bash", "ls", "sort"):
        found = shutil.which(tool)
        assert found, tool
        (tools / tool).symlink_to(found)
    return tools


def test_on_path(tmp_path: Path) -> None:
    tools = machine(tmp_path)
    (tools / f"python{VERSION}").symlink_to(sys.executable)
    found = find_python(tmp_path, VERSION)
    assert (found.returncode, found.stdout) == (0, f"{tools / f'python{VERSION}'}\n")


def test_under_pyenv_when_the_one_on_path_fails(tmp_path: Path) -> None:
    tools = machine(tmp_path)
    shim = tools / f"python{VERSION}"  # as pyenv's shim of a version not selected: it fails
    shim.write_text("#!/bin/sh\nexit 127\n", "utf-8")
    shim.chmod(0o755)
    found = []
    for patch in ("0", "10"):  # the newest patch release
        bin_dir = tmp_path / "pyenv" / "versions" / f"{VERSION}.{patch}" / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / f"python{VERSION}").symlink_to(sys.executable)
        found.append(bin_dir / f"python{VERSION}")
    result = find_python(tmp_path, VERSION)
    assert (result.returncode, result.stdout) == (0, f"{found[1]}\n")


def test_none_found_is_exit_1(tmp_path: Path) -> None:
    tools = machine(tmp_path)
    (tools / f"python{VERSION}").symlink_to(sys.executable)  # another version's, as far as asked
    assert find_python(tmp_path, "3.99").returncode == 1


def test_ci_runs_the_suite_on_each_supported_version_or_says_it_skipped() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "for version in 3.11 3.12 3.13; do" in ci
    assert 'echo "ci: skipped Python $version: not found' in ci
