"""Whether render.yaml already says what a tier wants: a value's data picture in the file
(nodes.to_data) against a tiers.toml value, by meaning, not spelling (`0x10` is 16, `True` is
`true`). The editor asks it before writing; placement asks it to tell tiers apart."""

from __future__ import annotations

from collections.abc import Mapping

from tier_cli.blueprint.insert import BOOL, FLOAT, INT, Value
from tier_cli.blueprint.nodes import STR, Data
from tier_cli.config.settings import FieldValue


def means(data: Data, value: FieldValue) -> bool:
    """True when the file's value (its data picture) means the tiers.toml value."""
    return same_data(data, to_value(value))


def to_value(value: FieldValue) -> Value:
    """A tiers.toml value as the editor writes it: mappings as pairs, lists as lists."""
    if isinstance(value, Mapping):
        return tuple((key, to_value(item)) for key, item in value.items())
    if isinstance(value, tuple):
        return [to_value(item) for item in value]
    return value


def same_data(data: Data, want: Value) -> bool:
    """True when a value's data picture (nodes.to_data) means what the tier wants: the same
    strings, numbers by value (`0x10` is 16), booleans in any YAML spelling, lists item by item,
    mappings key by key with no other key."""
    if isinstance(want, str | int | float):
        return isinstance(data, tuple) and len(data) == 2 and _same_scalar(*data, want)
    if isinstance(want, list):
        return (
            isinstance(data, list)
            and len(data) == len(want)
            and all(same_data(d, w) for d, w in zip(data, want, strict=True))
        )
    if not isinstance(data, dict) or len(data) != len(want):
        return False
    return all((STR, key) in data and same_data(data[(STR, key)], item) for key, item in want)


def _same_scalar(tag: str, text: str, want: str | int | float) -> bool:
    if isinstance(want, str):
        return tag == STR and text == want
    if isinstance(want, bool):
        return tag == BOOL and text.lower() == ("true" if want else "false")
    if isinstance(want, int):
        return tag == INT and _number(text, int) == want
    return tag in (FLOAT, INT) and _number(text, float) == want


def _number(text: str, kind: type[int] | type[float]) -> float | None:
    clean = text.replace("_", "")
    try:
        return kind(clean) if kind is float else int(clean, 0)
    except ValueError:
        try:
            return int(clean, 10)
        except ValueError:
            return None
