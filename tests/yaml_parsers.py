"""Run tests on both YAML parsers: ruamel.yaml.clib's C parser and ruamel.yaml's pure one.

- `yaml_parser`, a fixture: a test that uses it (`pytestmark = pytest.mark.usefixtures(...)`)
  runs once per parser and checks its expectations on each;
- `on_both(fn)`: calls `fn` under each parser and asserts both give the same result, or raise
  the same error with the same message, and that the C run really used the C parser.

Without ruamel.yaml.clib (PyPy) the C runs are skipped; test_parsers.py fails on CPython then,
since clib is a dependency there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from tier_cli.blueprint import nodes as yamlnodes
from tier_cli.errors import RenderFileError, TierError

T = TypeVar("T")

PARSERS: list[yamlnodes.Parser] = ["c", "pure"]


def available() -> list[yamlnodes.Parser]:
    return PARSERS if yamlnodes.c_parser_available() else ["pure"]


def check_parses(name: yamlnodes.Parser, used: Counter[str]) -> None:
    """Under the pure parser the C one is never asked; under C every parse asks it first."""
    if name == "pure":
        assert set(used) <= {"pure"}, used
    else:
        assert "pure" not in used, used


@pytest.fixture(params=PARSERS)
def yaml_parser(request: pytest.FixtureRequest) -> Iterator[yamlnodes.Parser]:
    name: yamlnodes.Parser = request.param
    if name not in available():
        pytest.skip("ruamel.yaml.clib is not installed")
    before = Counter(yamlnodes.PARSES)
    with yamlnodes.use_parser(name):
        yield name
    check_parses(name, yamlnodes.PARSES - before)


def on_both(fn: Callable[[], T], *, expect_c: bool = True) -> T:
    """fn() under each parser: the results must be equal, or the errors (type and message).

    With `expect_c`, a run under the C parser that did not fail on invalid YAML must have used
    the C parser's tree at least once (the input has nothing the C parser is unsure of).
    Returns the result, or raises the error.
    """
    outcomes: dict[str, tuple[T | None, TierError | None]] = {}
    for name in available():
        before = Counter(yamlnodes.PARSES)
        result, error = None, None
        with yamlnodes.use_parser(name):
            try:
                result = fn()
            except TierError as exc:
                error = exc
        used = yamlnodes.PARSES - before
        check_parses(name, used)
        if name == "c" and expect_c and not isinstance(error, RenderFileError) and used:
            assert used["c"] > 0, f"the C parser was not used: {used}"
        outcomes[name] = (result, error)
    first_result, first_error = outcomes[available()[0]]
    for result, error in outcomes.values():
        assert _describe(error) == _describe(first_error)
        assert result == first_result
    if first_error is not None:
        raise first_error
    return first_result  # type: ignore[return-value]


def _describe(error: TierError | None) -> tuple[type, str] | None:
    return None if error is None else (type(error), str(error))
