"""Where the shipped tiers (the guide) differ from Render's catalogue, tier by tier."""

from __future__ import annotations

from pathlib import Path

import pytest

from tier_cli.config.catalogue import load_catalogue
from tier_cli.config.tiers import load_config
from tier_cli.decide.reality import reality_checks

ROOT = Path(__file__).resolve().parents[2]
CAT = load_catalogue()
CONFIG = load_config(ROOT / "tiers.toml", CAT)
SHIPPED = (ROOT / "tiers.toml").read_text("utf-8")

# The guide's beliefs about prices and sizes, which the shipped file keeps as comments only.
BELIEFS = (
    SHIPPED.replace("storage_gb = 10\n", "storage_gb = 10\nprice_usd = 14\nweb_ram_gb = 2\n")
    .replace(
        "storage_gb = 256\n# guide: $50",
        "storage_gb = 256\nprice_usd = 50\nweb_cpu = 4\nweb_ram_gb = 8\n# guide: $50",
    )
    .replace(
        "storage_gb = 256\n# guide: $57",
        "storage_gb = 256\nprice_usd = 57\nweb_cpu = 4\nweb_ram_gb = 8\n# guide: $57",
    )
)

# What the guide wrote, where the shipped file now differs (tiers.toml's comments say the same).
GUIDE_AS_WRITTEN = (
    (ROOT / "tiers.toml")
    .read_text("utf-8")
    .replace('database_plan = "basic-256mb"', 'database_plan = "starter"')
    .replace('database_plan = "pro-4gb"', 'database_plan = "pro"')
    .replace("uvicorn_worker.UvicornWorker", "uvicorn.workers.UvicornWorker")
    .replace("--workers 5", "--workers 8")
)

# The warnings about what tier would write (not the guide's beliefs about prices and sizes).
DEPLOY_BREAKERS = ("legacy Render Postgres plan", "workers on web plan", "deprecated")

# (tier, fragments each warning list must contain, fragments it must not)
CASES = [
    ("free", ["free Postgres expires 30 days after creation"], ["web_ram_gb", "price_usd"]),
    (
        "starter",
        [
            "web_ram_gb = 2, but Render's web plan `starter` has 0.5 CPU and 512 MB RAM",
            "that is Render's `standard` ($25/month)",
            "price_usd says $14/month; Render's catalogue (2026-10-01) gives $17.5/month (web "
            "starter $7 + postgres basic-256mb $6 + disk 15 GB $4.5)",
        ],
        DEPLOY_BREAKERS,
    ),
    (
        "pro",
        [
            "web_cpu = 4, web_ram_gb = 8, but Render's web plan `pro` has 2 CPU and 4 GB RAM",
            "that is Render's `pro plus` ($175/month)",
            "price_usd says $50/month; Render's catalogue (2026-10-01) gives $170/month",
        ],
        DEPLOY_BREAKERS,
    ),
    (
        "pro+redis",
        [
            "gives $180/month (web pro $85 + postgres pro-4gb $55 + disk 100 GB $30 + keyvalue "
            "starter $10)"
        ],
        DEPLOY_BREAKERS,
    ),
]

# The guide as written: each thing the shipped file changed is what tier warns about.
GUIDE_CASES = [
    (
        "starter",
        [
            "database_plan 'starter' is a legacy Render Postgres plan",
            'database_plan = "basic-256mb"',
            "uvicorn.workers.UvicornWorker, deprecated",
        ],
    ),
    (
        "pro",
        [
            "database_plan 'pro' is a legacy Render Postgres plan",
            "8 workers on web plan pro (2 CPU) is above gunicorn's (2 x CPUs) + 1 = 5",
        ],
    ),
]


@pytest.mark.parametrize(("tier", "present"), GUIDE_CASES, ids=[c[0] for c in GUIDE_CASES])
def test_the_guide_as_written_gets_the_warnings(
    tmp_path: Path, tier: str, present: list[str]
) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text(GUIDE_AS_WRITTEN, "utf-8")
    config = load_config(path, CAT)
    text = " | ".join(w.message for w in reality_checks(config.tier(tier), config, CAT))
    for fragment in present:
        assert fragment in text


@pytest.mark.parametrize(("tier", "present", "absent"), CASES, ids=[c[0] for c in CASES])
def test_guide_against_render(
    tmp_path: Path, tier: str, present: list[str], absent: list[str]
) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text(BELIEFS, "utf-8")
    config = load_config(path, CAT)
    text = " | ".join(w.message for w in reality_checks(config.tier(tier), config, CAT))
    for fragment in present:
        assert fragment in text
    for fragment in absent:
        assert fragment not in text


def test_a_tier_that_matches_render_gets_no_size_warning(tmp_path: Path) -> None:
    fixed = BELIEFS.replace("web_ram_gb = 2\n", "web_ram_gb = 0.5\n")
    assert fixed != BELIEFS
    path = tmp_path / "tiers.toml"
    path.write_text(fixed, "utf-8")
    config = load_config(path, CAT)
    text = " | ".join(w.message for w in reality_checks(config.tier("starter"), config, CAT))
    assert "web_ram_gb" not in text


# The warnings about what `tier apply` would write: none of them may fire for a shipped tier.
WOULD_NOT_DEPLOY = {
    "legacy-postgres-plan",
    "workers-exceed-ram",
    "workers-exceed-cpu",
    "deprecated-worker-class",
}


@pytest.mark.parametrize("tier", CONFIG.names)
def test_shipped_tiers_deploy_on_render(tier: str) -> None:
    codes = {w.code for w in reality_checks(CONFIG.tier(tier), CONFIG, CAT)}
    assert codes <= {"free-postgres-expires"}  # no price or size notice about tier's own file
    assert not codes & WOULD_NOT_DEPLOY


def test_shipped_tiers_keep_the_guide_as_english_comments() -> None:
    assert "source: the guide" in SHIPPED
    for word in ("mois", "étudiants", "utilisateurs simultanés", "plusieurs"):
        assert word not in SHIPPED.replace("selon nombre d'utilisateurs", "")
    for field in ("price_usd =", "web_cpu =", "web_ram_gb ="):
        assert f"\n{field}" not in SHIPPED  # beliefs as comments only


@pytest.mark.parametrize("tier", CONFIG.names)
def test_the_guide_as_written_would_not_deploy(tmp_path: Path, tier: str) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text(GUIDE_AS_WRITTEN, "utf-8")
    config = load_config(path, CAT)
    codes = {w.code for w in reality_checks(config.tier(tier), config, CAT)}
    expected = {
        "free": set(),
        "starter": {"legacy-postgres-plan", "deprecated-worker-class"},
        "pro": {"legacy-postgres-plan", "deprecated-worker-class", "workers-exceed-cpu"},
        "pro+redis": {"legacy-postgres-plan", "deprecated-worker-class", "workers-exceed-cpu"},
    }
    assert codes & WOULD_NOT_DEPLOY == expected[tier]
