"""The database's connection budget: what a tier's web service may open, against the plan's limit.

Pure. Moving a tier multiplies connections: each web worker holds a pool (SQLAlchemy's default
is 5 + 10 overflow = 15), on every instance. The budget of a tier is

    web workers (its start_command) x instances (render.yaml: scaling.maxInstances, else
    numInstances) x [database] pool_per_worker + other services' measured share

against the connection limit of the tier's database plan (Render's catalogue). Other services'
share is what db_connections measured beyond what the current web service may hold itself
(nothing when the current tier is unknown).
"""

from typing import NamedTuple

from tier_cli.blueprint.startcmd import worker_count
from tier_cli.config.catalogue import Catalogue
from tier_cli.config.tiers import Tier, TierConfig
from tier_cli.notices import Notice, notice


def workers(start_command: str) -> int:
    """The web workers a start command runs: the count it writes, else one."""
    written = worker_count(start_command)
    return 1 if written is None else written


class Budget(NamedTuple):
    """The connections one tier's web service may open, and the limit it meets."""

    tier: str
    workers: int
    instances: int
    pool_per_worker: int
    other: int  # other services' measured share
    plan: str  # the tier's database plan
    limit: int | None  # its connection limit; None: the catalogue does not say

    @property
    def web(self) -> int:
        return self.workers * self.instances * self.pool_per_worker

    @property
    def total(self) -> int:
        return self.web + self.other

    @property
    def over(self) -> bool:
        return self.limit is not None and self.total > self.limit

    def as_json(self) -> dict[str, object]:
        return {
            "tier": self.tier,
            "workers": self.workers,
            "instances": self.instances,
            "pool_per_worker": self.pool_per_worker,
            "other": self.other,
            "total": self.total,
            "database_plan": self.plan,
            "limit": self.limit,
        }


def other_share(measured: float | None, current: Tier | None, instances: int, pool: int) -> int:
    """Connections measured beyond what the current web service may hold (0 when unknown)."""
    if measured is None or current is None:
        return 0
    return max(0, round(measured) - workers(current.start_command) * instances * pool)


def budget(
    tier: Tier, config: TierConfig, catalogue: Catalogue, instances: int = 1, other: int = 0
) -> Budget:
    plan = catalogue.find("postgres", tier.database_plan)
    if "scaling" in tier.web or "numInstances" in tier.web:  # the tier writes its instances
        instances = tier.max_web_instances
    return Budget(
        tier=tier.name,
        workers=workers(tier.start_command),
        instances=max(instances, 1),
        pool_per_worker=config.database.pool_per_worker,
        other=other,
        plan=tier.database_plan,
        limit=None if plan is None else plan.connections,
    )


def budget_notice(b: Budget, config: TierConfig, catalogue: Catalogue) -> Notice | None:
    """The warning with the numbers and the fixes when the budget is over the limit."""
    if not b.over:
        return None
    assert b.limit is not None
    bigger = sorted(
        (p for p in catalogue.plans if p.kind == "postgres" and not p.legacy),
        key=lambda p: (p.usd is None, p.usd or 0.0, p.ram_mb, p.name),  # unknown prices last
    )
    roomy = next((p for p in bigger if (p.connections or 0) >= b.total), None)
    plan_fix = (
        f"a database plan with more connections ({roomy.name}: {roomy.connections})"
        if roomy is not None
        else "a bigger database plan"
    )
    instances = f"{b.instances} instance" + ("s" if b.instances != 1 else "")
    other = f" + {b.other} for other services" if b.other else ""
    fit = max(b.limit - b.other, 0) // (b.workers * b.instances)
    return notice(
        "connection-budget",
        f"tier {b.tier}: {b.workers} web workers x {instances} x {b.pool_per_worker} "
        f"connections each (pool_per_worker){other} = {b.total} connections, above the "
        f"{b.limit} of database plan {b.plan}. Tip: a smaller pool (pool_size + max_overflow "
        f"<= {fit} per worker, then set pool_per_worker), fewer workers, {plan_fix}, or "
        "Render's connection pooling (PgBouncer)",
        file=config.path,
    )
