"""The Typer app: each command's flags, the work it asks of app/, and what it prints.

Typer reads the parameters' annotations when the app is built: this module does not postpone
them (no ``from __future__ import annotations``), so they are plain objects by then. Heavy
modules (psycopg, rich, ruamel.yaml) are imported inside the commands that use them, so
`tier check --metrics FILE` starts fast.
"""

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tier_cli import __version__, completion
from tier_cli.cli.failures import EXIT_HELP, EXIT_OUT_OF_SYNC, github_errors, guarded
from tier_cli.cli.streams import say
from tier_cli.errors import ConfigError
from tier_cli.metrics.sources import MetricsSource
from tier_cli.output.progress import metric_status

if TYPE_CHECKING:
    from tier_cli.notices import Notice


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tier {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
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
    typer.Option("--metrics", help="Read metrics from a snapshot JSON file.", show_default=False),
]
Demo = Annotated[
    bool,
    typer.Option("--demo", help="Measure an embedded demo PostgreSQL filled with sample data."),
]
Offline = Annotated[
    bool,
    typer.Option(
        "--offline",
        help="Never contact the database: use --metrics FILE or the committed snapshot.",
    ),
]
RenderPath = Annotated[
    Path | None,
    typer.Option("--render", help="The Blueprint  [default: render.yaml]", show_default=False),
]
TiersPath = Annotated[
    Path | None,
    typer.Option("--tiers", help="The tier definitions  [default: tiers.toml]", show_default=False),
]
AllowSuperuser = Annotated[
    bool,
    typer.Option(
        "--allow-superuser",
        help="Connect even as a role that could act on the database server (a superuser, "
        "pg_write_server_files, pg_execute_server_program). Default: refused; use a read-only "
        "monitoring role (`tier init` prints its SQL).",
    ),
]
AllowPullRequestDatabase = Annotated[
    bool,
    typer.Option(
        "--allow-pull-request-database",
        help="Read the database even in a pull-request job (GitHub Actions pull_request or "
        "pull_request_target, a GitLab merge-request pipeline). Default: refused there, since "
        "the pull request controls tiers.toml; check the committed snapshot instead.",
    ),
]
Service = Annotated[
    str | None,
    typer.Option("--service", help="The web service to act on (default: the only Python one)."),
]
Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print only the result line: no warnings or notes."),
]
Json = Annotated[
    bool,
    typer.Option("--json", help="Print plain JSON on stdout (`tier schema` has its shape)."),
]


# --- commands ----------------------------------------------------------------------------------


@guarded
def recommend(
    database_url: DatabaseUrl = None,
    metrics: MetricsFile = None,
    demo: Demo = False,
    offline: Offline = False,
    render: RenderPath = None,
    tiers: TiersPath = None,
    service: Service = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON on stdout.")] = False,
    quiet: Quiet = False,
    allow_superuser: AllowSuperuser = False,
    allow_pull_request_database: AllowPullRequestDatabase = False,
) -> None:
    """Show which tier the app needs now, and why.

    Metrics come from --metrics FILE, else --database-url / $DATABASE_URL, else the snapshot
    committed at [snapshot] path in tiers.toml.
    """
    from tier_cli import app as work

    inputs = work.load_inputs(render, tiers, demo)
    request = MetricsSource(
        database_url, metrics, demo, offline, allow_superuser, allow_pull_request_database
    )
    with metric_status(sys.stderr, not as_json and request.reads_database()) as progress:
        rec = work.evaluate(inputs, request, service, progress).rec
    trend = None if demo else work.trend(inputs, rec)
    from tier_cli.output.report import print_recommendation, recommendation_json

    if as_json:
        sys.stdout.write(json.dumps(recommendation_json(rec, trend), indent=2) + "\n")
    elif quiet:
        sys.stdout.write(f"{rec.target}\n")
    else:
        print_recommendation(rec, inputs.config, sys.stdout, trend)


