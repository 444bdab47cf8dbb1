"""The validator (config/validate.py) on real tiers.toml files: each kind of declaration in
config/schema.py with values it takes and values it refuses, and the whole message it gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tier_targets import with_scale_out

from tier_cli.config.catalogue import load_catalogue
from tier_cli.config.tiers import load_config
from tier_cli.errors import ConfigError
from tier_cli.notices import CODES

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "tiers.toml").read_text("utf-8")
SCALE_OUT = with_scale_out()
CAT = load_catalogue()


def edit(old: str, new: str, text: str = SHIPPED) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def scaled(old: str, new: str) -> str:
    """The scale-out tiers.toml with one edit of its [tier.web.scaling] table."""
    return edit(old, new, SCALE_OUT)


def web(table: str) -> str:
    """The scale-out tiers.toml with `table` (TOML text) after its [tier.web.scaling] table."""
    return scaled("targetCPUPercent = 70\n", "targetCPUPercent = 70\n" + table)


ACTIVITY = '[database.activity]\ntable = "events"\nuser_column = "user_id"\ntime_column = "at"\n'


def activity(extra: str, text: str = ACTIVITY) -> str:
    return edit("[database.queries]\n", text + extra + "\n[database.queries]\n")


PRO_THRESHOLD = "concurrent_users = 100 "  # the pro tier's last line before the next [[tier]]


def written(folder: Path, text: str) -> Path:
    path = folder / "tiers.toml"
    path.write_text(text, "utf-8")
    return path


def names(kind: str) -> str:
    return ", ".join(CAT.names(kind))  # type: ignore[arg-type]


# (id, tiers.toml text, the message after "<file>: ")
REFUSED = [
    # Text: a non-empty string, then its Musts; a Text may word its own message
    (
        "text-not-a-string",
        edit('application_name = "tier"', "application_name = 5"),
        "database.application_name: must be a non-empty string, got 5. Tip: put it in quotes",
    ),
    (
        "text-blank",
        edit('keyvalue_name = "cache"', 'keyvalue_name = "  "'),
        "render.keyvalue_name: must be a non-empty string, got '  '. Tip: put it in quotes",
    ),
    (
        "text-must",
        edit('# app = "main:app"', 'app = "main"'),
        "render.app: 'main' is not module:attribute. Tip: write it like \"main:app\"",
    ),
    (
        "text-second-must",
        edit('"uvicorn {app} --host', '"uvicorn {app} {port} --host'),
        "tier[free].start_command: has a placeholder other than {app}. Tip: use only {app}",
    ),
    (
        "text-own-wording",
        edit("[database.queries]\n", "[database.queries]\nusers = 1\n"),
        "database.queries.users: must be a SQL string. Tip: write a SELECT in quotes",
    ),
    # Number: a finite number, 0 or more, or above 0
    (
        "number-quoted",
        edit("still_slow_ms = 5000", 'still_slow_ms = "5000"'),
        "decision.still_slow_ms: must be a number, got '5000'. Tip: write a bare number without "
        "quotes",
    ),
    (
        "number-boolean",
        edit("storage_gb = 10\n", "storage_gb = true\n"),
        "tier[starter].storage_gb: must be a number, got True. Tip: write a bare number without "
        "quotes",
    ),
    (
        "number-infinite",
        edit("max_age_days = 7", "max_age_days = inf"),
        "snapshot.max_age_days: inf is not a finite number. Tip: write a number like 500",
    ),
    (
        "number-negative",
        edit("capacity_active_users = 100000", "capacity_active_users = -1"),
        "decision.capacity_active_users: -1 must be above 0. Tip: write a positive number",
    ),
    (
        "number-zero-where-above-0",
        edit("max_age_days = 7", "max_age_days = 0"),
        "snapshot.max_age_days: 0 must be above 0. Tip: write a positive number",
    ),
    (
        "number-too-big-for-a-float",
        edit("storage_gb = 10\n", "storage_gb = 1" + "0" * 400 + "\n"),
        "tier[1].storage_gb: a number too big for tier (401 digits). Tip: write a number below "
        "1e308",
    ),
    # Share: 0 to 1, each end as declared
    (
        "share-one-excluded",
        edit("downgrade_dead_band = 0.20", "downgrade_dead_band = 1"),
        "decision.downgrade_dead_band: 1 is not a share. Tip: a number from 0 to 0.99",
    ),
    (
        "share-zero-excluded",
        edit("connections_share = 0.80", "connections_share = 0"),
        "decision.connections_share: 0 is not a share. Tip: a number above 0, up to 1",
    ),
    (
        "share-above-one",
        edit("storage_share = 0.80", "storage_share = 1.01"),
        "decision.storage_share: 1.01 is not a share. Tip: a number above 0, up to 1",
    ),
    (
        "share-not-a-number",
        edit("storage_share = 0.80", 'storage_share = "80%"'),
        "decision.storage_share: must be a number, got '80%'. Tip: write a bare number without "
        "quotes",
    ),
    # Whole: 1 to its most, the default as the example
    (
        "whole-fraction",
        edit("active_days = 30", "active_days = 1.5"),
        "database.active_days: 1.5 is not a whole number above 0. Tip: e.g. 30",
    ),
    (
        "whole-zero",
        edit("concurrent_minutes = 5 ", "concurrent_minutes = 0 "),
        "database.concurrent_minutes: 0 is not a whole number above 0. Tip: e.g. 5",
    ),
    (
        "whole-above-most",
        edit("connect_timeout_s = 5 ", "connect_timeout_s = 31 "),
        "database.connect_timeout_s: 31 is more than 30 seconds, tier's limit. Tip: e.g. 5",
    ),
    (
        "whole-above-a-large-most",
        edit("slow_query_min_calls = 20", "slow_query_min_calls = 1_000_000_000_001"),
        "database.slow_query_min_calls: 1e+12 is more than 1,000,000,000,000 calls. Tip: e.g. 20",
    ),
    (
        "whole-in-a-nested-table",
        activity("lookback_days = 3651\n"),
        "database.activity.lookback_days: 3651 is more than 3,650 days (ten years). Tip: e.g. 7",
    ),
    # Count: an integer as Render takes it, within its range
    (
        "count-written-as-float",
        scaled("minInstances = 2", "minInstances = 2.0"),
        "tier[scale-out].web.scaling.minInstances: must be a whole number of 1 or more, got 2.0. "
        "Tip: write a bare number",
    ),
    (
        "count-below-low",
        edit(PRO_THRESHOLD, "concurrent_users = 100\n[tier.web]\nnumInstances = 0\n#"),
        "tier[pro].web.numInstances: must be a whole number of 1 or more, got 0. Tip: write a "
        "bare number",
    ),
    (
        "count-above-high",
        scaled("targetCPUPercent = 70", "targetCPUPercent = 91"),
        "tier[scale-out].web.scaling.targetCPUPercent: must be a whole number from 1 to 90, got "
        "91. Tip: write a bare number",
    ),
    # Plan: a string the catalogue knows for a plan of its kind
    (
        "plan-unknown",
        edit('keyvalue_plan = "starter"  ', 'keyvalue_plan = "huge"  '),
        f"tier[pro+redis].keyvalue_plan: 'huge' is not a Render keyvalue plan. Tip: use one of "
        f"{names('keyvalue')}",
    ),
    (
        "plan-not-a-string",
        edit('database_plan = "free"', "database_plan = 1"),
        "tier[free].database_plan: must be a non-empty string, got 1. Tip: put it in quotes",
    ),
    # Choice and Choices
    (
        "choice",
        edit("[database.quality]\n", '[database.quality]\nusers = "exactly"\n'),
        "database.quality.users: 'exactly' is not a quality. Tip: use one of \"exact\", "
        '"lower_bound", "single_reading"',
    ),
    (
        "choices-not-a-list",
        SHIPPED + '\n[warnings]\nignore = "price-differs"\n',
        'warnings.ignore: must be a list of warning codes. Tip: write ignore = ["price-differs"]',
    ),
    (
        "choices-one-unknown",
        SHIPPED + '\n[warnings]\nignore = ["size-differs", "price-differ"]\n',
        "warnings.ignore: unknown warning code 'price-differ'. Tip: use one of "
        + ", ".join(sorted(CODES)),
    ),
    # Blueprint: what a Render Blueprint field takes
    (
        "blueprint-time",
        web("[tier.web]\nhealthCheckPath = 10:00:00\n"),
        "tier[scale-out].web.healthCheckPath: is a date or time, which a Blueprint field does "
        "not take. Tip: write it in quotes",
    ),
    (
        "blueprint-nested-nan",
        web("[tier.web.buildFilter]\npaths = [nan]\n"),
        "tier[scale-out].web.buildFilter.paths[0]: nan is not a number Render accepts. Tip: "
        "write a finite number",
    ),
    # Table and Tables: the shape of a section
    (
        "table-not-a-table",
        edit("[database.queries]\n", 'activity = "events"\n[database.queries]\n'),
        "database.activity: must be a table. Tip: write it as [activity]",
    ),
    (
        "table-own-tip",
        edit(PRO_THRESHOLD, "concurrent_users = 100\n[tier.web]\nscaling = 3\n#"),
        "tier[pro].web.scaling: must be a table. Tip: write it as a [tier.web.scaling] table",
    ),
    (
        "tables-not-an-array",
        "tier = 5\n",
        "tier: must be an array of tables. Tip: write each tier as a [[tier]] table",
    ),
    # Keys a section does not take
    (
        "unknown-key-close-to-one",
        edit('keyvalue_name = "cache"', 'keyvalue_nam = "cache"'),
        "render.keyvalue_nam: unknown key. Tip: did you mean keyvalue_name? Else remove it or use "
        "one of app, database, keyvalue_name, service",
    ),
    (
        "unknown-key",
        edit("[snapshot]\n", "[snapshot]\nkeep = 3\n"),
        "snapshot.keep: unknown key. Tip: remove it or use one of history, max_age_days, path",
    ),
    (
        "unknown-key-at-the-top",
        SHIPPED + "\n[tiers]\nx = 1\n",
        "tiers: unknown key. Tip: did you mean tier? Else remove it or use one of database, "
        "decision, prices, render, snapshot, tier, warnings",
    ),
    (
        "unknown-entry",
        edit("active_users = 500 ", "visits = 500 "),
        "tier[starter].thresholds.visits: unknown metric. Tip: use one of users, active_users, "
        "concurrent_users, db_size_mb, slow_query_ms",
    ),
    (
        "unknown-entry-without-suggestion",
        edit("[database.queries]\n", '[database.queries]\nactive_user = "SELECT 1"\n'),
        "database.queries.active_user: unknown metric. Tip: use one of users, active_users, "
        "concurrent_users, db_size_mb, slow_query_ms, db_connections",
    ),
    (
        "refused-entry",
        web("[tier.web]\nenvVars = []\n"),
        "tier[scale-out].web.envVars: is not a field a tier may set. Tip: tier only adds "
        "REDIS_URL (keyvalue_plan); keep env vars in render.yaml",
    ),
    (
        "unknown-plan-entry",
        edit("[prices.postgres]\n", "[prices.postgres]\nmedium = 20\n"),
        f"prices.postgres.medium: unknown postgres plan. Tip: use one of {names('postgres')}",
    ),
    (
        "unknown-entry-listed-in-order",
        scaled("targetCPUPercent = 70", "targetCPUPercent = 70\ntargetCPU = 70"),
        "tier[scale-out].web.scaling.targetCPU: unknown scaling key. Tip: use one of "
        "minInstances, maxInstances, targetCPUPercent, targetMemoryPercent",
    ),
    # Required keys
    (
        "missing",
        edit('database_plan = "free"', "#"),
        'tier[free].database_plan: is missing. Tip: add database_plan = "..."',
    ),
    (
        "missing-the-key-that-names-the-entry",
        edit('name = "starter"', "#"),
        'tier[1].name: is missing. Tip: add name = "..."',
    ),
    (
        "missing-in-a-nested-table",
        activity("", ACTIVITY.replace('time_column = "at"\n', "")),
        'database.activity.time_column: is missing. Tip: add time_column = "..."',
    ),
    (
        "missing-with-its-own-problem",
        "[decision]\nstill_slow_ms = 1\n",
        "tier: no tiers declared. Tip: add [[tier]] tables, the lowest tier first",
    ),
    (
        "missing-with-its-own-tip",
        scaled("minInstances = 2", "#"),
        "tier[scale-out].web.scaling.minInstances: is missing. Tip: add minInstances = 2 (Render "
        "requires it)",
    ),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_a_value_the_declaration_refuses(tmp_path: Path, text: str, message: str) -> None:
    path = written(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, CAT)
    assert str(info.value) == f"{path}: {message}"
    assert info.value.exit_code == 2


# (id, tiers.toml text, what to read from the config, what it reads)
TAKEN = [
    (
        "share-ends",
        edit(
            "downgrade_dead_band = 0.20",
            "downgrade_dead_band = 0",
            edit("storage_share = 0.80", "storage_share = 1"),
        ),
        lambda c: (c.policy.dead_band, c.policy.storage_share),
        (0.0, 1.0),
    ),
    (
        "number-read-as-float",
        edit("still_slow_ms = 5000", "still_slow_ms = 250"),
        lambda c: repr(c.policy.still_slow_ms),
        "250.0",
    ),
    (
        "whole-written-as-float",
        edit("statement_timeout_ms = 5000", "statement_timeout_ms = 60000.0"),
        lambda c: repr(c.database.statement_timeout_ms),
        "60000",
    ),
    (
        "whole-at-its-most",
        edit("estimate_above_rows = 1000000", "estimate_above_rows = 9007199254740992"),
        lambda c: c.database.estimate_above_rows,
        2**53,
    ),
    (
        "count-ends",
        scaled("minInstances = 2", "minInstances = 1").replace(
            "targetCPUPercent = 70", "targetCPUPercent = 90"
        ),
        lambda c: dict(c.tier("scale-out").web["scaling"]),
        {"minInstances": 1, "maxInstances": 6, "targetCPUPercent": 90},
    ),
    (
        "table-keeps-the-file-order",
        scaled("minInstances = 2\n", "").replace(
            "targetCPUPercent = 70", "targetCPUPercent = 70\nminInstances = 2"
        ),
        lambda c: list(c.tier("scale-out").web["scaling"]),
        ["maxInstances", "targetCPUPercent", "minInstances"],
    ),
    (
        "plan-as-written",
        edit('web_plan = "starter"', 'web_plan = "Starter"'),
        lambda c: c.tier("starter").web_plan,
        "Starter",
    ),
    (
        "plan-entry-under-the-catalogue-name",
        edit("[prices.web]\n", '[prices.web]\n"4c-8g" = 170\n'),
        lambda c: dict(c.prices["web"]),
        {"pro plus": 170.0},
    ),
    (
        "text-passing-its-must",
        edit('# app = "main:app"', 'app = "src.main:app"'),
        lambda c: c.render.app,
        "src.main:app",
    ),
    (
        "choices-empty",
        SHIPPED + "\n[warnings]\nignore = []\n",
        lambda c: c.ignore_warnings,
        frozenset(),
    ),
    ("empty-table-says-nothing", activity("", ""), lambda c: c.database.activity, None),
    (
        "absent-key-is-the-default",
        edit("storage_share = 0.80\n", ""),
        lambda c: c.policy.storage_share,
        0.8,
    ),
]


@pytest.mark.parametrize(
    ("text", "read", "expected"), [c[1:] for c in TAKEN], ids=[c[0] for c in TAKEN]
)
def test_a_value_the_declaration_takes(tmp_path: Path, text: str, read: Any, expected: Any) -> None:
    assert read(load_config(written(tmp_path, text), CAT)) == expected
