"""Which tier render.yaml is on now, read from the web service's and the database's plans, the
Key Value service, and the web service fields tiers set ([tier.web]: `scaling` tells scale-out
from pro, both on web plan pro)."""

import math
from collections.abc import Callable, Mapping
from typing import NamedTuple

from tier_cli.blueprint.view import BlueprintView, choose_database, choose_web_service
from tier_cli.config.catalogue import Catalogue, Kind, same_plan
from tier_cli.config.settings import Selection
from tier_cli.config.tiers import Tier, TierConfig
from tier_cli.decide.costs import Billed, Cost, Instances, bill
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
    instances: Instances = Instances()  # web instances Render bills (numInstances or scaling)
    disk_gb: float | None = None  # the database's diskSizeGB
    disk_grows: bool = False  # the database's storageAutoscalingEnabled
    taken_as: str | None = None  # set when no tier uses the web plan: the nearest tier by size
    num_instances: int | None = None  # `numInstances` as written (see ServiceView)
    scaling: tuple[int | None, int | None] | None = None  # (minInstances, maxInstances)

    def effective_plans(self, catalogue: Catalogue) -> list[tuple[Kind, str]]:
        """The plans Render applies, defaults included (a missing service plan is starter)."""
        plans: list[tuple[Kind, str]] = [("web", self.web_plan or catalogue.default("web").name)]
        if self.database is not None:
            plans.append(("postgres", self.database_plan or catalogue.default("postgres").name))
        if self.keyvalue is not None:
            plans.append(("keyvalue", self.keyvalue_plan or catalogue.default("keyvalue").name))
        return plans

    def billed(self, catalogue: Catalogue) -> Billed:
        """What Render bills for the file as it stands."""
        plans = dict(self.effective_plans(catalogue))
        return Billed(
            web_plan=plans["web"],
            instances=self.instances,
            database_plan=plans.get("postgres"),
            disk_gb=self.disk_gb,
            disk_grows=self.disk_grows,
            keyvalue_plan=plans.get("keyvalue"),
        )

    def cost(self, config: TierConfig, catalogue: Catalogue) -> Cost:
        return bill(catalogue, config.prices, self.billed(catalogue))


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
    written: list[tuple[Kind, str | None, str, int]] = [("web", web.plan, web.label, web.line)]
    if db is not None:
        written.append(("postgres", db.plan, db.name or "the database", db.line))
    if kv is not None:
        written.append(("keyvalue", kv.plan, kv.label, kv.line))
    for kind, plan, owner, line in written:
        if plan is not None and catalogue.find(kind, plan) is None:
            notes.append(
                notice(
                    "unknown-plan",
                    f"{filename}: {owner} plan {plan!r} is not a Render {kind} plan; tier knows "
                    "no price or size for it (its cost is shown as unknown, never as free)",
                    file=filename,
                    line=line,
                )
            )

    candidates = [t for t in config.tiers if same_plan(catalogue, "web", t.web_plan, web_plan)]
    nearest = not candidates
    if nearest:
        candidates = _nearest(config.tiers, catalogue, web_plan)
    candidates = _narrow(candidates, lambda t: (t.keyvalue_plan is not None) == (kv is not None))
    if db_plan is not None:
        candidates = _narrow(
            candidates, lambda t: same_plan(catalogue, "postgres", t.database_plan, db_plan)
        )
    for field in config.managed:
        candidates = _narrow(candidates, _sets(field, web.fields.get(field), values=False))
        candidates = _narrow(candidates, _sets(field, web.fields.get(field), values=True))
    tier = candidates[0] if candidates else None
    shown = web.plan if web.plan is not None else f"{web_plan} (no plan key: Render's default)"
    if tier is not None and nearest:
        notes.append(
            notice(
                "nearest-tier",
                f"{filename}: no tier in {config.path} uses web plan {shown}; taken as tier "
                f"{tier.name} (web plan {tier.web_plan}), the nearest by CPU and RAM",
                file=filename,
                line=web.line,
            )
        )
    if tier is None:
        notes.append(
            notice(
                "no-matching-tier",
                f"{filename}: matches no tier in {config.path}: {web.label} is on plan {shown}"
                + (f", {db.name} on {db_plan}" if db is not None else ""),
                file=filename,
                line=web.line,
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
                line=db.line,
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
        instances=instances(web.num_instances, web.scaling),
        num_instances=web.num_instances,
        scaling=web.scaling,
        disk_gb=None if db is None else db.disk_size_gb,
        disk_grows=db is not None and db.disk_grows,
        taken_as=tier.name if tier is not None and nearest else None,
    )


def instances(num: int | None, scaling: tuple[int | None, int | None] | None) -> Instances:
    """`scaling` overrides `numInstances` (default 1); a missing bound is the other one."""
    if scaling is not None and (scaling[0] is not None or scaling[1] is not None):
        low, high = scaling
        low = low if low is not None else 1
        return Instances(low, max(low, high if high is not None else low))
    n = num if num is not None and num > 0 else 1
    return Instances(n, n)


def tier_instances(tier: Tier, managed: tuple[str, ...], now: Placement | None) -> Instances:
    """The web instances Render bills once render.yaml is on `tier`: what the tier sets under
    [tier.web] (`scaling`, `numInstances`), else what the file keeps: its own values, minus the
    managed fields the tier removes."""
    scaling = tier.web.get("scaling")
    if isinstance(scaling, Mapping):
        return Instances(tier.web_instances, max(tier.web_instances, tier.max_web_instances))
    if "numInstances" in tier.web:
        return Instances(tier.web_instances, tier.web_instances)
    if now is None:
        return Instances()
    num = None if "numInstances" in managed else now.num_instances
    return instances(num, None if "scaling" in managed else now.scaling)


def _nearest(tiers: tuple[Tier, ...], catalogue: Catalogue, web_plan: str) -> list[Tier]:
    """The tiers whose web plan is closest in size (CPU and RAM, on a log scale) to `web_plan`;
    the lower tier on a tie. Empty when the plan is not in the catalogue."""
    plan = catalogue.find("web", web_plan)
    if plan is None or plan.cpu is None:
        return []
    best: list[Tier] = []
    best_distance = math.inf
    for tier in tiers:
        other = catalogue.find("web", tier.web_plan)
        if other is None or other.cpu is None:
            continue
        distance = abs(math.log2(other.cpu / plan.cpu)) + abs(math.log2(other.ram_mb / plan.ram_mb))
        if distance < best_distance - 1e-9:
            best, best_distance = [tier], distance
        elif abs(distance - best_distance) <= 1e-9 and same_plan(
            catalogue, "web", best[0].web_plan, tier.web_plan
        ):
            best.append(tier)
    return best


def _sets(field: str, have: object, *, values: bool) -> Callable[[Tier], bool]:
    """A filter: the tier sets `field` exactly when the file has it (and, with `values`, to
    what the file says)."""

    def keep(tier: Tier) -> bool:
        if field not in tier.web:
            return have is None
        from tier_cli.blueprint.compare import means  # only for tiers that set [tier.web]

        return have is not None and (not values or means(have, tier.web[field]))

    return keep


def _narrow(tiers: list[Tier], keep: Callable[[Tier], bool]) -> list[Tier]:
    """Apply a filter only when it leaves something: a partial match beats no match."""
    narrowed = [t for t in tiers if keep(t)]
    return narrowed or tiers
