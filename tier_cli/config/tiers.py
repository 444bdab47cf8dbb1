"""tiers.toml: load it, have all of it validated (config/schema.py declares what it may say),
and hand back frozen values.

Every problem is one ConfigError line: `tiers.toml: <key path>: <what is wrong>. Tip: <the fix>`.
"""

import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from tier_cli.config.catalogue import KINDS, Catalogue
from tier_cli.config.paths import inside_project
from tier_cli.config.schema import TIERS_TOML
from tier_cli.config.settings import (
    ActivitySource,
    DatabaseSettings,
    FieldValue,
    KeyValueTarget,
    Selection,
    TierTarget,
)
from tier_cli.config.validate import EMPTY, validate
from tier_cli.errors import ConfigError
from tier_cli.textio import TIERS_LIMIT, NotRegularFile, OutsideProject, read_file, without_bom

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
    config = parse_config(raw, name, catalogue)
    inside_project(path, config.snapshot.path, "snapshot.path")
    inside_project(path, config.snapshot.history, "snapshot.history")
    return config


def parse_config(raw: Mapping[str, Any], name: str, catalogue: Catalogue) -> TierConfig:
    """The values of a tiers.toml, from `raw` as TOML read it; ConfigError at its first problem."""
    checked = validate(raw, TIERS_TOML, name, catalogue)
    decision = dict(checked.get("decision", EMPTY))
    if "downgrade_dead_band" in decision:
        decision["dead_band"] = decision.pop("downgrade_dead_band")
    prices = checked.get("prices", EMPTY)
    return TierConfig(
        path=name,
        tiers=tuple(_tier(tier) for tier in checked["tier"]),
        policy=Policy(**decision),
        database=_database(checked.get("database", EMPTY), name),
        render=RenderSettings(**checked.get("render", EMPTY)),
        snapshot=SnapshotSettings(**checked.get("snapshot", EMPTY)),
        prices=MappingProxyType({kind: prices.get(kind, EMPTY) for kind in KINDS}),
        ignore_warnings=frozenset(checked.get("warnings", EMPTY).get("ignore", ())),
    )


def _tier(tier: Mapping[str, Any]) -> Tier:
    fields: dict[str, Any] = {"thresholds": EMPTY, **tier}
    return Tier(**fields)


def _database(database: Mapping[str, Any], name: str) -> DatabaseSettings:
    activity = database.get("activity")
    return DatabaseSettings(
        **{**database, "activity": ActivitySource(**activity) if activity else None},
        config_path=name,
    )
