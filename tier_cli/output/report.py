"""Output formatting: the recommendation as JSON and as text (rich on a terminal, plain when piped).

No decisions here, and no exit codes: only turning values into text.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from tier_cli.config.metric_table import EXACT, METRIC_NAMES, METRICS, QUALITY_WORDS, UNKNOWN
from tier_cli.config.tiers import TierConfig
from tier_cli.decide.advisor import Headroom, Reason
from tier_cli.decide.connections import Budget
from tier_cli.decide.costs import Cost
from tier_cli.decide.recommendation import Recommendation
from tier_cli.numbers import quantity
from tier_cli.output.escape import terminal

if TYPE_CHECKING:
    from tier_cli.decide.trend import Trend


def cost_json(cost: Cost | None) -> dict[str, Any] | None:
    """A monthly cost: its lowest figure, its highest (a scaling range), whether it is a floor
    ("at least": a plan without a known price, or a disk that grows), and the parts."""
    if cost is None:
        return None
    return {
        "usd": number(round(cost.at_least, 2)),
        "max_usd": None if cost.high is None else number(round(cost.high, 2)),
        "at_least": cost.floor,
        "unknown_prices": list(cost.unknown),
        "lines": [
            {
                "part": line.part,
                "plan": line.plan,
                "usd": line.usd,
                "count": number(line.low) if line.low == line.high else [line.low, line.high],
                "or_more": line.floor,
            }
            for line in cost.lines
        ],
        "text": cost.describe(),
    }


def recommendation_json(rec: Recommendation, trend: Trend | None = None) -> dict[str, Any]:
    from tier_cli.contract import versioned

    now = None if rec.cost_now is None else rec.cost_now.usd
    after = rec.cost_after.usd
    return versioned(
        {
            "recommended": rec.recommended,
            "current": rec.current,
            "needed": rec.needed,
            "capped_by": rec.capped_by,
            "pinned": rec.pinned,
            "target": rec.target,
            "change": rec.change,
            "service": None if rec.placement is None else rec.placement.service,
            "metrics": {name: number(rec.metrics.get(name)) for name in METRIC_NAMES},
            "metric_labels": dict(rec.metrics.labels),
            "quality": rec.metrics.qualities(),
            "uncertain": rec.decision.uncertain,
            "uncertain_because": list(rec.decision.uncertain_because),
            "units": {m.name: m.unit for m in METRICS},
            "timings_ms": dict(rec.metrics.timings_ms),
            "unknown": list(rec.decision.unknown),
            "source": rec.metrics.source,
            "collected_at": rec.metrics.collected_at.isoformat()
            if rec.metrics.collected_at
            else None,
            "reasons": [_reason_json(r) for r in rec.decision.reasons],
            "headroom": [_headroom_json(h) for h in rec.decision.headroom],
            "monthly_cost": {
                "current": now,
                "recommended": after,
                "change": None if now is None or after is None else round(after - now, 2),
                "current_detail": None if rec.cost_now is None else rec.cost_now.describe(),
                "recommended_detail": rec.cost_after.describe(),
                "current_cost": cost_json(rec.cost_now),
                "recommended_cost": cost_json(rec.cost_after),
            },
            "warnings": [w.as_json() for w in rec.warnings],
            "connection_budget": None if rec.budget is None else rec.budget.as_json(),
            "trend": None
            if trend is None
            else {
                "snapshots": trend.points,
                "days": round(trend.days, 1),
                "per_week": trend.per_week,
                "eta": None
                if trend.eta is None
                else {"tier": trend.eta.tier, "metric": trend.eta.metric, "weeks": trend.eta.weeks},
                "note": trend.note,
                "peaks": {
                    metric: {"value": number(value), "at": at.isoformat()}
                    for metric, (value, at) in trend.peaks.items()
                },
            },
        }
    )


def number(value: float | None) -> float | int | None:
    """Whole numbers as JSON integers (812, not 812.0)."""
    if value is None or value != int(value):
        return value
    return int(value)


def _reason_json(r: Reason) -> dict[str, Any]:
    return {
        "metric": r.metric,
        "value": number(r.value),
        "threshold": number(r.threshold),
        "tier": r.tier,
        "rule": r.rule,
        "text": r.describe(),
    }


def _headroom_json(h: Headroom) -> dict[str, Any]:
    return {
        "metric": h.metric,
        "value": number(h.value),
        "threshold": number(h.threshold),
        "tier": h.tier,
        "remaining": number(h.remaining),
    }


def cost_line(rec: Recommendation) -> str:
    after = rec.cost_after.describe()
    on = f"on {rec.target}" + (" (pinned)" if rec.pinned else "")
    if rec.cost_now is None:
        return f"monthly cost {on}: {after}"
    now, then = rec.cost_now.usd, rec.cost_after.usd
    ranged = any(
        c.high is not None and c.high != c.at_least for c in (rec.cost_now, rec.cost_after)
    )
    fewest = " at the fewest instances" if ranged else ""
    delta = "" if now is None or then is None else f" ({_signed(then - now)} $/month{fewest})"
    return f"monthly cost: now {rec.cost_now.describe()} -> {on} {after}{delta}"


def _signed(usd: float) -> str:
    return ("-" if usd < 0 else "+") + quantity(abs(usd))


def budget_line(b: Budget) -> str:
    limit = "an unknown limit" if b.limit is None else f"{b.limit:,}"
    other = f" + {b.other} other" if b.other else ""
    workers = f"{b.workers} worker" + ("s" if b.workers != 1 else "")
    instances = f"{b.instances} instance" + ("s" if b.instances != 1 else "")
    return (
        f"database connections on {b.tier}: {workers} x {instances} x {b.pool_per_worker} "
        f"(pool_per_worker){other} = {b.total:,} of {limit} (database plan {b.plan})"
    )


def print_recommendation(
    rec: Recommendation, config: TierConfig, out: IO[str], trend: Trend | None = None
) -> None:
    """Text report: a rich table on a terminal, plain ASCII when piped; NO_COLOR honoured."""
    from rich import box
    from rich.table import Table

    console = console_for(out)
    plain = not console.is_terminal
    if plain:
        console.width = max(console.width, 120)  # piped: no wrapping mid-cell
    table = Table(box=box.ASCII if plain else box.ROUNDED, title=None, show_edge=not plain)
    table.add_column("metric")
    table.add_column("value", justify="right")
    upper = config.tiers[1:]
    for tier in upper:
        table.add_column(tier.name, justify="right")
    table.add_column("note")
    reached = {(r.metric, r.tier) for r in rec.decision.reasons if r.rule == "threshold"}
    for name in METRIC_NAMES:
        value = rec.metrics.get(name)
        label = _note(rec.metrics.quality_of(name), rec.metrics.labels.get(name))
        if trend is not None and name in trend.peaks:
            peak, at = trend.peaks[name]
            seen = f"history peak {quantity(peak)} at {at.isoformat(timespec='minutes')}"
            label = f"{label}; {seen}" if label else seen
        cells = []
        for tier in upper:
            threshold = tier.thresholds.get(name)
            text = "" if threshold is None else quantity(threshold)
            if (name, tier.name) in reached and not plain:
                text = f"[bold red]{text}[/]"
            elif (name, tier.name) in reached:
                text += " *"
            cells.append(text)
        shown = quantity(value)
        table.add_row(
            name,
            shown if value is not None or plain else f"[dim]{shown}[/]",
            *cells,
            _escape(terminal(label or "")),
        )
    console.print(f"metrics: {terminal(rec.metrics.source)}" + _when(rec), markup=False)
    console.print(table)
    current = rec.current or "none (matches no tier)"
    arrow = {"up": "upgrade", "down": "downgrade", "none": "stay"}.get(rec.change, "")
    tag = "" if plain else "[bold green]"
    end = "" if plain else "[/]"
    console.print(f"current tier: {current}", markup=False)
    console.print(
        f"recommended tier: {tag}{rec.recommended}{end}" + (f" ({arrow})" if arrow else "")
    )
    if rec.capped_by:
        console.print(
            f"  (the metrics call for {rec.needed}; capped by {rec.capped_by})", markup=False
        )
    if rec.pinned:
        console.print(
            f"pinned tier: {rec.pinned} (tier apply and tier check hold render.yaml there)",
            markup=False,
        )
    for reason in rec.decision.reasons:
        console.print(f"  - {terminal(reason.describe())}", markup=False)
    if rec.decision.uncertain:
        console.print("  uncertain: " + "; ".join(rec.decision.uncertain_because), markup=False)
    for h in rec.decision.headroom:
        if h.remaining is not None:
            console.print(
                f"  headroom: {h.metric} {quantity(h.value)} of {quantity(h.threshold)} for "
                f"{h.tier} ({quantity(h.remaining)} to go)",
                markup=False,
            )
    console.print(cost_line(rec), markup=False)
    if rec.budget is not None:
        console.print(budget_line(rec.budget), markup=False)
    if trend is not None:
        console.print(trend.note, markup=False)
        if not plain:  # a picture for people at a terminal; piped output stays plain text
            from tier_cli.output.growth import sparklines

            for line in sparklines(trend):
                console.print(f"  {line}", markup=False)
    for warning in rec.warnings:
        label = f"{warning.severity}:"
        text = _escape(terminal(warning.text()))
        console.print((label if plain else f"[yellow]{label}[/]") + " " + text)


if TYPE_CHECKING:
    from rich.console import Console


def console_for(out: IO[str]) -> Console:
    """A rich console on `out` whose closed pipe (`tier recommend | head -1`) raises
    BrokenPipeError for the CLI to end quietly with 0, instead of rich's own exit 1."""
    from rich.console import Console

    class _PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    console = _PipeConsole(file=out, highlight=False, soft_wrap=True)
    if not console.is_terminal:
        # A pipe or a file has no width: rich would take 80 columns (or COLUMNS) and cut table
        # cells ("active_u…"). Wide enough for any row: every cell is printed whole.
        console.width = PIPE_WIDTH
    elif console.width < MIN_WIDTH:  # COLUMNS=0 would make rich print nothing
        console.width = 80
    return console


PIPE_WIDTH = 100_000
MIN_WIDTH = 40  # narrower than this, rich prints nothing or one letter a line


def _note(quality: str, label: str | None) -> str:
    """The note column: the quality when it is not exact (an unknown's reason says it), then
    the label."""
    shown = "" if quality in (EXACT, UNKNOWN) else QUALITY_WORDS[quality]
    if label and label.replace(" ", "_") != quality:
        return f"{shown}; {label}" if shown else label
    return shown or (quality if quality == UNKNOWN else "")


def _when(rec: Recommendation) -> str:
    at = rec.metrics.collected_at
    return "" if at is None else f" at {at.isoformat(timespec='seconds')}"


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
