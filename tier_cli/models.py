"""Values that travel along the pipeline: config -> metrics -> decision -> edits -> report."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Union

from tier_cli.metrics.table import EXACT, METRIC_NAMES, SINGLE_READING, UNKNOWN
from tier_cli.notices import Notice, notice
from tier_cli.record import Record

__all__ = ["METRIC_NAMES"]  # defined by the metric table (metrics/table.py), kept here for imports


_EMPTY: Mapping[str, str] = MappingProxyType({})  # immutable defaults, safe to share


class Metrics(Record):
    """What was measured. A value of None means the metric could not be measured (unknown)."""

    values: Mapping[str, float | None]
    source: str  # where it came from, never with credentials: "postgresql://db.example/app", a path
    collected_at: datetime | None = None
    labels: Mapping[str, str] = _EMPTY  # metric -> "estimate", "single reading", ...
    advice: tuple[str, ...] = ()  # e.g. which index would make a slow or scanning query fast
    timings_ms: Mapping[str, float] = MappingProxyType({})  # metric -> how long reading it took
    quality: Mapping[str, str] = _EMPTY  # metric -> "exact", "lower_bound", "single_reading"

    def get(self, name: str) -> float | None:
        return self.values.get(name)

    def quality_of(self, name: str) -> str:
        """ "unknown" without a value; else what was recorded; else exact, but for a label
        "single reading" (a snapshot written before qualities were recorded)."""
        if self.get(name) is None:
            return UNKNOWN
        if found := self.quality.get(name):
            return found
        return SINGLE_READING if self.labels.get(name) == "single reading" else EXACT

    def qualities(self) -> dict[str, str]:
        """Every metric's quality, in the metric table's order (the JSON outputs)."""
        return {name: self.quality_of(name) for name in METRIC_NAMES}


class ActivitySource(Record):
    """A table of user events ([database.activity]): the peak of concurrent users comes from it."""

    table: str  # possibly schema-qualified: "activity", "public.events"
    user_column: str
    time_column: str  # timestamptz of the event
    lookback_days: int = 7  # how far back the peak is looked for
    window_minutes: int = 5  # distinct users within one window are "concurrent"


class DatabaseSettings(Record):
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


class KeyValueTarget(Record):
    """The Key Value (Redis) instance a tier needs."""

    name: str
    plan: str


# A Blueprint value a tier sets ([tier.web] in tiers.toml): a TOML scalar, a list (tuple) or a
# mapping (insertion-ordered, read-only).
FieldValue = Union[str, int, float, bool, tuple["FieldValue", ...], Mapping[str, "FieldValue"]]  # noqa: UP007


class TierTarget(Record):
    """What render.yaml should say for one tier."""

    tier: str
    web_plan: str
    database_plan: str
    start_template: str  # contains "{app}", filled with the ASGI app from the current startCommand
    keyvalue: KeyValueTarget | None = None
    web: Mapping[str, FieldValue] = MappingProxyType({})  # other web service fields it sets
    managed: tuple[str, ...] = ()  # web fields some tier sets: removed when this one does not


class Selection(Record):
    """Which entries of render.yaml to act on, when the user names them (flag or tiers.toml)."""

    service: str | None = None
    database: str | None = None
    app: str | None = None  # the ASGI app to use when the startCommand cannot be understood


class SchemaGuess(Record):
    """What `tier init` found in a database's schema (information_schema), for the metric SQL."""

    users_table: str | None  # schema-qualified, e.g. "public.users"; None: nothing likely found
    last_seen_column: str | None  # a timestamp column of last activity, e.g. "last_seen_at"
    created_column: str | None = None
    activity_table: str | None = None  # a table of events: one row per user action
    activity_user_column: str | None = None
    activity_time_column: str | None = None
    notes: tuple[str, ...] = ()  # what was looked at and why a choice was made
    users_rows: int | None = None  # rows in the users table, when counted
    # active_users from another table (the users table has no activity column): a user with a
    # row there within active_days, e.g. an access token created at login
    active_table: str | None = None
    active_user_column: str | None = None
    active_time_column: str | None = None
    active_login_only: bool = False  # the column active_users reads changes at login only
    activity_login_only: bool = False  # the activity table's rows are made at login only
    item_tables: tuple[str, ...] = ()  # tables with per-user times that are not events (orders)
    count_column: str | None = None  # a users column no secret is in: count(*)'s one grant
    candidates: tuple[str, ...] = ()  # every active_users source with its figures, best first


def leftover_keyvalue_note(name: str) -> Notice:
    """Said by `apply` (the editor) and `recommend` alike, so `check` can show it once."""
    return notice(
        "leftover-keyvalue",
        f"Key Value service `{name}` is no longer needed by this tier; tier never deletes it, and "
        "it stays in the monthly cost: remove it by hand if you no longer use it.",
    )


DATA = Path(__file__).with_name("data")  # files shipped in the package (a plain folder: no zip)
