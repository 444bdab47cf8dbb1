"""The decision: from metrics, the user's tiers and the current tier, to a recommended tier.

Pure: data in, data out. The rules, in order:
1. Thresholds: a tier is reached when ANY of its thresholds is met; take the highest reached.
2. Still slow: slow_query_ms at or above [decision] still_slow_ms moves one tier above the
   current one (above the first tier when the current one is unknown).
3. Storage: db_size_mb past storage_share of a tier's storage_gb needs a tier with more storage.
4. Connections: db_connections past connections_share of the connection limit of the database
   plan render.yaml is on needs the first tier above the current one whose database plan allows
   more connections (a warning when none does).
5. Downgrades need a clear fall: the tier may go below the current one only as far as every
   metric stays under (1 - dead_band) x the thresholds of the tiers being left, and only when
   every metric those thresholds use was measured exactly: a lower bound or a single reading
   can move the tier up, never down.
A metric that could not be measured (None) never triggers anything and is reported as unknown.
The decision is uncertain when a threshold metric that is not exact (a lower bound, a single
reading, unknown) could, at its true value, reach a tier above the recommended one, or held a
downgrade back: Decision.uncertain_because says which, and a warning says it in every output.
"""

from typing import NamedTuple

from tier_cli.config.metric_table import (
    ACTIVE_USERS,
    DB_CONNECTIONS,
    DB_SIZE_MB,
    EXACT,
    METRIC_NAMES,
    QUALITY_WORDS,
    SLOW_QUERY_MS,
    UNKNOWN,
)
from tier_cli.config.tiers import Tier, TierConfig
from tier_cli.metrics.measured import Metrics
from tier_cli.notices import Notice, notice
from tier_cli.numbers import quantity

MB_PER_GB = 1024


class Reason(NamedTuple):
    """One fact that puts the recommendation where it is."""

    metric: str
    value: float
    threshold: float
    tier: str
    rule: str  # "threshold", "still_slow", "storage", "connections", "held", "below"

    def describe(self) -> str:
        v, t = quantity(self.value), quantity(self.threshold)
        if self.rule == "threshold":
            return f"{self.metric} {v} >= {t}: reaches {self.tier}"
        if self.rule == "still_slow":
            return f"{self.metric} {v} >= {t} (still slow on the current tier): up to {self.tier}"
        if self.rule == "storage":
            return f"{self.metric} {v} > {t} (storage share of the tier below): needs {self.tier}"
        if self.rule == "connections":
            return (
                f"{self.metric} {v} >= {t} (connections share of the database plan's limit): "
                f"needs {self.tier}"
            )
        if self.rule == "below":
            return f"{self.metric} {v} < {t} (clearly below its threshold): leaving {self.tier}"
        return f"{self.metric} {v} not clearly below {t}: staying on {self.tier} (dead band)"


class Headroom(NamedTuple):
    """How far a metric is from the next tier's threshold."""

    metric: str
    value: float | None
    threshold: float
    tier: str

    @property
    def remaining(self) -> float | None:
        return None if self.value is None else self.threshold - self.value


class ConnectionLimits(NamedTuple):
    """The database plans' connection limits (Render's catalogue), for rule 4."""

    current: int | None  # of the plan render.yaml's database is on
    tiers: tuple[int | None, ...]  # of each tier's database_plan, in the tiers' order


class Decision(NamedTuple):
    recommended: str
    current: str | None
    reasons: tuple[Reason, ...]
    headroom: tuple[Headroom, ...]
    unknown: tuple[str, ...]
    warnings: tuple[Notice, ...]
    change: str  # "up", "down", "none", or "unknown" when the current tier is unknown
    uncertain_because: tuple[str, ...] = ()  # why the true tier may differ; () when it cannot

    @property
    def uncertain(self) -> bool:
        return bool(self.uncertain_because)


def change(cur: int | None, recommended: int) -> str:
    """From tier rank `cur` to rank `recommended`: "up", "down", "none"; "unknown" without cur."""
    if cur is None:
        return "unknown"
    return "up" if recommended > cur else "down" if recommended < cur else "none"


