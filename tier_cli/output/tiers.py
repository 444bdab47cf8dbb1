"""`tier tiers`: the user's tiers with Render's catalogue prices (price_usd, what the user
believes a tier costs, is compared in the warnings and shown in the JSON, not as a column)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from tier_cli.config.catalogue import Catalogue
from tier_cli.config.settings import FieldValue
from tier_cli.config.tiers import Tier, TierConfig
from tier_cli.decide.reality import reality_checks, tier_cost
from tier_cli.notices import Notice, unique
from tier_cli.numbers import quantity


def field_json(value: FieldValue) -> Any:
    """A [tier.web] value as plain JSON: mappings as objects, lists as arrays."""
    if isinstance(value, Mapping):
        return {key: field_json(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [field_json(item) for item in value]
    return value


def tiers_json(config: TierConfig, catalogue: Catalogue) -> dict[str, Any]:
    from tier_cli.contract import versioned

    return versioned(
        {
            "catalogue_as_of": catalogue.as_of,
            "tiers": [
                {
                    "name": t.name,
                    "thresholds": dict(t.thresholds),
                    "web_plan": t.web_plan,
                    "database_plan": t.database_plan,
                    "keyvalue_plan": t.keyvalue_plan,
                    "start_command": t.start_command,
                    "web": {key: field_json(value) for key, value in t.web.items()},
                    "storage_gb": t.storage_gb,
                    "price_usd": t.price_usd,
                    "catalogue_usd": tier_cost(t, config, catalogue).usd,
                    "warnings": [w.as_json() for w in _checks(t, config, catalogue)],
                }
                for t in config.tiers
            ],
        }
    )


def print_tiers(config: TierConfig, catalogue: Catalogue, out: IO[str]) -> None:
    from rich import box
    from rich.table import Table

    from tier_cli.output.report import console_for

    console = console_for(out)
    plain = not console.is_terminal
    table = Table(box=box.ASCII if plain else box.ROUNDED)
    for column in (
        "tier",
        "reached when (any)",
        "web",
        "database",
        "key value",
        "Render $",
    ):
        table.add_column(column)
    for t in config.tiers:
        when = ", ".join(f"{m} >= {quantity(v)}" for m, v in t.thresholds.items()) or "(floor)"
        cost = tier_cost(t, config, catalogue)
        table.add_row(
            t.name,
            when,
            " + ".join((t.web_plan, *t.web)),  # "pro + scaling": the [tier.web] fields
            t.database_plan,
            t.keyvalue_plan or "-",
            cost.describe(),
        )
    console.print(table)
    console.print(
        f"Render prices: catalogue of {catalogue.as_of}; override in [prices] of {config.path}",
        markup=False,
    )
    for t in config.tiers:
        for w in _checks(t, config, catalogue):
            console.print(f"{w.severity}: {w.text()}", markup=False)


def _checks(tier: Tier, config: TierConfig, catalogue: Catalogue) -> tuple[Notice, ...]:
    return unique(reality_checks(tier, config, catalogue), config.ignore_warnings)
