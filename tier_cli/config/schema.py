"""What tiers.toml may say: each section's keys, the type of value each takes, its bounds and the
fix a message gives, read by the one validator (config/validate.py). Rules across keys (the
thresholds rise from tier to tier) are in config/rules.py; the section names the ones it runs.

The sections are declared from the innermost table out to the whole file (TIERS_TOML, last).
Adding a key to tiers.toml is a row here, a field of the value it fills (config/tiers.py,
config/settings.py), and a row of its section in docs/tiers-toml.md and in the JSON Schema
(tests/config/test_reference.py and test_schema.py hold them to these declarations).
"""

from __future__ import annotations

import re

from tier_cli.config import rules
from tier_cli.config.catalogue import KINDS
from tier_cli.config.metric_table import (
    BY_NAME,
    MEASURED_QUALITIES,
    METRIC_NAMES,
    THRESHOLD_METRICS,
)
from tier_cli.config.settings import APP_PLACEHOLDER, ActivitySource, DatabaseSettings
from tier_cli.config.validate import (
    Blueprint,
    Choice,
    Choices,
    Count,
    Key,
    Must,
    Names,
    Number,
    Plan,
    PlanNames,
    Section,
    Share,
    Table,
    Tables,
    Text,
    Whole,
)
from tier_cli.config.webfields import NOT_SETTABLE, SCALING_KEYS, SCALING_TARGETS, SERVICE_FIELDS
from tier_cli.notices import CODES

TIER_NAME = r"[a-z0-9+._-]+"  # tiers are data: any names, ordered as in the file

# [tier.web.scaling]: Render autoscaling, minInstances <= maxInstances, a CPU and/or memory target.
SCALING = Section(
    keys=(
        Key("minInstances", Count(1), missing="add minInstances = 2 (Render requires it)"),
        Key("maxInstances", Count(1), missing="add maxInstances = 2 (Render requires it)"),
        *(Key(target, Count(1, 90)) for target in SCALING_TARGETS),
    ),
    names=Names(SCALING_KEYS, "unknown scaling key", suggest=False),
    rules=(rules.min_not_above_max, rules.has_target),
)

# [tier.web]: other Render web service fields the tier sets, as values the editor can write.
WEB = Section(
    keys=(
        Key("numInstances", Count(1)),
        Key("scaling", Table(SCALING, "write it as a [tier.web.scaling] table")),
    ),
    names=Names(
        tuple(sorted(SERVICE_FIELDS, key=str.lower)),
        "is not a Render web service field",
        refused={key: ("is not a field a tier may set", tip) for key, tip in NOT_SETTABLE.items()},
    ),
    each=Blueprint(),
)

# [tier.thresholds]: metric = number; the tier is reached when any is met.
THRESHOLDS = Section(
    names=Names(
        THRESHOLD_METRICS,
        "unknown metric",
        refused={
            m.name: (
                f"takes no threshold: it is checked against the database plan's limit ({m.label})",
                "",
            )
            for m in BY_NAME.values()
            if m.name not in THRESHOLD_METRICS
        },
    ),
    each=Number(zero=False),
)

_TIER_NAME = Must(
    lambda name: re.fullmatch(TIER_NAME, name),
    "{value} is not a tier name",
    'use lowercase letters, digits and + . _ - (e.g. "pro+redis", "scale-out")',
)
_HAS_APP = Must(
    lambda command: APP_PLACEHOLDER in command,
    "has no {app} placeholder",
    "write the ASGI app as {app}, e.g. 'gunicorn {app} --workers 2 ...'; tier fills it from "
    "your current startCommand",
)
_ONLY_APP = Must(
    lambda command: "{" not in command.replace(APP_PLACEHOLDER, ""),
    "has a placeholder other than {app}",
    "use only {app}",
)

# [[tier]]: one tier; the lowest first.
TIER = Section(
    keys=(
        Key("name", Text((_TIER_NAME,)), missing='add name = "..."'),
        Key("web_plan", Plan("web"), missing='add web_plan = "..."'),
        Key("database_plan", Plan("postgres"), missing='add database_plan = "..."'),
        Key("keyvalue_plan", Plan("keyvalue")),
        Key("start_command", Text((_HAS_APP, _ONLY_APP)), missing='add start_command = "..."'),
        Key("thresholds", Table(THRESHOLDS)),
        Key("web_cpu", Number(zero=False)),  # what the user believes the web plan has
        Key("web_ram_gb", Number(zero=False)),
        Key("storage_gb", Number(zero=False)),
        Key("price_usd", Number()),
        Key("web", Table(WEB)),
    ),
    rules=(rules.not_on_free, rules.no_conflicts),
)

TIERS = Tables(
    TIER,
    name="name",
    tip="write each tier as a [[tier]] table",
    rules=(
        rules.names_unique,
        rules.floor_has_no_thresholds,
        rules.thresholds_rise,
        rules.storage_grows,
    ),
)

