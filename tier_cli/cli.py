"""The Typer app: flags in, exit codes out. The only module that knows about exit codes.

Heavy modules (psycopg, rich, ruamel.yaml) are imported inside the commands that use them, so
`tier check --metrics FILE` starts fast.
"""

import contextlib
import copy
import errno
import functools
import io
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.main import get_command_name
from typer.models import CommandInfo

from tier_cli import __version__, completion
from tier_cli.errors import (
    ConfigError,
    MetricsError,
    TierError,
    mask,
    url_secrets,
)
from tier_cli.output.progress import metric_status

if TYPE_CHECKING:
    from tier_cli.app import MetricsRequest
    from tier_cli.notices import Notice

EXIT_OUT_OF_SYNC = 1
EXIT_INTERNAL = 5

EXIT_HELP = (
    "Exit codes: 0 ok; 1 render.yaml is not on the recommended tier (check), or costs more than "
    "--max-increase (diff); 2 usage or "
    "config error (flags, tiers.toml, a refused custom query or database role, an output that "
    "cannot be written); 3 render.yaml unreadable or invalid, or an edit refused as unsafe (the "
    "file is untouched); 4 metrics unavailable (database, snapshot); 5 internal error (a bug "
    "in tier)."
)

app = typer.Typer(
    help="Tier advisor for Python web apps on Render: reads live metrics, recommends a tier, "
    "and rewrites render.yaml byte-exactly.\n\n" + EXIT_HELP,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])


def guarded(fn: F) -> F:
    """Turn a TierError into one line on stderr and its exit code; never show a password.

    Also an unexpected error (a bug: exit 5, the traceback on stderr when TIER_DEBUG is set, to
    any value) and an output that cannot be written (stdout closed, /dev/full: exit 2; a pipe
    whose reader has all it wanted, `| head -1`, ends quietly).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                result = fn(*args, **kwargs)
            except typer.Exit:
                _flush_stdout()
                raise
            _flush_stdout()
            return result
        except TierError as exc:
            _error(f"tier: error: {_masked(exc, kwargs)}")
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # `tier recommend | head -1`: the reader has all it wanted
            _quiet_stdout()
            raise typer.Exit(0) from None
        except Exception as exc:  # a bug: never let CI read it as "out of sync" (exit 1)
            if "TIER_DEBUG" in os.environ:
                import traceback

                _error(_masked_text(traceback.format_exc(), kwargs).rstrip("\n"), True)
            _error(
                f"tier: internal error: {type(exc).__name__}: {_masked(exc, kwargs)}. "
                "This is a bug in tier; set TIER_DEBUG=1 for the traceback and report it"
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


class OutputError(ConfigError):
    """Standard output cannot be written: closed, a full disk (exit 2)."""


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader is gone: nothing more to say to it
        _quiet_stdout()
    except (OSError, ValueError) as exc:
        _quiet_stdout()
        raise OutputError(_output_message(exc)) from None


def _output_message(exc: BaseException) -> str:
    return (
        f"cannot write to standard output ({getattr(exc, 'strerror', None) or exc}). "
        "Tip: check where the output goes (a closed stream, a full disk)"
    )


def _error(text: str, multiline: bool = False) -> None:
    """One line on stderr; file and database text in it cannot start a new line (escape.py)."""
    from tier_cli.output.escape import terminal

    lines = text.split("\n") if multiline else [text]
    with contextlib.suppress(OSError, ValueError):  # nowhere left: the exit code still says it
        sys.stderr.write("".join(terminal(line) + "\n" for line in lines))
        sys.stderr.flush()


def github_errors(fn: F) -> F:
    """`--format github`: a failure (exit 2 to 5) is also an `::error` annotation on stdout, with
    the same one line as stderr, so the Actions run shows why the check could not tell."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt, BrokenPipeError):
            raise
        except Exception as exc:
            if kwargs.get("output") == "github":
                from tier_cli.output.check import error_annotation

                text = _masked(exc, kwargs)
                if isinstance(exc, TierError):
                    code = exc.exit_code
                else:
                    code, text = EXIT_INTERNAL, f"internal error: {type(exc).__name__}: {text}"
                sys.stdout.write(error_annotation(text, code))
            raise

    return wrapper  # type: ignore[return-value]


