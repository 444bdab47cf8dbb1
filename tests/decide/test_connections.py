"""The connection budget and the connections rule of the decision, table by table (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tier_cli.config.catalogue import load_catalogue
from tier_cli.config.metric_table import METRIC_NAMES
from tier_cli.config.tiers import TierConfig, load_config
from tier_cli.decide.advisor import ConnectionLimits, decide
from tier_cli.decide.connections import budget, budget_notice, other_share, workers
from tier_cli.metrics.measured import Metrics

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = load_catalogue()
CONFIG = load_config(ROOT / "tiers.toml", CATALOGUE)


def m(**values: float | None) -> Metrics:
    full: dict[str, float | None] = dict.fromkeys(METRIC_NAMES)
    full.update(values)
    return Metrics(values=full, source="test")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        pytest.param("uvicorn {app} --host 0.0.0.0 --port $PORT", 1, id="uvicorn-one-process"),
        pytest.param("gunicorn {app} --workers 2 -k x", 2, id="gunicorn-workers"),
        pytest.param("gunicorn {app} -w 4", 4, id="short-flag"),
        pytest.param("uvicorn {app} --workers=3", 3, id="equals"),
        pytest.param("gunicorn -w4 {app}", 4, id="short-flag-joined"),
        pytest.param("python seed.py -w 9 && uvicorn main:app", 1, id="another-program-s-w"),
        pytest.param("python seed.py --workers 9 && gunicorn main:app -w 2", 2, id="the-server-s"),
        pytest.param("uvicorn {app} --workers $WEB_CONCURRENCY", 1, id="a-variable"),
    ],
)
def test_workers(command: str, expected: int) -> None:
    assert workers(command) == expected


# (id, tier, instances, pool_per_worker, other, total, limit, over)
BUDGETS = [
    ("free", "free", 1, 15, 0, 15, 100, False),
    ("starter", "starter", 1, 15, 0, 30, 100, False),
    ("pro", "pro", 1, 15, 0, 75, 100, False),  # 5 workers on pro-4gb
    ("pro-two-instances", "pro", 2, 15, 0, 150, 100, True),
    ("pro-two-instances-smaller-pool", "pro", 2, 10, 0, 100, 100, False),
    ("pro-and-a-worker-service", "pro", 1, 15, 30, 105, 100, True),
    ("starter-three-instances", "starter", 3, 15, 0, 90, 100, False),
    ("starter-four-instances", "starter", 4, 15, 0, 120, 100, True),
]


@pytest.mark.parametrize(
    ("tier", "instances", "pool", "other", "total", "limit", "over"),
    [c[1:] for c in BUDGETS],
    ids=[c[0] for c in BUDGETS],
)
def test_budget_of_the_shipped_tiers(
    tier: str, instances: int, pool: int, other: int, total: int, limit: int, over: bool
) -> None:
    config = CONFIG._replace(database=CONFIG.database._replace(pool_per_worker=pool))
    b = budget(config.tier(tier), config, CATALOGUE, instances, other)
    assert (b.total, b.limit, b.over) == (total, limit, over)
    found = budget_notice(b, config, CATALOGUE)
    assert (found is not None) == over


def test_budget_warning_gives_the_numbers_and_the_fixes() -> None:
    found = budget_notice(budget(CONFIG.tier("pro"), CONFIG, CATALOGUE, 2, 10), CONFIG, CATALOGUE)
    assert found is not None and found.code == "connection-budget"
    assert found.message == (
        "tier pro: 5 web workers x 2 instances x 15 connections each (pool_per_worker) + 10 for "
        "other services = 160 connections, above the 100 of database plan pro-4gb. Tip: a "
        "smaller pool (pool_size + max_overflow <= 9 per worker, then set pool_per_worker), "
        "fewer workers, a database plan with more connections (pro-8gb: 200), or Render's "
        "connection pooling (PgBouncer)"
    )


def test_the_guide_as_written_is_over_on_pro(tmp_path: Path) -> None:
    """The guide's 8 workers on its legacy `pro` database (97 connections): 120 > 97."""
    guide = (
        (ROOT / "tiers.toml")
        .read_text("utf-8")
        .replace('database_plan = "pro-4gb"', 'database_plan = "pro"')
        .replace("--workers 5", "--workers 8")
    )
    path = tmp_path / "tiers.toml"
    path.write_text(guide, "utf-8")
    config = load_config(path, CATALOGUE)
    b = budget(config.tier("pro"), config, CATALOGUE)
    assert (b.workers, b.total, b.limit, b.over) == (8, 120, 97, True)


