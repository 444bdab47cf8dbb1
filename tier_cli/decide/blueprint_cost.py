"""The monthly cost of a whole Blueprint, service by service, and of the change between two.

Pure: views of render.yaml in, costs out. Every kind of resource Render bills a month for: web
services, private services (pserv) and background workers at their plan's price times their
instances (`numInstances`, or the `scaling` range), a service's persistent disk per GB, static
sites (free), Key Value at its plan's price, Postgres at its plan's price plus its disk. A cron
job is billed by the second it runs, which render.yaml does not say: its price is unknown ("$?")
and a total that includes one is a floor. A resource without `plan:` costs what Render gives a
new one (the catalogue's defaults).
"""

from collections.abc import Mapping
from typing import Literal, NamedTuple

from tier_cli.blueprint.view import KEYVALUE_TYPES, BlueprintView, DatabaseView, ServiceView
from tier_cli.config.catalogue import Catalogue
from tier_cli.decide.costs import Billed, Cost, CostLine, Instances, Part, bill, price

DEFAULT_DISK_GB = 10.0  # a `disk:` without sizeGB: Render's default size
Change = Literal["added", "removed", "changed", "same"]


class ResourceCost(NamedTuple):
    """One service or database of a Blueprint and what it costs a month."""

    name: str
    type: str  # web, pserv, worker, cron, static, keyvalue, postgres
    plan: str | None  # as written, or the default Render gives; None: nothing to choose (static)
    instances: Instances
    disk_gb: float | None
    cost: Cost

    @property
    def key(self) -> tuple[str, str]:
        """Services and databases have names of their own: a service may share a database's."""
        return ("database" if self.type == "postgres" else "service", self.name)


class Row(NamedTuple):
    """One resource before and after: added, removed, changed (in cost or in what is billed)."""

    name: str
    type: str
    change: Change
    before: ResourceCost | None
    after: ResourceCost | None

    @property
    def delta(self) -> float:
        return _low(self.after) - _low(self.before)


class CostDiff(NamedTuple):
    rows: tuple[Row, ...]
    before: tuple[ResourceCost, ...]
    after: tuple[ResourceCost, ...]

    @property
    def total_before(self) -> float:
        return sum(r.cost.at_least for r in self.before)

    @property
    def total_after(self) -> float:
        return sum(r.cost.at_least for r in self.after)

    @property
    def delta(self) -> float:
        return round(self.total_after - self.total_before, 2)

    @property
    def floor(self) -> bool:
        """A total is a floor: some price is unknown, or a disk grows on its own."""
        return self.floor_before or self.floor_after

    @property
    def floor_before(self) -> bool:
        return any(r.cost.floor for r in self.before)

    @property
    def floor_after(self) -> bool:
        return any(r.cost.floor for r in self.after)

    @property
    def unknown(self) -> tuple[str, ...]:
        """The resources with no known price: "nightly (cron starter)"."""
        return tuple(
            dict.fromkeys(
                f"{r.name} ({r.type} {r.plan})"
                for r in (*self.before, *self.after)
                if r.cost.unknown
            )
        )

    @property
    def high_before(self) -> float | None:
        return _high(self.before)

    @property
    def high_after(self) -> float | None:
        return _high(self.after)


def blueprint_costs(
    view: BlueprintView, catalogue: Catalogue, overrides: Mapping[str, Mapping[str, float]]
) -> tuple[ResourceCost, ...]:
    """Each billed resource of the Blueprint, services first, in file order."""
    out = [_service(s, catalogue, overrides) for s in view.services]
    out += [_database(d, catalogue, overrides) for d in view.databases]
    return tuple(out)


def diff_costs(before: tuple[ResourceCost, ...], after: tuple[ResourceCost, ...]) -> CostDiff:
    """Resources matched by name (services with services, databases with databases), in the
    order of the new file, then the ones it removed."""
    old = {r.key: r for r in before}
    new = {r.key: r for r in after}
    rows = []
    for key, now in new.items():
        was = old.get(key)
        if was is None:
            rows.append(Row(now.name, now.type, "added", None, now))
        else:
            same = _billed(was) == _billed(now)
            rows.append(Row(now.name, now.type, "same" if same else "changed", was, now))
    rows += [Row(r.name, r.type, "removed", r, None) for key, r in old.items() if key not in new]
    return CostDiff(tuple(rows), before, after)


def _service(
    s: ServiceView, catalogue: Catalogue, overrides: Mapping[str, Mapping[str, float]]
) -> ResourceCost:
    name = s.label
    runtime = (s.runtime or "").strip().lower()
    kind = s.type or "web"
    if kind in KEYVALUE_TYPES:
        plan = s.plan or catalogue.defaults["keyvalue"]
        line = CostLine("keyvalue", plan, price(catalogue, overrides, "keyvalue", plan))
        return ResourceCost(name, "keyvalue", plan, Instances(), None, Cost((line,)))
    if kind == "static" or runtime == "static":
        line = CostLine("static", "site", 0.0)
        return ResourceCost(name, "static", None, Instances(), None, Cost((line,)))
    plan = s.plan or catalogue.defaults["service"]
    n = _instances(s)
    part: Part = kind if kind in ("pserv", "worker", "cron") else "web"  # type: ignore[assignment]
    usd = None if part == "cron" else price(catalogue, overrides, "web", plan)
    lines = [CostLine(part, plan, usd, n.low, n.high)]
    disk = _disk_gb(s)
    if disk is not None:
        lines.append(CostLine("disk", f"{disk:g} GB", catalogue.disk_usd_per_gb, disk, disk))
    return ResourceCost(name, part, plan, n, disk, Cost(tuple(lines)))


def _database(
    d: DatabaseView, catalogue: Catalogue, overrides: Mapping[str, Mapping[str, float]]
) -> ResourceCost:
    plan = d.plan or catalogue.defaults["postgres"]
    # bill() prices a database alongside a web plan; its first line is that web plan's
    billed = Billed("free", database_plan=plan, disk_gb=d.disk_size_gb, disk_grows=d.disk_grows)
    lines = bill(catalogue, overrides, billed).lines[1:]
    disk = next((line.low for line in lines if line.part == "storage"), None)
    return ResourceCost(d.label, "postgres", plan, Instances(), disk, Cost(lines))


def _instances(s: ServiceView) -> Instances:
    if s.scaling is not None:
        low, high = s.scaling
        if low is not None and high is not None and low <= high:
            return Instances(low, high)
    return Instances(s.num_instances or 1, s.num_instances or 1)


def _disk_gb(s: ServiceView) -> float | None:
    """`disk: {name, mountPath, sizeGB}`; None without a disk."""
    disk = s.fields.get("disk")
    if not isinstance(disk, dict):
        return None
    for key, value in disk.items():
        if isinstance(key, tuple) and key[1] == "sizeGB" and isinstance(value, tuple):
            try:
                return float(value[1])
            except ValueError:
                return None
    return DEFAULT_DISK_GB


def _billed(r: ResourceCost) -> tuple[object, ...]:
    return (r.type, r.plan, r.instances, r.disk_gb, r.cost)


def _low(r: ResourceCost | None) -> float:
    return 0.0 if r is None else r.cost.at_least


def _high(resources: tuple[ResourceCost, ...]) -> float | None:
    highs = [r.cost.high for r in resources]
    if any(h is None for h in highs):
        return None
    return sum(h for h in highs if h is not None)
