"""`tier snapshot`'s work: measure the database, write the snapshot, join the history."""

import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from tier_cli.app import Inputs
from tier_cli.errors import MetricsError
from tier_cli.metrics.measured import Metrics
from tier_cli.metrics.sources import MetricsSource


class Taken(NamedTuple):
    """A snapshot written, and the history it joined (None: written elsewhere with -o)."""

    path: Path
    measured: Metrics
    history: Path | None


def take_snapshot(
    inputs: Inputs,
    source: MetricsSource,
    output: Path | None,
    progress: Callable[[str], None] | None = None,
) -> Taken:
    """Measure the database and write the snapshot; one written where tiers.toml says also joins
    the history, one written elsewhere (-o) is a one-off."""
    from tier_cli.metrics.snapshot import append_history, write_snapshot
    from tier_cli.metrics.sources import read_metrics, resolve_url

    if not source.demo and not resolve_url(source):
        raise MetricsError(
            "tier snapshot measures a database. Tip: pass --database-url URL or set DATABASE_URL"
        )
    measured = read_metrics(source, inputs.config.database, progress=progress)
    configured = inputs.beside_tiers(inputs.config.snapshot.path, "snapshot.path")
    path = output or configured
    write_snapshot(path, measured)
    if os.path.abspath(path) != os.path.abspath(configured):
        return Taken(path, measured, None)
    history = inputs.beside_tiers(inputs.config.snapshot.history, "snapshot.history")
    append_history(history, measured)
    return Taken(path, measured, history)
