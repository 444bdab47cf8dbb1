"""Render's plans as a dated table: names, aliases, sizes, prices, legacy status, defaults.

The data lives in config/render_plans.py; this module only reads and answers questions about it.
"""

from __future__ import annotations

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
