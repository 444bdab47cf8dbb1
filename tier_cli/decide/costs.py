"""Monthly cost as Render bills it: every web instance, the Postgres plan and its disk, Key Value.

Prices come from the catalogue, with tiers.toml's [prices.*] overrides. A figure is a range when
the web service autoscales (`scaling.minInstances`..`maxInstances`), and a floor ("at least") when
a part of it has no known price or can grow on its own (`storageAutoscalingEnabled`).
"""

from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

from tier_cli.config.catalogue import Catalogue, Kind
from tier_cli.numbers import usd

Part = Literal[
    "web", "postgres", "storage", "keyvalue", "pserv", "worker", "cron", "static", "disk"
]


class Instances(NamedTuple):
    """How many instances of the web service Render bills: `numInstances`, or a scaling range."""

    low: int = 1
    high: int = 1

    def describe(self) -> str:
        if self.low == self.high:
            return "" if self.low == 1 else f" x {self.low}"
        return f" x {self.low}-{self.high}"


class Billed(NamedTuple):
    """What is billed, as it stands (or would stand) in render.yaml: plans and their counts."""

    web_plan: str
    instances: Instances = Instances()
    database_plan: str | None = None  # None: no database to bill
    disk_gb: float | None = None  # `diskSizeGB`; None: the plan's default disk
    disk_grows: bool = False  # `storageAutoscalingEnabled`: the disk can grow past this
    keyvalue_plan: str | None = None


class CostLine(NamedTuple):
    part: Part
    plan: str  # the plan's name as written, or "15 GB" for a disk
    usd: float | None  # one unit a month; None: no known price
    low: float = 1  # units billed (instances, GB)
    high: float = 1
    floor: bool = False  # this line can cost more than shown

    def describe(self) -> str:
        if self.part in ("storage", "disk"):
            return f"disk {self.plan} {usd(None if self.usd is None else self.usd * self.low)}" + (
                " or more" if self.floor else ""
            )
        count = Instances(int(self.low), int(self.high)).describe()
        return f"{self.part} {self.plan} {usd(self.usd)}{count}"


class Cost(NamedTuple):
    lines: tuple[CostLine, ...]

    @property
    def usd(self) -> float | None:
        """The lowest monthly figure; None when a part has no known price."""
        if any(line.usd is None for line in self.lines):
            return None
        return self.at_least

    @property
    def at_least(self) -> float:
        """The sum of the parts with a known price, each at its lowest count."""
        return sum((line.usd or 0.0) * line.low for line in self.lines)

    @property
    def high(self) -> float | None:
        """The highest monthly figure of a scaling range; None when unknown or unbounded."""
        if self.floor:
            return None
        return sum((line.usd or 0.0) * line.high for line in self.lines)

    @property
    def floor(self) -> bool:
        """The figure is a floor: a part has no known price, or can grow on its own."""
        return any(line.usd is None or line.floor for line in self.lines)

    @property
    def unknown(self) -> tuple[str, ...]:
        """Plans with no known price, by the name render.yaml or tiers.toml gives them."""
        return tuple(line.plan for line in self.lines if line.usd is None)

    def figure(self) -> str:
        """ "$92/month", "$92-$177/month", "at least $55/month"."""
        low = self.at_least
        if self.floor:
            return f"at least {usd(low)}/month"
        high = self.high
        if high is not None and high != low:
            return f"{usd(low)}-{usd(high)}/month"
        return f"{usd(low)}/month"

    def describe(self) -> str:
        parts = " + ".join(line.describe() for line in self.lines)
        return f"{self.figure()} ({parts})"


def price(
    catalogue: Catalogue,
    overrides: Mapping[str, Mapping[str, float]],
    kind: Kind,
    plan_name: str,
) -> float | None:
    """The monthly price of a plan: the tiers.toml override, else the catalogue; None: unknown."""
    plan = catalogue.find(kind, plan_name)
    if plan is None:
        return None
    return overrides.get(kind, {}).get(plan.name, plan.usd)


def bill(
    catalogue: Catalogue, overrides: Mapping[str, Mapping[str, float]], billed: Billed
) -> Cost:
    """The monthly cost of what render.yaml says (or would say), as Render bills it."""
    n = billed.instances
    lines = [
        CostLine(
            "web",
            billed.web_plan,
            price(catalogue, overrides, "web", billed.web_plan),
            n.low,
            n.high,
        )
    ]
    if billed.database_plan is not None:
        name = billed.database_plan
        lines.append(CostLine("postgres", name, price(catalogue, overrides, "postgres", name)))
        plan = catalogue.find("postgres", name)
        disk = billed.disk_gb
        if plan is not None and plan.disk_gb is not None:  # current plans bill the disk apart
            size = disk if disk is not None else plan.disk_gb
            lines.append(
                CostLine(
                    "storage",
                    f"{size:g} GB",
                    catalogue.storage_usd_per_gb,
                    size,
                    size,
                    floor=billed.disk_grows,
                )
            )
    if billed.keyvalue_plan is not None:
        name = billed.keyvalue_plan
        lines.append(CostLine("keyvalue", name, price(catalogue, overrides, "keyvalue", name)))
    return Cost(tuple(lines))


def monthly_cost(
    catalogue: Catalogue,
    overrides: Mapping[str, Mapping[str, float]],
    plans: Sequence[tuple[Kind, str]],
) -> Cost:
    """One of each plan, Postgres with its plan's default disk (a tier's cost in `tier tiers`)."""
    web = next((p for k, p in plans if k == "web"), None)
    assert web is not None, "a cost needs a web plan"
    return bill(
        catalogue,
        overrides,
        Billed(
            web_plan=web,
            database_plan=next((p for k, p in plans if k == "postgres"), None),
            keyvalue_plan=next((p for k, p in plans if k == "keyvalue"), None),
        ),
    )
