"""`tier apply`'s work: the file rewritten to a tier, with what changed; nothing written."""

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from tier_cli.app import Evaluation, Inputs, evaluate, filtered, measured, read_dependencies
from tier_cli.blueprint.editor import ApplyResult, apply_file_bytes
from tier_cli.blueprint.view import Parsed, choose_web_service, parse_file, read_render
from tier_cli.config.tiers import TierConfig
from tier_cli.decide.connections import Budget, budget, budget_notice
from tier_cli.errors import ConfigError, TierError
from tier_cli.metrics.sources import MetricsSource
from tier_cli.notices import Notice, unique


class Applied(NamedTuple):
    """What `tier apply` would write: the old and new bytes and what changed."""

    path: Path
    before: bytes
    after: bytes
    result: ApplyResult
    evaluation: Evaluation | None  # None for a named tier: no metrics read
    warnings: tuple[Notice, ...] = ()  # about the tier written: its connection budget


def plan_apply(
    inputs: Inputs,
    tier: str | None,
    request: MetricsSource,
    service: str | None,
    progress: Callable[[str], None] | None = None,
) -> Applied:
    """The file rewritten to `tier`, else to the recommended (or pinned) tier; nothing written."""
    config = inputs.config
    if tier is not None:
        if request.database_url or request.metrics_file or request.demo:
            raise ConfigError("--tier reads no metrics. Tip: drop the metrics flag, or drop --tier")
        known_tier(config, tier)
        evaluation = None
        name, data = tier, read_render(inputs.render_path)
        parsed = _parsed_or_none(data, str(inputs.render_path))
        connections = None
    else:
        evaluation = measured(inputs, evaluate(inputs, request, service, progress))
        name, data, parsed = evaluation.rec.target, evaluation.data, evaluation.parsed
        connections = evaluation.rec.budget
    path = inputs.render_path
    selection = config.selection(service)
    declared = read_dependencies(path, parsed, selection)
    new, result = apply_file_bytes(
        data, str(path), config.target(name), selection, inputs.catalogue, declared, parsed
    )
    warnings = _budget_warning(inputs, parsed, name, service, connections)
    return Applied(path, data, new, filtered(result, config), evaluation, warnings)


def _budget_warning(
    inputs: Inputs, parsed: Parsed | None, tier: str, service: str | None, known: Budget | None
) -> tuple[Notice, ...]:
    """The connection budget of the tier written: from the recommendation, else from the file."""
    config = inputs.config
    if known is None:
        from tier_cli.decide.placement import instances

        assert parsed is not None  # apply_file_bytes raised on a file that does not parse
        web = choose_web_service(parsed.view, config.selection(service).service, parsed.filename)
        most = instances(web.num_instances, web.scaling).high
        known = budget(config.tier(tier), config, inputs.catalogue, most)
    over = budget_notice(known, config, inputs.catalogue)
    return unique([] if over is None else [over], config.ignore_warnings)


def _parsed_or_none(data: bytes, name: str) -> Parsed | None:
    try:
        return parse_file(data, name)
    except TierError:
        return None  # apply_file_bytes raises it again, after its own checks


def known_tier(config: TierConfig, name: str) -> None:
    if name not in config.names:
        raise ConfigError(
            f"--tier {name}: no such tier in {config.path}. Tip: use one of "
            + ", ".join(config.names)
        )
