"""Metrics snapshots: JSON `{"collected_at": "<ISO 8601>", "metrics": {name: number}}`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from tier_cli.errors import MetricsError
from tier_cli.models import METRIC_NAMES, Metrics


def parse_snapshot(data: Mapping[str, Any], name: str) -> Metrics:
    if not isinstance(data, dict):
        raise MetricsError(f"{name}: a snapshot is a JSON object. Tip: {_SHAPE}")
    stamp = data.get("collected_at")
    if not isinstance(stamp, str):
        raise MetricsError(f"{name}: collected_at is missing or not a string. Tip: {_SHAPE}")
    try:
        collected_at = datetime.fromisoformat(stamp)
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
        raise MetricsError(f"{name}: no such snapshot. Tip: write one with `tier snapshot`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MetricsError(f"{name}: cannot be read ({exc}).") from None
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


_SHAPE = '{"collected_at": "2026-11-24T09:30:00+00:00", "metrics": {"active_users": 812}}'
