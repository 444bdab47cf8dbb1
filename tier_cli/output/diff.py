"""Output of `tier diff`: the cost of render.yaml before and after, as text, JSON and Markdown.

No decisions: the rows and totals come in as values (decide/blueprint_cost.py). Text from
render.yaml (service names, plans) goes through escape.py for each format.
"""

from __future__ import annotations

from typing import Any

from tier_cli.contract import versioned
from tier_cli.decide.blueprint_cost import CostDiff, ResourceCost, Row
from tier_cli.numbers import quantity, usd
from tier_cli.output.escape import markdown, markdown_code, terminal
from tier_cli.output.report import number


class DiffReport:
    """A CostDiff with where it came from: render.yaml's path and the base ref."""

    def __init__(self, diff: CostDiff, render: str, base: str, as_of: str) -> None:
        self.diff, self.render, self.base, self.as_of = diff, render, base, as_of


def diff_json(r: DiffReport) -> dict[str, Any]:
    d = r.diff
    return versioned(
        {
            "render": r.render,
            "base": r.base,
            "monthly_usd": _money(d.total_before, d.total_after),
            "max_monthly_usd": _money(d.high_before, d.high_after),
            "at_least": d.floor,
            "unknown_prices": list(d.unknown),
            "services": [_row_json(row) for row in d.rows],
        }
    )


def _money(before: float | None, after: float | None) -> dict[str, Any]:
    delta = None if before is None or after is None else round(after - before, 2)
    return {
        "before": None if before is None else number(round(before, 2)),
        "after": None if after is None else number(round(after, 2)),
        "delta": None if delta is None else number(delta),
    }


def _row_json(row: Row) -> dict[str, Any]:
    before = None if row.before is None else row.before.cost.at_least
    after = None if row.after is None else row.after.cost.at_least
    return {
        "name": row.name,
        "type": row.type,
        "change": row.change,
        "before": _side_json(row.before),
        "after": _side_json(row.after),
        "monthly_usd": _money(before or 0.0, after or 0.0),
    }


def _side_json(r: ResourceCost | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "plan": r.plan,
        "instances": [r.instances.low, r.instances.high],
        "disk_gb": None if r.disk_gb is None else number(r.disk_gb),
        "usd": None if r.cost.usd is None else number(round(r.cost.usd, 2)),
        "max_usd": None if r.cost.high is None else number(round(r.cost.high, 2)),
        "at_least": r.cost.floor,
        "unknown_prices": list(r.cost.unknown),
        "text": r.cost.describe(),
    }


def _signed(value: float) -> str:
    if round(value, 2) == 0:
        return "$0"
    return ("-" if value < 0 else "+") + usd(abs(round(value, 2)))


def _total(value: float, floor: bool) -> str:
    return ("at least " if floor else "") + usd(round(value, 2))


def headline(r: DiffReport) -> str:
    d = r.diff
    return (
        f"monthly cost of {r.render}: {_total(d.total_before, d.floor_before)} at {r.base} -> "
        f"{_total(d.total_after, d.floor_after)} now ({_signed(d.delta)}/month)"
    )


def _side(r: ResourceCost | None) -> str:
    return "-" if r is None else r.cost.describe()


def diff_text(r: DiffReport) -> str:
    lines = [terminal(headline(r))]
    for row in r.diff.rows:
        if row.change == "same":
            continue
        lines.append(
            f"  {terminal(row.name)} ({row.type}, {row.change}): {terminal(_side(row.before))} "
            f"-> {terminal(_side(row.after))} ({_signed(row.delta)})"
        )
    if all(row.change == "same" for row in r.diff.rows):
        lines.append("  no billed change")
    lines += _footnotes(r)
    return "\n".join(lines) + "\n"


def _footnotes(r: DiffReport) -> list[str]:
    out = []
    if r.diff.unknown:
        out.append(
            "not counted, no known price: "
            + ", ".join(r.diff.unknown)
            + " (a cron job is billed by the time it runs)"
        )
    if r.diff.floor and not r.diff.unknown:
        out.append("a disk that grows on its own (storageAutoscalingEnabled) can cost more")
    return out


def diff_markdown(r: DiffReport) -> str:
    """The pull request comment: the totals, a table of what changed, the prices' date."""
    d = r.diff
    changed = [row for row in d.rows if row.change != "same"]
    title = (
        f"### tier: monthly cost of `{markdown_code(r.render)}`: "
        f"{_total(d.total_before, d.floor_before)} -> **{_total(d.total_after, d.floor_after)}** "
        f"({_signed(d.delta)}/month)\n\n"
    )
    if not changed:
        body = "No billed change to the services or databases.\n"
    else:
        rows = "\n".join(
            f"| {markdown(row.name)} | {row.type} | {row.change} | {markdown(_side(row.before))} "
            f"| {markdown(_side(row.after))} | {_signed(row.delta)} |"
            for row in changed
        )
        body = (
            "| resource | type | change | before | after | $/month |\n"
            "|---|---|---|---|---|---:|\n"
            f"{rows}\n"
            f"| **total** | | | {_total(d.total_before, d.floor_before)} | "
            f"{_total(d.total_after, d.floor_after)} | **{_signed(d.delta)}** |\n"
        )
    notes = "".join(f"\n{markdown(n)}\n" for n in _footnotes(r))
    unchanged = len(d.rows) - len(changed)
    same = f"\n{unchanged} resource(s) unchanged.\n" if changed and unchanged else ""
    base = markdown_code(r.base)
    return (
        f"{title}{body}{same}{notes}\n"
        f"<sub>Before: `{base}`; after: this pull request. Prices: tier's Render catalogue of "
        f"{r.as_of}, with the [prices] of tiers.toml; {quantity(len(d.rows))} resource(s); the "
        "lowest figure of a scaling range.</sub>\n"
    )


# `tier diff --format NAME`
def diff_json_text(r: DiffReport) -> str:
    import json

    return json.dumps(diff_json(r), indent=2) + "\n"


FORMATS = {"text": diff_text, "json": diff_json_text, "markdown": diff_markdown}
