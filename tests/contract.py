"""Validate what tier prints or writes against the JSON Schemas it ships (tier schema NAME)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from tier_cli.contract import schema_text


@cache
def validator(name: str) -> Draft202012Validator:
    schema = json.loads(schema_text(name))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def errors(name: str, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in validator(name).iter_errors(document)
    ]


def valid(name: str, text: str) -> Any:
    """The JSON text parsed, after asserting it matches schema NAME and carries version 1."""
    document = json.loads(text)
    assert errors(name, document) == []
    assert document["schema_version"] == 1
    return document
