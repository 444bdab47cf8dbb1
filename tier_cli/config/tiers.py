"""tiers.toml: load it, validate all of it, and hand back frozen values.

Every problem is one ConfigError line: `tiers.toml: <key path>: <what is wrong>. Tip: <the fix>`.
"""

from __future__ import annotations

import datetime
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, NoReturn

from tier_cli.config.catalogue import KINDS, Catalogue, Kind
from tier_cli.config.metric_table import (
    BY_NAME,
    MEASURED_QUALITIES,
    METRIC_NAMES,
    THRESHOLD_METRICS,
)
from tier_cli.config.paths import inside_project
from tier_cli.config.settings import (
    APP_PLACEHOLDER,
    ActivitySource,
    DatabaseSettings,
    FieldValue,
    KeyValueTarget,
    Selection,
    TierTarget,
)
from tier_cli.config.webfields import (
    CONFLICTS,
    NOT_ON_FREE,
    NOT_SETTABLE,
    SCALING_KEYS,
    SCALING_TARGETS,
    SERVICE_FIELDS,
)
from tier_cli.errors import ConfigError
from tier_cli.notices import CODES
from tier_cli.textio import TIERS_LIMIT, NotRegularFile, OutsideProject, read_file, without_bom

TIER_NAME = re.compile(r"[a-z0-9+._-]+")  # tiers are data: any names, ordered as in the file
_EMPTY_FIELDS: Mapping[str, FieldValue] = MappingProxyType({})


class Tier(NamedTuple):
    name: str
    web_plan: str
    database_plan: str
    start_command: str  # a template with {app}
    thresholds: Mapping[str, float]  # reached when ANY is met
    keyvalue_plan: str | None = None  # set: the tier needs a Key Value (Redis) instance
    storage_gb: float | None = None  # database storage the tier's plan gives
    price_usd: float | None = None  # what the user believes the tier costs a month
    web_cpu: float | None = None  # what the user believes the web plan has (the guide's words)
    web_ram_gb: float | None = None
    web: Mapping[str, FieldValue] = _EMPTY_FIELDS  # [tier.web]: other web service fields

    @property
    def web_instances(self) -> int:
        """Web instances billed at least: scaling's minInstances, else numInstances, else 1."""
        return self._instances("minInstances")

    @property
    def max_web_instances(self) -> int:
        """Web instances at most (each opens its own database connections): scaling's
        maxInstances, else numInstances, else 1."""
        return self._instances("maxInstances")

    def _instances(self, bound: str) -> int:
        scaling = self.web.get("scaling")
        count = scaling.get(bound) if isinstance(scaling, Mapping) else None
        count = self.web.get("numInstances") if count is None else count
        return count if isinstance(count, int) and not isinstance(count, bool) else 1


class Policy(NamedTuple):
    """How the advisor turns readings into a tier ([decision])."""

    dead_band: float = 0.2  # downgrade only when metrics are this far below the lower threshold
    storage_share: float = 0.8  # db_size_mb past this share of the tier's storage moves up
    connections_share: float = 0.8  # db_connections past this share of the plan's limit moves up
    still_slow_ms: float = 5000.0  # slow_query_ms at or above this moves one tier up
    capacity_active_users: float | None = 100_000.0  # what the highest tier is said to carry
    max_tier: str | None = None  # never recommend above this tier
    max_monthly_usd: float | None = None  # never recommend a tier costing more than this
    pin: str | None = None  # hold render.yaml on this tier whatever the metrics say


class SnapshotSettings(NamedTuple):
    """Where `tier snapshot` writes, and how old a snapshot may get ([snapshot])."""

    path: str = ".tier/metrics.json"  # relative to the folder of tiers.toml
    history: str = ".tier/history.jsonl"
    max_age_days: float = 7.0


class RenderSettings(NamedTuple):
    service: str | None = None
    database: str | None = None
    app: str | None = None
    keyvalue_name: str = "cache"


