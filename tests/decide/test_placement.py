"""Which tier render.yaml is on now: from the web service's plan, the database's, Key Value."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from tier_targets import with_scale_out

from tier_cli.blueprint.view import read_blueprint
from tier_cli.config.catalogue import load_catalogue
from tier_cli.config.settings import Selection
from tier_cli.config.tiers import load_config
from tier_cli.decide.costs import Instances
from tier_cli.decide.placement import place, tier_instances

ROOT = Path(__file__).resolve().parents[2]
CAT = load_catalogue()
CONFIG = load_config(ROOT / "tiers.toml", CAT)


def blueprint(
    web_plan: str | None,
    db_plan: str | None = "free",
    keyvalue: str | None = None,
    database: bool = True,
) -> str:
    web = "services:\n  - type: web\n    name: api\n    runtime: python\n"
    if web_plan is not None:
        web += f"    plan: {web_plan}\n"
    web += "    startCommand: uvicorn main:app --host 0.0.0.0 --port $PORT\n"
    if keyvalue is not None:
        web += f"  - type: {keyvalue}\n    name: cache\n    plan: starter\n    ipAllowList: []\n"
    if database:
        web += "databases:\n  - name: db\n" + (f"    plan: {db_plan}\n" if db_plan else "")
    return web


# (id, render.yaml text, expected tier, a note must contain)
CASES = [
    ("free", blueprint("free"), "free", None),
    ("starter", blueprint("starter", "basic-256mb"), "starter", None),
    ("pro", blueprint("pro", "pro-4gb"), "pro", None),
    ("pro+redis", blueprint("pro", "pro-4gb", keyvalue="keyvalue"), "pro+redis", None),
    ("legacy-redis-type", blueprint("pro", "pro-4gb", keyvalue="redis"), "pro+redis", None),
    ("2026-plan-id", blueprint("2c-4g", "1c-4g"), "pro", None),
    ("api-spelling", blueprint("pro", "pro_4gb"), "pro", None),
    ("capitalised", blueprint("Starter", "Basic-256MB"), "starter", None),
    ("no-plan-key-is-starter", blueprint(None, None), "starter", None),
    (
        "legacy-db-is-not-the-tier-plan",
        blueprint("pro", "pro"),
        "pro",
        "database db is on plan pro, not pro-4gb",
    ),
    (
        "db-plan-differs",
        blueprint("starter", "basic-1gb"),
        "starter",
        "database db is on plan basic-1gb",
    ),
    ("no-database", blueprint("pro", database=False), "pro", None),
    # Plans no tier uses: the nearest tier by CPU and RAM (log scale), said in a note.
    (
        "standard-taken-as-pro",
        blueprint("standard", "pro-4gb"),
        "pro",
        "tiers.toml uses web plan standard; taken as tier pro (web plan pro), the "
        "nearest by CPU and RAM",
    ),
    ("pro-plus-taken-as-pro", blueprint("pro plus", "pro-4gb"), "pro", "taken as tier pro"),
    (
        "4c-8g-with-redis-taken-as-pro+redis",
        blueprint("4c-8g", "pro-4gb", keyvalue="keyvalue"),
        "pro+redis",
        "taken as tier pro+redis",
    ),
    ("basic-1gb-db-web-decides", blueprint("starter", "basic-1gb"), "starter", "basic-1gb"),
    ("typo-plan", blueprint("prro", "pro"), None, "api plan 'prro' is not a Render web plan"),
    ("typo-plan-matches-no-tier", blueprint("prro", "pro"), None, "matches no tier"),
    (
        "unknown-keyvalue-plan",
        blueprint("pro", "pro-4gb", keyvalue="keyvalue").replace(
            "cache\n    plan: starter", "cache\n    plan: 7g"
        ),
        "pro+redis",
        "cache plan '7g' is not a Render keyvalue plan",
    ),
]


@pytest.mark.parametrize(
    ("text", "tier", "note"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_current_tier(text: str, tier: str | None, note: str | None) -> None:
    placement = place(read_blueprint(text, "render.yaml"), "render.yaml", Selection(), CONFIG, CAT)
    assert placement.tier == tier
    if note is None:
        assert placement.notes == ()
    else:
        assert any(note in n.message for n in placement.notes), placement.notes


def _cost(text: str) -> str:
    placement = place(read_blueprint(text, "render.yaml"), "render.yaml", Selection(), CONFIG, CAT)
    return placement.cost(CONFIG, CAT).describe()


WEB = "services:\n  - type: web\n    name: api\n    runtime: python\n    plan: pro\n"

# (id, render.yaml, the monthly cost as Render bills it)
COSTS = [
    (
        "defaults-and-key-value",
        blueprint(None, None, keyvalue="keyvalue"),
        "$27.5/month (web starter $7 + postgres basic-256mb $6 + disk 15 GB $4.5 + keyvalue "
        "starter $10)",
    ),
    ("free-has-no-disk-line", blueprint("free"), "$0/month (web free $0 + postgres free $0)"),
    (
        "legacy-includes-its-disk",
        blueprint("pro", "pro"),
        "$180/month (web pro $85 + postgres pro $95)",
    ),
    ("num-instances", WEB + "    numInstances: 3\n", "$255/month (web pro $85 x 3)"),
    (
        "scaling-range-overrides-num-instances",
        WEB + "    numInstances: 3\n    scaling:\n      minInstances: 1\n      maxInstances: 4\n",
        "$85-$340/month (web pro $85 x 1-4)",
    ),
    (
        "scaling-without-max",
        WEB + "    scaling:\n      minInstances: 2\n",
        "$170/month (web pro $85 x 2)",
    ),
    (
        "disk-size",
        blueprint("pro", "pro-4gb") + "    diskSizeGB: 20\n",
        "$146/month (web pro $85 + postgres pro-4gb $55 + disk 20 GB $6)",
    ),
    (
        "disk-autoscaling-is-a-floor",
        blueprint("pro", "pro-4gb") + "    storageAutoscalingEnabled: true\n",
        "at least $170/month (web pro $85 + postgres pro-4gb $55 + disk 100 GB $30 or more)",
    ),
    (
        "unpriced-plan-is-a-floor-not-free",
        blueprint("pro", "pro-4gb", keyvalue="keyvalue").replace(
            "cache\n    plan: starter", "cache\n    plan: 5g"
        ),
        "at least $170/month (web pro $85 + postgres pro-4gb $55 + disk 100 GB $30 + keyvalue 5g "
        "$?)",
    ),
    (
        "unknown-plan-is-a-floor-not-free",
        blueprint("2c-3g", "pro-4gb"),
        "at least $85/month (web 2c-3g $? + postgres pro-4gb $55 + disk 100 GB $30)",
    ),
]


@pytest.mark.parametrize(("text", "cost"), [c[1:] for c in COSTS], ids=[c[0] for c in COSTS])
def test_costs_as_render_bills_them(text: str, cost: str) -> None:
    assert _cost(text) == cost


def test_price_overrides_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "tiers.toml"
    text = (ROOT / "tiers.toml").read_text("utf-8")
    path.write_text(text.replace("[prices.web]\n", "[prices.web]\npro = 80\n"), "utf-8")
    config = load_config(path, CAT)
    text = WEB + "    numInstances: 2\n"
    placement = place(read_blueprint(text, "render.yaml"), "render.yaml", Selection(), config, CAT)
    assert placement.cost(config, CAT).describe() == "$160/month (web pro $80 x 2)"


SCALING = "    scaling:\n      minInstances: 2\n      maxInstances: 6\n      targetCPUPercent: 70\n"


def scaled(text: str, scaling: str = SCALING) -> str:
    return text.replace("    startCommand:", scaling + "    startCommand:", 1)


# (id, render.yaml text, tier with the scale-out example on)
SCALE_OUT_CASES = [
    ("pro-without-scaling", blueprint("pro", "pro"), "pro"),
    ("pro+redis-without-scaling", blueprint("pro", "pro", keyvalue="keyvalue"), "pro+redis"),
    ("scale-out", scaled(blueprint("pro", "pro", keyvalue="keyvalue")), "scale-out"),
    (
        "scale-out-flow-style",
        scaled(
            blueprint("pro", "pro", keyvalue="keyvalue"),
            "    scaling: {targetCPUPercent: 70, maxInstances: 6, minInstances: 0x2}\n",
        ),
        "scale-out",
    ),
    (
        "other-scaling-is-still-the-scaling-tier",
        scaled(
            blueprint("pro", "pro", keyvalue="keyvalue"),
            "    scaling: {minInstances: 1, maxInstances: 2}\n",
        ),
        "scale-out",
    ),
    ("scaling-on-starter-matches-the-plan", scaled(blueprint("starter", "starter")), "starter"),
]


@pytest.mark.parametrize(
    ("text", "tier"), [c[1:] for c in SCALE_OUT_CASES], ids=[c[0] for c in SCALE_OUT_CASES]
)
def test_managed_fields_tell_tiers_apart(tmp_path: Path, text: str, tier: str) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text(with_scale_out(), "utf-8")
    config = load_config(path, CAT)
    placement = place(read_blueprint(text, "render.yaml"), "render.yaml", Selection(), config, CAT)
    assert placement.tier == tier


_FILE = WEB + "    numInstances: 3\n    scaling:\n      minInstances: 1\n      maxInstances: 4\n"
_SCALE = {"scaling": MappingProxyType({"minInstances": 2, "maxInstances": 6})}

# (id, the tier's [tier.web], managed fields, render.yaml or None, web instances billed after)
TIER_INSTANCES = [
    ("tier-scaling-wins", _SCALE, ("scaling",), _FILE, Instances(2, 6)),
    ("tier-num-instances", {"numInstances": 2}, ("numInstances",), _FILE, Instances(2, 2)),
    ("managed-scaling-removed-num-kept", {}, ("scaling",), _FILE, Instances(3, 3)),
    ("both-managed-both-removed", {}, ("scaling", "numInstances"), _FILE, Instances(1, 1)),
    ("unmanaged-the-file-keeps-its-own", {}, (), _FILE, Instances(1, 4)),
    ("no-file", _SCALE, ("scaling",), None, Instances(2, 6)),
    ("no-file-no-fields", {}, (), None, Instances(1, 1)),
]


@pytest.mark.parametrize(
    ("web", "managed", "text", "expected"),
    [c[1:] for c in TIER_INSTANCES],
    ids=[c[0] for c in TIER_INSTANCES],
)
def test_tier_instances(
    web: dict[str, Any], managed: tuple[str, ...], text: str | None, expected: Instances
) -> None:
    tier = CONFIG.tier("pro")._replace(web=MappingProxyType(web))
    now = None
    if text is not None:
        now = place(read_blueprint(text, "render.yaml"), "render.yaml", Selection(), CONFIG, CAT)
    assert tier_instances(tier, managed, now) == expected
