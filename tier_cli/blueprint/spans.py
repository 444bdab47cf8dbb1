"""Where a node's characters are in the text, and how to write a scalar in a given style.

Offsets are indexes into the text as ruamel.yaml read it (the file without its BOM, line
endings untouched). ruamel's end marks are exact for plain and quoted scalars and for flow
collections; block scalars and block collections are measured here by scanning the text.
"""

import re
from functools import cache
from typing import NamedTuple

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from tier_cli.blueprint.nodes import NULL, STR, tag_of

_BLOCK_HEADER = r"[|>](?:([1-9])?([+-])?|([+-])([1-9]))"  # compiled on first use
_PLAIN_FIRST_FORBIDDEN = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW_INDICATORS = set(",[]{}")


@cache
def _resolvers() -> tuple[VersionedResolver, VersionedResolver]:
    """YAML 1.1 and 1.2 resolvers, built on first use (costly at import: tier check needs none)."""
    return VersionedResolver(version=(1, 1)), VersionedResolver(version=(1, 2))


_NOT_PRINTABLE_ASCII = re.compile("[^\t\n\r\x20-\x7e]")


@cache
def _not_printable_unicode() -> re.Pattern[str]:
    """Compiled on first use: its Unicode ranges cost milliseconds to compile."""
    return re.compile(
        "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\x85\u2028\u2029]"
    )


def _not_printable(text: str) -> re.Pattern[str]:
    """The pattern of characters YAML cannot write bare; the cheap one for ASCII text."""
    return _NOT_PRINTABLE_ASCII if text.isascii() else _not_printable_unicode()


class SpanError(Exception):
    """The text around a node does not look the way its node says; nothing should be edited."""


def line_start(text: str, pos: int) -> int:
    return max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1


def line_end(text: str, pos: int) -> int:
    """Offset of the line break ending the line at `pos` (len(text) on a last unended line)."""
    ends = [i for i in (text.find("\n", pos), text.find("\r", pos)) if i >= 0]
    return min(ends) if ends else len(text)


def break_at(text: str, pos: int) -> str:
    """The line break starting at `pos`: CRLF, CR, LF or '' at the end of the text."""
    if text.startswith("\r\n", pos):
        return "\r\n"
    return text[pos : pos + 1] if pos < len(text) else ""


class ScalarSpan(NamedTuple):
    """The characters holding a scalar's value: text[start:end] is replaced to change it.

    For a block scalar the span covers its content lines only (the `|`/`>` header, with any
    comment on it, stays) and `indent` is the content's indentation.
    """

    start: int
    end: int
    style: str  # "plain", "'", '"', "|" or ">"
    indent: int = 0
    newline: str = "\n"  # line break used inside a block scalar's content
    lead: str = ""  # written before the value when the span is empty: " " or a line break
    chomp: str = ""  # a block scalar's chomping indicator: "" (clip), "-" (strip), "+" (keep)


def value_start(text: str, node: Node) -> int:
    """Offset of a node's first character after its anchor (`&a`) and tag (`!t`), if any."""
    pos = int(node.start_mark.index)
    while pos < len(text) and text[pos] in "&!":
        while pos < len(text) and text[pos] not in " \t\r\n":
            pos += 1
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
    return pos


def after_colon(text: str, key: Node) -> int:
    """Offset just after the `:` that follows a mapping key."""
    pos = int(key.end_mark.index)
    if isinstance(key, ScalarNode) and key.style in ("|", ">"):  # pragma: no cover - exotic
        raise SpanError("block scalar key")
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    if not text.startswith(":", pos):
        raise SpanError(f"no ':' after key at offset {key.end_mark.index}")
    return pos + 1


def is_empty(node: Node) -> bool:
    """A value written as nothing at all (`key:` followed by the end of the line)."""
    return (
        isinstance(node, ScalarNode)
        and node.style is None
        and node.value == ""
        and tag_of(node) == NULL
    )


def scalar_span(text: str, node: ScalarNode, key: Node, parent_indent: int) -> ScalarSpan:
    """The span of a scalar value of mapping key `key`; `parent_indent` is the key's column."""
    if is_empty(node):
        pos = after_colon(text, key)
        return ScalarSpan(pos, pos, "plain", lead=" ")
    start = value_start(text, node)
    style = node.style or "plain"
    if style in ("|", ">"):
        return _block_span(text, node, start, parent_indent)
    expected = {"plain": None, "'": "'", '"': '"'}.get(style, "?")
    if expected is not None and not text.startswith(expected, start):
        raise SpanError(f"scalar at offset {start} does not start with {expected}")
    return ScalarSpan(start, int(node.end_mark.index), style)


def _block_span(text: str, node: ScalarNode, start: int, parent_indent: int) -> ScalarSpan:
    header_end = line_end(text, start)
    header = re.compile(_BLOCK_HEADER).match(text, start, header_end)
    if header is None:
        raise SpanError(f"block scalar header at offset {start}")
    digit = header.group(1) or header.group(4)
    chomp = header.group(2) or header.group(3) or ""
    indent = parent_indent + int(digit) if digit else None
    newline = break_at(text, header_end) or "\n"
    pos = header_end + len(break_at(text, header_end))
    content_start, last_end = pos, None
    while pos < len(text):
        end = line_end(text, pos)
        line = text[pos:end]
        if line.strip(" ") == "":
            pos = end + len(break_at(text, end))
            if end == len(text):
                break
            continue
        spaces = len(line) - len(line.lstrip(" "))
        if indent is None:
            if spaces <= parent_indent:
                break
            indent = spaces
        if spaces < indent:
            break
        last_end = end
        pos = end + len(break_at(text, end))
        if end == len(text):
            break
    if last_end is None:  # no content: new lines go right after the header
        return ScalarSpan(
            header_end, header_end, node.style, parent_indent + 2, newline, newline, chomp
        )
    assert indent is not None
    _check_block(text, node, content_start, last_end, indent)
    return ScalarSpan(content_start, last_end, node.style, indent, newline, chomp=chomp)