def decide(
    metrics: Metrics,
    config: TierConfig,
    current: str | None,
    limits: ConnectionLimits | None = None,
) -> Decision:
    tiers = config.tiers
    policy = config.policy
    cur = None if current is None else config.rank(current)
    reasons: list[Reason] = []
    warnings: list[Notice] = []
    unknown = tuple(m for m in METRIC_NAMES if metrics.get(m) is None)

    reached = 0
    for i, tier in enumerate(tiers):
        for metric, threshold in tier.thresholds.items():
            value = metrics.get(metric)
            if value is not None and value >= threshold:
                reasons.append(Reason(metric, value, threshold, tier.name, "threshold"))
                reached = max(reached, i)

    slow = metrics.get(SLOW_QUERY_MS)
    if slow is not None and slow >= policy.still_slow_ms and len(tiers) > 1:
        up = min((0 if cur is None else cur) + 1, len(tiers) - 1)
        if cur == len(tiers) - 1:
            warnings.append(
                notice(
                    "no-tier-above",
                    f"{SLOW_QUERY_MS} {quantity(slow)} >= {quantity(policy.still_slow_ms)} on "
                    f"{tiers[cur].name}, the highest tier: there is no tier above it. Tip: find "
                    "the slow statements in pg_stat_statements and index them",
                )
            )
        reasons.append(
            Reason(SLOW_QUERY_MS, slow, policy.still_slow_ms, tiers[up].name, "still_slow")
        )
        reached = max(reached, up)

    size = metrics.get(DB_SIZE_MB)
    if size is not None:
        needed, limit = _storage_tier(tiers, size, policy.storage_share)
        if needed is None:
            warnings.append(
                notice(
                    "storage-beyond-tiers",
                    f"{DB_SIZE_MB} {quantity(size)} is past every tier's storage "
                    f"(x{policy.storage_share:g} share). Tip: raise storage_gb in {config.path}",
                    file=str(config.path),
                )
            )
            needed = len(tiers) - 1
        if needed > 0 and limit is not None and needed > reached:
            reasons.append(Reason(DB_SIZE_MB, size, limit, tiers[needed].name, "storage"))
        reached = max(reached, needed)

    conns = metrics.get(DB_CONNECTIONS)
    if conns is not None and limits is not None and limits.current and cur is not None:
        cap = limits.current * policy.connections_share
        more = _more_connections(limits, limits.current, cur)
        if conns >= cap and more is not None:
            if more > reached:
                reasons.append(Reason(DB_CONNECTIONS, conns, cap, tiers[more].name, "connections"))
            reached = max(reached, more)
        elif conns >= cap:
            warnings.append(
                notice(
                    "connections-beyond-tiers",
                    f"{DB_CONNECTIONS} {quantity(conns)} is past {policy.connections_share:g} of "
                    f"the {limits.current} connections of the database plan, and no tier above "
                    f"{tiers[cur].name} has a database plan with more. Tip: Render's connection "
                    "pooling (PgBouncer), smaller pools, or a database_plan with more connections "
                    f"in {config.path}",
                    file=str(config.path),
                )
            )

    recommended = reached
    doubts: list[str] = []
    if cur is not None and reached < cur:
        recommended, held, why = _downgrade(metrics, tiers, reached, cur, policy.dead_band)
        reasons.extend(held)
        warnings.extend(why)
        doubts += [w.message for w in why]
    doubts = _above(metrics, tiers, recommended) + doubts
    if doubts:
        warnings.append(
            notice(
                "uncertain-recommendation",
                f"the recommendation ({tiers[recommended].name}) is uncertain: "
                + "; ".join(doubts)
                + '. Tip: measure these metrics exactly (README, "Metrics")',
            )
        )

    capacity = policy.capacity_active_users
    active = metrics.get(ACTIVE_USERS)
    if capacity is not None and active is not None and active > capacity:
        warnings.append(
            notice(
                "beyond-capacity",
                f"{ACTIVE_USERS} {quantity(active)} is beyond the {quantity(capacity)} users the "
                f"highest tier ({tiers[-1].name}) is said to carry. Tip: plan past the guide: more "
                "instances (numInstances or scaling) and a larger database plan",
            )
        )

    return Decision(
        recommended=tiers[recommended].name,
        current=current,
        reasons=tuple(
            r for r in reasons if r.rule == "below" or config.rank(r.tier) <= recommended
        ),
        headroom=_headroom(metrics, tiers, recommended, policy.storage_share),
        unknown=unknown,
        warnings=tuple(warnings),
        change=change(cur, recommended),
        uncertain_because=tuple(doubts),
    )


