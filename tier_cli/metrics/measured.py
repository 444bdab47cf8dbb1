"""What a metrics source hands back: the readings, where they came from, and when."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import NamedTuple

_EMPTY: Mapping[str, str] = MappingProxyType({})  # immutable defaults, safe to share


class Metrics(NamedTuple):
    """What was measured. A value of None means the metric could not be measured (unknown)."""

    values: Mapping[str, float | None]
    source: str  # where it came from, never with credentials: "postgresql://db.example/app", a path
    collected_at: datetime | None = None
    labels: Mapping[str, str] = _EMPTY  # metric -> "estimate", "single reading", ...
    advice: tuple[str, ...] = ()  # e.g. which index would make a slow or scanning query fast
    timings_ms: Mapping[str, float] = MappingProxyType({})  # metric -> how long reading it took

    def get(self, name: str) -> float | None:
        return self.values.get(name)
