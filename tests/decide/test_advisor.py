"""The decision against the guide, table by table, and its properties."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tier_cli.config.catalogue import load_catalogue
from tier_cli.config.metric_table import METRIC_NAMES
from tier_cli.config.tiers import load_config
from tier_cli.decide.advisor import decide
from tier_cli.metrics.measured import Metrics

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "tiers.toml", load_catalogue())
ORDER = CONFIG.names


def m(**values: float | None) -> Metrics:
    full: dict[str, float | None] = dict.fromkeys(METRIC_NAMES)
    full.update(values)
    return Metrics(values=full, source="test")


# (id, metrics, current tier, expected tier, rules behind it)
CASES = [
    (
        "empty-app",
        m(users=0, active_users=0, concurrent_users=0, db_size_mb=8),
        "free",
        "free",
        set(),
    ),
    ("guide-0-500", m(users=450, active_users=499, concurrent_users=10), "free", "free", set()),
    ("guide-500-active", m(active_users=500), "free", "starter", {"threshold"}),
    ("registered-not-active", m(users=20_000, active_users=120), "free", "free", set()),
    ("several-teachers", m(active_users=90, concurrent_users=30), "free", "starter", {"threshold"}),
    (
        "dashboard-slow-on-free",
        m(active_users=100, slow_query_ms=6200),
        "free",
        "starter",
        {"still_slow"},
    ),
    (
        "still-slow-on-starter",
        m(active_users=1200, slow_query_ms=7000),
        "starter",
        "pro",
        {"threshold", "still_slow"},
    ),
    (
        "still-slow-on-pro",
        m(active_users=6000, slow_query_ms=5100),
        "pro",
        "pro+redis",
        {"threshold", "still_slow"},
    ),
    (
        "slow-when-file-matches-no-tier",
        m(active_users=10, slow_query_ms=9000),
        None,
        "starter",
        {"still_slow"},
    ),
    (
        "guide-5000-active",
        m(active_users=5000, concurrent_users=40),
        "starter",
        "pro",
        {"threshold"},
    ),
    (
        "guide-100-simultaneous",
        m(active_users=2000, concurrent_users=100),
        "starter",
        "pro",
        {"threshold"},
    ),
    ("guide-10000-active", m(active_users=10_000), "pro", "pro+redis", {"threshold"}),
    ("jump-two-tiers", m(active_users=7000), "free", "pro", {"threshold"}),
    (
        "storage-past-80pct-of-free",
        m(active_users=10, db_size_mb=900),
        "free",
        "starter",
        {"storage"},
    ),
    ("storage-within-free", m(active_users=10, db_size_mb=800), "free", "free", set()),
    ("storage-needs-pro", m(active_users=10, db_size_mb=20_000), "free", "pro", {"storage"}),
    (
        "dead-band-holds-starter",
        m(active_users=450, concurrent_users=5),
        "starter",
        "starter",
        {"held"},
    ),
    (
        "clear-fall-goes-free",
        m(active_users=399, concurrent_users=19),
        "starter",
        "free",
        {"below"},
    ),
    (
        "dead-band-on-concurrency",
        m(active_users=100, concurrent_users=21),
        "starter",
        "starter",
        {"held"},
    ),
    (
        "down-from-pro-to-starter",
        m(active_users=3000, concurrent_users=50),
        "pro",
        "starter",
        {"threshold", "below"},
    ),
    (
        "down-held-at-pro",
        m(active_users=4500, concurrent_users=50),
        "pro",
        "pro",
        {"threshold", "held"},
    ),
    (
        "down-two-tiers-at-once",
        m(active_users=100, concurrent_users=3),
        "pro+redis",
        "free",
        {"below"},
    ),
    (
        "unknown-blocks-downgrade",
        m(active_users=100, concurrent_users=None),
        "starter",
        "starter",
        set(),
    ),
    ("all-unknown-on-free", m(), "free", "free", set()),
    ("unknown-current-no-load", m(active_users=10), None, "free", set()),
]


@pytest.mark.parametrize(
    ("metrics", "current", "expected", "rules"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_guide_cases(metrics: Metrics, current: str | None, expected: str, rules: set[str]) -> None:
    decision = decide(metrics, CONFIG, current)
    assert decision.recommended == expected
    assert {r.rule for r in decision.reasons} == rules


def test_reasons_name_metric_value_threshold_and_tier() -> None:
    decision = decide(m(active_users=812, concurrent_users=31), CONFIG, "free")
    got = {(r.metric, r.value, r.threshold, r.tier) for r in decision.reasons}
    assert got == {("active_users", 812, 500, "starter"), ("concurrent_users", 31, 25, "starter")}
    assert decision.reasons[0].describe() == "active_users 812 >= 500: reaches starter"
    assert decision.change == "up"


def test_headroom_to_the_next_tier() -> None:
    decision = decide(m(active_users=812, concurrent_users=31, db_size_mb=100), CONFIG, "free")
    rows = {(h.metric, h.tier): (h.value, h.threshold, h.remaining) for h in decision.headroom}
    assert rows[("active_users", "pro")] == (812, 5000, 4188)
    assert rows[("concurrent_users", "pro")] == (31, 100, 69)
    assert rows[("db_size_mb", "starter")] == (100, 10 * 1024 * 0.8, 10 * 1024 * 0.8 - 100)


def test_warnings_beyond_capacity_and_top_tier_still_slow() -> None:
    decision = decide(m(active_users=150_000, slow_query_ms=8000), CONFIG, "pro+redis")
    assert decision.recommended == "pro+redis"
    text = " | ".join(w.message for w in decision.warnings)
    assert "beyond the 100,000 users" in text
    assert "no tier above it" in text


def test_unknown_metrics_are_reported() -> None:
    decision = decide(m(active_users=10), CONFIG, "free")
    assert decision.unknown == (
        "users",
        "concurrent_users",
        "db_size_mb",
        "slow_query_ms",
        "db_connections",
    )


def test_unknown_blocks_downgrade_with_a_warning() -> None:
    decision = decide(m(active_users=100), CONFIG, "pro")
    assert decision.recommended == "pro"
    assert any("could not be measured" in w.message for w in decision.warnings)


# --- properties ---------------------------------------------------------------------------------

values = st.one_of(st.none(), st.floats(min_value=0, max_value=300_000, allow_nan=False))
metric_maps = st.fixed_dictionaries({name: values for name in METRIC_NAMES})
currents = st.sampled_from((None, *ORDER))


@given(metric_maps, metric_maps, currents)
def test_more_load_never_gives_a_lower_tier(
    a: dict[str, float | None], b: dict[str, float | None], current: str | None
) -> None:
    # b' = a plus a non-negative amount on every metric a knows; unknown stays unknown
    more = {k: None if a[k] is None else a[k] + (b[k] or 0) for k in METRIC_NAMES}  # type: ignore[operator]
    low = decide(Metrics(a, "p"), CONFIG, current).recommended
    high = decide(Metrics(more, "p"), CONFIG, current).recommended
    assert ORDER.index(high) >= ORDER.index(low)


@given(metric_maps, currents, st.sampled_from(METRIC_NAMES))
def test_an_unmeasured_metric_never_triggers(
    a: dict[str, float | None], current: str | None, metric: str
) -> None:
    without = dict(a, **{metric: None})
    decision = decide(Metrics(without, "p"), CONFIG, current)
    assert all(r.metric != metric for r in decision.reasons)
    assert metric in decision.unknown


@given(metric_maps, currents)
def test_upgrades_happen_at_once(a: dict[str, float | None], current: str | None) -> None:
    """Whatever the current tier, the recommendation is at least the tier the thresholds reach."""
    reached = decide(Metrics(a, "p"), CONFIG, None)
    decision = decide(Metrics(a, "p"), CONFIG, current)
    slow = a["slow_query_ms"]
    if slow is None or slow < CONFIG.policy.still_slow_ms:
        assert ORDER.index(decision.recommended) >= ORDER.index(reached.recommended)


def test_a_downgrade_says_why_each_tier_is_left() -> None:
    decision = decide(m(active_users=100, concurrent_users=3), CONFIG, "pro")
    assert decision.recommended == "free"
    assert [r.describe() for r in decision.reasons] == [
        "active_users 100 < 4,000 (clearly below its threshold): leaving pro",
        "concurrent_users 3 < 80 (clearly below its threshold): leaving pro",
        "active_users 100 < 400 (clearly below its threshold): leaving starter",
        "concurrent_users 3 < 20 (clearly below its threshold): leaving starter",
    ]
