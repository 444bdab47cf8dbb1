"""The machine contract: every JSON document tier prints or writes carries `schema_version`, and
its JSON Schema (draft 2020-12) ships in tier_cli/data/schemas/, where `tier schema NAME` reads it.

The schemas are the one place the shapes are written down; the tests validate every JSON output
against them. A change a reader would notice (a key removed or renamed, a type changed) raises
SCHEMA_VERSION; a new key does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SCHEMA_VERSION = 1

# NAME -> what the schema describes (`tier schema --help` lists them).
SCHEMAS: dict[str, str] = {
    "tiers": "tiers.toml",
    "snapshot": "the metrics snapshot `tier snapshot` writes",
    "history": "one line of the snapshot history (JSON Lines)",
    "recommend": "tier recommend --json",
    "check": "tier check --format json",
    "diff": "tier diff --json",
    "tiers-json": "tier tiers --json",
    "apply": "tier apply --json",
    "init": "tier init --json",
}

# Where editors find the schemas of files people edit (the `#:schema` line tier init writes).
SCHEMA_URL = "https://raw.githubusercontent.com/render-tier/tier/main/tier_cli/data/schemas/{}"


def versioned(body: Mapping[str, Any]) -> dict[str, Any]:
    """The document with `schema_version` as its first key."""
    return {"schema_version": SCHEMA_VERSION, **body}


def schema_file(name: str) -> str:
    return f"{name}.schema.json"


def schema_text(name: str) -> str:
    """The JSON Schema of NAME, as shipped (KeyError: not a schema tier has)."""
    from importlib.resources import files

    if name not in SCHEMAS:
        raise KeyError(name)
    return files("tier_cli").joinpath("data", "schemas", schema_file(name)).read_text("utf-8")
