"""Paths written in tiers.toml ([snapshot] path and history) stay inside the project.

A pull request can change tiers.toml, and CI runs `tier snapshot` with it: a path there must not
make tier replace or append to a file elsewhere. The project is the folder of tiers.toml, or the
git work tree it is in (so a tiers.toml in a subfolder may name `../.tier/metrics.json`). An
absolute path, a `..` that climbs out, or a symlink that leads out is a ConfigError (exit 2).
`-o FILE` on the command line is the user's own choice and is not checked.
"""

from __future__ import annotations

import os
from pathlib import Path

from tier_cli.errors import ConfigError

# Files shipped in the package (a plain folder, never a zip).
DATA = Path(__file__).parent.parent / "data"


def project_root(tiers_path: Path) -> Path:
    """The git work tree holding tiers.toml, else tiers.toml's folder (both resolved)."""
    folder = Path(os.path.realpath(tiers_path)).parent
    return git_top(folder) or folder


def git_top(folder: Path) -> Path | None:
    """The top of the git work tree `folder` is in (a `.git` folder or file), else None."""
    folder = Path(os.path.realpath(folder))
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def inside_project(tiers_path: Path, relative: str, key: str) -> Path:
    """``relative`` (from tiers.toml) taken from tiers.toml's folder; refused if it leads out."""
    tip = (
        'Tip: use a path inside the folder of tiers.toml, like ".tier/metrics.json" '
        "(`tier snapshot -o FILE` writes anywhere you choose)"
    )
    if Path(relative).is_absolute() or relative.startswith("~"):
        raise ConfigError(f"{tiers_path}: {key}: {relative!r} is an absolute path. {tip}")
    root = project_root(tiers_path)
    path = tiers_path.parent / relative
    resolved = Path(os.path.realpath(path))
    if not resolved.is_relative_to(root):
        raise ConfigError(
            f"{tiers_path}: {key}: {relative!r} leads outside the project ({root}). {tip}"
        )
    return path


def default_file(given: Path | None, local: str, packaged: str) -> Path:
    """The file the user gave, else the one in the current folder, else tier's packaged copy."""
    if given is not None:
        return given
    if Path(local).exists():
        return Path(local)
    return DATA / packaged
