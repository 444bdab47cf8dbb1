"""Metrics snapshots: JSON `{"collected_at": "<ISO 8601>", "metrics": {name: number}}`."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tier_cli.errors import MetricsError
from tier_cli.metrics.table import METRIC_NAMES
from tier_cli.models import Metrics
from tier_cli.notices import Notice, notice


def parse_snapshot(data: Mapping[str, Any], name: str) -> Metrics:
    if not isinstance(data, dict):
        raise MetricsError(f"{name}: a snapshot is a JSON object. Tip: {_SHAPE}")
    stamp = data.get("collected_at")
    if not isinstance(stamp, str):
        raise MetricsError(f"{name}: collected_at is missing or not a string. Tip: {_SHAPE}")
    try:
        collected_at = datetime.fromisoformat(stamp)
        if collected_at.tzinfo is None:
            collected_at = collected_at.replace(tzinfo=UTC)  # a time without zone is UTC
    except ValueError:
        raise MetricsError(
            f"{name}: collected_at {stamp!r} is not an ISO 8601 time. "
            'Tip: write it like "2026-11-24T09:30:00+00:00"'
        ) from None
    raw = data.get("metrics")
    if not isinstance(raw, dict):
        raise MetricsError(f"{name}: metrics is missing or not an object. Tip: {_SHAPE}")
    values: dict[str, float | None] = dict.fromkeys(METRIC_NAMES)
    for metric, value in raw.items():
        if metric not in METRIC_NAMES:
            raise MetricsError(
                f"{name}: metrics.{metric}: unknown metric. Tip: use {', '.join(METRIC_NAMES)}"
            )
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise MetricsError(
                f"{name}: metrics.{metric}: {value!r} is not a number. Tip: a number, or null "
                "for unknown"
            )
        if value is not None and not math.isfinite(value):
            raise MetricsError(
                f"{name}: metrics.{metric}: {value} is not a finite number. Tip: a number, or "
                "null for unknown"
            )
        if value is not None and value < 0:
            raise MetricsError(f"{name}: metrics.{metric}: {value} is negative")
        values[metric] = None if value is None else float(value)
    labels = data.get("labels", {})
    source = data.get("source")
    return Metrics(
        values=values,
        source=f"snapshot {name}" + (f" of {source}" if isinstance(source, str) else ""),
        collected_at=collected_at,
        labels={k: v for k, v in labels.items() if isinstance(v, str)}
        if isinstance(labels, dict)
        else {},
    )


def read_snapshot(path: Path) -> Metrics:
    name = str(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise MetricsError(
            f"{name}: no such snapshot. Tip: write one with `tier snapshot`"
        ) from None
    except IsADirectoryError:
        raise MetricsError(f"{name}: is a folder. Tip: name the snapshot's JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MetricsError(
            f"{name}: cannot be read ({getattr(exc, 'strerror', None) or exc}). Tip: check the "
            "path and that the file is UTF-8 JSON"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MetricsError(
            f"{name}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg}). Tip: {_SHAPE}"
        ) from None
    return parse_snapshot(data, name)


def snapshot_json(metrics: Metrics) -> dict[str, Any]:
    return {
        "collected_at": metrics.collected_at.isoformat() if metrics.collected_at else None,
        "source": metrics.source,
        "metrics": dict(metrics.values),
        "labels": dict(metrics.labels),
    }


def stale_warning(metrics: Metrics, max_age_days: float, now: datetime) -> Notice | None:
    if metrics.collected_at is None:
        return None
    age = (now - metrics.collected_at).total_seconds() / 86_400
    if age < -1 / 24:  # more than an hour ahead: a wrong clock or a hand-written time
        return notice(
            "future-snapshot",
            f"metrics are dated in the future ({metrics.collected_at.isoformat()}; "
            f"{metrics.source}). Tip: check collected_at, or refresh them with `tier snapshot`",
        )
    if age <= max_age_days:
        return None
    return notice(
        "stale-snapshot",
        f"metrics are {age:.0f} days old ({metrics.source}; max_age_days = {max_age_days:g}). "
        "Tip: refresh them with `tier snapshot`",
    )


def write_snapshot(path: Path, metrics: Metrics) -> None:
    """Write the snapshot (atomically) and append it to nothing else: see append_history."""
    from tier_cli.textio import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, (json.dumps(snapshot_json(metrics), indent=2) + "\n").encode("utf-8"))


def append_history(path: Path, metrics: Metrics) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(snapshot_json(metrics), separators=(",", ":")) + "\n")


def read_history(path: Path) -> list[Metrics]:
    """The snapshots in a JSON Lines history; a line that cannot be read is skipped."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    points: list[Metrics] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            points.append(parse_snapshot(json.loads(line), f"{path}:{number}"))
        except (json.JSONDecodeError, MetricsError):
            continue
    return points


_SHAPE = '{"collected_at": "2026-11-24T09:30:00+00:00", "metrics": {"active_users": 812}}'
