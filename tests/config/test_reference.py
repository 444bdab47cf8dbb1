"""The tiers.toml reference (docs/tiers-toml.md) says what config/schema.py declares: a heading
for every table a user writes keys in, under it a row for each of its keys with the type, the
bounds and the default tier gives it, and no row or TOML example that names a key tier does not
read. The declarations are the source; the reference is written by hand and follows them, as the
JSON Schema does (test_schema.py)."""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from repo_files import ROOT

from tier_cli.config.catalogue import load_catalogue
from tier_cli.config.schema import TIERS_TOML
from tier_cli.config.tiers import TierConfig, parse_config
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
from tier_cli.errors import ConfigError

REFERENCE = ROOT / "docs" / "tiers-toml.md"
TEXT = REFERENCE.read_text("utf-8")
PROSE = re.sub(r"^```.*?^```", "", TEXT, flags=re.M | re.S)  # a `# comment` is no heading
CAT = load_catalogue()
COLUMNS = ["key", "type", "default", "bounds", "what it does"]


def tables(section: Section, at: str = "") -> Iterator[tuple[str, Section]]:
    """Every table of tiers.toml and its declaration, by its path ("tier.web.scaling")."""
    yield at, section
    for key in section.keys:
        if isinstance(key.type, Table | Tables):
            yield from tables(key.type.section, f"{at}.{key.name}".lstrip("."))


def has_keys(section: Section) -> bool:
    """A user writes keys in it: not only tables, as in [prices] and the file itself."""
    return section.each is not None or any(
        not isinstance(key.type, Table | Tables) for key in section.keys
    )


DECLARED = {path: section for path, section in tables(TIERS_TOML) if has_keys(section)}


def documented() -> dict[str, str]:
    """The text under each heading that names tables (### `[database.activity]`), by path."""
    parts = re.split(r"^(#+ .*)$", PROSE, flags=re.M)
    found: dict[str, str] = {}
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        if re.fullmatch(r"#+ (`\[\[?[\w.]+\]\]?`(, )?)+", heading):
            for path in re.findall(r"\[\[?([\w.]+)\]\]?", heading):
                assert path not in found, f"two headings name [{path}]"
                found[path] = body
    return found


class Row(NamedTuple):
    """A row of a section's table: the keys its first cell names (none: "a plan's name", the
    entries of a table of entries), and what it says of them."""

    names: tuple[str, ...]
    type: str
    default: str
    bounds: str


def rows(body: str) -> list[Row]:
    lines = [line for line in body.splitlines() if line.startswith("|")]
    cells = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    assert cells and cells[0] == COLUMNS, body
    assert all(len(row) == len(COLUMNS) for row in cells), "a | inside a cell"
    return [Row(tuple(re.findall(r"`([^`]+)`", c[0])), c[1], c[2], c[3]) for c in cells[2:]]


def said(type_: Type) -> tuple[str, str | None]:
    """The type and the bounds the reference gives a value of `type_`. None: bounds said in
    words the declaration cannot check (a string's shape) or choices, checked apart."""
    match type_:
        case Text():
            return "string", None
        case Plan():
            return "string", f"a Render {type_.kind} plan"
        case Number():
            return "number", "0 or more" if type_.zero else "above 0"
        case Share():
            low = "0 or more" if type_.zero else "above 0"
            return "number", f"{low}, {'up to 1' if type_.one else 'below 1'}"
        case Whole():
            return "integer", f"1 to {type_.most:,} {type_.unit}"
        case Count():
            high = "or more" if type_.high is None else f"to {type_.high}"
            return "integer", f"{type_.low} {high}"
        case Choice():
            return "string", None
        case Choices():
            return "list of strings", None
        case Blueprint():
            return "any TOML value", None
        case Table():
            return "table", ""
        case Tables():
            return "array of tables", ""


def choices(type_: Type) -> tuple[str, ...]:
    if isinstance(type_, Choices):
        type_ = type_.item
    return tuple(map(str, type_.choices)) if isinstance(type_, Choice) else ()


def row_types(section: Section, row: Row) -> Iterator[tuple[str, Type]]:
    """Each key a row names with its declared type; an entry's is the section's `each`."""
    declared = {key.name: key.type for key in section.keys}
    for name in row.names or ("(entry)",):
        type_ = declared.get(name, section.each)
        assert type_ is not None, f"{name} is no key of this table"
        yield name, type_


def literal(cell: str) -> Any:
    """The TOML value a default cell gives (`0.2`, `"tier"`, `[]`), or None when it says it in
    words ("none", "the only Python web service")."""
    found = re.fullmatch(r"`([^`]+)`", cell)
    return None if found is None else tomllib.loads(f"v = {found[1]}")["v"]


PATHS = pytest.mark.parametrize("path", sorted(DECLARED), ids=str)


