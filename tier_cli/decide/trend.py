"""Growth from the snapshot history: per week, and when the next tier's thresholds will be met.

Pure. A least-squares line through the history's points for each metric; with fewer than
MIN_POINTS snapshots or less than MIN_DAYS between the first and the last, it says so instead.
"""

import math
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from tier_cli.config.metric_table import BY_NAME, METRICS
from tier_cli.config.tiers import Tier
from tier_cli.metrics.measured import Metrics
from tier_cli.numbers import quantity

MIN_POINTS = 3
MIN_DAYS = 7.0
DAY_S = 86_400.0


class Eta(NamedTuple):
    tier: str
    metric: str
    threshold: float
    weeks: float

    def describe(self) -> str:
        return (
            f"{self.tier} in {_span(self.weeks)} ({self.metric} reaches {quantity(self.threshold)})"
        )


class Trend(NamedTuple):
    points: int
    days: float
    per_week: dict[str, float]  # metric -> growth per week; empty when too little history
    eta: Eta | None
    note: str  # one line for people
    peaks: dict[str, tuple[float, datetime]] = {}  # noqa: RUF012  # metric -> highest, when
    history: tuple[Metrics, ...] = ()  # the snapshots, oldest first (the growth picture)


def history_peaks(points: Sequence[Metrics]) -> dict[str, tuple[float, datetime]]:
    """For each metric the table marks history_peak: its highest value and when (latest wins)."""
    out: dict[str, tuple[float, datetime]] = {}
    for metric in (m.name for m in METRICS if m.history_peak):
        seen = [(v, _at(p)) for p in points if (v := p.get(metric)) is not None]
        if seen:
            out[metric] = max(seen)
    return out


def trend(history: Sequence[Metrics], latest: Metrics, next_tier: Tier | None) -> Trend:
    points = sorted((m for m in history if m.collected_at is not None), key=_at)
    peaks = history_peaks(points)
    days = (_at(points[-1]) - _at(points[0])).total_seconds() / DAY_S if points else 0.0
    if len(points) < MIN_POINTS or days < MIN_DAYS:
        return Trend(
            len(points),
            days,
            {},
            None,
            f"too little history for a trend: {len(points)} snapshot(s) over {days:.0f} day(s); "
            f"it needs {MIN_POINTS} over {MIN_DAYS:.0f} days (run `tier snapshot` regularly)",
            peaks,
            tuple(points),
        )
    start = _at(points[0])
    per_week: dict[str, float] = {}
    for metric in latest.values:
        xy = [
            ((_at(p) - start).total_seconds() / DAY_S, v)
            for p in points
            if (v := p.get(metric)) is not None
        ]
        slope = _slope(xy) * 7 if len(xy) >= MIN_POINTS else math.nan
        if math.isfinite(slope):  # values near a float's limit overflow the sums: no trend
            per_week[metric] = slope
    eta = _eta(per_week, latest, next_tier)
    growth = ", ".join(
        f"{m} {g:+,.1f}/week" for m, g in per_week.items() if m in BY_NAME and BY_NAME[m].trend
    )
    note = f"growth over {days:.0f} days ({len(points)} snapshots): {growth or 'none measured'}"
    if next_tier is not None:
        note += "; " + (eta.describe() if eta else f"{next_tier.name} not reached at this pace")
    return Trend(len(points), days, per_week, eta, note, peaks, tuple(points))


def _eta(per_week: dict[str, float], latest: Metrics, tier: Tier | None) -> Eta | None:
    if tier is None:
        return None
    best: Eta | None = None
    for metric, threshold in tier.thresholds.items():
        value, growth = latest.get(metric), per_week.get(metric, 0.0)
        if value is None or not growth > 0:
            continue
        weeks = max(threshold - value, 0.0) / growth
        if not math.isfinite(weeks):
            continue
        if best is None or weeks < best.weeks:
            best = Eta(tier.name, metric, threshold, weeks)
    return best


def _slope(xy: list[tuple[float, float]]) -> float:
    n = len(xy)
    mx = sum(x for x, _ in xy) / n
    my = sum(y for _, y in xy) / n
    sxx = sum((x - mx) ** 2 for x, _ in xy)
    if sxx == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in xy) / sxx


def _at(m: Metrics) -> datetime:
    assert m.collected_at is not None
    return m.collected_at


def _span(weeks: float) -> str:
    if weeks < 1:
        return f"~{max(round(weeks * 7), 1)} days" if weeks > 0 else "now"
    if weeks > 104:
        return "over two years"
    return f"~{round(weeks)} weeks" if round(weeks) != 1 else "~1 week"