def _quiet_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's last flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test's capture): nothing to flush
        pass
    finally:
        os.close(devnull)


def _masked(exc: Exception, kwargs: dict[str, Any]) -> str:
    """The exception's message without the password of --database-url or DATABASE_URL."""
    return _masked_text(str(exc), kwargs)


def _masked_text(text: str, kwargs: dict[str, Any]) -> str:
    return mask(text, *url_secrets(kwargs.get("database_url") or os.environ.get("DATABASE_URL")))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tier {__version__}")
        raise typer.Exit()


@app.callback()
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


@app.command(epilog=EXIT_HELP)
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
    request = work.MetricsRequest(
        database_url, metrics, demo, offline, allow_superuser, allow_pull_request_database
    )
    with metric_status(sys.stderr, not as_json and _reads_database(request)) as progress:
        rec = work.evaluate(inputs, request, service, progress).rec
    trend = None if demo else work.trend(inputs, rec)
    from tier_cli.output.report import print_recommendation, recommendation_json

    if as_json:
        sys.stdout.write(json.dumps(recommendation_json(rec, trend), indent=2) + "\n")
    elif quiet:
        sys.stdout.write(f"{rec.target}\n")
    else:
        print_recommendation(rec, inputs.config, sys.stdout, trend)


@app.command(epilog=EXIT_HELP)
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
    from tier_cli.errors import RenderFileError
    from tier_cli.textio import unified_diff

    inputs = work.load_inputs(render, tiers, demo)
    request = work.MetricsRequest(
        database_url, metrics, demo, offline, allow_superuser, allow_pull_request_database
    )
    if tier is not None and summary is not None:
        raise ConfigError(
            "--summary reports the recommendation, and --tier reads no metrics. "
            "Tip: drop --summary, or drop --tier"
        )
    with metric_status(sys.stderr, tier is None and _reads_database(request)) as progress:
        applied = work.plan_apply(inputs, tier, request, service, progress)
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
        work.write_file(path, applied.after, RenderFileError)
    if summary is not None and report is not None:  # after render.yaml: a failed write leaves none
        _append(summary, report)
    if as_json:  # after the write: what it says was done, was
        from tier_cli.output.check import apply_json

        diff = unified_diff(applied.before, applied.after, str(path))
        document = apply_json(str(path), result, result.notes + applied.warnings, dry_run, diff)
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    if result.changes and not dry_run and not as_json:
        _error(f"{path}: " + "; ".join(c.describe() for c in result.changes))


@app.command(epilog=EXIT_HELP)
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
    from tier_cli.output.check import FORMATS, verdict_markdown, verdict_text

    if as_json:
        output = "json"
    if output not in FORMATS:
        raise ConfigError(
            f"--format {output}: unknown format. Tip: use one of " + ", ".join(FORMATS)
        )

    inputs = work.load_inputs(render, tiers, demo)
    request = work.MetricsRequest(
        database_url, metrics, demo, offline, allow_superuser, allow_pull_request_database
    )
    with metric_status(sys.stderr, output == "text" and _reads_database(request)) as progress:
        evaluation = work.evaluate(inputs, request, service, progress)
    verdict = work.verdict(inputs, evaluation, service)
    if not demo:
        verdict = verdict._replace(trend=work.trend(inputs, verdict.rec))
    work.confirm_in_sync(verdict)
    if quiet and output == "text":
        sys.stdout.write(verdict_text(verdict).splitlines(keepends=True)[0])
    else:
        sys.stdout.write(FORMATS[output](verdict))
    targets: list[Path] = []
    for given in (summary, os.environ.get("GITHUB_STEP_SUMMARY")):
        # once per file: `--summary "$GITHUB_STEP_SUMMARY"` names the file the variable does
        if given and not any(work.same_file(Path(given), t) for t in targets):
            targets.append(Path(given))
    report = verdict_markdown(verdict) if targets else ""  # built once, whatever the targets
    for target in targets:
        _append(target, report)
    if not verdict.in_sync:
        raise typer.Exit(EXIT_OUT_OF_SYNC)


