"""Which tier render.yaml is on now, read from the web service's and the database's plans."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from tier_cli.blueprint.view import BlueprintView, choose_database, choose_web_service
from tier_cli.config.catalogue import Catalogue, Kind, same_plan
from tier_cli.config.tiers import Tier, TierConfig
from tier_cli.decide.costs import Cost, monthly_cost
from tier_cli.models import Selection
from tier_cli.notices import Notice, notice

KEYVALUE_TYPES = ("keyvalue", "redis")


class Placement(NamedTuple):
    """render.yaml as it stands: the plans written there (None = no `plan:` key) and its tier."""

    service: str  # its name, or its path in the file when it has none
    web_plan: str | None
    database: str | None
    database_plan: str | None
    keyvalue: str | None  # name of a Key Value (or legacy redis) service in the file
    keyvalue_plan: str | None
    tier: str | None  # None: the file matches no tier
    notes: tuple[Notice, ...] = ()

    def effective_plans(self, catalogue: Catalogue) -> list[tuple[Kind, str]]:
        """The plans Render applies, defaults included (a missing service plan is starter)."""
        plans: list[tuple[Kind, str]] = [("web", self.web_plan or catalogue.default("web").name)]
        if self.database is not None:
            plans.append(("postgres", self.database_plan or catalogue.default("postgres").name))
        if self.keyvalue is not None:
            plans.append(("keyvalue", self.keyvalue_plan or catalogue.default("keyvalue").name))
        return plans

    def cost(self, config: TierConfig, catalogue: Catalogue) -> Cost:
        return monthly_cost(catalogue, config.prices, self.effective_plans(catalogue))


def place(
    view: BlueprintView,
    filename: str,
    selection: Selection,
    config: TierConfig,
    catalogue: Catalogue,
) -> Placement:
    web = choose_web_service(view, selection.service, filename)
    db = choose_database(view, web, selection.database)
    kv = next((s for s in view.services if s.type in KEYVALUE_TYPES), None)
    web_plan = web.plan or catalogue.default("web").name
    db_plan = None if db is None else (db.plan or catalogue.default("postgres").name)
    notes: list[Notice] = []
    written: list[tuple[Kind, str | None, str]] = [("web", web.plan, web.label)]
    if db is not None:
        written.append(("postgres", db.plan, db.name or "the database"))
    for kind, plan, owner in written:
        if plan is not None and catalogue.find(kind, plan) is None:
            notes.append(
                notice(
                    "unknown-plan",
                    f"{filename}: {owner} plan {plan!r} is not a Render {kind} plan",
                    file=filename,
                )
            )

    candidates = [t for t in config.tiers if same_plan(catalogue, "web", t.web_plan, web_plan)]
    candidates = _narrow(candidates, lambda t: (t.keyvalue_plan is not None) == (kv is not None))
    if db_plan is not None:
        candidates = _narrow(
            candidates, lambda t: same_plan(catalogue, "postgres", t.database_plan, db_plan)
        )
    tier = candidates[0] if candidates else None
    shown = web.plan if web.plan is not None else f"{web_plan} (no plan key: Render's default)"
    if tier is None:
        notes.append(
            notice(
                "no-matching-tier",
                f"{filename}: matches no tier in {config.path}: {web.label} is on plan {shown}"
                + (f", {db.name} on {db_plan}" if db is not None else ""),
                file=filename,
            )
        )
    elif (
        db is not None
        and db_plan is not None
        and not same_plan(catalogue, "postgres", tier.database_plan, db_plan)
    ):
        notes.append(
            notice(
                "database-off-tier",
                f"{filename}: {web.name} is on tier {tier.name}, but database {db.name} is on "
                f"plan {db_plan}, not {tier.database_plan}",
                file=filename,
            )
        )
    return Placement(
        service=web.label,
        web_plan=web.plan,
        database=None if db is None else db.name,
        database_plan=None if db is None else db.plan,
        keyvalue=None if kv is None else kv.name,
        keyvalue_plan=None if kv is None else kv.plan,
        tier=None if tier is None else tier.name,
        notes=tuple(notes),
    )


def _narrow(tiers: list[Tier], keep: Callable[[Tier], bool]) -> list[Tier]:
    """Apply a filter only when it leaves something: a partial match beats no match."""
    narrowed = [t for t in tiers if keep(t)]
    return narrowed or tiers
