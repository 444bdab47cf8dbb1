"""The one validator of tiers.toml: each section declares its keys (config/schema.py), and this
walks a section's raw TOML against its declaration, as yamllint checks every rule's options
against the rule's CONF.

A declaration is data: a `Section` lists its `Key`s, each with the type of value it takes (a
`Text`, a `Number`, a `Table` of another section, ...). What cannot be said key by key (the
thresholds rise from tier to tier) is a rule: a function the section names, run on the section
once its keys are checked. Every problem is one ConfigError line:
`<file>: <key path>: <what is wrong>. Tip: <the fix>`.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Collection, Iterable, Mapping
from types import MappingProxyType
from typing import Any, NoReturn, TypeAlias

from tier_cli.config.catalogue import Catalogue, Kind
from tier_cli.config.settings import FieldValue
from tier_cli.errors import ConfigError

# The words a declaration is written in are plain classes, not NamedTuples: tier defines them on
# every start, and a NamedTuple class costs several times as much to define. Nothing changes a
# declaration once it is made.


class Context:
    """What a check may need beyond the value: the catalogue (what plan names are) and the whole
    file as TOML read it (for rules across sections)."""

    __slots__ = ("catalogue", "document")

    def __init__(self, catalogue: Catalogue, document: Mapping[str, Any]) -> None:
        self.catalogue, self.document = catalogue, document


Rule: TypeAlias = Callable[[Any, str, Context], None]  # (checked value, its key path, context)


class Must:
    """A test a string passes, and what to say when it does not. A declared problem may say
    `{value}`: the value as the file wrote it (its repr)."""

    __slots__ = ("problem", "test", "tip")

    def __init__(self, test: Callable[[str], object], problem: str, tip: str) -> None:
        self.test, self.problem, self.tip = test, problem, tip


class Text:
    """A non-empty string that passes every Must; `wrong` and `tip` say when it is not one."""

    __slots__ = ("musts", "tip", "wrong")

    def __init__(
        self,
        musts: tuple[Must, ...] = (),
        wrong: str = "must be a non-empty string, got {value}",
        tip: str = "put it in quotes",
    ) -> None:
        self.musts, self.wrong, self.tip = musts, wrong, tip


class Number:
    """A finite number, 0 or more (above 0 when not `zero`), read as a float."""

    __slots__ = ("zero",)

    def __init__(self, zero: bool = True) -> None:
        self.zero = zero


class Share:
    """A number from 0 to 1, each end allowed or not."""

    __slots__ = ("one", "tip", "zero")

    def __init__(self, zero: bool, one: bool, tip: str) -> None:
        self.zero, self.one, self.tip = zero, one, tip


class Whole:
    """A whole number from 1 to `most` (a number written 5.0 is 5); the tip shows `example`."""

    __slots__ = ("example", "most", "unit")

    def __init__(self, most: int, unit: str, example: int) -> None:
        self.most, self.unit, self.example = most, unit, example


class Count:
    """A whole number as Render takes it (an integer, not 5.0), `low` or more, at most `high`."""

    __slots__ = ("high", "low")

    def __init__(self, low: int, high: int | None = None) -> None:
        self.low, self.high = low, high


class Plan:
    """A name the catalogue knows for a Render plan of `kind`."""

    __slots__ = ("kind",)

    def __init__(self, kind: Kind) -> None:
        self.kind = kind


class Choice:
    """One of `choices`."""

    __slots__ = ("choices", "problem", "tip")

    def __init__(self, choices: Collection[object], problem: str, tip: str) -> None:
        self.choices, self.problem, self.tip = choices, problem, tip


class Choices:
    """A list of strings, each an `item`; `wrong` and `tip` say when it is not one."""

    __slots__ = ("item", "tip", "wrong")

    def __init__(self, item: Choice, wrong: str, tip: str) -> None:
        self.item, self.wrong, self.tip = item, wrong, tip


class Blueprint:
    """A value a Render Blueprint field takes: scalars as they are, arrays as tuples, tables as
    read-only mappings. Dates and times, NaN and infinity have no Blueprint meaning."""

    __slots__ = ()


class Table:
    """A table of `section`'s keys; `tip` when it is not a table ("": "write it as [KEY]"). An
    empty table says nothing: its section is not walked."""

    __slots__ = ("section", "tip")

    def __init__(self, section: Section, tip: str = "") -> None:
        self.section, self.tip = section, tip


class Tables:
    """A non-empty array of tables of `section`'s keys (`tip` when it is not one), each named in
    messages by the value of its key `name`; `rules` run on all of them once each is checked."""

    __slots__ = ("name", "rules", "section", "tip")

    def __init__(
        self, section: Section, name: str, tip: str, rules: tuple[Rule, ...] = ()
    ) -> None:
        self.section, self.name, self.tip, self.rules = section, name, tip, rules


Type: TypeAlias = (
    Text | Number | Share | Whole | Count | Plan | Choice | Choices | Blueprint | Table | Tables
)


class Key:
    """A key of a section, the type of its value, and `missing`: the tip when it is absent ("":
    it may be), `absent` the problem then."""

    __slots__ = ("absent", "missing", "name", "type")

    def __init__(
        self, name: str, type: Type, missing: str = "", absent: str = "is missing"
    ) -> None:
        self.name, self.type, self.missing, self.absent = name, type, missing, absent


class Names:
    """The keys a table of entries may have, in the order a tip lists them; how a key that is
    not one of them is told (`unknown`, then "did you mean" when `suggest`); and `refused`:
    names the user may reach for that the table does not take, each with its problem and tip
    ("": the tip of an unknown key)."""

    __slots__ = ("allowed", "refused", "suggest", "unknown")

    def __init__(
        self,
        allowed: tuple[str, ...],
        unknown: str,
        suggest: bool = True,
        refused: Mapping[str, tuple[str, str]] = MappingProxyType({}),
    ) -> None:
        self.allowed, self.unknown, self.suggest, self.refused = allowed, unknown, suggest, refused


class PlanNames:
    """Keys that name Render plans of `kind`, kept under the catalogue's name for the plan."""

    __slots__ = ("kind",)

    def __init__(self, kind: Kind) -> None:
        self.kind = kind


