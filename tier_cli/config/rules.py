"""What tiers.toml must say across keys, where one key's declaration cannot say it: each rule
is run by the validator (config/validate.py) on a section whose keys are already checked, named
in that section's declaration (config/schema.py)."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from tier_cli.config.metric_table import THRESHOLD_METRICS
from tier_cli.config.settings import ActivitySource
from tier_cli.config.validate import Context, fail
from tier_cli.config.webfields import CONFLICTS, NOT_ON_FREE, SCALING_TARGETS

Checked = Mapping[str, Any]  # a table as the validator hands it on


# --- [[tier]], all of them ----------------------------------------------------------------------


def names_unique(tiers: tuple[Checked, ...], at: str, ctx: Context) -> None:
    names = [t["name"] for t in tiers]
    for name in names:
        if names.count(name) > 1:
            fail(f"{at}[{name}]", "is declared twice", "keep one [[tier]] per name")


def floor_has_no_thresholds(tiers: tuple[Checked, ...], at: str, ctx: Context) -> None:
    if tiers[0].get("thresholds"):
        fail(
            f"{at}[{tiers[0]['name']}].thresholds",
            "the first tier is the floor and takes no thresholds",
            "remove them; a tier's thresholds say when to move up to it",
        )


def thresholds_rise(tiers: tuple[Checked, ...], at: str, ctx: Context) -> None:
    for metric in THRESHOLD_METRICS:
        previous: Checked | None = None
        for tier in tiers:
            value = tier.get("thresholds", {}).get(metric)
            if value is None:
                continue
            if previous is not None and value <= previous["thresholds"][metric]:
                fail(
                    f"{at}[{tier['name']}].thresholds.{metric}",
                    f"{value:g} is not above tier {previous['name']}'s "
                    f"{previous['thresholds'][metric]:g}",
                    "thresholds must rise from tier to tier",
                )
            previous = tier


def storage_grows(tiers: tuple[Checked, ...], at: str, ctx: Context) -> None:
    for lower, upper in pairwise(tiers):
        low, high = lower.get("storage_gb"), upper.get("storage_gb")
        if low and high and high < low:
            fail(
                f"{at}[{upper['name']}].storage_gb",
                f"{high:g} is below tier {lower['name']}'s {low:g}",
                "storage must not shrink from tier to tier",
            )


# --- one [[tier]] and its [tier.web] ------------------------------------------------------------


def not_on_free(tier: Checked, at: str, ctx: Context) -> None:
    """No field the free web plan lacks on a tier whose web plan is free."""
    plan = ctx.catalogue.find("web", tier["web_plan"])
    if plan is None or plan.name != "free":
        return
    for key in NOT_ON_FREE:
        if key in tier.get("web", {}):
            fail(
                f"{at}.web.{key}",
                f"Render offers no {key} on the free web plan ({tier['web_plan']})",
                f"set a paid web_plan for this tier, or remove [{at}.web.{key}]",
            )


def no_conflicts(tier: Checked, at: str, ctx: Context) -> None:
    web = tier.get("web", {})
    for conflict in CONFLICTS:
        if conflict.field in web and conflict.other in web:
            fail(
                f"{at}.web.{conflict.other}",
                conflict.why,
                f"set {conflict.field} or {conflict.other} in a tier, not both",
            )


def min_not_above_max(scaling: Checked, at: str, ctx: Context) -> None:
    if scaling["minInstances"] > scaling["maxInstances"]:
        fail(
            f"{at}.maxInstances",
            f"{scaling['maxInstances']} is below minInstances {scaling['minInstances']}",
            "maxInstances must be at least minInstances",
        )


def has_target(scaling: Checked, at: str, ctx: Context) -> None:
    if not any(key in scaling for key in SCALING_TARGETS):
        fail(at, "has no target", "add targetCPUPercent = 70 and/or targetMemoryPercent")


# --- the other sections -------------------------------------------------------------------------


def known_tiers(decision: Checked, at: str, ctx: Context) -> None:
    """max_tier and pin name tiers of the file."""
    names = [t["name"] for t in ctx.document["tier"]]
    for key in ("max_tier", "pin"):
        named = decision.get(key)
        if named is not None and named not in names:
            fail(f"{at}.{key}", f"unknown tier {named!r}", "use one of " + ", ".join(names))


def window_within_lookback(activity: Checked, at: str, ctx: Context) -> None:
    source = ActivitySource(**activity)  # its defaults for what the file leaves out
    if source.window_minutes > source.lookback_days * 24 * 60:
        fail(
            f"{at}.window_minutes",
            f"{source.window_minutes} minutes is longer than lookback_days",
            "a window of minutes (5) within a lookback of days (7)",
        )
