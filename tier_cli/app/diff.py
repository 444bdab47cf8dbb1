"""`tier diff`'s work: the monthly cost of render.yaml at a git ref and in the working tree."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tier_cli.app import load_inputs

if TYPE_CHECKING:
    from tier_cli.output.diff import DiffReport


def cost_diff(render: Path | None, tiers: Path | None, base: str) -> DiffReport:
    """`tier diff`: what render.yaml costs a month at `base` and in the working tree.

    Prices: the catalogue with tiers.toml's [prices] (the packaged tiers.toml's, none, when the
    folder has no tiers.toml). A render.yaml that did not exist at `base` cost nothing there.
    """
    from tier_cli.blueprint.view import BlueprintView, parse_file, read_render
    from tier_cli.config.paths import default_file
    from tier_cli.decide.blueprint_cost import blueprint_costs, diff_costs
    from tier_cli.gitref import read_at_ref
    from tier_cli.output.diff import DiffReport
    from tier_cli.textio import RENDER_LIMIT

    inputs = load_inputs(render, default_file(tiers, "tiers.toml", "tiers.toml"))
    path = inputs.render_path
    now = parse_file(read_render(path), str(path)).view
    old = read_at_ref(path, base, RENDER_LIMIT)
    was = BlueprintView((), ()) if old is None else parse_file(old, f"{path} at {base}").view
    prices = inputs.config.prices
    diff = diff_costs(
        blueprint_costs(was, inputs.catalogue, prices),
        blueprint_costs(now, inputs.catalogue, prices),
    )
    return DiffReport(diff, str(path), base, inputs.catalogue.as_of)