class Section:
    """A table's keys. Without `names` it takes its `keys` and no others. With `names` it is a
    table of entries: every entry's key is one of `names` and its value is an `each`, checked
    in the order of the file; then `keys` are checked in their order, then `rules`."""

    __slots__ = ("each", "keys", "known", "names", "rules")

    def __init__(
        self,
        keys: tuple[Key, ...] = (),
        names: Names | PlanNames | None = None,
        each: Type | None = None,
        rules: tuple[Rule, ...] = (),
    ) -> None:
        self.keys, self.names, self.each, self.rules = keys, names, each, rules
        self.known = frozenset(key.name for key in keys)


class Invalid(Exception):
    """One problem: where (a key path), what is wrong, and the fix."""

    def __init__(self, path: str, problem: str, tip: str) -> None:
        super().__init__(path, problem, tip)
        self.path, self.problem, self.tip = path, problem, tip


def fail(path: str, problem: str, tip: str) -> NoReturn:
    raise Invalid(path, problem, tip)


EMPTY: Mapping[str, Any] = MappingProxyType({})


def validate(
    document: Mapping[str, Any], section: Section, file: str, catalogue: Catalogue
) -> Mapping[str, Any]:
    """`document` checked against `section`: the keys it has (no defaults filled in), numbers as
    floats or ints, tables as read-only mappings in the order of the file. ConfigError naming
    `file` and the first problem."""
    try:
        _fits_a_float(document)
        return _section(document, "", section, Context(catalogue, document))
    except Invalid as problem:
        raise ConfigError(
            f"{file}: {problem.path}: {problem.problem}. Tip: {problem.tip}"
        ) from None


