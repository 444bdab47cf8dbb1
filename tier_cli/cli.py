"""The Typer app: flags in, exit codes out. The only module that knows about exit codes."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from tier_cli import __version__
from tier_cli.errors import ConfigError, MetricsError, RefusedError, RenderFileError, TierError, mask

EXIT_OK = 0
EXIT_OUT_OF_SYNC = 1
EXIT_CONFIG = 2
EXIT_RENDER = 3
EXIT_METRICS = 4

EXIT_CODES: dict[type[TierError], int] = {
    ConfigError: EXIT_CONFIG,
    RenderFileError: EXIT_RENDER,
    RefusedError: EXIT_RENDER,
    MetricsError: EXIT_METRICS,
}

EXIT_HELP = (
    "Exit codes: 0 ok; 2 usage or config error (tiers.toml, flags); 3 render.yaml unreadable or "
    "invalid, or the edit refused; 4 metrics unavailable (database, snapshot)."
)

app = typer.Typer(
    help="Tier advisor for Python web apps on Render: reads live metrics, recommends a tier, "
    "and rewrites render.yaml byte-exactly. " + EXIT_HELP,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=True,
)

F = TypeVar("F", bound=Callable[..., Any])


def guarded(fn: F) -> F:
    """Turn a TierError into one line on stderr and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TierError as exc:
            secret = kwargs.get("database_url")
            sys.stderr.write(f"tier: error: {mask(str(exc), secret)}\n")
            raise typer.Exit(EXIT_CODES.get(type(exc), EXIT_CONFIG)) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tier {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Tier advisor for Python web apps on Render."""


# --- shared options ---------------------------------------------------------------------------

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="PostgreSQL URL to read metrics from (default: $DATABASE_URL). Read-only.",
        show_default=False,
    ),
]
MetricsFile = Annotated[
    Path | None,
    typer.Option("--metrics", help="Read metrics from a snapshot JSON file instead.", show_default=False),
]
Demo = Annotated[
    bool,
    typer.Option("--demo", help="Run against an embedded demo PostgreSQL with sample data."),
]
RenderPath = Annotated[
    Path | None,
    typer.Option("--render", help="The Blueprint to read  [default: render.yaml]", show_default=False),
]
TiersPath = Annotated[
    Path | None,
    typer.Option("--tiers", help="The tier definitions  [default: tiers.toml]", show_default=False),
]
Service = Annotated[
    str | None,
    typer.Option("--service", help="The web service to act on (default: the only Python one)."),
]


class _Inputs:
    """What every command loads first: the catalogue, tiers.toml and render.yaml's bytes."""

    def __init__(self, render: Path | None, tiers: Path | None, demo: bool) -> None:
        from tier_cli.catalogue import load_catalogue
        from tier_cli.config import load_config
        from tier_cli.sources import DEMO_RENDER, default_file

        self.catalogue = load_catalogue()
        if demo:
            self.render_path = default_file(render, DEMO_RENDER, "render.yaml")
            self.tiers_path = default_file(tiers, "tiers.toml", "tiers.toml")
        else:
            self.render_path = render or Path("render.yaml")
            self.tiers_path = tiers or Path("tiers.toml")
        self.config = load_config(self.tiers_path, self.catalogue)


def _recommendation(
    inputs: _Inputs, database_url: str | None, metrics: Path | None, demo: bool, service: str | None
) -> Any:
    from tier_cli.blueprint import read_blueprint
    from tier_cli.placement import place
    from tier_cli.recommendation import recommend
    from tier_cli.sources import MetricsSource, read_metrics, read_render
    from tier_cli.textio import decode

    source = MetricsSource(database_url, metrics, demo)
    source.check()
    name = str(inputs.render_path)
    text = decode(read_render(inputs.render_path), name).text
    view = read_blueprint(text, name)
    placement = place(view, name, inputs.config.selection(service), inputs.config, inputs.catalogue)
    measured = read_metrics(source, inputs.config.database)
    return recommend(measured, inputs.config, inputs.catalogue, placement)


# --- commands ----------------------------------------------------------------------------------


@app.command(epilog=EXIT_HELP)
@guarded
def recommend(
    database_url: DatabaseUrl = None,
    metrics: MetricsFile = None,
    demo: Demo = False,
    render: RenderPath = None,
    tiers: TiersPath = None,
    service: Service = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON on stdout.")] = False,
) -> None:
    """Show which tier the app needs now, and why."""
    inputs = _Inputs(render, tiers, demo)
    rec = _recommendation(inputs, database_url, metrics, demo, service)
    from tier_cli.report import print_recommendation, recommendation_json

    if as_json:
        sys.stdout.write(json.dumps(recommendation_json(rec), indent=2) + "\n")
    else:
        print_recommendation(rec, inputs.config, sys.stdout)


@app.command(epilog=EXIT_HELP)
@guarded
def apply(
    tier: Annotated[
        str | None,
        typer.Option("--tier", help="Apply this tier (reads no metrics). Default: the recommended one."),
    ] = None,
    service: Service = None,
    render: RenderPath = None,
    tiers: TiersPath = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print a unified diff; write nothing.")] = False,
    database_url: DatabaseUrl = None,
    metrics: MetricsFile = None,
    demo: Demo = False,
) -> None:
    """Rewrite render.yaml to a tier: plans, startCommand, Key Value; nothing else changes.

    Exit 0 whether or not the file changed; one line on stderr per change made.
    """
    from tier_cli.editor import apply_file_bytes
    from tier_cli.sources import MetricsSource, read_render
    from tier_cli.textio import write_atomic

    inputs = _Inputs(render, tiers, demo)
    config = inputs.config
    if tier is not None:
        if any((database_url, metrics, demo)):
            raise ConfigError("--tier reads no metrics. Tip: drop the metrics flag, or drop --tier")
        if tier not in config.names:
            raise ConfigError(
                f"--tier {tier}: no such tier in {config.path}. Tip: use one of "
                + ", ".join(config.names)
            )
        name = tier
    else:
        MetricsSource(database_url, metrics, demo).check()
        name = _recommendation(inputs, database_url, metrics, demo, service).recommended
    path = inputs.render_path
    data = read_render(path)
    new, result = apply_file_bytes(data, str(path), config.target(name), config.selection(service))
    for note in result.notes:
        sys.stderr.write(f"{path}: {note}\n")
    if dry_run:
        sys.stdout.write(unified_diff(data, new, str(path)))
        return
    if new != data:
        write_atomic(path, new)
    if result.changes:
        sys.stderr.write(f"{path}: " + "; ".join(c.describe() for c in result.changes) + "\n")


def unified_diff(old: bytes, new: bytes, name: str) -> str:
    import difflib

    a = old.decode("utf-8-sig", errors="replace").splitlines(keepends=True)
    b = new.decode("utf-8-sig", errors="replace").splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, f"a/{name}", f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def main() -> None:
    app(prog_name="tier")