# [decision]
DECISION = Section(
    keys=(
        Key("max_tier", Text()),
        Key("pin", Text()),
        Key("downgrade_dead_band", Share(zero=True, one=False, tip="a number from 0 to 0.99")),
        Key("storage_share", Share(zero=False, one=True, tip="a number above 0, up to 1")),
        Key("connections_share", Share(zero=False, one=True, tip="a number above 0, up to 1")),
        Key("still_slow_ms", Number(zero=False)),
        Key("capacity_active_users", Number()),
        Key("max_monthly_usd", Number()),
    ),
    rules=(rules.known_tiers,),
)

# A whole-number setting's bounds: see DATABASE below. A message's example is its default.
_ACTIVITY = ActivitySource("", "", "")
_SCHEMA_TABLE = Must(
    lambda table: table.count(".") <= 1,
    "{value} has more than schema.table",
    'write "schema.table"',
)

# [database.activity]: a table of user events; absent or empty, no activity source.
ACTIVITY = Section(
    keys=(
        Key("table", Text((_SCHEMA_TABLE,)), missing='add table = "..."'),
        Key("user_column", Text(), missing='add user_column = "..."'),
        Key("time_column", Text(), missing='add time_column = "..."'),
        Key("lookback_days", Whole(3_650, "days (ten years)", _ACTIVITY.lookback_days)),
        Key("window_minutes", Whole(5_256_000, "minutes (ten years)", _ACTIVITY.window_minutes)),
    ),
    rules=(rules.window_within_lookback,),
)

# [database.queries]: metric = SQL replacing the default; [database.quality]: what it gives.
_METRICS = Names(METRIC_NAMES, "unknown metric", suggest=False)
QUERIES = Section(
    names=_METRICS, each=Text(wrong="must be a SQL string", tip="write a SELECT in quotes")
)
QUALITY = Section(
    names=_METRICS,
    each=Choice(
        MEASURED_QUALITIES,
        "{value} is not a quality",
        "use one of " + ", ".join(f'"{q}"' for q in MEASURED_QUALITIES),
    ),
)

# The largest value each whole-number setting may take: what PostgreSQL accepts (an int of
# milliseconds, make_interval's days), and far beyond any sensible setting. The two timeouts are
# bounds a pull request's tiers.toml cannot raise: a minute per statement, 30 s to connect. A
# message's example is the setting's default.
_DB = DatabaseSettings()
DATABASE = Section(
    keys=(
        Key("queries", Table(QUERIES)),
        Key("quality", Table(QUALITY)),
        Key(
            "connect_timeout_s",
            Whole(30, "seconds, tier's limit", _DB.connect_timeout_s),
        ),
        Key(
            "statement_timeout_ms",
            Whole(60_000, "milliseconds (a minute), tier's limit", _DB.statement_timeout_ms),
        ),
        Key("application_name", Text()),
        Key("active_days", Whole(36_500, "days (a hundred years)", _DB.active_days)),
        Key("concurrent_minutes", Whole(1_440, "minutes (a day)", _DB.concurrent_minutes)),
        Key("activity", Table(ACTIVITY)),
        Key("estimate_above_rows", Whole(2**53, "rows", _DB.estimate_above_rows)),
        Key(
            "slow_query_warn_ms",
            Whole(3_600_000, "milliseconds (an hour)", _DB.slow_query_warn_ms),
        ),
        Key("pool_per_worker", Whole(10_000, "connections", _DB.pool_per_worker)),
        Key("slow_query_min_calls", Whole(10**12, "calls", _DB.slow_query_min_calls)),
    )
)

# [render]: which entries of render.yaml to act on.
_MODULE_ATTRIBUTE = Must(
    lambda app: ":" in app, "{value} is not module:attribute", 'write it like "main:app"'
)
RENDER = Section(
    keys=(
        Key("app", Text((_MODULE_ATTRIBUTE,))),
        Key("service", Text()),
        Key("database", Text()),
        Key("keyvalue_name", Text()),
    )
)

# [snapshot]: paths relative to the folder of tiers.toml.
SNAPSHOT = Section(
    keys=(
        Key("max_age_days", Number(zero=False)),
        Key("path", Text()),
        Key("history", Text()),
    )
)

# [prices.web|postgres|keyvalue]: plan = $ a month, overriding the catalogue.
PRICES = Section(
    keys=tuple(Key(kind, Table(Section(names=PlanNames(kind), each=Number()))) for kind in KINDS)
)

# [warnings]: codes never shown.
_ANY_CODE = "use one of " + ", ".join(sorted(CODES))
WARNINGS = Section(
    keys=(
        Key(
            "ignore",
            Choices(
                Choice(CODES, "unknown warning code {value}", _ANY_CODE),
                "must be a list of warning codes",
                'write ignore = ["price-differs"]',
            ),
        ),
    )
)

TIERS_TOML = Section(
    keys=(
        Key(
            "tier",
            TIERS,
            missing="add [[tier]] tables, the lowest tier first",
            absent="no tiers declared",
        ),
        Key("decision", Table(DECISION)),
        Key("database", Table(DATABASE)),
        Key("render", Table(RENDER)),
        Key("snapshot", Table(SNAPSHOT)),
        Key("prices", Table(PRICES)),
        Key("warnings", Table(WARNINGS)),
    )
)
