"""One way to write a number for people: metrics, thresholds, money.

Whole numbers keep every digit with thousands separators (12,000); fractions under 100 keep up to
two decimals (0.25, 3.5); larger ones are rounded (5,201). JSON keeps the raw values.
"""

from __future__ import annotations


def quantity(value: float | None) -> str:
    if value is None:
        return "unknown"
    if value == int(value):
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def usd(value: float | None) -> str:
    """A monthly price: $14, $0.3, $1,000; $? when unknown."""
    return "$?" if value is None else "$" + quantity(value)