@guarded
def apply(
    tier: Annotated[
        str | None,
        typer.Option(
            "--tier",
            help="Apply this tier; reads no metrics. Default: the recommended one.",
            autocompletion=completion.tier_names,
        ),
    ] = None,
    service: Service = None,
    render: RenderPath = None,
    tiers: TiersPath = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print a unified diff; write nothing.")
    ] = False,
    database_url: DatabaseUrl = None,
    metrics: MetricsFile = None,
    demo: Demo = False,
    offline: Offline = False,
    quiet: Quiet = False,
    as_json: Json = False,
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary",
            help="Append the Markdown report `tier check --summary` writes (metrics, reasons, "
            "cost, the diff) to this file, e.g. a pull request's body.",
            show_default=False,
        ),
    ] = None,
    allow_superuser: AllowSuperuser = False,
    allow_pull_request_database: AllowPullRequestDatabase = False,
) -> None:
    """Rewrite render.yaml to a tier: plans, startCommand, Key Value; nothing else changes.

    Exit 0 whether or not the file changed; one line on stderr per change made.
    """
    from tier_cli import app as work
    from tier_cli.app.apply import plan_apply
    from tier_cli.errors import RenderFileError
    from tier_cli.textio import unified_diff

    inputs = work.load_inputs(render, tiers, demo)
    request = MetricsSource(
        database_url, metrics, demo, offline, allow_superuser, allow_pull_request_database
    )
    if tier is not None and summary is not None:
        raise ConfigError(
            "--summary reports the recommendation, and --tier reads no metrics. "
            "Tip: drop --summary, or drop --tier"
        )
    with metric_status(sys.stderr, tier is None and request.reads_database()) as progress:
        applied = plan_apply(inputs, tier, request, service, progress)
    path, result = applied.path, applied.result
    report = None
    if summary is not None and applied.evaluation is not None:
        from tier_cli.output.check import verdict_markdown

        verdict = work.verdict(inputs, applied.evaluation, service, (applied.after, result))
        if not demo:
            verdict = verdict._replace(trend=work.trend(inputs, verdict.rec))
        report = verdict_markdown(verdict)
    if not quiet and not as_json:
        _notes(str(path), result.notes + applied.warnings)
    if dry_run and not as_json:
        sys.stdout.write(unified_diff(applied.before, applied.after, str(path)))
    elif not dry_run and applied.after != applied.before:
        work.write_file(path, applied.after, RenderFileError, expected=applied.before)
    if summary is not None and report is not None:  # after render.yaml: a failed write leaves none
        _append(summary, report)
    if as_json:  # after the write: what it says was done, was
        from tier_cli.output.check import apply_json

        diff = unified_diff(applied.before, applied.after, str(path))
        document = apply_json(str(path), result, result.notes + applied.warnings, dry_run, diff)
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    if result.changes and not dry_run and not as_json:
        say(f"{path}: " + "; ".join(c.describe() for c in result.changes))


@guarded
@github_errors
def check(
    database_url: DatabaseUrl = None,
    metrics: MetricsFile = None,
    demo: Demo = False,
    offline: Offline = False,
    render: RenderPath = None,
    tiers: TiersPath = None,
    service: Service = None,
    output: Annotated[
        str,
        typer.Option(
            "--format",
            help="text, json, or github (Actions annotations).",
            autocompletion=completion.format_names,
        ),
    ] = "text",
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary",
            help="Append a Markdown report to this file (also $GITHUB_STEP_SUMMARY when set).",
            show_default=False,
        ),
    ] = None,
    quiet: Quiet = False,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    allow_superuser: AllowSuperuser = False,
    allow_pull_request_database: AllowPullRequestDatabase = False,
) -> None:
    """CI step: exit 0 when render.yaml is on the recommended tier, 1 when it is not.

    When it is not, prints which fields differ and the exact `tier apply` command that fixes it.
    """
    from tier_cli import app as work
    from tier_cli.decide.verdict import confirm_in_sync
    from tier_cli.output.check import FORMATS, verdict_markdown, verdict_text

    if as_json:
        output = "json"
    if output not in FORMATS:
        raise ConfigError(
            f"--format {output}: unknown format. Tip: use one of " + ", ".join(FORMATS)
        )

    inputs = work.load_inputs(render, tiers, demo)
    request = MetricsSource(
        database_url, metrics, demo, offline, allow_superuser, allow_pull_request_database
    )
    with metric_status(sys.stderr, output == "text" and request.reads_database()) as progress:
        evaluation = work.evaluate(inputs, request, service, progress)
    verdict = work.verdict(inputs, evaluation, service)
    if not demo:
        verdict = verdict._replace(trend=work.trend(inputs, verdict.rec))
    confirm_in_sync(verdict)
    if quiet and output == "text":
        sys.stdout.write(verdict_text(verdict).splitlines(keepends=True)[0])
    else:
        sys.stdout.write(FORMATS[output](verdict))
    targets: list[Path] = []
    for given in (summary, os.environ.get("GITHUB_STEP_SUMMARY")):
        # once per file: `--summary "$GITHUB_STEP_SUMMARY"` names the file the variable does
        if given and os.path.realpath(given) not in map(os.path.realpath, targets):
            targets.append(Path(given))
    report = verdict_markdown(verdict) if targets else ""  # built once, whatever the targets
    for target in targets:
        _append(target, report)
    if not verdict.in_sync:
        raise typer.Exit(EXIT_OUT_OF_SYNC)


