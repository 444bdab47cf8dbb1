"""The picture of growth: each threshold metric's history against the tiers' thresholds, as a
Mermaid `xychart-beta` block (Markdown: step summary, pull request body and comment) and as a
sparkline (`tier recommend` on a terminal).

No decisions: the history and the thresholds come in as values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tier_cli.config.metric_table import BY_NAME, THRESHOLD_METRICS
from tier_cli.config.tiers import Tier
from tier_cli.decide.trend import MIN_POINTS, Trend
from tier_cli.numbers import quantity

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None]) -> str:
    """One block per value, scaled from the lowest to the highest; a gap for unknown."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    return "".join(
        " " if v is None else BARS[round((v - low) / span * (len(BARS) - 1))] for v in values
    )


def series(trend: Trend, metric: str) -> list[float | None]:
    return [m.get(metric) for m in trend.history]


def sparklines(trend: Trend) -> list[str]:
    """`active_users ▁▂▄█ 120 -> 812 (4 snapshots)` for each threshold metric with a history."""
    out = []
    for metric in THRESHOLD_METRICS:
        values = series(trend, metric)
        known = [v for v in values if v is not None]
        if len(known) < 2:
            continue
        out.append(
            f"{metric} {sparkline(values)} {quantity(known[0])} -> {quantity(known[-1])} "
            f"({len(trend.history)} snapshots)"
        )
    return out


def growth_markdown(trend: Trend | None, tiers: Sequence[Tier]) -> str:
    """A chart per threshold metric with MIN_POINTS or more known values, and the trend line;
    "" with less history."""
    if trend is None or len(trend.history) < MIN_POINTS:
        return ""
    charts = [c for metric in THRESHOLD_METRICS if (c := _chart(trend, metric, tiers))]
    if not charts:
        return ""
    return "**Growth**\n\n" + "\n".join(charts) + f"\n{_sentence(trend.note)}\n"


def _chart(trend: Trend, metric: str, tiers: Sequence[Tier]) -> str:
    values = series(trend, metric)
    known = [v for v in values if v is not None]
    if len(known) < MIN_POINTS:
        return ""
    top = max(known)
    lines = [(t.name, t.thresholds[metric]) for t in tiers if metric in t.thresholds]
    reached = [(name, v) for name, v in lines if v <= top]
    above = [(name, v) for name, v in lines if v > top][:1]  # the next one only: keeps the scale
    shown = reached + above
    ceiling = math.ceil(max([top, *(v for _, v in shown)]) * 1.1) or 1
    points = [v if v is not None else 0 for v in values]
    labels = ", ".join(f'"{m.collected_at:%m-%d}"' for m in trend.history if m.collected_at)
    unit = BY_NAME[metric].unit if metric in BY_NAME else ""
    body = [
        "```mermaid",
        "xychart-beta",
        f'    title "{metric}"',
        f"    x-axis [{labels}]",
        f'    y-axis "{unit}" 0 --> {_num(ceiling)}',
        f"    line [{', '.join(_num(v) for v in points)}]",
    ]
    body += [f"    line [{', '.join([_num(v)] * len(points))}]" for _, v in shown]
    body.append("```")
    legend = "; ".join(
        f"{name} at {quantity(v)}" + (" (reached)" if (name, v) in reached else "")
        for name, v in shown
    )
    return "\n".join(body) + f"\n\n{metric}: the first line; the flat ones are {legend}.\n"


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.2f}"


def _sentence(note: str) -> str:
    from tier_cli.output.escape import markdown

    return markdown(note[0].upper() + note[1:]) + "."