def test_every_table_a_user_writes_has_a_heading_and_no_other() -> None:
    assert sorted(documented()) == sorted(DECLARED)


@PATHS
def test_every_key_has_a_row_and_every_row_names_keys(path: str) -> None:
    section, body = DECLARED[path], documented()[path]
    named = [name for row in rows(body) for name in row.names]
    keys = [key.name for key in section.keys]
    allowed = list(section.names.allowed) if isinstance(section.names, Names) else []
    assert sorted(set(named)) == sorted(named), "a key in two rows"
    assert [key for key in keys if key not in named] == []
    assert [name for name in named if name not in keys + allowed] == []
    # Every entry a table takes is named under it (a row each, or the list of [tier.web] in
    # words); a row for "any" entry only where it takes entries, and the one row of plan names.
    assert [name for name in allowed if f"`{name}`" not in body] == []
    entry_rows = [row for row in rows(body) if not row.names]
    assert not entry_rows or section.each is not None
    if isinstance(section.names, PlanNames):
        assert len(entry_rows) == 1


@PATHS
def test_every_row_gives_the_declared_type_and_bounds(path: str) -> None:
    section = DECLARED[path]
    wrong = []
    for row in rows(documented()[path]):
        linked = [ROOT / "docs" / page for page in re.findall(r"\]\(([\w-]+\.md)\)", row.bounds)]
        named = row.bounds + "".join(page.read_text("utf-8") for page in linked)
        for name, type_ in row_types(section, row):
            kind, bounds = said(type_)
            if row.type != kind:
                wrong.append(f"{name}: type {row.type!r}, declared {kind!r}")
            if bounds is not None and row.bounds != bounds:
                wrong.append(f"{name}: bounds {row.bounds!r}, declared {bounds!r}")
            if unsaid := [c for c in choices(type_) if f"`{c}`" not in named]:
                wrong.append(f"{name}: bounds leave out {unsaid}")
    assert wrong == []


# A tiers.toml with every table whose keys have defaults, and only its required keys.
BASE: dict[str, Any] = {
    "tier": [
        {"name": "free", "web_plan": "free", "database_plan": "free", "start_command": "{app}"}
    ],
    "database": {"activity": {"table": "events", "user_column": "user_id", "time_column": "at"}},
}


def load(document: dict[str, Any]) -> TierConfig:
    return parse_config(document, "tiers.toml", CAT)


def with_key(path: str, name: str, value: Any) -> dict[str, Any]:
    """BASE with `name = value` in the table at `path` (the first of an array of tables)."""
    document = copy.deepcopy(BASE)
    table = document
    for part in filter(None, path.split(".")):
        table = table.setdefault(part, {})
        table = table[0] if isinstance(table, list) else table
    table[name] = value
    return document


@PATHS
def test_every_default_is_the_one_tier_uses(path: str) -> None:
    section = DECLARED[path]
    keys = {key.name: key for key in section.keys}
    wrong = []
    for row in rows(documented()[path]):
        for name in (n for n in row.names if n in keys):
            key, value = keys[name], literal(row.default)
            if (row.default == "required") != bool(key.missing):
                wrong.append(f"{name}: {row.default!r}, declared required: {bool(key.missing)}")
            if isinstance(key.type, Whole) and value != key.type.example:
                wrong.append(f"{name}: default {row.default!r}, declared {key.type.example}")
            if value is not None and load(with_key(path, name, value)) != load(BASE):
                wrong.append(f"{name}: writing {row.default} changes what tier reads")
    assert wrong == []


def merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`new` read after `old` as one TOML file: tables merge, arrays of tables add up, and a
    table under an array of tables ([tier.web]) belongs to its last entry."""
    out = dict(old)
    for key, value in new.items():
        have = out.get(key)
        if isinstance(have, list) and isinstance(value, list):
            out[key] = [*have, *value]
        elif isinstance(have, list) and isinstance(value, dict):
            out[key] = [*have[:-1], merged(have[-1], value)]
        elif isinstance(have, dict) and isinstance(value, dict):
            out[key] = merged(have, value)
        else:
            out[key] = value
    return out


SHIPPED = tomllib.loads((ROOT / "tiers.toml").read_text("utf-8"))
EXAMPLES = re.findall(r"^```toml\n(.*?)^```", TEXT, flags=re.M | re.S)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.partition("\n")[0])
def test_every_example_after_the_shipped_file_is_a_tiers_toml_tier_reads(example: str) -> None:
    load(merged(SHIPPED, tomllib.loads(example)))


def test_the_message_shown_is_the_one_tier_gives() -> None:
    (shown,) = re.findall(r"^```text\n(tiers\.toml: .*)\n```", TEXT, flags=re.M)
    with pytest.raises(ConfigError) as raised:
        load(with_key("decision", "storage_share", 1.5))
    assert str(raised.value) == shown
