"""A metric's quality in the decision: a lower bound or a single reading moves the tier up,
never down, and a decision that rests on one (or on an unknown threshold metric) is uncertain."""

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
EXACT_ALL = {"users": 9000.0, "db_size_mb": 300.0, "slow_query_ms": 20.0, "db_connections": 3.0}


def m(quality: dict[str, str] | None = None, **values: float | None) -> Metrics:
    full: dict[str, float | None] = dict.fromkeys(METRIC_NAMES)
    full.update(EXACT_ALL)
    full.update(values)
    return Metrics(values=full, source="test", quality=quality or {})


LOWER = {"active_users": "lower_bound"}
SINGLE = {"concurrent_users": "single_reading"}

# (id, metrics, current, expected tier, the start of each uncertain_because entry)
CASES = [
    pytest.param(
        m(active_users=6000, concurrent_users=150), "pro", "pro", [], id="exact-on-pro-stays"
    ),
    pytest.param(
        m(active_users=100, concurrent_users=3), "pro", "free", [], id="exact-clear-fall-goes-down"
    ),
    pytest.param(
        m(LOWER, active_users=628, concurrent_users=3),
        "pro",
        "pro",
        ["active_users 628 is a lower bound: its true value may reach pro+redis"],
        id="lower-bound-never-downgrades",
    ),
    pytest.param(
        m(LOWER, active_users=628, concurrent_users=3),
        "starter",
        "starter",
        ["active_users 628 is a lower bound: its true value may reach pro"],
        id="lower-bound-in-sync-is-uncertain",
    ),
    pytest.param(
        m(LOWER, active_users=5200, concurrent_users=3),
        "starter",
        "pro",
        ["active_users 5,200 is a lower bound: its true value may reach pro+redis"],
        id="lower-bound-moves-up",
    ),
    pytest.param(
        m(SINGLE, active_users=3319, concurrent_users=0),
        "pro",
        "pro",
        ["staying on pro: a downgrade needs every metric of its thresholds measured exactly"],
        id="single-reading-never-downgrades",
    ),
    pytest.param(
        m(SINGLE, active_users=3319, concurrent_users=0),
        "starter",
        "starter",
        ["concurrent_users 0 is a single reading, not the peak: its true value may reach pro"],
        id="single-reading-uncertain",
    ),
    pytest.param(
        m(active_users=3319, concurrent_users=None),
        "starter",
        "starter",
        ["concurrent_users is unknown: its true value may reach pro"],
        id="unknown-threshold-metric",
    ),
    pytest.param(
        m(LOWER, active_users=20_000, concurrent_users=900),
        "pro",
        "pro+redis",
        [],
        id="lower-bound-at-the-top-is-certain",
    ),
]


@pytest.mark.parametrize(("metrics", "current", "expected", "because"), CASES)
def test_quality_in_the_decision(
    metrics: Metrics, current: str, expected: str, because: list[str]
) -> None:
    decision = decide(metrics, CONFIG, current)
    assert decision.recommended == expected
    assert decision.uncertain is bool(because)
    assert len(decision.uncertain_because) >= len(because)
    for said, start in zip(decision.uncertain_because, because, strict=False):
        assert said.startswith(start)
    warned = [w for w in decision.warnings if w.code == "uncertain-recommendation"]
    assert len(warned) == (1 if because else 0)
    assert all(w.severity == "warning" for w in warned)


def test_a_held_downgrade_says_which_metric_is_not_exact() -> None:
    decision = decide(m(SINGLE, active_users=100, concurrent_users=0), CONFIG, "pro")
    held = [w.message for w in decision.warnings if w.code == "downgrade-held"]
    assert held == [
        "staying on pro: a downgrade needs every metric of its thresholds measured exactly, "
        "and concurrent_users is a single reading, not the peak"
    ]
    assert held[0] in decision.uncertain_because


values = st.one_of(st.none(), st.floats(min_value=0, max_value=300_000, allow_nan=False))
metric_maps = st.fixed_dictionaries({name: values for name in METRIC_NAMES})
qualities = st.dictionaries(
    st.sampled_from(METRIC_NAMES), st.sampled_from(("exact", "lower_bound", "single_reading"))
)


@given(metric_maps, qualities, st.sampled_from((None, *ORDER)))
def test_a_proxy_never_gives_a_lower_tier_than_exact_figures(
    values_: dict[str, float | None], quality: dict[str, str], current: str | None
) -> None:
    exact = decide(Metrics(values_, "p"), CONFIG, current).recommended
    proxied = decide(Metrics(values_, "p", quality=quality), CONFIG, current).recommended
    assert ORDER.index(proxied) >= ORDER.index(exact)