def _above(metrics: Metrics, tiers: tuple[Tier, ...], at: int) -> list[str]:
    """Each threshold metric that is not exact and could, at its true value, reach a tier above
    ``at``: named once, with the first such tier. An unknown one could be anything; a lower bound
    or a single reading can only be higher than what was read."""
    out: list[str] = []
    seen: set[str] = set()
    for tier in tiers[at + 1 :]:
        for metric, threshold in tier.thresholds.items():
            quality = metrics.quality_of(metric)
            if quality == EXACT or metric in seen:
                continue
            seen.add(metric)
            value = metrics.get(metric)
            what = (
                f"{metric} is unknown"
                if quality == UNKNOWN
                else f"{metric} {quantity(value)} is {QUALITY_WORDS[quality]}"
            )
            out.append(f"{what}: its true value may reach {tier.name} ({quantity(threshold)})")
    return out


def _more_connections(limits: ConnectionLimits, current: int, cur: int) -> int | None:
    """The first tier above ``cur`` whose database plan allows more than ``current``."""
    return next(
        (i for i in range(cur + 1, len(limits.tiers)) if (limits.tiers[i] or 0) > current), None
    )


def _storage_tier(
    tiers: tuple[Tier, ...], size_mb: float, share: float
) -> tuple[int | None, float | None]:
    """The first tier whose storage holds size_mb within share, and the limit it passed."""
    limit: float | None = None
    for i, tier in enumerate(tiers):
        if tier.storage_gb is None:
            return i, limit
        cap = tier.storage_gb * MB_PER_GB * share
        if size_mb <= cap:
            return i, limit
        limit = cap
    return None, limit


def _downgrade(
    metrics: Metrics, tiers: tuple[Tier, ...], reached: int, cur: int, band: float
) -> tuple[int, list[Reason], list[Notice]]:
    """Step down from cur towards reached while each tier left is clearly out of reach."""
    level = cur
    fallen: list[Reason] = []  # why each tier left is left
    while level > reached:
        leaving = tiers[level]
        missing = [m for m in leaving.thresholds if metrics.get(m) is None]
        inexact = [
            f"{m} is {QUALITY_WORDS[metrics.quality_of(m)]}"
            for m in leaving.thresholds
            if m not in missing and metrics.quality_of(m) != EXACT
        ]
        if missing or inexact:
            why = ([f"{', '.join(missing)} could not be measured"] if missing else []) + inexact
            return (
                level,
                [],
                [
                    notice(
                        "downgrade-held",
                        f"staying on {leaving.name}: a downgrade needs every metric of its "
                        f"thresholds measured exactly, and {' and '.join(why)}",
                    )
                ],
            )
        near = [
            Reason(m, v, t * (1 - band), leaving.name, "held")
            for m, t in leaving.thresholds.items()
            if (v := metrics.get(m)) is not None and v >= t * (1 - band)
        ]
        if near:
            return level, near + fallen, []
        fallen += [
            Reason(m, v, t * (1 - band), leaving.name, "below")
            for m, t in leaving.thresholds.items()
            if (v := metrics.get(m)) is not None
        ]
        level -= 1
    return level, fallen, []


def _headroom(
    metrics: Metrics, tiers: tuple[Tier, ...], at: int, share: float
) -> tuple[Headroom, ...]:
    rows: list[Headroom] = []
    if at + 1 < len(tiers):
        nxt = tiers[at + 1]
        rows = [Headroom(m, metrics.get(m), t, nxt.name) for m, t in nxt.thresholds.items()]
    storage = tiers[at].storage_gb
    if storage is not None:
        rows.append(
            Headroom(
                DB_SIZE_MB, metrics.get(DB_SIZE_MB), storage * MB_PER_GB * share, tiers[at].name
            )
        )
    return tuple(rows)
