"""Record (tier_cli/record.py) behaves as typing.NamedTuple does, for everything tier uses.

Each class below is defined twice from one body, once on FastRecord (what `tier` runs) and once on
typing.NamedTuple; every case runs on both and the results (values, or exception type and
message) must be equal.
"""

from __future__ import annotations

import copy
import pickle
import types
import typing
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest

from tier_cli.record import FastRecord


class FastPoint(FastRecord):
    """A point."""

    x: int
    y: int = 0
    tags: tuple[str, ...] = ()

    def norm(self) -> int:
        return abs(self.x) + abs(self.y)

    @property
    def moved(self) -> FastPoint:
        return self._replace(x=self.x + 1)


class SlowPoint(NamedTuple):
    """A point."""

    x: int
    y: int = 0
    tags: tuple[str, ...] = ()

    def norm(self) -> int:
        return abs(self.x) + abs(self.y)

    @property
    def moved(self) -> SlowPoint:
        return self._replace(x=self.x + 1)


class FastPlain(FastRecord):
    a: str
    b: list[int]


class SlowPlain(NamedTuple):
    a: str
    b: list[int]


class FastShown(FastRecord):
    a: int

    def __repr__(self) -> str:
        return f"<{self.a}>"


class SlowShown(NamedTuple):
    a: int

    def __repr__(self) -> str:
        return f"<{self.a}>"


class FastWide(FastRecord):
    a: int
    b: int
    c: int
    d: int
    e: int
    f: int
    g: int
    h: int
    i: int
    j: int
    k: int
    m: int
    n: int
    p: int
    q: int
    r: int = 16


class SlowWide(NamedTuple):
    a: int
    b: int
    c: int
    d: int
    e: int
    f: int
    g: int
    h: int
    i: int
    j: int
    k: int
    m: int
    n: int
    p: int
    q: int
    r: int = 16


PAIRS: dict[str, tuple[Any, Any]] = {
    "point": (FastPoint, SlowPoint),
    "plain": (FastPlain, SlowPlain),
    "shown": (FastShown, SlowShown),
    "wide": (FastWide, SlowWide),
}


def _outcome(action: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return ("value", action())
    except Exception as error:  # the type and message are what is compared
        return (type(error).__name__, str(error).replace("Slow", "").replace("Fast", ""))


def _match(value: Any) -> Any:
    match value:
        case (1, y, *_):
            return ("sequence", y)
        case _:
            return "no match"


CASES: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("point", "positional", lambda c: tuple(c(1, 2, ("t",)))),
    ("point", "keywords", lambda c: tuple(c(y=3, x=1))),
    ("point", "defaults", lambda c: tuple(c(5))),
    ("point", "missing", lambda c: c()),
    ("point", "too many", lambda c: c(1, 2, (), 4)),
    ("point", "unknown keyword", lambda c: c(1, z=2)),
    ("point", "twice", lambda c: c(1, x=2)),
    ("point", "repr", lambda c: repr(c(1, 2)).replace("Slow", "").replace("Fast", "")),
    ("point", "str", lambda c: str(c(1)).replace("Slow", "").replace("Fast", "")),
    ("point", "equal", lambda c: c(1, 2) == c(1, 2) and c(1, 2) != c(2, 1)),
    ("point", "equal to its tuple", lambda c: c(1, 2) == (1, 2, ())),
    ("point", "hash", lambda c: hash(c(1, 2)) == hash((1, 2, ()))),
    ("point", "unhashable field", lambda c: hash(c(1, [2]))),  # type: ignore[arg-type]
    ("point", "order", lambda c: sorted([c(2), c(1, 5), c(1, 3)])),
    ("point", "attributes", lambda c: (c(1, 2).x, c(1, 2).y, c(1, 2).tags)),
    ("point", "index and slice", lambda c: (c(1, 2)[1], c(1, 2)[-3], c(1, 2)[:2])),
    ("point", "unpack", lambda c: [*c(7, 8)]),
    ("point", "len", lambda c: len(c(1))),
    ("point", "is a tuple", lambda c: isinstance(c(1), tuple)),
    ("point", "method", lambda c: c(-3, 4).norm()),
    ("point", "property", lambda c: tuple(c(1, 2).moved)),
    ("point", "_fields", lambda c: c._fields),
    ("point", "_field_defaults", lambda c: c._field_defaults),
    ("point", "__match_args__", lambda c: c.__match_args__),
    ("point", "match", lambda c: _match(c(1, 9))),
    ("point", "_make", lambda c: tuple(c._make([1, 2, ()]))),
    ("point", "_make short", lambda c: c._make([1])),
    ("point", "_replace", lambda c: tuple(c(1, 2)._replace(y=5))),
    ("point", "_replace unknown", lambda c: c(1, 2)._replace(z=5)),
    ("point", "_asdict", lambda c: c(1, 2)._asdict()),
    ("point", "set attribute", lambda c: setattr(c(1), "x", 2)),
    ("point", "new attribute", lambda c: setattr(c(1), "z", 2)),
    ("point", "no __dict__", lambda c: hasattr(c(1), "__dict__")),
    ("point", "copy", lambda c: (copy.copy(c(1, 2)), type(copy.copy(c(1, 2))) is c)),
    ("point", "deepcopy", lambda c: type(copy.deepcopy(c(1, 2, ("a",)))) is c),
    ("point", "pickle", lambda c: pickle.loads(pickle.dumps(c(1, 2))) == c(1, 2)),
    ("point", "pickle keeps the class", lambda c: type(pickle.loads(pickle.dumps(c(1)))) is c),
    ("point", "doc", lambda c: c.__doc__),
    ("point", "field doc", lambda c: c.y.__doc__),
    ("point", "module", lambda c: c.__module__),
    ("point", "type hints", lambda c: typing.get_type_hints(c)),  # text here, ForwardRef there
    ("point", "mro", lambda c: [k.__name__ for k in c.__mro__[1:]]),
    ("plain", "doc", lambda c: (c.__doc__ or "").replace("Slow", "").replace("Fast", "")),
    ("plain", "_field_defaults", lambda c: c._field_defaults),
    ("plain", "mutable field", lambda c: c("a", [1]).b.append(2)),
    ("plain", "missing both", lambda c: c()),
    ("plain", "keywords only", lambda c: tuple(c(b=[1], a="a"))),
    ("shown", "own repr", lambda c: repr(c(3))),
    ("wide", "positional", lambda c: tuple(c(*range(15)))),
    ("wide", "keywords", lambda c: tuple(c(**{f: 1 for f in c._fields}))),
    ("wide", "missing", lambda c: c(*range(14))),
]


