"""Monthly cost of a set of Render plans, from the catalogue and tiers.toml's price overrides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from tier_cli.config.catalogue import Catalogue, Kind
from tier_cli.numbers import usd


class CostLine(NamedTuple):
    kind: Kind
    plan: str
    usd: float | None  # None: the plan is not in the catalogue


class Cost(NamedTuple):
    lines: tuple[CostLine, ...]

    @property
    def usd(self) -> float | None:
        if any(line.usd is None for line in self.lines):
            return None
        return sum(line.usd or 0.0 for line in self.lines)

    def describe(self) -> str:
        parts = [f"{line.kind} {line.plan} {usd(line.usd)}" for line in self.lines]
        return f"{usd(self.usd)}/month ({' + '.join(parts)})"


def price(
    catalogue: Catalogue,
    overrides: Mapping[str, Mapping[str, float]],
    kind: Kind,
    plan_name: str,
) -> float | None:
    plan = catalogue.find(kind, plan_name)
    if plan is None:
        return None
    return overrides.get(kind, {}).get(plan.name, plan.usd)


def monthly_cost(
    catalogue: Catalogue,
    overrides: Mapping[str, Mapping[str, float]],
    plans: list[tuple[Kind, str]],
) -> Cost:
    return Cost(tuple(CostLine(k, p, price(catalogue, overrides, k, p)) for k, p in plans))
