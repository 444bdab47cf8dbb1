"""The whole answer of `tier recommend`: the decision, where the file stands, costs, warnings."""

from __future__ import annotations

from dataclasses import dataclass

from tier_cli.advisor import Decision, decide
from tier_cli.catalogue import Catalogue, Kind
from tier_cli.config import TierConfig
from tier_cli.costs import Cost, monthly_cost
from tier_cli.models import Metrics
from tier_cli.placement import Placement
from tier_cli.reality import reality_checks


@dataclass(frozen=True)
class Recommendation:
    metrics: Metrics
    decision: Decision
    placement: Placement | None
    cost_now: Cost | None
    cost_after: Cost
    warnings: tuple[str, ...]

    @property
    def recommended(self) -> str:
        return self.decision.recommended

    @property
    def current(self) -> str | None:
        return self.decision.current


def recommend(
    metrics: Metrics, config: TierConfig, catalogue: Catalogue, placement: Placement | None
) -> Recommendation:
    current = None if placement is None else placement.tier
    decision = decide(metrics, config, current)
    tier = config.tier(decision.recommended)
    plans: list[tuple[Kind, str]] = [("web", tier.web_plan)]
    if placement is None or placement.database is not None:
        plans.append(("postgres", tier.database_plan))
    if tier.keyvalue_plan:
        plans.append(("keyvalue", tier.keyvalue_plan))
    warnings: list[str] = []
    if placement is not None:
        warnings.extend(placement.notes)
        if placement.keyvalue is not None and not tier.keyvalue_plan:
            plans.append(("keyvalue", placement.keyvalue_plan or catalogue.default("keyvalue").name))
            warnings.append(
                f"{tier.name} needs no Key Value, but {placement.keyvalue} stays in render.yaml "
                "(tier never deletes a service) and is counted in the cost: remove it by hand "
                "if you no longer use it"
            )
    for metric in decision.unknown:
        why = metrics.labels.get(metric)
        warnings.append(f"{metric}: unknown{f' ({why})' if why else ''}; it triggered nothing")
    warnings.extend(decision.warnings)
    warnings.extend(reality_checks(tier, config, catalogue))
    return Recommendation(
        metrics=metrics,
        decision=decision,
        placement=placement,
        cost_now=None if placement is None else placement.cost(config, catalogue),
        cost_after=monthly_cost(catalogue, config.prices, plans),
        warnings=tuple(warnings),
    )
