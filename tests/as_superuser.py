"""collect and inspect_schema as the test server's superuser, which tier refuses by default.

Most database tests connect as the superuser of the test server (the pg_url fixture); they test
the metrics, not the role. The refusal itself, and runs as a read-only monitoring role, are in
tests/test_safety.py.
"""

from __future__ import annotations

from typing import Any

from tier_cli.config.settings import DatabaseSettings
from tier_cli.metrics.measured import Metrics
from tier_cli.metrics.postgres import collect as _module
from tier_cli.metrics.postgres.schema import SchemaGuess


def collect(url: str, settings: DatabaseSettings) -> Metrics:
    return _module.collect(url, settings, allow_superuser=True)


def inspect_schema(url: str, *args: Any) -> SchemaGuess:
    return _module.inspect_schema(url, *args, allow_superuser=True)


def one_failure(url: str, settings: DatabaseSettings) -> Metrics:
    """collect, where a metric's query fails: the others are still measured (one at
    least) and the failed ones are unknown with their reasons. Raises the first one's as the
    MetricsError it was, for the tests that compare the message."""
    from tier_cli.errors import MetricsError

    metrics = collect(url, settings)
    failed = {
        name: label.removeprefix("unknown: ")
        for name, label in metrics.labels.items()
        if label.startswith("unknown: ") and metrics.get(name) is None
    }
    assert failed, metrics.labels
    assert any(v is not None for v in metrics.values.values())  # the others ran
    name, why = next(iter(failed.items()))  # in the metric table's order
    assert metrics.quality_of(name) == "unknown"
    raise MetricsError(f"metric '{name}': {why}")