@guarded
def snapshot(
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Where to write  [default: [snapshot] path in tiers.toml]",
            show_default=False,
        ),
    ] = None,
    database_url: DatabaseUrl = None,
    demo: Demo = False,
    tiers: TiersPath = None,
    allow_superuser: AllowSuperuser = False,
    quiet: Quiet = False,
    as_json: Json = False,
    allow_pull_request_database: AllowPullRequestDatabase = False,
) -> None:
    """Measure the database and write the metrics snapshot JSON (and append it to the history).

    Commit the snapshot so that `tier check` and the pre-commit hook run offline.
    """
    from tier_cli import app as work
    from tier_cli.app.snapshot import take_snapshot
    from tier_cli.metrics.snapshot import snapshot_json
    from tier_cli.numbers import quantity

    inputs = work.load_inputs(None, tiers, demo)
    request = MetricsSource(
        database_url,
        None,
        demo,
        allow_superuser=allow_superuser,
        allow_pull_request_database=allow_pull_request_database,
    )
    with metric_status(sys.stderr) as progress:
        taken = take_snapshot(inputs, request, output, progress)
    shown = ", ".join(f"{k} {quantity(v)}" for k, v in taken.measured.values.items())
    said = f"{taken.path}: snapshot written ({shown})"
    if taken.history is not None:
        said += f"; appended to {taken.history}"
    if as_json:
        sys.stdout.write(json.dumps(snapshot_json(taken.measured), indent=2) + "\n")
    if not quiet:
        say(said)


@guarded
def tiers_table(
    tiers: TiersPath = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON on stdout.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the tier names, one a line.")
    ] = False,
) -> None:
    """The tier table: thresholds, plans and real monthly prices from Render's catalogue.

    Without a tiers.toml in the folder (and no --tiers), the tiers bundled with tier.
    """
    from tier_cli import app as work
    from tier_cli.output.tiers import print_tiers, tiers_json

    inputs, notes = work.tiers_inputs(tiers)
    if not quiet:
        _notes("tiers.toml", notes)
    if as_json:
        sys.stdout.write(json.dumps(tiers_json(inputs.config, inputs.catalogue), indent=2) + "\n")
    elif quiet:
        sys.stdout.write("".join(f"{name}\n" for name in inputs.config.names))
    else:
        print_tiers(inputs.config, inputs.catalogue, sys.stdout)


@guarded
def init(
    path: Annotated[Path, typer.Option("--tiers", help="Where to write.")] = Path("tiers.toml"),
    database_url: DatabaseUrl = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the SQL: no notes on stderr.")
    ] = False,
    as_json: Json = False,
    allow_pull_request_database: AllowPullRequestDatabase = False,
    role_sql: Annotated[
        bool,
        typer.Option("--role-sql", help="Only print the monitoring role's SQL; write nothing."),
    ] = False,
) -> None:
    """Write a commented tiers.toml with the guide's tiers, and print the SQL of a read-only
    monitoring role with exactly the grants tier needs (on stdout; safe to run twice).

    Given a database (--database-url or $DATABASE_URL), inspect its schema to find the users
    table and where user activity is recorded, and write the metric SQL for them.
    """
    from tier_cli.app.init import write_init

    written = write_init(path, database_url, force, allow_pull_request_database, role_sql)
    if as_json:
        from tier_cli.contract import versioned

        document = versioned(
            {
                "path": None if role_sql else str(path),
                "notes": list(written.notes),
                "monitoring_role_sql": written.role_sql,
            }
        )
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return
    if role_sql:
        sys.stdout.write(written.role_sql)
        return
    if not quiet:
        for note in written.notes:
            say(f"{path}: {note}")
        say(f"{path}: written; the SQL of a read-only role for tier follows on stdout")
    sys.stdout.write(written.role_sql)