class TierConfig(NamedTuple):
    path: str
    tiers: tuple[Tier, ...]
    policy: Policy = Policy()
    database: DatabaseSettings = DatabaseSettings()
    render: RenderSettings = RenderSettings()
    snapshot: SnapshotSettings = SnapshotSettings()
    prices: Mapping[str, Mapping[str, float]] = MappingProxyType(
        {}
    )  # kind -> plan name -> $/month, overriding the catalogue
    ignore_warnings: frozenset[str] = frozenset()  # [warnings] ignore: codes never shown

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tiers)

    def rank(self, name: str) -> int:
        """The position of a tier, from 0 for the first (the floor)."""
        return self.names.index(name)

    def tier(self, name: str) -> Tier:
        return self.tiers[self.rank(name)]

    @property
    def managed(self) -> tuple[str, ...]:
        """Web service fields some tier sets ([tier.web]), in the order the file first sets them:
        the editor writes them for the tiers that set them and removes them for the others."""
        return tuple(dict.fromkeys(field for t in self.tiers for field in t.web))

    def target(self, name: str) -> TierTarget:
        t = self.tier(name)
        kv = KeyValueTarget(self.render.keyvalue_name, t.keyvalue_plan) if t.keyvalue_plan else None
        return TierTarget(
            t.name, t.web_plan, t.database_plan, t.start_command, kv, t.web, self.managed
        )

    def selection(self, service: str | None = None) -> Selection:
        return Selection(service or self.render.service, self.render.database, self.render.app)


# --- loading -----------------------------------------------------------------------------------