@app.command(epilog=EXIT_HELP)
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
    from tier_cli.metrics.snapshot import append_history, snapshot_json, write_snapshot
    from tier_cli.metrics.sources import MetricsSource, read_metrics, resolve_url
    from tier_cli.numbers import quantity

    inputs = work.load_inputs(None, tiers, demo)
    source = MetricsSource(
        database_url,
        None,
        demo,
        allow_superuser=allow_superuser,
        allow_pull_request_database=allow_pull_request_database,
    )
    if not demo and not resolve_url(source):
        raise MetricsError(
            "tier snapshot measures a database. Tip: pass --database-url URL or set DATABASE_URL"
        )
    with metric_status(sys.stderr) as progress:
        measured = read_metrics(source, inputs.config.database, progress=progress)
    configured = inputs.beside_tiers(inputs.config.snapshot.path, "snapshot.path")
    path = output or configured
    write_snapshot(path, measured)
    shown = ", ".join(f"{k} {quantity(v)}" for k, v in measured.values.items())
    said = f"{path}: snapshot written ({shown})"
    if work.same_file(path, configured):  # -o elsewhere: a one-off, not the project's history
        history = inputs.beside_tiers(inputs.config.snapshot.history, "snapshot.history")
        append_history(history, measured)
        said += f"; appended to {history}"
    if as_json:
        sys.stdout.write(json.dumps(snapshot_json(measured), indent=2) + "\n")
    if not quiet:
        _error(said)


@app.command("tiers", epilog=EXIT_HELP)
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
    from tier_cli.metrics.sources import default_file
    from tier_cli.notices import notice
    from tier_cli.output.tiers import print_tiers, tiers_json

    path = default_file(tiers, "tiers.toml", "tiers.toml")
    if tiers is None and path != Path("tiers.toml") and not quiet:
        message = (
            "not found; showing the tiers bundled with tier (the guide's). Tip: run `tier init` "
            "to write your own, or pass --tiers PATH"
        )
        _notes("tiers.toml", (notice("bundled-tiers", message),))
    inputs = work.load_inputs(None, path)
    if as_json:
        sys.stdout.write(json.dumps(tiers_json(inputs.config, inputs.catalogue), indent=2) + "\n")
    elif quiet:
        sys.stdout.write("".join(f"{name}\n" for name in inputs.config.names))
    else:
        print_tiers(inputs.config, inputs.catalogue, sys.stdout)


@app.command(epilog=EXIT_HELP)
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
) -> None:
    """Write a commented tiers.toml with the guide's tiers, and print the SQL of a read-only
    monitoring role with exactly the grants tier needs (on stdout).

    Given a database (--database-url or $DATABASE_URL), inspect its schema to find the users
    table and its last-activity column and write the metric SQL for them.
    """
    from tier_cli import app as work
    from tier_cli.config.initfile import initial_tiers_toml, monitoring_role_sql
    from tier_cli.metrics.sources import MetricsSource, resolve_url

    if path.exists() and not force:
        raise ConfigError(f"{path}: already exists. Tip: pass --force to overwrite it")
    url = resolve_url(MetricsSource(database_url))
    guess = None
    database = "app"
    if url:
        from tier_cli.metrics.ci import refuse_pull_request_database
        from tier_cli.metrics.postgres.collect import inspect_schema
        from tier_cli.metrics.postgres.url import database_name

        refuse_pull_request_database(os.environ, allow_pull_request_database)

        # Any role, an admin's included: init runs only tier's own catalog queries (no SQL from
        # a file) in a read-only transaction, and prints the role the other commands then use.
        guess = inspect_schema(url, allow_superuser=True)
        database = database_name(url) or database
    text, notes = initial_tiers_toml(guess)
    work.write_file(path, text.encode("utf-8"))
    sql = monitoring_role_sql(guess, database)
    if as_json:
        from tier_cli.contract import versioned

        document = versioned({"path": str(path), "notes": notes, "monitoring_role_sql": sql})
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return
    if not quiet:
        for note in notes:
            _error(f"{path}: {note}")
        _error(f"{path}: written; the SQL of a read-only role for tier follows on stdout")
    sys.stdout.write(sql)


