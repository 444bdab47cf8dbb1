"""tiers.toml's settings that the other stages read: how to read the database ([database]),
which entries of render.yaml to act on ([render]), and what render.yaml should say for a tier."""

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple, Union

_EMPTY: Mapping[str, str] = MappingProxyType({})  # immutable defaults, safe to share


class ActivitySource(NamedTuple):
    """A table of user events ([database.activity]): the peak of concurrent users comes from it."""

    table: str  # possibly schema-qualified: "activity", "public.events"
    user_column: str
    time_column: str  # timestamptz of the event
    lookback_days: int = 7  # how far back the peak is looked for
    window_minutes: int = 5  # distinct users within one window are "concurrent"


class DatabaseSettings(NamedTuple):
    """How to read metrics from PostgreSQL safely (tiers.toml [database])."""

    connect_timeout_s: int = 5
    statement_timeout_ms: int = 5000
    application_name: str = "tier"
    active_days: int = 30
    concurrent_minutes: int = 5
    queries: Mapping[str, str] = _EMPTY  # metric name -> SQL replacing the default
    config_path: str = "tiers.toml"  # named in messages about the settings above
    activity: ActivitySource | None = None  # None: concurrent_users is a single reading
    estimate_above_rows: int = 1_000_000  # count(*) on a bigger table: the planner's estimate
    slow_query_warn_ms: int = 1000  # a metric query slower than this gets an index tip
    pool_per_worker: int = 15  # connections one web worker may open: SQLAlchemy's 5 + 10 overflow
    quality: Mapping[str, str] = _EMPTY  # [database.quality]: what a custom query gives
    slow_query_min_calls: int = 20  # slow_query_ms reads statements called at least this often


class KeyValueTarget(NamedTuple):
    """The Key Value (Redis) instance a tier needs."""

    name: str
    plan: str


# A Blueprint value a tier sets ([tier.web] in tiers.toml): a TOML scalar, a list (tuple) or a
# mapping (insertion-ordered, read-only).
FieldValue = Union[str, int, float, bool, tuple["FieldValue", ...], Mapping[str, "FieldValue"]]  # noqa: UP007


APP_PLACEHOLDER = "{app}"  # in a tier's start_command: the ASGI app, from the current command


class TierTarget(NamedTuple):
    """What render.yaml should say for one tier."""

    tier: str
    web_plan: str
    database_plan: str
    start_template: str  # contains "{app}", filled with the ASGI app from the current startCommand
    keyvalue: KeyValueTarget | None = None
    web: Mapping[str, FieldValue] = MappingProxyType({})  # other web service fields it sets
    managed: tuple[str, ...] = ()  # web fields some tier sets: removed when this one does not


class Selection(NamedTuple):
    """Which entries of render.yaml to act on, when the user names them (flag or tiers.toml)."""

    service: str | None = None
    database: str | None = None
    app: str | None = None  # the ASGI app to use when the startCommand cannot be understood
