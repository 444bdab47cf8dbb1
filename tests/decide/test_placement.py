"""Which tier render.yaml is on now: from the web service's plan, the database's, Key Value."""

from __future__ import annotations

from pathlib import Path

import pytest

from tier_cli.blueprint.view import read_blueprint
from tier_cli.config.catalogue import load_catalogue
from tier_cli.config.tiers import load_config
from tier_cli.decide.placement import place
from tier_cli.models import Selection

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
    ("starter", blueprint("starter", "starter"), "starter", None),
    ("pro", blueprint("pro", "pro"), "pro", None),
    ("pro+redis", blueprint("pro", "pro", keyvalue="keyvalue"), "pro+redis", None),
    ("legacy-redis-type", blueprint("pro", "pro", keyvalue="redis"), "pro+redis", None),
    ("2026-plan-id", blueprint("2c-4g", "pro"), "pro", None),
    ("capitalised", blueprint("Starter", "starter"), "starter", None),
    ("no-plan-key-is-starter", blueprint(None, "starter"), "starter", None),
    (
        "db-plan-differs",
        blueprint("starter", "basic-1gb"),
        "starter",
        "database db is on plan basic-1gb",
    ),
    ("no-database", blueprint("pro", database=False), "pro", None),
    ("standard-matches-no-tier", blueprint("standard", "basic-1gb"), None, "matches no tier"),
    ("typo-plan", blueprint("prro", "pro"), None, "api plan 'prro' is not a Render web plan"),
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


def test_costs_count_defaults_and_key_value() -> None:
    text = blueprint(None, None, keyvalue="keyvalue")
    placement = place(read_blueprint(text, "render.yaml"), "render.yaml", Selection(), CONFIG, CAT)
    cost = placement.cost(CONFIG, CAT)
    assert cost.describe() == (
        "$23/month (web starter $7 + postgres basic-256mb $6 + keyvalue starter $10)"
    )