@app.command("diff", epilog=EXIT_HELP)
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
    from tier_cli import app as work
    from tier_cli.output.diff import FORMATS, headline

    if as_json:
        output = "json"
    if output not in FORMATS:
        raise ConfigError(
            f"--format {output}: unknown format. Tip: use one of " + ", ".join(FORMATS)
        )
    report = work.cost_diff(render, tiers, base)
    if quiet and output == "text":
        sys.stdout.write(headline(report) + "\n")
    else:
        sys.stdout.write(FORMATS[output](report))
    if max_increase is not None and report.diff.delta > max_increase:
        _error(
            f"tier: the monthly cost rises by ${report.diff.delta:,.2f}, more than "
            f"--max-increase {max_increase:g}"
        )
        raise typer.Exit(EXIT_OUT_OF_SYNC)


@app.command("schema", epilog=EXIT_HELP)
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


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot write the summary ({exc.strerror}). Tip: check --summary PATH "
            "or $GITHUB_STEP_SUMMARY"
        ) from None


def _reads_database(request: "MetricsRequest") -> bool:
    """Whether the metrics come from a database (where a status line helps), not a file."""
    from tier_cli.metrics.sources import MetricsSource, resolve_url

    if request.demo:
        return True
    url = resolve_url(MetricsSource(request.database_url, offline=request.offline))
    return request.metrics is None and bool(url)


def _notes(path: str, notes: "tuple[Notice, ...]") -> None:
    for note in notes:
        _error(f"{path}: {note.severity}: {note.text()}")


def main(command: str | None = None) -> None:
    """Run the app; given the invoked ``command``, an app that holds only it (launch.py)."""
    _usable_streams()
    only = [c for c in app.registered_commands if command and _command_name(c) == command]
    runner = app
    if only and "_TIER_COMPLETE" not in os.environ:  # not click's shell completion
        runner = copy.copy(app)  # the same settings and root callback; the original untouched
        runner.registered_commands = only
    try:
        runner(prog_name="tier")
    except SystemExit as done:
        try:
            sys.stdout.flush()  # what is still buffered, while a closed pipe can be told apart
        except (BrokenPipeError, OutputError):  # OutputError: already said by the command
            _quiet_stdout()
        raise done from None


def _command_name(command: CommandInfo) -> str:
    if command.name:
        return command.name
    assert command.callback is not None
    return get_command_name(command.callback.__name__)


def _usable_streams() -> None:
    """Streams that never crash tier: any text can be printed (PYTHONIOENCODING=ascii and a
    non-ASCII path: shown as \\xe9), and a closed stdout fails a write with a clear error."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(OSError, ValueError):
                reconfigure(errors="backslashreplace")
    # fd 1 closed at start (`tier check >&-`): Python gives None; every write then fails.
    sys.stdout = _Stdout(_ClosedStream() if sys.stdout is None else sys.stdout)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the whole run


class _ClosedStream(io.StringIO):
    """Stands for a standard output that was closed before tier started."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


class _Stdout:
    """sys.stdout, where a write or flush that fails (closed, /dev/full) is an OutputError: one
    line and exit 2, never an internal error. A closed pipe stays a BrokenPipeError."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as exc:
            _quiet_stdout()
            raise OutputError(_output_message(exc)) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as exc:
            _quiet_stdout()
            raise OutputError(_output_message(exc)) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