def load_config(path: Path, catalogue: Catalogue) -> TierConfig:
    name = str(path)
    try:
        data = read_file(path, TIERS_LIMIT)
    except FileNotFoundError:
        raise ConfigError(
            f"{name}: not found. Tip: pass --tiers PATH, or run `tier init` to write one"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: is a folder. Tip: pass --tiers PATH/tiers.toml") from None
    except (NotRegularFile, OutsideProject) as exc:
        raise ConfigError(f"{name}: {exc}. Tip: pass --tiers PATH of a tiers.toml file") from None
    except OSError as exc:
        raise ConfigError(
            f"{name}: cannot be read ({exc.strerror}). Tip: check the path and its permissions"
        ) from None
    try:
        raw = tomllib.loads(without_bom(data).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{name}: not UTF-8 (byte {exc.start}). Tip: save the file as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: invalid TOML: {exc}. Tip: fix the syntax there") from None
    except RecursionError:
        raise ConfigError(
            f"{name}: nested too deeply to be a tiers.toml. Tip: check it for runaway brackets"
        ) from None
    _check_float_range(raw, name)
    config = parse_config(raw, name, catalogue)
    inside_project(path, config.snapshot.path, "snapshot.path")
    inside_project(path, config.snapshot.history, "snapshot.history")
    return config


def _check_float_range(raw: Any, name: str, at: str = "") -> None:
    """ConfigError naming the first integer too big for a float (TOML integers have no bound;
    every number of tier's is compared as a float)."""
    stack: list[tuple[str, Any]] = [(at, raw)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            try:
                float(value)
            except OverflowError:
                raise ConfigError(
                    f"{name}: {path}: a number too big for tier ({len(str(abs(value)))} "
                    "digits). Tip: write a number below 1e308"
                ) from None


def parse_config(raw: Mapping[str, Any], name: str, catalogue: Catalogue) -> TierConfig:
    r = _Reader(name)
    r.keys(raw, "", {"tier", "decision", "database", "render", "snapshot", "prices", "warnings"})
    tiers = _tiers(r, raw.get("tier"), catalogue)
    return TierConfig(
        path=name,
        tiers=tiers,
        policy=_policy(r, r.table(raw, "decision"), tuple(t.name for t in tiers)),
        database=_database(r, r.table(raw, "database")),
        render=_render(r, r.table(raw, "render")),
        snapshot=_snapshot(r, r.table(raw, "snapshot")),
        prices=_prices(r, r.table(raw, "prices"), catalogue),
        ignore_warnings=_ignored(r, r.table(raw, "warnings")),
    )


def _ignored(r: _Reader, raw: Mapping[str, Any]) -> frozenset[str]:
    at = "warnings"
    r.keys(raw, at, {"ignore"})
    codes = raw.get("ignore", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        r.fail(
            f"{at}.ignore", "must be a list of warning codes", 'write ignore = ["price-differs"]'
        )
    for code in codes:
        if code not in CODES:
            r.fail(
                f"{at}.ignore",
                f"unknown warning code {code!r}",
                "use one of " + ", ".join(sorted(CODES)),
            )
    return frozenset(codes)


def _tiers(r: _Reader, raw: Any, catalogue: Catalogue) -> tuple[Tier, ...]:
    if raw is None:
        r.fail("tier", "no tiers declared", "add [[tier]] tables, the lowest tier first")
    if not isinstance(raw, list) or not raw or not all(isinstance(t, dict) for t in raw):
        r.fail("tier", "must be an array of tables", "write each tier as a [[tier]] table")
    tiers = [_tier(r, i, t, catalogue) for i, t in enumerate(raw)]
    names = [t.name for t in tiers]
    for tier in tiers:
        if names.count(tier.name) > 1:
            r.fail(f"tier[{tier.name}]", "is declared twice", "keep one [[tier]] per name")
    if tiers[0].thresholds:
        r.fail(
            f"tier[{tiers[0].name}].thresholds",
            "the first tier is the floor and takes no thresholds",
            "remove them; a tier's thresholds say when to move up to it",
        )
    _check_rising(r, tiers)
    return tuple(tiers)


_TIER_KEYS = {
    "name",
    "web_plan",
    "database_plan",
    "start_command",
    "thresholds",
    "keyvalue_plan",
    "storage_gb",
    "price_usd",
    "web_cpu",
    "web_ram_gb",
    "web",
}


def _tier(r: _Reader, i: int, raw: Mapping[str, Any], catalogue: Catalogue) -> Tier:
    name = r.string(raw, f"tier[{i}]", "name", required=True)
    assert name is not None
    if not TIER_NAME.fullmatch(name):
        r.fail(
            f"tier[{i}].name",
            f"{name!r} is not a tier name",
            'use lowercase letters, digits and + . _ - (e.g. "pro+redis", "scale-out")',
        )
    at = f"tier[{name}]"
    r.keys(raw, at, _TIER_KEYS)
    web = r.plan(raw, at, "web_plan", "web", catalogue, required=True)
    db = r.plan(raw, at, "database_plan", "postgres", catalogue, required=True)
    kv = r.plan(raw, at, "keyvalue_plan", "keyvalue", catalogue)
    command = r.string(raw, at, "start_command", required=True)
    assert web is not None and db is not None and command is not None
    if APP_PLACEHOLDER not in command:
        r.fail(
            f"{at}.start_command",
            "has no {app} placeholder",
            "write the ASGI app as {app}, e.g. 'gunicorn {app} --workers 2 ...'; tier fills it "
            "from your current startCommand",
        )
    if "{" in command.replace(APP_PLACEHOLDER, ""):
        r.fail(f"{at}.start_command", "has a placeholder other than {app}", "use only {app}")
    thresholds_raw = r.table(raw, "thresholds", at=at)
    thresholds: dict[str, float] = {}
    for metric, value in thresholds_raw.items():
        if metric not in THRESHOLD_METRICS:
            r.fail(
                f"{at}.thresholds.{metric}",
                "unknown metric"
                if metric not in BY_NAME
                else f"takes no threshold: it is checked against the database plan's limit "
                f"({BY_NAME[metric].label})",
                did_you_mean(metric, THRESHOLD_METRICS)
                + "use one of "
                + ", ".join(THRESHOLD_METRICS),
            )
        thresholds[metric] = r.positive(value, f"{at}.thresholds.{metric}")
    beliefs = {key: r.number(raw, at, key) for key in ("web_cpu", "web_ram_gb")}
    for key, value in beliefs.items():
        if value is not None:
            r.positive(value, f"{at}.{key}")
    storage = r.number(raw, at, "storage_gb")
    if storage is not None:
        storage = r.positive(storage, f"{at}.storage_gb")
    price = r.number(raw, at, "price_usd")
    web_fields = _web_fields(r, r.table(raw, "web", at=at), at, web, catalogue)
    return Tier(
        name=name,
        web_plan=web,
        database_plan=db,
        start_command=command,
        thresholds=MappingProxyType(thresholds),
        keyvalue_plan=kv,
        storage_gb=storage,
        price_usd=price,
        web_cpu=beliefs["web_cpu"],
        web_ram_gb=beliefs["web_ram_gb"],
        web=web_fields,
    )


def _web_fields(
    r: _Reader, raw: Mapping[str, Any], at: str, web_plan: str, catalogue: Catalogue
) -> Mapping[str, FieldValue]:
    """[tier.web]: Render web service fields the tier sets, as values the editor can write."""
    at = f"{at}.web"
    fields: dict[str, FieldValue] = {}
    for key, value in raw.items():
        if key in NOT_SETTABLE:
            r.fail(f"{at}.{key}", "is not a field a tier may set", NOT_SETTABLE[key])
        if key not in SERVICE_FIELDS:
            r.fail(
                f"{at}.{key}",
                "is not a Render web service field",
                did_you_mean(key, SERVICE_FIELDS)
                + "use one of "
                + ", ".join(sorted(SERVICE_FIELDS, key=str.lower)),
            )
        fields[key] = _field_value(r, value, f"{at}.{key}")
    if "numInstances" in fields:
        _whole(r, fields["numInstances"], f"{at}.numInstances", 1, None)
    if "scaling" in fields:
        _scaling(r, fields["scaling"], f"{at}.scaling")
    plan = catalogue.find("web", web_plan)
    if plan is not None and plan.name == "free":
        for key in NOT_ON_FREE:
            if key in fields:
                r.fail(
                    f"{at}.{key}",
                    f"Render offers no {key} on the free web plan ({web_plan})",
                    f"set a paid web_plan for this tier, or remove [{at}.{key}]",
                )
    for conflict in CONFLICTS:
        if conflict.field in fields and conflict.other in fields:
            r.fail(
                f"{at}.{conflict.other}",
                f"{conflict.why}",
                f"set {conflict.field} or {conflict.other} in a tier, not both",
            )
    return MappingProxyType(fields)


def _field_value(r: _Reader, value: Any, path: str) -> FieldValue:
    """A TOML value as a Blueprint value: scalars as they are, arrays as tuples, tables as
    read-only mappings. Dates and times, NaN and infinity have no Blueprint meaning."""
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            r.fail(path, f"{value} is not a number Render accepts", "write a finite number")
        return value
    if isinstance(value, list):
        return tuple(_field_value(r, item, f"{path}[{i}]") for i, item in enumerate(value))
    if isinstance(value, dict):
        if not value:
            r.fail(path, "is an empty table", "give it keys, or remove it")
        return MappingProxyType({k: _field_value(r, v, f"{path}.{k}") for k, v in value.items()})
    kind = "a date or time" if isinstance(value, datetime.date | datetime.time) else repr(value)
    r.fail(path, f"is {kind}, which a Blueprint field does not take", "write it in quotes")


def _whole(r: _Reader, value: FieldValue, path: str, low: int, high: int | None) -> None:
    bad = isinstance(value, bool) or not isinstance(value, int)
    if bad or value < low or (high is not None and value > high):  # type: ignore[operator]
        span = f"from {low} to {high}" if high is not None else f"of {low} or more"
        r.fail(path, f"must be a whole number {span}, got {value!r}", "write a bare number")


def _scaling(r: _Reader, value: FieldValue, at: str) -> None:
    """Render autoscaling: minInstances <= maxInstances, a CPU and/or memory target 1-90."""
    if not isinstance(value, Mapping):
        r.fail(at, "must be a table", "write it as a [tier.web.scaling] table")
    for key in value:
        if key not in SCALING_KEYS:
            r.fail(f"{at}.{key}", "unknown scaling key", "use one of " + ", ".join(SCALING_KEYS))
    for key in ("minInstances", "maxInstances"):
        if key not in value:
            r.fail(f"{at}.{key}", "is missing", f"add {key} = 2 (Render requires it)")
        _whole(r, value[key], f"{at}.{key}", 1, None)
    if value["minInstances"] > value["maxInstances"]:  # type: ignore[operator]
        r.fail(
            f"{at}.maxInstances",
            f"{value['maxInstances']} is below minInstances {value['minInstances']}",
            "maxInstances must be at least minInstances",
        )
    if not any(key in value for key in SCALING_TARGETS):
        r.fail(at, "has no target", "add targetCPUPercent = 70 and/or targetMemoryPercent")
    for key in SCALING_TARGETS:
        if key in value:
            _whole(r, value[key], f"{at}.{key}", 1, 90)


def _check_rising(r: _Reader, tiers: list[Tier]) -> None:
    for metric in THRESHOLD_METRICS:
        previous: Tier | None = None
        for tier in tiers:
            if metric not in tier.thresholds:
                continue
            if previous is not None and tier.thresholds[metric] <= previous.thresholds[metric]:
                r.fail(
                    f"tier[{tier.name}].thresholds.{metric}",
                    f"{tier.thresholds[metric]:g} is not above tier {previous.name}'s "
                    f"{previous.thresholds[metric]:g}",
                    "thresholds must rise from tier to tier",
                )
            previous = tier
    for lower, upper in pairwise(tiers):
        if lower.storage_gb and upper.storage_gb and upper.storage_gb < lower.storage_gb:
            r.fail(
                f"tier[{upper.name}].storage_gb",
                f"{upper.storage_gb:g} is below tier {lower.name}'s {lower.storage_gb:g}",
                "storage must not shrink from tier to tier",
            )


def _policy(r: _Reader, raw: Mapping[str, Any], names: tuple[str, ...]) -> Policy:
    at = "decision"
    r.keys(
        raw,
        at,
        {
            "downgrade_dead_band",
            "storage_share",
            "connections_share",
            "still_slow_ms",
            "capacity_active_users",
            "max_tier",
            "max_monthly_usd",
            "pin",
        },
    )
    for key in ("max_tier", "pin"):
        named = r.string(raw, at, key)
        if named is not None and named not in names:
            r.fail(f"{at}.{key}", f"unknown tier {named!r}", "use one of " + ", ".join(names))
    d = Policy()
    band = r.number(raw, at, "downgrade_dead_band")
    share = r.number(raw, at, "storage_share")
    if band is not None and not 0 <= band < 1:
        r.fail(f"{at}.downgrade_dead_band", f"{band:g} is not a share", "a number from 0 to 0.99")
    connections = r.number(raw, at, "connections_share")
    for key, value in (("storage_share", share), ("connections_share", connections)):
        if value is not None and not 0 < value <= 1:
            r.fail(f"{at}.{key}", f"{value:g} is not a share", "a number above 0, up to 1")
    slow = r.number(raw, at, "still_slow_ms")
    cap = r.number(raw, at, "capacity_active_users")
    return Policy(
        dead_band=d.dead_band if band is None else band,
        storage_share=d.storage_share if share is None else share,
        connections_share=d.connections_share if connections is None else connections,
        still_slow_ms=d.still_slow_ms if slow is None else r.positive(slow, f"{at}.still_slow_ms"),
        capacity_active_users=d.capacity_active_users if cap is None else cap,
        max_tier=r.string(raw, at, "max_tier"),
        max_monthly_usd=r.number(raw, at, "max_monthly_usd"),
        pin=r.string(raw, at, "pin"),
    )


def _snapshot(r: _Reader, raw: Mapping[str, Any]) -> SnapshotSettings:
    at = "snapshot"
    r.keys(raw, at, {"path", "history", "max_age_days"})
    d = SnapshotSettings()
    age = r.number(raw, at, "max_age_days")
    return SnapshotSettings(
        path=r.string(raw, at, "path") or d.path,
        history=r.string(raw, at, "history") or d.history,
        max_age_days=d.max_age_days if age is None else r.positive(age, f"{at}.max_age_days"),
    )


# The largest value each whole-number setting may take: what PostgreSQL accepts (an int of
# milliseconds, make_interval's days), and far beyond any sensible setting. The two timeouts are
# bounds a pull request's tiers.toml cannot raise: a minute per statement, 30 s to connect.
DATABASE_MAXIMA: dict[str, tuple[int, str]] = {
    "connect_timeout_s": (30, "seconds, tier's limit"),
    "statement_timeout_ms": (60_000, "milliseconds (a minute), tier's limit"),
    "active_days": (36_500, "days (a hundred years)"),
    "concurrent_minutes": (1_440, "minutes (a day)"),
    "estimate_above_rows": (2**53, "rows"),
    "slow_query_warn_ms": (3_600_000, "milliseconds (an hour)"),
    "pool_per_worker": (10_000, "connections"),
    "slow_query_min_calls": (10**12, "calls"),
    "lookback_days": (3_650, "days (ten years)"),
    "window_minutes": (5_256_000, "minutes (ten years)"),
}


def _database(r: _Reader, raw: Mapping[str, Any]) -> DatabaseSettings:
    at = "database"
    r.keys(
        raw,
        at,
        {
            "connect_timeout_s",
            "statement_timeout_ms",
            "application_name",
            "active_days",
            "concurrent_minutes",
            "queries",
            "activity",
            "estimate_above_rows",
            "slow_query_warn_ms",
            "pool_per_worker",
            "quality",
            "slow_query_min_calls",
        },
    )
    d = DatabaseSettings()
    queries = r.table(raw, "queries", at=at)
    for metric, sql in queries.items():
        if metric not in METRIC_NAMES:
            r.fail(
                f"{at}.queries.{metric}", "unknown metric", "use one of " + ", ".join(METRIC_NAMES)
            )
        if not isinstance(sql, str) or not sql.strip():
            r.fail(f"{at}.queries.{metric}", "must be a SQL string", "write a SELECT in quotes")
    quality = r.table(raw, "quality", at=at)
    for metric, said in quality.items():
        if metric not in METRIC_NAMES:
            r.fail(
                f"{at}.quality.{metric}", "unknown metric", "use one of " + ", ".join(METRIC_NAMES)
            )
        if said not in MEASURED_QUALITIES:
            r.fail(
                f"{at}.quality.{metric}",
                f"{said!r} is not a quality",
                "use one of " + ", ".join(f'"{q}"' for q in MEASURED_QUALITIES),
            )

    def whole(key: str, default: int) -> int:
        return r.whole(raw, at, key, default)

    return DatabaseSettings(
        connect_timeout_s=whole("connect_timeout_s", d.connect_timeout_s),
        statement_timeout_ms=whole("statement_timeout_ms", d.statement_timeout_ms),
        application_name=r.string(raw, at, "application_name") or d.application_name,
        active_days=whole("active_days", d.active_days),
        concurrent_minutes=whole("concurrent_minutes", d.concurrent_minutes),
        queries=MappingProxyType(dict(queries)),
        config_path=r.file,
        activity=_activity(r, r.table(raw, "activity", at=at)),
        estimate_above_rows=whole("estimate_above_rows", d.estimate_above_rows),
        slow_query_warn_ms=whole("slow_query_warn_ms", d.slow_query_warn_ms),
        pool_per_worker=whole("pool_per_worker", d.pool_per_worker),
        quality=MappingProxyType(dict(quality)),
        slow_query_min_calls=whole("slow_query_min_calls", d.slow_query_min_calls),
    )


def _activity(r: _Reader, raw: Mapping[str, Any]) -> ActivitySource | None:
    """[database.activity]: absent or empty means no activity source."""
    at = "database.activity"
    if not raw:
        return None
    r.keys(raw, at, {"table", "user_column", "time_column", "lookback_days", "window_minutes"})
    names = [
        r.string(raw, at, key, required=True) for key in ("table", "user_column", "time_column")
    ]
    table, user, time = (n or "" for n in names)
    d = ActivitySource(table, user, time)
    values = {
        key: r.whole(raw, at, key, default)
        for key, default in (
            ("lookback_days", d.lookback_days),
            ("window_minutes", d.window_minutes),
        )
    }
    if values["window_minutes"] > values["lookback_days"] * 24 * 60:
        r.fail(
            f"{at}.window_minutes",
            f"{values['window_minutes']} minutes is longer than lookback_days",
            "a window of minutes (5) within a lookback of days (7)",
        )
    if table.count(".") > 1:
        r.fail(f"{at}.table", f"{table!r} has more than schema.table", 'write "schema.table"')
    return ActivitySource(table, user, time, values["lookback_days"], values["window_minutes"])


_DEFAULT_KEYVALUE: str = RenderSettings._field_defaults["keyvalue_name"]  # not the class attr


def _render(r: _Reader, raw: Mapping[str, Any]) -> RenderSettings:
    at = "render"
    r.keys(raw, at, {"service", "database", "app", "keyvalue_name"})
    app = r.string(raw, at, "app")
    if app is not None and ":" not in app:
        r.fail(f"{at}.app", f"{app!r} is not module:attribute", 'write it like "main:app"')
    return RenderSettings(
        service=r.string(raw, at, "service"),
        database=r.string(raw, at, "database"),
        app=app,
        keyvalue_name=r.string(raw, at, "keyvalue_name") or _DEFAULT_KEYVALUE,
    )


def _prices(
    r: _Reader, raw: Mapping[str, Any], catalogue: Catalogue
) -> Mapping[str, Mapping[str, float]]:
    r.keys(raw, "prices", set(KINDS))
    out: dict[str, Mapping[str, float]] = {}
    for kind in KINDS:
        table = r.table(raw, kind, at="prices")
        plans: dict[str, float] = {}
        for plan_name, usd in table.items():
            plan = catalogue.find(kind, plan_name)
            if plan is None:
                r.fail(
                    f"prices.{kind}.{plan_name}",
                    f"unknown {kind} plan",
                    "use one of " + ", ".join(catalogue.names(kind)),
                )
            assert plan is not None
            plans[plan.name] = r.positive(usd, f"prices.{kind}.{plan_name}", zero=True)
        out[kind] = MappingProxyType(plans)
    return MappingProxyType(out)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """ "did you mean web_plan? Else " when one choice is close to `name` (a typo), else ""."""
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.75)
    return f"did you mean {close[0]}? Else " if close else ""


class _Reader:
    """Typed access to raw TOML values, failing with the file name and key path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, problem: str, tip: str) -> NoReturn:
        raise ConfigError(f"{self.file}: {path}: {problem}. Tip: {tip}")

    def keys(self, raw: Mapping[str, Any], at: str, allowed: set[str]) -> None:
        for key in raw:
            if key not in allowed:
                where = f"{at}.{key}" if at else key
                self.fail(
                    where,
                    "unknown key",
                    did_you_mean(key, allowed)
                    + "remove it or use one of "
                    + ", ".join(sorted(allowed)),
                )

    def table(self, raw: Mapping[str, Any], key: str, at: str = "") -> Mapping[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            self.fail(f"{at}.{key}" if at else key, "must be a table", f"write it as [{key}]")
        return value

    def string(
        self, raw: Mapping[str, Any], at: str, key: str, required: bool = False
    ) -> str | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.fail(f"{at}.{key}", "is missing", f'add {key} = "..."')
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(
                f"{at}.{key}", f"must be a non-empty string, got {value!r}", "put it in quotes"
            )
        return value

    def number(self, raw: Mapping[str, Any], at: str, key: str) -> float | None:
        value = raw.get(key)
        if value is None:
            return None
        return self.positive(value, f"{at}.{key}", zero=True)

    def whole(self, raw: Mapping[str, Any], at: str, key: str, default: int) -> int:
        """A whole number above 0, at most DATABASE_MAXIMA[key]; `default` when absent."""
        value = self.number(raw, at, key)
        if value is None:
            return default
        if value != int(value) or value < 1:
            self.fail(f"{at}.{key}", f"{value:g} is not a whole number above 0", f"e.g. {default}")
        most, unit = DATABASE_MAXIMA[key]
        if value > most:
            self.fail(f"{at}.{key}", f"{value:g} is more than {most:,} {unit}", f"e.g. {default}")
        return int(value)

    def positive(self, value: Any, path: str, zero: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(
                path, f"must be a number, got {value!r}", "write a bare number without quotes"
            )
        if not math.isfinite(value):
            self.fail(path, f"{value} is not a finite number", "write a number like 500")
        if value < 0 or (value == 0 and not zero):
            self.fail(path, f"{value:g} must be above 0", "write a positive number")
        return float(value)

    def plan(
        self,
        raw: Mapping[str, Any],
        at: str,
        key: str,
        kind: Kind,
        catalogue: Catalogue,
        required: bool = False,
    ) -> str | None:
        value = self.string(raw, at, key, required=required)
        if value is not None and catalogue.find(kind, value) is None:
            self.fail(
                f"{at}.{key}",
                f"{value!r} is not a Render {kind} plan",
                "use one of " + ", ".join(catalogue.names(kind)),
            )
        return value
