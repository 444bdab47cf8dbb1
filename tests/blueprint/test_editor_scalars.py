"""spans: finding a scalar's characters and writing a value in the old value's style."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, ScalarNode
from yaml_parsers import yaml_parser  # noqa: F401 - the fixture, used through pytestmark

from tier_cli.blueprint.nodes import compose
from tier_cli.blueprint.spans import (
    SpanError,
    block_lines,
    double_quoted,
    is_plain_safe,
    render_scalar,
    scalar_span,
)

pytestmark = pytest.mark.usefixtures("yaml_parser")  # every test on the C and the pure parser


def _value(text: str) -> tuple[ScalarNode, ScalarNode]:
    root = compose(text, "render.yaml")
    assert isinstance(root, MappingNode)
    key, value = root.value[0]
    assert isinstance(value, ScalarNode)
    return key, value


def rewrite(text: str, new: str, *, flow: bool = False) -> str:
    key, value = _value(text)
    span = scalar_span(text, value, key, key.start_mark.column)
    return text[: span.start] + render_scalar(new, span, flow=flow) + text[span.end :]


REWRITES = [
    pytest.param("k: old\n", "new", "k: new\n", id="plain"),
    pytest.param("k: old  # c\n", "new value", "k: new value  # c\n", id="plain-comment"),
    pytest.param("k: old\n", "a: b", "k: 'a: b'\n", id="plain-needs-quotes-colon"),
    pytest.param("k: old\n", "x #y", "k: 'x #y'\n", id="plain-needs-quotes-hash"),
    pytest.param("k: old\n", "yes", "k: 'yes'\n", id="plain-would-be-bool"),
    pytest.param("k: old\n", "1.5", "k: '1.5'\n", id="plain-would-be-float"),
    pytest.param("k: old\n", "null", "k: 'null'\n", id="plain-would-be-null"),
    pytest.param("k: old\n", "*x", "k: '*x'\n", id="plain-would-be-alias"),
    pytest.param("k: old\n", "it's", "k: it's\n", id="plain-inner-quote-ok"),
    pytest.param("k: old\n", "a\nb", 'k: "a\\nb"\n', id="plain-newline-double"),
    pytest.param("k: 'old'\n", "it's", "k: 'it''s'\n", id="single-escapes-quote"),
    pytest.param("k: 'old'\n", "a\nb", 'k: "a\\nb"\n', id="single-newline-double"),
    pytest.param('k: "old"\n', 'say "hi" \\ $X', 'k: "say \\"hi\\" \\\\ $X"\n',
                 id="double-escapes"),
    pytest.param("k: &a old\n", "new", "k: &a new\n", id="anchor-kept"),
    pytest.param("k: !!str old\n", "new", "k: !!str new\n", id="tag-kept"),
    pytest.param("k:\n", "new", "k: new\n", id="empty-value"),
    pytest.param("k:   # c\nz: 1\n", "new", "k: new   # c\nz: 1\n", id="empty-value-comment"),
    pytest.param("k: |\n  old\n", "new", "k: |\n  new\n", id="literal"),
    pytest.param("k: |\n  a\n  b\n\nz: 1\n", "c\nd", "k: |\n  c\n  d\n\nz: 1\n",
                 id="literal-multi-line"),
    pytest.param("k: |2\n    old\n", "new", "k: |2\n  new\n", id="literal-explicit-indent"),
    pytest.param("k: |-  # c\n    old\n", "new", "k: |-  # c\n    new\n", id="literal-comment"),
    pytest.param("k: >\n  a\n  b\n", "c", "k: >\n  c\n", id="folded"),
    pytest.param("k: >-\n  a\n", "c\nd", "k: >-\n  c\n\n  d\n", id="folded-newline"),
    pytest.param("k: |\nz: 1\n", "new", "k: |\n  new\nz: 1\n", id="literal-empty"),
    pytest.param("k: old\r\n", "new", "k: new\r\n", id="crlf"),
    pytest.param("k: |\r\n  a\r\n  b\r\n", "c\nd", "k: |\r\n  c\r\n  d\r\n", id="literal-crlf"),
    pytest.param("k: a\n  b\nz: 1\n", "c", "k: c\nz: 1\n", id="plain-multi-line"),
    pytest.param("k: 'a\n  b'\n", "c", "k: 'c'\n", id="single-multi-line"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "new", "expected"), REWRITES)
def test_rewrite_in_style(text: str, new: str, expected: str) -> None:
    out = rewrite(text, new)
    assert out == expected
    assert _value(out)[1].value.rstrip("\n") == new


@pytest.mark.parametrize(
    ("text", "new", "expected"),
    [
        ("{k: old, z: 1}\n", "a,b", "{k: 'a,b', z: 1}\n"),
        ("{k: old, z: 1}\n", "[x]", "{k: '[x]', z: 1}\n"),
        ("{k: old}\n", "plain", "{k: plain}\n"),
    ],
    ids=["comma", "brackets", "plain"],
)
def test_rewrite_in_flow(text: str, new: str, expected: str) -> None:
    root = compose(text, "render.yaml")
    assert isinstance(root, MappingNode)
    key, value = root.value[0]
    span = scalar_span(text, value, key, key.start_mark.column)
    assert text[: span.start] + render_scalar(new, span, flow=True) + text[span.end :] == expected


PLAIN_SAFE = [
    ("pro", True), ("2c-4g", True), ("pro plus", True), ("0.5c-512mb", True),
    ("uvicorn main:app --port $PORT", True), ("cd a && b", True), ("a-b", True),
    ("", False), (" x", False), ("x ", False), ("- x", False), ("-x", False), ("#x", False),
    ("a: b", False), ("a #b", False), ("a:", False), ("yes", False), ("on", False),
    ("No", False), ("~", False), ("12", False), ("0x1f", False), ("1e3", False),
    ("2024-01-01", False), ("{a}", False), ("'a'", False), ("%x", False), ("@x", False),
    ("`x`", False), ("---", False), ("...x", False), ("a\tb", False), ("a\u2028b", False),
]  # fmt: skip


@pytest.mark.parametrize(("value", "safe"), PLAIN_SAFE)
def test_is_plain_safe(value: str, safe: bool) -> None:
    assert is_plain_safe(value, flow=False) is safe


def test_flow_indicators_are_not_plain_in_flow() -> None:
    assert is_plain_safe("a,b", flow=False)
    assert not is_plain_safe("a,b", flow=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a\x07b", '"a\\x07b"'), ("tab\there", '"tab\\there"'), ("é", '"é"'), ("\u2028", '"\\u2028"')],
    ids=["control", "tab", "non-ascii", "line-separator"],
)
def test_double_quoted(value: str, expected: str) -> None:
    assert double_quoted(value) == expected
    assert YAML(typ="safe", pure=True).load(f"k: {expected}\n")["k"] == value


@pytest.mark.parametrize(
    ("value", "style"),
    [(" lead", "|"), ("trail\n", "|"), ("", "|"), ("a\n  more", ">"), ("a\rb", "|")],
    ids=["leading-space", "trailing-newline", "empty", "folded-more-indented", "cr"],
)
def test_block_cannot_hold(value: str, style: str) -> None:
    assert block_lines(value, style) is None


def test_unwritable_block_value_is_an_error() -> None:
    text = "k: |\n  old\n"
    key, value = _value(text)
    span = scalar_span(text, value, key, 0)
    with pytest.raises(SpanError):
        render_scalar(" leading space", span, flow=False)