@pytest.mark.parametrize(
    ("pair", "action"), [(p, a) for p, _, a in CASES], ids=[f"{p}-{n}" for p, n, _ in CASES]
)
def test_same_as_namedtuple(pair: str, action: Callable[[Any], Any]) -> None:
    fast, slow = PAIRS[pair]
    fast_outcome, slow_outcome = _outcome(lambda: action(fast)), _outcome(lambda: action(slow))
    assert _comparable(fast_outcome) == _comparable(slow_outcome)


def _comparable(outcome: tuple[str, Any]) -> Any:
    """Records from the two classes compare as their tuples; names differ by prefix only."""
    kind, value = outcome
    if isinstance(value, list):
        value = [tuple(v) if isinstance(v, tuple) else v for v in value]
    elif isinstance(value, tuple) and value and isinstance(value[0], tuple):
        value = tuple(tuple(v) if isinstance(v, tuple) else v for v in value)
    if kind == "value" and isinstance(value, str):
        value = value.replace("Slow", "").replace("Fast", "")
    return kind, value


DEFINITIONS: list[tuple[str, dict[str, Any]]] = [
    ("default before a field", {"__annotations__": {"a": "int", "b": "int"}, "a": 1}),
    ("underscore field", {"__annotations__": {"_a": "int"}}),
    ("own _replace", {"__annotations__": {"a": "int"}, "_replace": lambda self: self}),
    ("own __new__", {"__annotations__": {"a": "int"}, "__new__": lambda cls: cls}),
]


@pytest.mark.parametrize(("name", "namespace"), DEFINITIONS, ids=[n for n, _ in DEFINITIONS])
def test_same_refusals(name: str, namespace: dict[str, Any]) -> None:
    def define(base: Any) -> Callable[[], Any]:
        def make() -> Any:
            body = {"__module__": __name__, **namespace}
            body["__annotations__"] = dict(namespace["__annotations__"])
            return types.new_class("Bad", (base,), {}, lambda ns: ns.update(body))

        return make

    fast, slow = _outcome(define(FastRecord)), _outcome(define(NamedTuple))
    assert fast[0] == slow[0] != "value", (fast, slow)


def test_more_fields_than_templates_is_refused() -> None:
    body = {"__module__": __name__, "__annotations__": {f"f{i}": "int" for i in range(40)}}
    with pytest.raises(TypeError, match="at most"):
        types.new_class("Huge", (FastRecord,), {}, lambda ns: ns.update(body))


def test_a_second_base_is_refused() -> None:
    with pytest.raises(TypeError):
        types.new_class("Mixed", (FastRecord, int), {}, lambda ns: ns.update(__annotations__={}))


def test_records_are_plain_tuple_classes() -> None:
    """Like a NamedTuple class: a subclass of tuple made by `type`, with no custom metaclass."""
    assert type(FastPoint) is type(SlowPoint) is type
    assert FastPoint.__bases__ == SlowPoint.__bases__ == (tuple,)
