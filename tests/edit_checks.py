"""Independent checks of an edit, shared by the property and corpus tests.

They use ruamel.yaml's own loaders (not tier's node helpers) to say which lines hold the values
tier may change and what the file means, then compare old and new text line by line.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

TARGET_KEYS = ("plan", "startCommand")
# What a new or rewritten line may look like: the targets, the added env var and service,
# block scalar lines of a start command, and blank separators.
NEW_LINE = re.compile(
    r"^\s*(?:-\s+)?(?:plan:|startCommand:|envVars:|key: REDIS_URL|fromService:|"
    r"type: (?:keyvalue|redis)|name: |region: |property: connectionString|ipAllowList: \[\]|\{|"
    r"scaling:|minInstances: |maxInstances: |targetCPUPercent: )"
    r"|^\s*$|gunicorn |uvicorn |hypercorn |^\s*cd "
)


def load(text: str) -> Any:
    """What `text` means, as plain data (a copy the caller may change)."""
    return copy.deepcopy(_load(text))


@lru_cache(maxsize=64)  # the corpus checks each file's old text once per tier
def _load(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def _scopes(data: Any) -> list[Any]:
    scopes = [data]
    for project in (data or {}).get("projects") or []:
        scopes.extend(project.get("environments") or [])
    return scopes


def _entries(data: Any, key: str) -> list[Any]:
    return [item for scope in _scopes(data) for item in (scope.get(key) or [])]


def masked(
    data: Any,
    web: str,
    database: str | None,
    added_keyvalue: str | None,
    managed: tuple[str, ...] = (),
) -> Any:
    """The data with everything tier may change taken out (mutates and returns `data`);
    `managed`: the web service fields tiers set ([tier.web])."""
    if not isinstance(data, dict):
        return data
    for scope in _scopes(data):
        services = scope.get("services") or []
        for item in list(services):
            if item.get("name") == web:
                for key in (*TARGET_KEYS, "envVars", *managed):
                    item.pop(key, None)
            if added_keyvalue and item.get("name") == added_keyvalue:
                services.remove(item)
        for item in scope.get("databases") or []:
            if database is not None and item.get("name") == database:
                item.pop("plan", None)
    return data


def check_data(
    old: str,
    new: str,
    web: str,
    database: str | None,
    keyvalue: str | None,
    managed: tuple[str, ...] = (),
) -> None:
    """Everything but the web service's plan/startCommand/envVars/managed fields, the
    database's plan and an added Key Value service means the same; old env vars stay, in
    order, before new ones."""
    before, after = load(old), load(new)
    old_names = {s.get("name") for s in _entries(before, "services")} if before else set()
    added = keyvalue if keyvalue is not None and keyvalue not in old_names else None
    old_env = _env(before, web)
    new_env = _env(after, web)
    assert new_env[: len(old_env)] == old_env
    assert all(item.get("key") == "REDIS_URL" for item in new_env[len(old_env) :])
    assert masked(before, web, database, None, managed) == masked(
        after, web, database, added, managed
    )
    region = {s.get("name"): s.get("region") for s in _entries(after, "services")}
    if added in region:  # a new Key Value service is in the web service's region
        assert region[added] == region[web]


def _env(data: Any, web: str) -> list[Any]:
    for item in _entries(data, "services") if data else []:
        if item.get("name") == web:
            return list(item.get("envVars") or [])
    return []


@lru_cache(maxsize=64)  # the corpus checks each file's old text once per tier
def target_lines(
    text: str, web: str, database: str | None, managed: tuple[str, ...] = ()
) -> frozenset[int]:
    """0-based lines holding the web service's plan/startCommand (and `managed` fields) and
    the database's plan."""
    data = YAML(typ="rt").load(text)
    lines: set[int] = set()
    if not isinstance(data, CommentedMap):
        return frozenset()
    for scope in _scopes(data):
        for key, name, fields in (
            ("services", web, (*TARGET_KEYS, *managed)),
            ("databases", database, ("plan",)),
        ):
            seq = scope.get(key)
            if not isinstance(seq, CommentedSeq):
                continue
            for index, item in enumerate(seq):
                if isinstance(item, CommentedMap) and item.get("name") == name:
                    lines |= _value_lines(item, seq, index, fields, text)
    return frozenset(lines)


def _value_lines(
    item: CommentedMap, seq: CommentedSeq, index: int, fields: tuple[str, ...], text: str
) -> set[int]:
    keys = list(item.keys())
    lines: set[int] = set()
    for field in fields:
        if field not in item or field not in item.lc.data:
            continue
        first = item.lc.key(field)[0]  # a block value starts on the next line
        position = keys.index(field)
        if position + 1 < len(keys):
            last = item.lc.key(keys[position + 1])[0] - 1
        elif index + 1 < len(seq):
            last = seq.lc.item(index + 1)[0] - 1
        else:
            last = first
            rest = text.splitlines()[first + 1 :]
            for line in rest:  # a block value at the end of the list (comments inside go too)
                outdented = (len(line) - len(line.lstrip())) <= item.lc.col
                if line.strip() and not line.lstrip().startswith("#") and outdented:
                    break
                last += 1
        all_lines = text.splitlines()
        if last >= len(all_lines) - 1 and not text.endswith(("\n", "\r")):
            while first > 0 and not all_lines[first - 1].strip():
                first -= 1  # blank lines before a value removed at the unended end go too
        lines |= set(range(first, max(first, last) + 1))
    return lines


def check_lines(
    old: str, new: str, web: str, database: str | None, managed: tuple[str, ...] = ()
) -> None:
    """Every old line outside the target values is still there, byte for byte, in order,
    and every target line that changed kept its key (the text before the value)."""
    allowed = target_lines(old, web, database, managed)
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    j = 0
    added: list[str] = []
    unended = not old.endswith(("\n", "\r"))

    def same(i: int, line: str, j: int) -> bool:
        # an unended last line may gain a line break when lines are added after it, and a
        # line that becomes the last one loses its break when the lines after it are removed
        if unended and (i == len(old_lines) - 1 or j == len(new_lines) - 1):
            return new_lines[j].rstrip("\r\n") == line.rstrip("\r\n")
        return new_lines[j] == line

    for i, line in enumerate(old_lines):
        if i in allowed:
            continue
        while j < len(new_lines) and not same(i, line, j):
            j += 1
        assert j < len(new_lines), f"line {i + 1} {line!r} is gone or moved"
        j += 1
    added.extend(new_lines[j:])
    kept = {old_lines[i].rstrip("\r\n") for i in allowed if i < len(old_lines)}
    strange = [x for x in added if x.rstrip("\r\n") not in kept and not NEW_LINE.search(x)]
    assert not strange, f"unexpected new lines: {strange}"
    kept = {line.split(":", 1)[0] + ":" for i, line in enumerate(old_lines) if i in allowed}
    for key in kept:
        if key.strip() in ("plan:", "startCommand:", "- plan:"):
            assert any(line.startswith(key) for line in new_lines), f"{key!r} lost"
