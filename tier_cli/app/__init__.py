"""The commands' work as functions that return values: inputs, evaluate, verdict, trend.

cli/commands.py parses flags, calls these, prints what they return and turns errors into exit
codes; this package prints nothing and knows no exit code. What every command loads and what
check, recommend and apply share is here; the rest of each command's work, with the value it
returns, is a module of its own (apply.py, snapshot.py, init.py, diff.py), so that a command
imports none of the others'. Heavy modules are imported inside the functions that need them,
so `tier check --metrics FILE` imports neither psycopg nor rich.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from tier_cli.errors import ConfigError, LegacyPlanRefused, MetricsError, TierError
from tier_cli.metrics.sources import MetricsSource

if TYPE_CHECKING:
    from tier_cli.blueprint.deps import Declared
    from tier_cli.blueprint.editor import ApplyResult
    from tier_cli.blueprint.view import Parsed
    from tier_cli.config.catalogue import Catalogue
    from tier_cli.config.settings import Selection
    from tier_cli.config.tiers import TierConfig
    from tier_cli.decide.recommendation import Recommendation
    from tier_cli.decide.trend import Trend
    from tier_cli.decide.verdict import Verdict
    from tier_cli.notices import Notice


DEMO_RENDER = "examples/render.yaml"  # in a checkout; else the copy shipped in the package


class Inputs(NamedTuple):
    """What every command loads first: the catalogue and tiers.toml, and where render.yaml is."""

    catalogue: Catalogue
    config: TierConfig
    render_path: Path
    tiers_path: Path

    def beside_tiers(self, relative: str, key: str) -> Path:
        """A path from tiers.toml ([snapshot] path, history) taken from tiers.toml's folder.

        It stays inside the project (config/paths.py): nothing from tiers.toml leads out.
        """
        from tier_cli.config.paths import inside_project

        return inside_project(self.tiers_path, relative, key)


def load_inputs(render: Path | None, tiers: Path | None, demo: bool = False) -> Inputs:
    from tier_cli.config.catalogue import load_catalogue
    from tier_cli.config.paths import default_file
    from tier_cli.config.tiers import load_config

    catalogue = load_catalogue()
    if demo:
        render_path = default_file(render, DEMO_RENDER, "render.yaml")
        tiers_path = default_file(tiers, "tiers.toml", "tiers.toml")
    else:
        render_path = render or Path("render.yaml")
        tiers_path = tiers or tiers_beside(render_path)
    return Inputs(catalogue, load_config(tiers_path, catalogue), render_path, tiers_path)


def tiers_beside(render_path: Path) -> Path:
    """tiers.toml in the current folder, else beside render.yaml: `--render deployment/
    render.yaml` from the repository's root finds deployment/tiers.toml, as a run from
    deployment/ does."""
    here = Path("tiers.toml")
    beside = render_path.parent / "tiers.toml"
    if not here.exists() and render_path.parent != Path() and beside.is_file():
        return beside
    return here


class Evaluation(NamedTuple):
    """render.yaml read and placed, metrics read, the recommendation made."""

    data: bytes  # render.yaml's bytes as read
    rec: Recommendation
    parsed: Parsed | None = None  # the same bytes parsed, for apply and check to reuse


def evaluate(
    inputs: Inputs,
    source: MetricsSource,
    service: str | None,
    progress: Callable[[str], None] | None = None,
) -> Evaluation:
    """``progress`` is told each metric's name as a database reads it (the CLI's status line)."""
    from datetime import UTC, datetime

    from tier_cli.blueprint.view import parse_file, read_render
    from tier_cli.decide.placement import place
    from tier_cli.decide.recommendation import recommend
    from tier_cli.metrics.snapshot import stale_warning
    from tier_cli.metrics.sources import read_metrics

    config = inputs.config
    source.check()
    data = read_render(inputs.render_path)
    name = str(inputs.render_path)
    parsed = parse_file(data, name)
    placement = place(parsed.view, name, config.selection(service), config, inputs.catalogue)
    committed = None if source.demo else inputs.beside_tiers(config.snapshot.path, "snapshot.path")
    measured = read_metrics(source, config.database, committed, progress)
    stale = stale_warning(measured, config.snapshot.max_age_days, datetime.now(UTC))
    rec = recommend(measured, config, inputs.catalogue, placement, notes=(stale,) if stale else ())
    return Evaluation(data, rec, parsed)


def measured(inputs: Inputs, evaluation: Evaluation) -> Evaluation:
    """The evaluation, when its recommendation rests on at least one measured metric that a
    threshold uses; else MetricsError (exit 4): `check` cannot tell, `apply` has no ground."""
    if evaluation.rec.unmeasured(inputs.config):
        raise MetricsError(evaluation.rec.unmeasured_message(inputs.config))
    return evaluation


def trend(inputs: Inputs, rec: Recommendation) -> Trend:
    from tier_cli.decide.trend import trend as growth
    from tier_cli.metrics.snapshot import read_history

    history = read_history(inputs.beside_tiers(inputs.config.snapshot.history, "snapshot.history"))
    at = inputs.config.rank(rec.recommended)
    nxt = inputs.config.tiers[at + 1] if at + 1 < len(inputs.config.tiers) else None
    return growth(history, rec.metrics, nxt)


def filtered(result: ApplyResult, config: TierConfig) -> ApplyResult:
    from tier_cli.notices import unique

    return result._replace(notes=unique(result.notes, config.ignore_warnings))


def verdict(
    inputs: Inputs,
    evaluation: Evaluation,
    service: str | None,
    edit: tuple[bytes, ApplyResult] | None = None,
) -> Verdict:
    """`tier check`'s answer: is render.yaml on the target tier, and if not, what differs.

    `edit` is the target tier's edit of evaluation.data when the caller made it already.
    """
    from tier_cli.blueprint.editor import apply_file_bytes
    from tier_cli.decide.verdict import judge

    rec = measured(inputs, evaluation).rec
    config = inputs.config
    path = str(inputs.render_path)
    selection = config.selection(service)
    try:
        new, result = edit or apply_file_bytes(
            evaluation.data,
            path,
            config.target(rec.target),
            selection,
            inputs.catalogue,
            read_dependencies(inputs.render_path, evaluation.parsed, selection),
            evaluation.parsed,
        )
    except LegacyPlanRefused as exc:  # the fix is in tiers.toml, not in render.yaml: exit 2
        raise ConfigError(str(exc)) from None
    fix = ["tier", "apply", "--tier", rec.target]
    if inputs.render_path != Path("render.yaml"):
        fix += ["--render", path]
    if inputs.tiers_path != Path("tiers.toml"):
        fix += ["--tiers", str(inputs.tiers_path)]
    if service:
        fix += ["--service", service]
    made = (result.changes, filtered(result, config).notes)
    return judge(rec, path, evaluation.data, new, made, config.tiers, fix)


def read_dependencies(path: Path, parsed: Parsed | None, selection: Selection) -> Declared | None:
    """What the web service's build installs, read where Render builds it: the root of the git
    repository render.yaml is in (else render.yaml's folder, said in `Declared.guessed`), then
    `rootDir`. Bounded, never outside that folder (textio.read_project_file); None without a
    web service to read it for (the editor then reports what is wrong with the file)."""
    from tier_cli.blueprint.buildcmd import install_steps
    from tier_cli.blueprint.deps import python_version, read_declared
    from tier_cli.blueprint.nodes import lookup, text_of
    from tier_cli.blueprint.view import choose_web_service, env_var
    from tier_cli.config.paths import git_top
    from tier_cli.textio import read_project_file

    if parsed is None:
        return None
    try:
        web = choose_web_service(parsed.view, selection.service, str(path))
    except TierError:
        return None
    folder = git_top(path.parent)
    guessed = None
    if folder is None:
        folder = path.parent
        guessed = (
            f"{path} is in no git repository: tier read the build's files from its folder, "
            "where Render would build only if it were the repository's root"
        )

    def read(relative: str) -> str | None:
        return read_project_file(folder, relative)

    entry = parsed.services[parsed.view.services.index(web)]
    item = env_var(entry.node, "PYTHON_VERSION")
    found = None if item is None else lookup(item, "value")
    python = python_version(None if found is None else text_of(found.value), web.root_dir, read)
    steps = install_steps(web.root_dir, web.build_command)
    return read_declared(steps, read, python)._replace(guessed=guessed)


def write_file(
    path: Path, data: bytes, error: type[TierError] = ConfigError, expected: bytes | None = None
) -> None:
    """Write atomically; a failure (a folder that is a file, no permission, a full disk) is one
    line with the documented exit code of `error` (3 for render.yaml, 2 for tier's own files).
    ``expected``: the bytes read at the start; a file that holds others now is not replaced."""
    from tier_cli.textio import write_atomic

    write_atomic(path, data, error=error, expected=expected)


def tiers_inputs(tiers: Path | None) -> tuple[Inputs, tuple[Notice, ...]]:
    """`tier tiers`: tiers.toml, else the tiers bundled with tier, said in a notice."""
    from tier_cli.config.paths import default_file
    from tier_cli.notices import notice

    path = default_file(tiers, "tiers.toml", "tiers.toml")
    notes: tuple[Notice, ...] = ()
    if tiers is None and path != Path("tiers.toml"):
        message = (
            "not found; showing the tiers bundled with tier (the guide's). Tip: run `tier init` "
            "to write your own, or pass --tiers PATH"
        )
        notes = (notice("bundled-tiers", message),)
    return load_inputs(None, path), notes