@guarded
def diff(
    base: Annotated[
        str,
        typer.Option(
            "--base",
            help="The git ref to compare with (a branch, tag or commit: main, origin/main).",
            show_default=False,
        ),
    ],
    render: RenderPath = None,
    tiers: TiersPath = None,
    output: Annotated[
        str,
        typer.Option(
            "--format",
            help="text, json, or markdown (a pull request comment).",
            autocompletion=completion.format_names,
        ),
    ] = "text",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    max_increase: Annotated[
        float | None,
        typer.Option(
            "--max-increase",
            help="Exit 1 when the monthly cost rises by more than this many USD.",
            show_default=False,
            min=0,
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """The monthly cost of render.yaml at a git ref and now, per service and in total.

    Every resource Render bills: web, private services, workers, cron jobs, static sites,
    instances and scaling ranges, disks, Postgres with its storage, Key Value. Reads no metrics.
    Exit 1 with --max-increase when the increase is above it.
    """
    from tier_cli.app.diff import cost_diff
    from tier_cli.output.diff import FORMATS, headline

    if as_json:
        output = "json"
    if output not in FORMATS:
        raise ConfigError(
            f"--format {output}: unknown format. Tip: use one of " + ", ".join(FORMATS)
        )
    report = cost_diff(render, tiers, base)
    if quiet and output == "text":
        sys.stdout.write(headline(report) + "\n")
    else:
        sys.stdout.write(FORMATS[output](report))
    if max_increase is not None and report.diff.delta > max_increase:
        say(
            f"tier: the monthly cost rises by ${report.diff.delta:,.2f}, more than "
            f"--max-increase {max_increase:g}"
        )
        raise typer.Exit(EXIT_OUT_OF_SYNC)


@guarded
def schema(
    name: Annotated[
        str,
        typer.Argument(
            help="tiers (tiers.toml), snapshot, history, recommend, check, diff, tiers-json, "
            "apply or init.",
            show_default=False,
            autocompletion=completion.schema_names,
        ),
    ],
) -> None:
    """Print the JSON Schema (draft 2020-12) of a file tier reads or a JSON output it prints.

    Every JSON output carries `"schema_version": 1`; the schema says what a version holds.
    """
    from tier_cli.contract import SCHEMAS, schema_text

    if name not in SCHEMAS:
        raise ConfigError(f"schema {name}: unknown schema. Tip: use one of " + ", ".join(SCHEMAS))
    sys.stdout.write(schema_text(name))


# --- the app -----------------------------------------------------------------------------------

# Each command's name and function, in the order `tier --help` lists them.
COMMANDS: dict[str, Callable[..., None]] = {
    "recommend": recommend,
    "apply": apply,
    "check": check,
    "snapshot": snapshot,
    "tiers": tiers_table,
    "init": init,
    "diff": diff,
    "schema": schema,
}


def build(only: str | None = None) -> typer.Typer:
    """The Typer app with every command, or with only the command named ``only``.

    Typer turns each registered command's signature into click options before it runs any, so an
    app that holds only the command being run starts faster; that command's options, help and
    errors are the same in both (tests/test_launch.py runs them both ways).
    """
    made = typer.Typer(
        help="Tier advisor for Python web apps on Render: reads live metrics, recommends a tier, "
        "and rewrites render.yaml byte-exactly.\n\n" + EXIT_HELP,
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_show_locals=False,
        rich_markup_mode=None,
    )
    made.callback()(_root)
    for name, function in COMMANDS.items():
        if only is None or name == only:
            made.command(name, epilog=EXIT_HELP)(function)
    return made


app = build()


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot write the summary ({exc.strerror}). Tip: check --summary PATH "
            "or $GITHUB_STEP_SUMMARY"
        ) from None


def _notes(path: str, notes: "tuple[Notice, ...]") -> None:
    for note in notes:
        say(f"{path}: {note.severity}: {note.text()}")
