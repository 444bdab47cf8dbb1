"""``Record``: the base of tier's value classes, a ``typing.NamedTuple`` that is cheap to define.

tier's values are named tuples (immutable, compared by value). ``typing.NamedTuple`` is slow to
define: it turns each annotation into a ``ForwardRef`` (compiling its text) and
``collections.namedtuple`` compiles a ``__new__`` from source. With some 70 classes that was the
largest part of `tier check`'s start-up (issue 11): 59 classes of six fields cost 76 M
instructions with NamedTuple and 9 M with ``Record`` (callgrind, Python 3.11). ``Record`` saves
the compiling: the field accessors are the C ``_tuplegetter`` namedtuple itself
uses, and ``__new__`` is a precompiled template of the right arity whose argument names are
replaced (``code.replace``), so CPython binds positional and keyword arguments, defaults and
errors exactly as for a namedtuple, with no compiling at all.

For mypy, and with ``TIER_PLAIN_START=1`` (the start-up without savings, which tests compare
against), ``Record`` *is* ``typing.NamedTuple``. Write a record as a NamedTuple::

    class Plan(Record):
        name: str
        usd: float | None = None

        def free(self) -> bool: ...

What it supports is what tier uses, and tests/test_record.py compares it with ``typing.NamedTuple``:
fields with defaults after fields without, methods and properties, ``_fields``,
``_field_defaults``, ``_make``, ``_replace``, ``_asdict``, ``__match_args__``, the repr, copy,
pickle, and the same errors. ``__annotations__`` keeps the annotations' text (NamedTuple makes
ForwardRefs of it); ``typing.get_type_hints`` gives the same types for both. Not supported:
generic records and a second base (typing.NamedTuple refuses the latter too), more than 16 fields
(add a template).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

__all__ = ["FastRecord", "Record"]

if TYPE_CHECKING:
    from typing import NamedTuple as FastRecord
    from typing import NamedTuple as Record
else:
    from _collections import _tuplegetter
    from types import FunctionType

    _tuple_new = tuple.__new__

    # __new__ templates by arity; their argument names are replaced by the fields' names.
    def _n1(_cls, a):
        return _tuple_new(_cls, (a,))

    def _n2(_cls, a, b):
        return _tuple_new(_cls, (a, b))

    def _n3(_cls, a, b, c):
        return _tuple_new(_cls, (a, b, c))

    def _n4(_cls, a, b, c, d):
        return _tuple_new(_cls, (a, b, c, d))

    def _n5(_cls, a, b, c, d, e):
        return _tuple_new(_cls, (a, b, c, d, e))

    def _n6(_cls, a, b, c, d, e, f):
        return _tuple_new(_cls, (a, b, c, d, e, f))

    def _n7(_cls, a, b, c, d, e, f, g):
        return _tuple_new(_cls, (a, b, c, d, e, f, g))

    def _n8(_cls, a, b, c, d, e, f, g, h):
        return _tuple_new(_cls, (a, b, c, d, e, f, g, h))

    def _n9(_cls, a, b, c, d, e, f, g, h, i):
        return _tuple_new(_cls, (a, b, c, d, e, f, g, h, i))

    def _n10(_cls, a, b, c, d, e, f, g, h, i, j):
        return _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j))

    def _n11(_cls, a, b, c, d, e, f, g, h, i, j, k):
        return _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j, k))

    def _n12(_cls, a, b, c, d, e, f, g, h, i, j, k, m):
        return _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j, k, m))

    def _n13(_cls, a, b, c, d, e, f, g, h, i, j, k, m, n):
        return _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j, k, m, n))

    def _n14(_cls, a, b, c, d, e, f, g, h, i, j, k, m, n, p):
        return _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j, k, m, n, p))

    def _n15(_cls, a, b, c, d, e, f, g, h, i, j, k, m, n, p, q):
        return _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j, k, m, n, p, q))

    def _n16(_cls, a, b, c, d, e, f, g, h, i, j, k, m, n, p, q, r):
        return _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j, k, m, n, p, q, r))

    _TEMPLATES = (None, _n1, _n2, _n3, _n4, _n5, _n6, _n7, _n8,
                  _n9, _n10, _n11, _n12, _n13, _n14, _n15, _n16)  # fmt: skip

    _RESERVED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults",
         "_make", "_replace", "_asdict", "_source"}
    )  # fmt: skip
    """What a record may not define itself (typing.NamedTuple refuses the same names)."""

    @classmethod
    def _make(cls: Any, iterable: Any) -> Any:
        result = _tuple_new(cls, iterable)
        if len(result) != len(cls._fields):
            raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
        return result

    def _replace(self: Any, /, **changes: Any) -> Any:
        result = self._make(map(changes.pop, self._fields, self))
        if changes:
            raise ValueError(f"Got unexpected field names: {list(changes)!r}")
        return result

    def _asdict(self: Any) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))

    def _repr(self: Any) -> str:
        inner = ", ".join(
            f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True)
        )
        return f"{self.__class__.__name__}({inner})"

    def _getnewargs(self: Any) -> tuple[Any, ...]:
        return tuple(self)

    class _RecordMeta(type):
        def __new__(mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> Any:
            if not bases:  # Record itself
                return super().__new__(mcs, name, bases, ns)
            if bases != (FastRecord,):
                raise TypeError(f"{name}: a Record has Record as its only base")
            fields = tuple(ns.get("__annotations__", {}))
            if len(fields) >= len(_TEMPLATES):
                raise TypeError(f"{name}: at most {len(_TEMPLATES) - 1} fields")
            for key in ns.keys() & _RESERVED:
                raise AttributeError(f"Cannot overwrite NamedTuple attribute {key}")
            defaults: dict[str, Any] = {}
            for field in fields:
                if field.startswith("_"):
                    raise ValueError(f"Field names cannot start with an underscore: {field!r}")
                if field in ns:
                    defaults[field] = ns[field]
                elif defaults:
                    raise TypeError(
                        f"Non-default namedtuple field {field} cannot follow default field"
                        f"{'s' if len(defaults) > 1 else ''} {', '.join(defaults)}"
                    )
            template = _TEMPLATES[len(fields)].__code__
            code = template.replace(
                co_varnames=("_cls", *fields), co_name="__new__", co_qualname=f"{name}.__new__"
            )
            new = FunctionType(code, {"_tuple_new": _tuple_new}, "__new__")
            new.__defaults__ = tuple(defaults.values()) or None
            ns["__new__"] = new
            for index, field in enumerate(fields):
                ns[field] = _tuplegetter(index, f"Alias for field number {index}")
            ns["__slots__"] = ()
            ns["_fields"] = fields
            ns["_field_defaults"] = defaults
            ns["__match_args__"] = fields
            ns["_make"] = _make
            ns["_replace"] = _replace
            ns["_asdict"] = _asdict
            ns["__getnewargs__"] = _getnewargs
            ns.setdefault("__repr__", _repr)
            ns.setdefault("__doc__", f"{name}({', '.join(fields)})")
            return type(name, (tuple,), ns)

    FastRecord = _RecordMeta("Record", (), {})

    if os.environ.get("TIER_PLAIN_START"):
        from typing import NamedTuple as Record
    else:
        Record = FastRecord