def _check_block(text: str, node: ScalarNode, start: int, end: int, indent: int) -> None:
    lines = re.split(r"\r\n|\r|\n", text[start:end])
    content = [line[indent:] for line in lines]
    value = str(node.value)
    if node.style == "|":
        ok = "\n".join(content).rstrip("\n") == value.rstrip("\n")
    else:
        ok = "".join("".join(content).split()) == "".join(value.split())
    if not ok:
        raise SpanError(f"block scalar at line {node.start_mark.line + 1} not where expected")


def content_end(text: str, node: Node, parent_indent: int) -> int:
    """Offset just after the last character of a node's own text (comments not included)."""
    if isinstance(node, ScalarNode):
        if node.style in ("|", ">"):
            return _block_span(text, node, value_start(text, node), parent_indent).end
        return int(node.end_mark.index)
    if getattr(node, "flow_style", False):
        return int(node.end_mark.index)
    if isinstance(node, SequenceNode):
        if not node.value:  # pragma: no cover - an empty sequence is always flow style
            return int(node.end_mark.index)
        return content_end(text, node.value[-1], node.start_mark.column)
    assert isinstance(node, MappingNode)
    key, value = node.value[-1]
    if is_empty(value):
        return after_colon(text, key)
    return content_end(text, value, key.start_mark.column)


def ends_open_block(text: str, node: Node, end: int) -> ScalarNode | None:
    """The block scalar `node` ends with when it sits on the file's last, unended line and
    keeps its final line break (`|`, `>`, `|+`): a line added after it would change its value."""
    if line_end(text, end) != len(text):
        return None
    return ending_block(text, node)


def ending_block(text: str, node: Node) -> ScalarNode | None:
    """The block scalar `node` ends with, when it keeps its final line break (`|`, `>`, `|+`,
    not `|-`): that break is part of its value."""
    last = node
    while not isinstance(last, ScalarNode):
        if getattr(last, "flow_style", False) or not last.value:
            return None
        last = last.value[-1] if isinstance(last, SequenceNode) else last.value[-1][1]
    if last.style not in ("|", ">"):
        return None
    header = re.compile(_BLOCK_HEADER).match(text, value_start(text, last))
    return last if header is not None and "-" not in header.group(0) else None


def is_plain_safe(value: str, *, flow: bool) -> bool:
    """True when `value` can be written unquoted and still reads back as the same string."""
    if not value or value != value.strip() or _not_printable(value).search(value):
        return False
    if "\n" in value or "\r" in value or "\t" in value:
        return False
    if value[0] in _PLAIN_FIRST_FORBIDDEN or value.startswith(("---", "...")):
        return False
    if ": " in value or " #" in value or value.endswith(":"):
        return False
    if flow and any(c in _FLOW_INDICATORS for c in value):
        return False
    return all(str(r.resolve(ScalarNode, value, (True, False))) == STR for r in _resolvers())


def single_quoted(value: str) -> str | None:
    if "\n" in value or "\r" in value or _not_printable(value).search(value):
        return None
    return "'" + value.replace("'", "''") + "'"


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def double_quoted(value: str) -> str:
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif _not_printable(char).match(char):
            out.append(f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def block_lines(value: str, style: str) -> list[str] | None:
    """Content lines (without indentation) for a block scalar, or None if it cannot hold value."""
    if (
        not value
        or value[0] in " \t\n"
        or value.endswith("\n")
        or _not_printable(value).search(value)
    ):
        return None
    if "\r" in value:
        return None
    if style == "|":
        return value.split("\n")
    lines: list[str] = []
    for i, part in enumerate(re.split(r"(\n+)", value)):
        if i % 2:
            lines.extend([""] * len(part))
        elif part[:1] in (" ", "\t"):
            return None  # a more-indented line would not fold
        else:
            lines.append(part)
    return lines


def render_scalar(value: str, span: ScalarSpan, *, flow: bool) -> str:
    """The text that replaces `span` so that it holds `value`, in the span's style if it can.

    plain stays plain when safe; a plain value that needs quoting, or a single-quoted one that
    cannot stay single-quoted, becomes double-quoted; block scalars keep their indicator and
    indentation.
    """
    return span.lead + _render(value, span, flow=flow)


def _render(value: str, span: ScalarSpan, *, flow: bool) -> str:
    if span.style == "plain":
        if is_plain_safe(value, flow=flow):
            return value
        return single_quoted(value) or double_quoted(value)
    if span.style == "'":
        return single_quoted(value) or double_quoted(value)
    if span.style == '"':
        return double_quoted(value)
    lines = block_lines(value, span.style)
    if lines is None:
        raise SpanError("value cannot be written as a block scalar")
    return span.newline.join((" " * span.indent + line) if line else "" for line in lines)


def plain_or_quoted(value: str, *, flow: bool) -> str:
    """A new scalar's text: plain when safe, else double-quoted."""
    return value if is_plain_safe(value, flow=flow) else double_quoted(value)
