"""The JSON Schema of tiers.toml (tier_cli/data/schemas/tiers.schema.json, for editors) says what
config/schema.py declares: the same keys in every table, and for each key the same type and
bounds. The declarations are the source; the JSON Schema follows them."""

from __future__ import annotations

import json
from typing import Any

from tier_cli.config.schema import TIER_NAME, TIERS_TOML
from tier_cli.config.validate import (
    Blueprint,
    Choice,
    Choices,
    Count,
    Names,
    Number,
    Plan,
    PlanNames,
    Section,
    Share,
    Table,
    Tables,
    Text,
    Type,
    Whole,
)
from tier_cli.contract import schema_text

SCHEMA = json.loads(schema_text("tiers"))


def _node(node: dict[str, Any]) -> dict[str, Any]:
    """`node`, or the definition its `$ref` names."""
    ref = node.get("$ref")
    return SCHEMA["$defs"][ref.removeprefix("#/$defs/")] if ref else node


def bounds(type_: Type) -> dict[str, Any]:
    """What the JSON Schema says of a value of `type_` (it may say more: a description)."""
    match type_:
        case Text() | Plan():
            return {"type": "string", "minLength": 1}
        case Number():
            return {"type": "number", "minimum" if type_.zero else "exclusiveMinimum": 0}
        case Share():
            return {
                "type": "number",
                "minimum" if type_.zero else "exclusiveMinimum": 0,
                "maximum" if type_.one else "exclusiveMaximum": 1,
            }
        case Whole():
            return {"type": "integer", "minimum": 1, "maximum": type_.most}
        case Count():
            high = {} if type_.high is None else {"maximum": type_.high}
            return {"type": "integer", "minimum": type_.low, **high}
        case Choice():
            return {"enum": list(type_.choices)}
        case Choices():
            return {"type": "array", "items": {"enum": sorted(map(str, type_.item.choices))}}
        case Table():
            return {"type": "object"}
        case Tables():
            return {"type": "array", "minItems": 1}
        case Blueprint():
            return {}


def differences(section: Section, node: dict[str, Any], at: str) -> list[str]:
    """Where the JSON Schema `node` of a table does not say what `section` declares."""
    node = _node(node)
    found = []
    properties = node.get("properties", {})
    names = section.names
    if isinstance(names, PlanNames):
        assert section.each is not None
        if node.get("additionalProperties") != bounds(section.each):
            found.append(f"{at}: entries are not {bounds(section.each)}")
        return found
    declared = [key.name for key in section.keys]
    allowed = declared if names is None else list(names.allowed)
    if sorted(properties) != sorted(allowed):
        found.append(f"{at}: keys {sorted(properties)}, declared {sorted(allowed)}")
    if node.get("additionalProperties") is not False:
        found.append(f"{at}: takes other keys")
    types = {name: section.each for name in allowed} if isinstance(names, Names) else {}
    types |= {key.name: key.type for key in section.keys}
    for name, type_ in types.items():
        said = _node(properties.get(name, {}))
        want = bounds(type_) if type_ is not None else {}
        if {k: said.get(k) for k in want} != want:
            found.append(f"{at}.{name}: {said}, declared {want}")
        if isinstance(type_, Table | Tables):
            inner = said.get("items", said)
            found += differences(type_.section, inner, f"{at}.{name}")
    return found


def test_the_json_schema_says_what_the_declarations_say() -> None:
    assert differences(TIERS_TOML, SCHEMA, "tiers.toml") == []


def test_the_json_schema_names_tiers_as_the_declaration_does() -> None:
    name = SCHEMA["$defs"]["tier"]["properties"]["name"]
    assert name["pattern"] == f"^{TIER_NAME}$"
