"""The editor's whole-file cases, read from tests/blueprint/cases/<kind>/<id>/.

Each case folder holds before.yaml (what the user has), after.yaml (what apply writes, for the
kinds that change the file) and case.toml (the tier, and for some kinds the selection, or where
and what a refusal says). The files are compared byte for byte: they are read as bytes, and
.gitattributes keeps git from touching their line endings.

A tier's startCommand is written `<<start TIER APP>>` in the files (`<<start pro main:app>>`):
it is the shipped tiers.toml's command for that tier and app, so the cases follow tiers.toml.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from tier_targets import start

CASES = Path(__file__).parent / "blueprint" / "cases"
_START = re.compile(r"<<start (\S+) (\S+)>>")


def _text(path: Path) -> str:
    return _START.sub(lambda m: start(m[1], m[2]), path.read_bytes().decode("utf-8"))


def cases(kind: str, *fields: str) -> list[Any]:
    """One pytest.param per case of `kind`, id the folder's name: the before text, then each of
    `fields` ("after" for after.yaml, any other name a key of case.toml; None when absent)."""
    params = []
    for folder in sorted((CASES / kind).iterdir()):
        meta: dict[str, Any] = tomllib.loads((folder / "case.toml").read_text("utf-8"))
        values = [_text(folder / "before.yaml")]
        for field in fields:
            values.append(_text(folder / "after.yaml") if field == "after" else meta.get(field))
        params.append(pytest.param(*values, id=folder.name))
    assert params, f"no cases in {CASES / kind}"
    return params
