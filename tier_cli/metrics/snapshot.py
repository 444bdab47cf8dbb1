"""Metrics snapshots: JSON `{"collected_at": "<ISO 8601>", "metrics": {name: number}}`."""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tier_cli.config.metric_table import METRIC_NAMES, QUALITIES, UNKNOWN
from tier_cli.errors import ConfigError, MetricsError, mask
from tier_cli.metrics.measured import Metrics
from tier_cli.notices import Notice, notice
from tier_cli.textio import (
    HISTORY_LIMIT,
    SNAPSHOT_LIMIT,
    NotRegularFile,
    OutsideProject,
    read_file,
)


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
        if value is not None and not _finite(value):
            raise MetricsError(
                f"{name}: metrics.{metric}: {value} is not a finite number. Tip: a number, or "
                "null for unknown"
            )
        if value is not None and value < 0:
            raise MetricsError(f"{name}: metrics.{metric}: {value} is negative")
        values[metric] = None if value is None else float(value)
    labels = data.get("labels", {})
    quality = _quality(data.get("quality", {}), values, name)
    source = mask(data["source"]) if isinstance(data.get("source"), str) else None
    return Metrics(
        values=values,
        source=f"snapshot {name}" + (f" of {source}" if isinstance(source, str) else ""),
        collected_at=collected_at,
        labels={k: v for k, v in labels.items() if isinstance(v, str)}
        if isinstance(labels, dict)
        else {},
        quality=quality,
    )


def _quality(raw: Any, values: Mapping[str, float | None], name: str) -> dict[str, str]:
    """The "quality" object: a measured metric's quality (an unknown one's is "unknown");
    a metric it leaves out gets its default (Metrics.quality_of)."""
    if not isinstance(raw, dict):
        raise MetricsError(f"{name}: quality is not an object. Tip: {_SHAPE}")
    out: dict[str, str] = {}
    for metric, quality in raw.items():
        if metric not in METRIC_NAMES:
            raise MetricsError(
                f"{name}: quality.{metric}: unknown metric. Tip: use {', '.join(METRIC_NAMES)}"
            )
        if quality not in QUALITIES:
            raise MetricsError(
                f"{name}: quality.{metric}: {quality!r} is not a quality. Tip: use "
                + ", ".join(QUALITIES)
            )
        if values.get(metric) is not None and quality != UNKNOWN:
            out[metric] = quality
    return out


def _finite(value: float) -> bool:
    """A number a float can hold (a 400-digit integer cannot), and not NaN or infinite."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def read_snapshot(path: Path) -> Metrics:
    name = str(path)
    try:
        text = read_file(path, SNAPSHOT_LIMIT).decode("utf-8")
    except OutsideProject as exc:
        raise ConfigError(f"{name}: {exc}. Tip: commit the snapshot itself, not a link") from None
    except NotRegularFile as exc:
        raise MetricsError(
            f"{name}: {exc}. Tip: pass --metrics PATH of a snapshot JSON file"
        ) from None
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
    return parse_snapshot(_json(text, name), name)


def _json(text: str, name: str) -> Any:
    """JSON, with every way it can fail (syntax, nesting, 4,300-digit numbers) a MetricsError."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MetricsError(
            f"{name}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg}). Tip: {_SHAPE}"
        ) from None
    except RecursionError:
        raise MetricsError(f"{name}: JSON nested too deeply. Tip: {_SHAPE}") from None
    except ValueError as exc:  # a number of more than 4,300 digits
        raise MetricsError(f"{name}: invalid JSON ({exc}). Tip: {_SHAPE}") from None


def snapshot_json(metrics: Metrics) -> dict[str, Any]:
    from tier_cli.contract import SCHEMA_VERSION

    return {
        "schema_version": SCHEMA_VERSION,
        "collected_at": metrics.collected_at.isoformat() if metrics.collected_at else None,
        "source": metrics.source,
        "metrics": dict(metrics.values),
        "labels": dict(metrics.labels),
        "quality": metrics.qualities(),
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
    """Write the snapshot (atomically) and append it to nothing else: see append_history.

    A folder that cannot be made (`.tier` is a file, a read-only folder, a full disk) is a
    ConfigError, like the write itself (textio.write_atomic).
    """
    from tier_cli.textio import write_atomic

    _make_folder(path)
    text = json.dumps(snapshot_json(metrics), indent=2) + "\n"
    write_atomic(path, text.encode("utf-8"), error=ConfigError)


def append_history(path: Path, metrics: Metrics) -> None:
    _make_folder(path)
    try:
        info: os.stat_result | None = os.stat(path)
    except OSError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path}: is not a regular file. Tip: tier appends only to a file")
    try:
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(snapshot_json(metrics), separators=(",", ":")) + "\n")
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot append to the history ({exc.strerror}). Tip: check the free "
            "space and the permissions of its folder"
        ) from None


def _make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = "a file is in the way" if isinstance(exc, FileExistsError) else exc.strerror
        raise ConfigError(
            f"{path}: cannot be written (cannot make the folder {path.parent}: {why}). Tip: "
            "remove or rename what is there, or check its permissions"
        ) from None


def read_history(path: Path) -> list[Metrics]:
    """The snapshots in a JSON Lines history; a line that cannot be read is skipped."""
    try:
        lines = read_file(path, HISTORY_LIMIT).decode("utf-8").splitlines()
    except OutsideProject as exc:
        raise ConfigError(f"{path}: {exc}. Tip: commit the history itself, not a link") from None
    except (OSError, UnicodeDecodeError):
        return []
    points: list[Metrics] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            points.append(parse_snapshot(_json(line, f"{path}:{number}"), f"{path}:{number}"))
        except MetricsError:
            continue
    return points


_SHAPE = '{"collected_at": "2026-11-24T09:30:00+00:00", "metrics": {"active_users": 812}}'
