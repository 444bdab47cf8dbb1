"""Read a file as it is at a git ref (`tier diff --base REF`): `git show COMMIT:PATH`, no shell.

The path is the one given, resolved (symbolic links and `..` followed) and made relative to the
top of the repository that holds it: a path outside that repository is refused, never read. The
ref is resolved to a commit first (`git rev-parse --verify --end-of-options REF^{commit}`), so it
cannot be read as an option or name a file of its own.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tier_cli.errors import ConfigError

TIMEOUT_S = 30


def read_at_ref(path: Path, ref: str, limit: int) -> bytes | None:
    """The file's bytes at `ref`; None when the file does not exist there (a new file)."""
    if not ref or ref.startswith("-") or "\n" in ref or "\0" in ref:
        raise ConfigError(f"--base {ref!r}: not a git ref. Tip: a branch, tag or commit (main)")
    folder = Path(os.path.realpath(path)).parent
    top = _git(folder, "rev-parse", "--show-toplevel", what="find the repository").strip()
    relative = os.path.relpath(os.path.realpath(path), os.path.realpath(top))
    if relative == ".." or relative.startswith(".." + os.sep) or os.path.isabs(relative):
        raise ConfigError(
            f"{path}: outside the git repository at {top}. Tip: pass --render PATH inside it"
        )
    commit = _git(
        folder,
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        f"{ref}^{{commit}}",
        what=f"find --base {ref}",
        silent="no such commit here",
        tip=f"fetch it first (git fetch origin {ref}), or name a branch, tag or commit",
    ).strip()
    spec = f"{commit}:{Path(relative).as_posix()}"
    listed = _git(Path(top), "ls-tree", "--name-only", commit, "--", Path(relative).as_posix())
    if not listed.strip():
        return None
    data = _run(Path(top), ["git", "cat-file", "blob", spec])
    if data.returncode != 0:
        raise ConfigError(
            f"{path}: cannot be read at {ref} ({_first_line(data.stderr)}). Tip: is it a file "
            "at that ref?"
        )
    if len(data.stdout) > limit:
        raise ConfigError(f"{path}: at {ref}, more than {limit:,} bytes. Tip: is it render.yaml?")
    return data.stdout


def _git(folder: Path, *args: str, what: str = "run git", tip: str = "", silent: str = "") -> str:
    done = _run(folder, ["git", *args])
    if done.returncode != 0:
        why = _first_line(done.stderr) or silent or f"git exited {done.returncode}"
        raise ConfigError(
            f"cannot {what} ({why}). Tip: "
            + (tip or "run tier diff inside a git checkout, with git on PATH")
        )
    return done.stdout.decode("utf-8", "replace")


def _run(folder: Path, argv: list[str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            argv,
            cwd=folder,
            capture_output=True,
            timeout=TIMEOUT_S,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"},
        )
    except FileNotFoundError:
        raise ConfigError("git: not found. Tip: install git, or put it on PATH") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"git {argv[1]}: no answer in {TIMEOUT_S} s") from None


def _first_line(data: bytes) -> str:
    lines = data.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else ""
