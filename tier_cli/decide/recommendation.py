"""The whole answer of `tier recommend`: the decision, guardrails, costs, warnings.

Pure: the decision comes from advisor.decide; this adds the caps (max_tier, max_monthly_usd),
the pin, the monthly costs and Render's reality checks for the tier to be on.
"""

from collections.abc import Sequence
from typing import NamedTuple

from tier_cli.config.catalogue import Catalogue, database_move
from tier_cli.config.metric_table import ACTIVITY_METRICS, DB_CONNECTIONS, METRIC_NAMES
from tier_cli.config.tiers import Tier, TierConfig
from tier_cli.decide.advisor import ConnectionLimits, Decision, change, decide
from tier_cli.decide.connections import Budget, budget, budget_notice, other_share
from tier_cli.decide.costs import Billed, Cost, bill
from tier_cli.decide.placement import Placement, tier_instances
from tier_cli.decide.reality import reality_checks, tier_cost
from tier_cli.metrics.measured import Metrics
from tier_cli.notices import Notice, leftover_keyvalue_note, notice, unique


class Recommendation(NamedTuple):
    metrics: Metrics
    decision: Decision  # what the metrics call for, before caps
    recommended: str  # after max_tier / max_monthly_usd
    capped_by: str | None  # the guardrail that lowered it, e.g. 'max_tier = "pro"'
    pinned: str | None  # [decision] pin: the tier render.yaml is held on
    placement: Placement | None
    cost_now: Cost | None
    cost_after: Cost  # of the target tier
    warnings: tuple[Notice, ...]
    change: str  # from the current tier to the target: "up", "down", "none", "unknown"
    guardrails: tuple[Notice, ...] = ()  # the cap and pin, also in warnings
    budget: Budget | None = None  # the target tier's connection budget

    @property
    def current(self) -> str | None:
        return self.decision.current

    @property
    def needed(self) -> str:
        return self.decision.recommended

    def unmeasured(self, config: TierConfig) -> tuple[str, ...]:
        """The metrics the thresholds use, when not one of them was measured; else ().

        Then the recommendation rests on nothing measured: `check` cannot say "in sync" and
        `apply` has nothing to go by (both exit 4, naming these metrics)."""
        used = threshold_metrics(config)
        if any(self.metrics.get(m) is not None for m in used):
            return ()
        return used

    def unmeasured_message(self, config: TierConfig) -> str:
        why = ", ".join(
            f"{m} ({self.metrics.labels.get(m) or 'unknown'})" for m in self.unmeasured(config)
        )
        return (
            f"{self.metrics.source}: cannot tell which tier the app needs: no metric that a "
            f"threshold in {config.path} uses was measured: {why}. Tip: measure them (`tier "
            "snapshot` with DATABASE_URL set), or fix their SQL under [database.queries]"
        )

    @property
    def target(self) -> str:
        """The tier render.yaml should be on: the pin, else the recommendation."""
        return self.pinned or self.recommended


def threshold_metrics(config: TierConfig) -> tuple[str, ...]:
    """The metrics any tier's thresholds use, in the order of METRIC_NAMES."""
    used = {m for t in config.tiers for m in t.thresholds}
    return tuple(m for m in METRIC_NAMES if m in used)


def _cap(decision: Decision, config: TierConfig, catalogue: Catalogue) -> tuple[int, str | None]:
    policy = config.policy
    at = config.rank(decision.recommended)
    by = None
    if policy.max_tier is not None and at > config.rank(policy.max_tier):
        at, by = config.rank(policy.max_tier), f'max_tier = "{policy.max_tier}"'
    if policy.max_monthly_usd is not None:
        while (
            at > 0
            and (tier_cost(config.tiers[at], config, catalogue).usd or 0) > policy.max_monthly_usd
        ):
            at, by = at - 1, f"max_monthly_usd = {policy.max_monthly_usd:g}"
    return at, by


