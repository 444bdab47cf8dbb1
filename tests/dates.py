"""Dates for snapshots in tests: relative to today, so no test goes stale with the calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A day ago: well inside [snapshot] max_age_days (7), whatever day the suite runs.
RECENT = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0).isoformat()