def _fits_a_float(document: Mapping[str, Any]) -> None:
    """Fail at the first integer too big for a float (TOML integers have no bound; every number
    of tier's is compared as a float)."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((_path(path, str(k)), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            try:
                float(value)
            except OverflowError:
                fail(
                    path,
                    f"a number too big for tier ({len(str(abs(value)))} digits)",
                    "write a number below 1e308",
                )


def _path(at: str, key: str) -> str:
    return f"{at}.{key}" if at else key


def _section(raw: Mapping[str, Any], at: str, section: Section, ctx: Context) -> Mapping[str, Any]:
    checked: dict[str, Any] = {}
    for written, value in raw.items():
        name, each = _name(written, at, section, ctx), section.each
        checked[name] = (
            value if each is None else _value(value, _path(at, written), written, each, ctx)
        )
    for key in section.keys:
        value = _key(checked, at, key, ctx)
        if value is not None:
            checked[key.name] = value
    out = MappingProxyType(checked)
    for rule in section.rules:
        rule(out, at, ctx)
    return out


def _key(raw: Mapping[str, Any], at: str, key: Key, ctx: Context) -> Any:
    """The value of `key` in `raw`, checked; None when it is absent and may be."""
    if key.name not in raw:
        if key.missing:
            fail(_path(at, key.name), key.absent, key.missing)
        return None
    return _value(raw[key.name], _path(at, key.name), key.name, key.type, ctx)


def _name(key: str, at: str, section: Section, ctx: Context) -> str:
    """`key` as the checked table keeps it, or Invalid when the section does not take it."""
    names, path = section.names, _path(at, key)
    if names is None:
        if key not in section.known:
            allowed = sorted(section.known)
            hint = did_you_mean(key, allowed)
            fail(path, "unknown key", hint + "remove it or use one of " + ", ".join(allowed))
        return key
    if isinstance(names, PlanNames):
        plan = ctx.catalogue.find(names.kind, key)
        if plan is None:
            fail(
                path,
                f"unknown {names.kind} plan",
                "use one of " + ", ".join(ctx.catalogue.names(names.kind)),
            )
        return plan.name
    if key in names.refused or key not in names.allowed:
        problem, tip = names.refused.get(key, (names.unknown, ""))
        hint = did_you_mean(key, names.allowed) if names.suggest else ""
        fail(path, problem, tip or hint + "use one of " + ", ".join(names.allowed))
    return key


def _value(value: Any, path: str, name: str, type_: Type, ctx: Context) -> Any:
    """`value` of key `name` at `path`, checked against `type_` and read as tier keeps it."""
    match type_:
        case Text():
            return _text(value, path, type_)
        case Number():
            return _number(value, path, type_.zero)
        case Share():
            share = _number(value, path)
            above = share >= 0 if type_.zero else share > 0
            below = share <= 1 if type_.one else share < 1
            if not (above and below):
                fail(path, f"{share:g} is not a share", type_.tip)
            return share
        case Whole():
            number = _number(value, path)
            if number != int(number) or number < 1:
                fail(path, f"{number:g} is not a whole number above 0", f"e.g. {type_.example}")
            if number > type_.most:
                fail(
                    path,
                    f"{number:g} is more than {type_.most:,} {type_.unit}",
                    f"e.g. {type_.example}",
                )
            return int(number)
        case Count():
            low, high = type_.low, type_.high
            whole = isinstance(value, int) and not isinstance(value, bool)
            if not whole or value < low or (high is not None and value > high):
                span = f"from {low} to {high}" if high is not None else f"of {low} or more"
                fail(path, f"must be a whole number {span}, got {value!r}", "write a bare number")
            return value
        case Plan():
            plan = _text(value, path, Text())
            if ctx.catalogue.find(type_.kind, plan) is None:
                fail(
                    path,
                    f"{plan!r} is not a Render {type_.kind} plan",
                    "use one of " + ", ".join(ctx.catalogue.names(type_.kind)),
                )
            return plan
        case Choice():
            if value not in type_.choices:
                fail(path, _say(type_.problem, value), type_.tip)
            return value
        case Choices():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                fail(path, type_.wrong, type_.tip)
            return tuple(_value(v, path, name, type_.item, ctx) for v in value)
        case Blueprint():
            return _blueprint(value, path)
        case Table():
            if not isinstance(value, Mapping):
                fail(path, "must be a table", type_.tip or f"write it as [{name}]")
            return _section(value, path, type_.section, ctx) if value else EMPTY
        case Tables():
            tables = isinstance(value, list) and all(isinstance(t, dict) for t in value)
            if not tables or not value:
                fail(path, "must be an array of tables", type_.tip)
            return _tables(value, path, type_, ctx)


def _tables(
    entries: list[dict[str, Any]], at: str, tables: Tables, ctx: Context
) -> tuple[Mapping[str, Any], ...]:
    (named,) = (key for key in tables.section.keys if key.name == tables.name)
    checked = []
    for i, entry in enumerate(entries):
        name = _key(entry, f"{at}[{i}]", named, ctx)  # before its other keys: it names the entry
        checked.append(_section(entry, f"{at}[{name}]", tables.section, ctx))
    out = tuple(checked)
    for rule in tables.rules:
        rule(out, at, ctx)
    return out


def _say(problem: str, value: object) -> str:
    return problem.replace("{value}", repr(value))


def _text(value: Any, path: str, text: Text) -> str:
    if not isinstance(value, str) or not value.strip():
        fail(path, _say(text.wrong, value), text.tip)
    for must in text.musts:
        if not must.test(value):
            fail(path, _say(must.problem, value), must.tip)
    return value


def _number(value: Any, path: str, zero: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(path, f"must be a number, got {value!r}", "write a bare number without quotes")
    if not math.isfinite(value):
        fail(path, f"{value} is not a finite number", "write a number like 500")
    if value < 0 or (value == 0 and not zero):
        fail(path, f"{value:g} must be above 0", "write a positive number")
    return float(value)


def _blueprint(value: Any, path: str) -> FieldValue:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            fail(path, f"{value} is not a number Render accepts", "write a finite number")
        return value
    if isinstance(value, list):
        return tuple(_blueprint(item, f"{path}[{i}]") for i, item in enumerate(value))
    if isinstance(value, dict):
        if not value:
            fail(path, "is an empty table", "give it keys, or remove it")
        return MappingProxyType({k: _blueprint(v, f"{path}.{k}") for k, v in value.items()})
    kind = "a date or time" if isinstance(value, datetime.date | datetime.time) else repr(value)
    fail(path, f"is {kind}, which a Blueprint field does not take", "write it in quotes")


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """ "did you mean web_plan? Else " when one choice is close to `name` (a typo), else ""."""
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.75)
    return f"did you mean {close[0]}? Else " if close else ""