def recommend(
    metrics: Metrics,
    config: TierConfig,
    catalogue: Catalogue,
    placement: Placement | None,
    notes: Sequence[Notice] = (),
) -> Recommendation:
    current = None if placement is None else placement.tier
    decision = decide(metrics, config, current, _limits(config, catalogue, placement))
    capped, capped_by = _cap(decision, config, catalogue)
    recommended = config.tiers[capped].name
    pinned = config.policy.pin
    tier = config.tier(pinned or recommended)
    guardrails: list[Notice] = []
    if capped_by is not None:
        guardrails.append(
            notice(
                "tier-capped",
                f"the app has outgrown {capped_by} in {config.path}: the metrics call for "
                f"{decision.recommended}, capped to {recommended}",
                file=str(config.path),
            )
        )
    if pinned is not None and pinned != recommended:
        guardrails.append(
            notice(
                "tier-pinned",
                f"pinned to {pinned}; the metrics call for {recommended} (pin in {config.path})",
                file=str(config.path),
            )
        )
    warnings = [*notes, *guardrails]
    if placement is not None:
        warnings.extend(placement.notes)
        if placement.keyvalue is not None and not tier.keyvalue_plan:
            warnings.append(leftover_keyvalue_note(placement.keyvalue))
    # Every metric that needs a per-user time unknown: nothing records activity, one warning.
    unmeasured = [m for m in decision.unknown if m in ACTIVITY_METRICS]
    if len(unmeasured) < len(ACTIVITY_METRICS):
        unmeasured = []
    if unmeasured:
        warnings.append(_activity_unknown(unmeasured))
    for metric in decision.unknown:
        if metric in unmeasured:
            continue
        why = metrics.labels.get(metric)
        warnings.append(
            notice(
                "unknown-metric",
                f"{metric}: unknown{f' ({why})' if why else ''}; it triggered nothing",
            )
        )
    warnings.extend(notice("metric-query-advice", advice) for advice in metrics.advice)
    warnings.extend(decision.warnings)
    warnings.extend(reality_checks(tier, config, catalogue))
    instances = 1 if placement is None else placement.instances.high
    now = None if current is None else config.tier(current)
    other = other_share(
        metrics.get(DB_CONNECTIONS), now, instances, config.database.pool_per_worker
    )
    target_budget = budget(tier, config, catalogue, instances, other)
    over = budget_notice(target_budget, config, catalogue)
    if over is not None:
        warnings.append(over)
    return Recommendation(
        metrics=metrics,
        decision=decision,
        recommended=recommended,
        capped_by=capped_by,
        pinned=pinned,
        placement=placement,
        cost_now=None if placement is None else placement.cost(config, catalogue),
        cost_after=target_cost(tier, config, catalogue, placement),
        warnings=unique(warnings, config.ignore_warnings),
        change=change(None if current is None else config.rank(current), config.rank(tier.name)),
        guardrails=unique(guardrails, config.ignore_warnings),
        budget=target_budget,
    )


def _limits(
    config: TierConfig, catalogue: Catalogue, placement: Placement | None
) -> ConnectionLimits | None:
    """The connection limits of the current database plan and of each tier's (the catalogue)."""
    if placement is None or placement.database is None:
        return None
    plan = catalogue.find("postgres", placement.database_plan or catalogue.default("postgres").name)
    tiers = tuple(
        p.connections if (p := catalogue.find("postgres", t.database_plan)) else None
        for t in config.tiers
    )
    return ConnectionLimits(None if plan is None else plan.connections, tiers)


def _activity_unknown(unmeasured: Sequence[str]) -> Notice:
    """One warning for the metrics that need a per-user timestamp and got none."""
    return notice(
        "activity-unknown",
        f"{' and '.join(unmeasured)}: unknown, so they triggered nothing: nothing tier reads "
        "records when a user was last active. Tip: add a last_seen_at column updated at most "
        'once a minute per user, then point the metric at it (README, "Your schema")',
    )


def target_cost(
    tier: Tier, config: TierConfig, catalogue: Catalogue, placement: Placement | None
) -> Cost:
    """What Render would bill once render.yaml is on `tier`: the tier's plans on the file's own
    instances and disk; an existing Key Value service keeps its plan (tier never changes it)."""
    if placement is None:
        return tier_cost(tier, config, catalogue)
    now = placement.billed(catalogue)
    move = None
    if now.database_plan is not None:  # a paid database stays paid; its disk never shrinks
        move = database_move(catalogue, now.database_plan, now.disk_gb, tier.database_plan)
    return bill(
        catalogue,
        config.prices,
        Billed(
            web_plan=tier.web_plan,
            instances=tier_instances(tier, config.managed, placement),
            database_plan=None if move is None else move.plan,
            disk_gb=None if move is None else move.disk_gb,
            disk_grows=now.disk_grows,
            keyvalue_plan=now.keyvalue_plan or tier.keyvalue_plan,
        ),
    )