@pytest.mark.parametrize(
    ("measured", "current", "instances", "expected"),
    [
        pytest.param(None, "starter", 1, 0, id="not-measured"),
        pytest.param(40.0, None, 1, 0, id="current-tier-unknown"),
        pytest.param(20.0, "starter", 1, 0, id="within-the-web-budget"),
        pytest.param(41.0, "starter", 1, 11, id="beyond-it"),
        pytest.param(41.0, "starter", 2, 0, id="two-instances"),
    ],
)
def test_other_services_share(
    measured: float | None, current: str | None, instances: int, expected: int
) -> None:
    tier = None if current is None else CONFIG.tier(current)
    assert other_share(measured, tier, instances, 15) == expected


def _with_plans(*plans: str) -> TierConfig:
    """The shipped tiers with these database plans, in order."""
    tiers = tuple(t._replace(database_plan=p) for t, p in zip(CONFIG.tiers, plans, strict=True))
    return CONFIG._replace(tiers=tiers)


def _limits(config: TierConfig, current: str) -> ConnectionLimits:
    def limit(plan: str) -> int | None:
        found = CATALOGUE.find("postgres", plan)
        return None if found is None else found.connections

    return ConnectionLimits(limit(current), tuple(limit(t.database_plan) for t in config.tiers))


ROOMY = _with_plans("free", "basic-1gb", "pro-8gb", "pro-16gb")  # 100, 100, 200, 400

# (id, config, current tier, current database plan, db_connections, expected, reasons, warned)
RULES = [
    ("below-the-share", ROOMY, "free", "free", 79, "free", set(), False),
    ("at-the-share-needs-more", ROOMY, "free", "free", 80, "pro", {"connections"}, False),
    ("on-starter", ROOMY, "starter", "basic-1gb", 90, "pro", {"connections"}, False),
    ("on-pro-8gb", ROOMY, "pro", "pro-8gb", 170, "pro+redis", {"connections"}, False),
    ("unknown", ROOMY, "free", "free", None, "free", set(), False),
    (
        "shipped-tiers-have-no-bigger-plan",
        CONFIG,
        "starter",
        "basic-256mb",
        90,
        "starter",
        set(),
        True,
    ),
]


@pytest.mark.parametrize(
    ("config", "current", "plan", "conns", "expected", "rules", "warned"),
    [c[1:] for c in RULES],
    ids=[c[0] for c in RULES],
)
def test_connections_near_the_limit_need_a_bigger_plan(
    config: TierConfig,
    current: str,
    plan: str,
    conns: float | None,
    expected: str,
    rules: set[str],
    warned: bool,
) -> None:
    decision = decide(m(db_connections=conns), config, current, _limits(config, plan))
    assert decision.recommended == expected
    assert {r.rule for r in decision.reasons} == rules
    assert any("connections-beyond-tiers" in str(w) or "no tier above" in str(w)
               for w in decision.warnings) == warned  # fmt: skip


def test_connections_reason_reads() -> None:
    decision = decide(m(db_connections=85), ROOMY, "free", _limits(ROOMY, "free"))
    assert [r.describe() for r in decision.reasons] == [
        "db_connections 85 >= 80 (connections share of the database plan's limit): needs pro"
    ]


def test_the_scale_out_example_counts_its_max_instances(tmp_path: Path) -> None:
    """A tier that writes `scaling` is budgeted at its maxInstances, whatever the file has now."""
    text = (ROOT / "tiers.toml").read_text("utf-8")
    start = text.index('# name = "scale-out"') - len("# [[tier]]\n")
    example = text[start:].split("\n\n", 1)[0]
    active = "\n".join(line.removeprefix("# ").split("  #")[0] for line in example.splitlines())
    path = tmp_path / "tiers.toml"
    path.write_text(text + "\n" + active.replace("#\n", "\n") + "\n", "utf-8")
    config = load_config(path, CATALOGUE)
    b = budget(config.tier("scale-out"), config, CATALOGUE, instances=1)
    assert (b.workers, b.instances, b.total, b.limit, b.over) == (5, 6, 450, 100, True)
    notice = budget_notice(b, config, CATALOGUE)
    assert notice is not None and "5 web workers x 6 instances" in notice.message
