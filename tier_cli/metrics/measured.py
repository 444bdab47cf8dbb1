"""What a metrics source hands back: the readings, where they came from, and when."""

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import NamedTuple

from tier_cli.config.metric_table import EXACT, METRIC_NAMES, SINGLE_READING, UNKNOWN

_EMPTY: Mapping[str, str] = MappingProxyType({})  # immutable defaults, safe to share


class Metrics(NamedTuple):
    """What was measured. A value of None means the metric could not be measured (unknown)."""

    values: Mapping[str, float | None]
    source: str  # where it came from, never with credentials: "postgresql://db.example/app", a path
    collected_at: datetime | None = None
    labels: Mapping[str, str] = _EMPTY  # metric -> "estimate", "single reading", ...
    advice: tuple[str, ...] = ()  # e.g. which index would make a slow or scanning query fast
    timings_ms: Mapping[str, float] = MappingProxyType({})  # metric -> how long reading it took
    quality: Mapping[str, str] = _EMPTY  # metric -> "exact", "lower_bound", "single_reading"

    def get(self, name: str) -> float | None:
        return self.values.get(name)

    def quality_of(self, name: str) -> str:
        """ "unknown" without a value; else what was recorded; else exact, but for a label
        "single reading" (a snapshot written before qualities were recorded)."""
        if self.get(name) is None:
            return UNKNOWN
        if found := self.quality.get(name):
            return found
        return SINGLE_READING if self.labels.get(name) == "single reading" else EXACT

    def qualities(self) -> dict[str, str]:
        """Every metric's quality, in the metric table's order (the JSON outputs)."""
        return {name: self.quality_of(name) for name in METRIC_NAMES}
