"""Shell completion of option values: `--tier` from tiers.toml, `--format` from the command's
formats. Called by click's completion protocol (`_TIER_COMPLETE=bash_complete ...`); a file
that cannot be read completes nothing rather than fail the shell.

Typer reads these functions' signatures whenever the app is built, on every command: their
annotations are not postponed (no ``from __future__ import annotations``), so they are objects
made once at import, not strings compiled at each build (see cli/commands.py).
"""

from pathlib import Path

import typer


def tier_names(ctx: typer.Context, incomplete: str) -> list[str]:
    from tier_cli.config.catalogue import load_catalogue
    from tier_cli.config.paths import default_file
    from tier_cli.config.tiers import load_config
    from tier_cli.errors import TierError

    given = ctx.params.get("tiers")
    path = default_file(Path(given) if given else None, "tiers.toml", "tiers.toml")
    try:
        names = load_config(path, load_catalogue()).names
    except (TierError, OSError):
        return []
    return [n for n in names if n.startswith(incomplete)]


def format_names(ctx: typer.Context, incomplete: str) -> list[str]:
    if ctx.info_name == "diff":
        from tier_cli.output.diff import FORMATS as formats
    else:
        from tier_cli.output.check import FORMATS as formats  # type: ignore[assignment]
    return [name for name in formats if name.startswith(incomplete)]


def schema_names(incomplete: str) -> list[str]:
    from tier_cli.contract import SCHEMAS

    return [name for name in SCHEMAS if name.startswith(incomplete)]
