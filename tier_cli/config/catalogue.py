"""Render's plans as a dated table: names, aliases, sizes, prices, legacy status, defaults.

The data lives in config/render_plans.py; this module only reads and answers questions about it.
"""

from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, NamedTuple

Kind = Literal["web", "postgres", "keyvalue"]
KINDS: tuple[Kind, ...] = ("web", "postgres", "keyvalue")


class Plan(NamedTuple):
    kind: Kind
    name: str
    aliases: tuple[str, ...]
    usd: float | None  # None: no source gives a price (shown as unknown, never as free)
    ram_mb: int
    cpu: float | None = None
    connections: int | None = None
    storage_gb: float | None = None  # storage included in the price (free, legacy)
    disk_gb: float | None = None  # default disk, billed per GB apart (current Postgres plans)
    legacy: bool = False
    successor: str | None = None
    confirmed: bool = True
    note: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class Catalogue(NamedTuple):
    as_of: str
    plans: tuple[Plan, ...]
    defaults: Mapping[str, str]
    storage_usd_per_gb: float = 0.0  # Postgres disk on current plans, per GB and month
    disk_usd_per_gb: float | None = None  # a service's persistent disk, per GB and month

    def find(self, kind: Kind, name: str | None) -> Plan | None:
        """The plan a Blueprint value names (case and spacing tolerant), or None."""
        if name is None:
            return None
        key = _norm(name)
        for plan in self.plans:
            if plan.kind == kind and key in (_norm(n) for n in plan.names):
                return plan
        return None

    def default(self, kind: Kind) -> Plan:
        plan = self.find(kind, self.defaults["service" if kind == "web" else kind])
        assert plan is not None, f"catalogue default for {kind} is not a plan"
        return plan

    def names(self, kind: Kind) -> list[str]:
        return [n for p in self.plans if p.kind == kind for n in p.names]


def same_plan(catalogue: Catalogue, kind: Kind, a: str | None, b: str | None) -> bool:
    """True when two spellings name one plan (`pro` and `2c-4g`, `Starter` and `starter`)."""
    if a is None or b is None:
        return a is b
    pa, pb = catalogue.find(kind, a), catalogue.find(kind, b)
    if pa is None or pb is None:
        return _norm(a) == _norm(b)
    return pa is pb


def _norm(name: str) -> str:
    """`Pro Plus`, `pro_plus` and `pro-plus` are one spelling; so are `basic_256mb` and
    `basic-256mb` (Render's API writes underscores where Blueprints write hyphens)."""
    return " ".join(name.strip().lower().replace("_", " ").replace("-", " ").split())


def _plan(kind: Kind, raw: Mapping[str, Any]) -> Plan:
    return Plan(
        kind=kind,
        name=raw["name"],
        aliases=tuple(raw.get("aliases", ())),
        usd=None if raw.get("usd") is None else float(raw["usd"]),
        ram_mb=int(raw["ram_mb"]),
        cpu=raw.get("cpu"),
        connections=raw.get("connections"),
        storage_gb=raw.get("storage_gb"),
        disk_gb=raw.get("disk_gb"),
        legacy=bool(raw.get("legacy", False)),
        successor=raw.get("successor"),
        confirmed=bool(raw.get("confirmed", True)),
        note=raw.get("note", ""),
    )


@cache
def load_catalogue() -> Catalogue:
    from tier_cli.config import render_plans as data

    entries = {"web": data.WEB, "postgres": data.POSTGRES, "keyvalue": data.KEYVALUE}
    return Catalogue(
        as_of=data.AS_OF,
        plans=tuple(_plan(kind, entry) for kind in KINDS for entry in entries[kind]),
        defaults=dict(data.DEFAULTS),
        storage_usd_per_gb=float(data.STORAGE["postgres_usd_per_gb"]),
        disk_usd_per_gb=data.STORAGE.get("disk_usd_per_gb"),
    )


# Render's documents on moving a database between plans. A free database is one Render upgrades
# to a paid instance type, never the reverse (render.com/docs/free, "Free PostgreSQL
# Databases"); a database's disk can grow, never shrink ("Shrink: Never - disk increases are
# permanent": render.com/tutorials/postgres-on-render/storage-and-autoscaling), and the free
# plan has a 1 GB disk; so a paid database does not become a free one by a plan change.
PAID_TO_FREE_SOURCE = (
    "render.com/docs/free; render.com/tutorials/postgres-on-render/storage-and-autoscaling"
)


class DatabaseMove(NamedTuple):
    """What a database is on after tier moves it to `wanted`, as Render does it."""

    plan: str  # the plan written: `wanted`, or the current one when Render would not move it
    kept: bool = False  # True: a paid database that stays on its plan instead of free
    disk_gb: float | None = None  # the disk it keeps and is billed for; None: in the price


def database_move(
    catalogue: Catalogue, current: str | None, disk_gb: float | None, wanted: str
) -> DatabaseMove:
    """The plan and billed disk of a database on plan `current` (None: Render's default, a paid
    plan) with `diskSizeGB` `disk_gb`, once render.yaml says `wanted`.

    A paid database is never moved to `free`: it keeps its plan. A disk never shrinks: the disk
    after is the larger of the one it has (diskSizeGB, else its plan's default) and the new
    plan's default, and is billed on a current plan (free and legacy plans include theirs)."""
    now = catalogue.find("postgres", current) or catalogue.default("postgres")
    new = catalogue.find("postgres", wanted)
    if new is not None and new.usd == 0 and (now.usd is None or now.usd > 0):
        return DatabaseMove(current or now.name, True, _disk(now, disk_gb, None))
    if new is None or new.disk_gb is None:
        return DatabaseMove(wanted)
    return DatabaseMove(wanted, False, _disk(now, disk_gb, new.disk_gb))


def _disk(now: Plan, disk_gb: float | None, default: float | None) -> float | None:
    have = disk_gb if disk_gb is not None else (now.disk_gb or now.storage_gb)
    sizes = [s for s in (have, default) if s is not None]
    return max(sizes) if sizes else None
