"""Where the user's tier, as written in tiers.toml, differs from what Render offers today."""

from __future__ import annotations

from tier_cli.blueprint.startcmd import worker_count
from tier_cli.config.catalogue import Catalogue, Kind, Plan
from tier_cli.config.tiers import Tier, TierConfig
from tier_cli.decide.costs import Cost, monthly_cost
from tier_cli.notices import Notice, notice

DEPRECATED_WORKER = "uvicorn.workers.UvicornWorker"
MB_PER_WORKER = 256  # below this per gunicorn worker, a FastAPI app is likely to run out of memory


def tier_plans(tier: Tier) -> list[tuple[Kind, str]]:
    plans: list[tuple[Kind, str]] = [("web", tier.web_plan), ("postgres", tier.database_plan)]
    if tier.keyvalue_plan:
        plans.append(("keyvalue", tier.keyvalue_plan))
    return plans


def tier_cost(tier: Tier, config: TierConfig, catalogue: Catalogue) -> Cost:
    """One of each of the tier's plans, on the web instances its [tier.web] fields give."""
    cost = monthly_cost(catalogue, config.prices, tier_plans(tier))
    low, high = tier.web_instances, max(tier.web_instances, tier.max_web_instances)
    web = cost.lines[0]._replace(low=low, high=high)
    return cost._replace(lines=(web, *cost.lines[1:]))


def _size_beliefs(tier: Tier, web: Plan, catalogue: Catalogue, at: str, file: str) -> list[Notice]:
    """web_cpu / web_ram_gb in tiers.toml (the guide's figures) against the catalogue's plan."""
    ram_mb = None if tier.web_ram_gb is None else round(tier.web_ram_gb * 1024)
    cpu_off = tier.web_cpu is not None and tier.web_cpu != web.cpu
    ram_off = ram_mb is not None and ram_mb != web.ram_mb
    if not (cpu_off or ram_off):
        return []
    said = ", ".join(
        f"{key} = {value:g}"
        for key, value in (("web_cpu", tier.web_cpu), ("web_ram_gb", tier.web_ram_gb))
        if value is not None
    )
    fits = [
        p
        for p in catalogue.plans
        if p.kind == "web"
        and (ram_mb is None or p.ram_mb == ram_mb)
        and (tier.web_cpu is None or p.cpu == tier.web_cpu)
    ]
    match = f"; that is Render's `{fits[0].name}` ({_month(fits[0])})" if fits else ""
    return [
        notice(
            "size-differs",
            f"{at}: {said}, but Render's web plan `{web.name}` has {web.cpu:g} CPU and "
            f"{_gb(web.ram_mb)} RAM ({_month(web)}){match}",
            file=file,
        )
    ]


def _month(plan: Plan) -> str:
    return "no known price" if plan.usd is None else f"${plan.usd:g}/month"


def _gb(mb: int) -> str:
    return f"{mb} MB" if mb < 1024 else f"{mb / 1024:g} GB"


def reality_checks(tier: Tier, config: TierConfig, catalogue: Catalogue) -> list[Notice]:
    """Warnings for one tier; an empty list when Render agrees with tiers.toml."""
    out: list[Notice] = []
    file = str(config.path)
    at = f"{config.path}: tier {tier.name}"
    db = catalogue.find("postgres", tier.database_plan)
    if db is not None and db.legacy:
        successor = catalogue.find("postgres", db.successor) if db.successor else None
        tip = (
            f'set database_plan = "{successor.name}" ({_month(successor)}) or another current plan'
            if successor
            else "choose a current Postgres plan"
        )
        out.append(
            notice(
                "legacy-postgres-plan",
                f"{at}: database_plan {tier.database_plan!r} is a legacy Render Postgres plan: "
                "Render no longer creates databases on it, and a database on a current plan (free "
                f"included) cannot move back to it. Tip: {tip}",
                file=file,
            )
        )
    if db is not None and db.name == "free":
        out.append(
            notice(
                "free-postgres-expires",
                f"{at}: Render's free Postgres expires 30 days after creation (14-day grace) and "
                "has no backups",
                file=file,
            )
        )
    cost = tier_cost(tier, config, catalogue)
    if (
        tier.price_usd is not None
        and cost.usd is not None
        and abs(cost.usd - tier.price_usd) >= 0.5
    ):
        unconfirmed = [
            p.name
            for k, n in tier_plans(tier)
            if (p := catalogue.find(k, n)) is not None and not p.confirmed
        ]
        out.append(
            notice(
                "price-differs",
                f"{at}: price_usd says ${tier.price_usd:g}/month; Render's catalogue "
                f"({catalogue.as_of}) gives {cost.describe()}"
                + (f" ({', '.join(unconfirmed)}: unconfirmed price)" if unconfirmed else ""),
                file=file,
            )
        )
    web = catalogue.find("web", tier.web_plan)
    if web is not None:
        out.extend(_size_beliefs(tier, web, catalogue, at, file))
    n = worker_count(tier.start_command)
    if web is not None and n:
        if web.ram_mb / n < MB_PER_WORKER:
            out.append(
                notice(
                    "workers-exceed-ram",
                    f"{at}: {n} workers on web plan {web.name} ({web.ram_mb} MB RAM): about "
                    f"{web.ram_mb // n} MB each; a FastAPI worker often needs more. Tip: fewer "
                    "workers or a plan with more memory",
                    file=file,
                )
            )
        if web.cpu is not None and n > 2 * web.cpu + 1:
            out.append(
                notice(
                    "workers-exceed-cpu",
                    f"{at}: {n} workers on web plan {web.name} ({web.cpu:g} CPU) is above "
                    f"gunicorn's (2 x CPUs) + 1 = {2 * web.cpu + 1:g} starting point",
                    file=file,
                )
            )
    if DEPRECATED_WORKER in tier.start_command:
        out.append(
            notice(
                "deprecated-worker-class",
                f"{at}: start_command uses {DEPRECATED_WORKER}, deprecated since 2024. Tip: "
                "add the uvicorn-worker package and write -k uvicorn_worker.UvicornWorker",
                file=file,
            )
        )
    return out
