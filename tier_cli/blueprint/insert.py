"""New YAML lines written in the file's own style: a key in a mapping, an item in a list.

A new value is described as plain Python (`Value`): a scalar (string, integer, float, boolean),
a tuple of (key, value) pairs for a mapping, or a list. It is written block or flow style to
match its neighbours,
indented like its siblings, with the file's own step for nested mappings and its own sequence
indentation (`key:\\n  - item` or `key:\\n- item`). Lines are added after the last line of an
existing node, never inside one; a line break is copied from the line it follows.
"""

from collections import Counter
from collections.abc import Callable
from typing import NamedTuple, Union

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tier_cli.blueprint.nodes import STR, Data, children
from tier_cli.blueprint.spans import (
    SpanError,
    after_colon,
    break_at,
    content_end,
    ending_block,
    ends_open_block,
    is_empty,
    line_end,
    line_start,
    plain_or_quoted,
)

Scalar = Union[str, int, float, bool]  # noqa: UP007
Pairs = tuple[tuple[str, "Value"], ...]
Value = Union[Scalar, Pairs, list["Value"]]  # noqa: UP007 - a forward-referenced alias

BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"


class Layout(NamedTuple):
    """How this file indents: nested mappings by `step`, sequences by `seq_offset` under a key."""

    step: int = 2
    seq_offset: int = 2

    @staticmethod
    def of(root: Node | None) -> "Layout":
        """The most common indentation steps of the file's block collections (2 if none)."""
        steps: Counter[int] = Counter()
        offsets: Counter[int] = Counter()
        item_steps: Counter[int] = Counter()  # dash column to the item's keys: `-   key` is 4
        stack = [] if root is None else [root]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, MappingNode) and not node.flow_style:
                for key, value in node.value:
                    col = key.start_mark.column
                    if isinstance(value, MappingNode) and value.value and not value.flow_style:
                        steps[value.value[0][0].start_mark.column - col] += 1
                    elif isinstance(value, SequenceNode) and value.value and not value.flow_style:
                        offsets[value.start_mark.column - col] += 1
                        for item in value.value:
                            if isinstance(item, MappingNode) and item.value:
                                item_col = item.value[0][0].start_mark.column
                                item_steps[item_col - value.start_mark.column] += 1
            stack.extend(children(node))
        step = _most_common(steps, lambda n: n > 0, _most_common(item_steps, lambda n: n > 1, 2))
        offset = _most_common(offsets, lambda n: n >= 0, 2)
        return Layout(step=step, seq_offset=offset)


def _most_common(counts: Counter[int], ok: Callable[[int], bool], default: int) -> int:
    """The most frequent count that passes `ok` (ties: the one seen first), else `default`."""
    for value, _ in counts.most_common():
        if ok(value):
            return value
    return default


class Insertion(NamedTuple):
    """`text` goes in at offset `pos`; the first new line starts `skip` characters into it."""

    pos: int
    text: str
    skip: int = 0


def is_scalar(value: Value) -> bool:
    return isinstance(value, str | int | float)  # bool is an int


def scalar_text(value: Scalar, *, flow: bool) -> str:
    """How a new scalar is written: `true`/`false`, a bare number, a plain or quoted string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return plain_or_quoted(value, flow=flow)


def value_data(value: Value) -> Data:
    """The data picture (see yamlnodes.to_data) the written value reads back as."""
    if isinstance(value, str):
        return (STR, value)
    if isinstance(value, bool):
        return (BOOL, scalar_text(value, flow=False))
    if isinstance(value, int):
        return (INT, repr(value))
    if isinstance(value, float):
        return (FLOAT, repr(value))
    if isinstance(value, list):
        return [value_data(item) for item in value]
    return {(STR, key): value_data(item) for key, item in value}


def flow(value: Value) -> str:
    if isinstance(value, str | int | float):
        return scalar_text(value, flow=True)
    if isinstance(value, list):
        return "[" + ", ".join(flow(item) for item in value) + "]"
    return "{" + ", ".join(f"{key}: {flow(item)}" for key, item in value) + "}"


def block(pairs: Pairs, col: int, layout: Layout, *, flow_nested: bool = False) -> list[str]:
    """Lines of a block mapping at column `col` (nested mappings flow style if asked)."""
    lines = []
    pad = " " * col
    for key, value in pairs:
        if isinstance(value, str | int | float):
            lines.append(f"{pad}{key}: {scalar_text(value, flow=False)}")
        elif not value or flow_nested:
            lines.append(f"{pad}{key}: {flow(value)}")
        else:
            lines.append(f"{pad}{key}:")
            lines.extend(block_value(value, col, layout))
    return lines


def block_value(value: Pairs | list[Value], key_col: int, layout: Layout) -> list[str]:
    """The lines under `key:` (at column `key_col`) holding a non-empty list or mapping."""
    if not isinstance(value, list):
        return block(value, key_col + layout.step, layout)
    lines: list[str] = []
    dash_col = key_col + layout.seq_offset
    for item in value:
        if isinstance(item, tuple) and item:
            lines.extend(block_item(item, dash_col, 1, layout))
        else:  # a scalar, or an empty or nested collection: one flow line
            lines.append(" " * dash_col + "- " + flow(item))
    return lines


def block_item(
    pairs: Pairs, dash_col: int, gap: int, layout: Layout, *, flow_nested: bool = False
) -> list[str]:
    """Lines of a `- key: value` list item: dash at `dash_col`, `gap` spaces after it."""
    lines = block(pairs, dash_col + 1 + gap, layout, flow_nested=flow_nested)
    lines[0] = " " * dash_col + "-" + " " * gap + lines[0].lstrip(" ")
    return lines


def _after_line(text: str, pos: int, lines: list[str], newline: str, blank: bool) -> Insertion:
    """New lines after the line holding offset `pos`, each ended like that line."""
    eol = line_end(text, pos)
    br = break_at(text, eol) or newline
    head = br + (br if blank else "")
    return Insertion(eol, head + br.join(lines), len(head))


def pair_end(text: str, key: Node, value: Node) -> int:
    """Offset just after a key's value (just after the `:` when the value is empty)."""
    return (
        after_colon(text, key)
        if is_empty(value)
        else content_end(text, value, key.start_mark.column)
    )


def insert_pair(
    text: str,
    mapping: MappingNode,
    key: str,
    value: Value,
    *,
    after: tuple[str, ...],
    layout: Layout,
    newline: str,
    rewritten: frozenset[int] = frozenset(),
    flow_nested: bool = False,
) -> Insertion:
    """A new `key: value` in `mapping`, right after the last of the `after` keys it has
    (by position in the file), else after its last key; a list or mapping value is written
    flow style in a flow mapping or when `flow_nested`, else as block lines."""
    pairs = [
        (k, v) for k, v in mapping.value if isinstance(k, ScalarNode) and k.value in after
    ] or list(mapping.value[-1:])
    anchor_key, anchor_value = max(pairs, key=lambda kv: kv[0].start_mark.index)
    end = pair_end(text, anchor_key, anchor_value)
    if mapping.flow_style:
        return Insertion(end, f", {key}: {flow(value)}")
    _check_open_block(text, anchor_value, end, rewritten)
    col = mapping.value[0][0].start_mark.column
    lines = block(((key, value),), col, layout, flow_nested=flow_nested)
    return _after_line(text, end, lines, newline, blank=False)


def fill_empty(
    text: str, key: Node, items: list[Pairs], *, flow_parent: bool, layout: Layout, newline: str
) -> Insertion:
    """Items for a list key written with nothing after it (`envVars:`)."""
    colon = after_colon(text, key)
    if flow_parent:
        value: list[Value] = list(items)
        return Insertion(colon, " " + flow(value))
    lines = [
        line
        for item in items
        for line in block_item(item, key.start_mark.column + layout.seq_offset, 1, layout)
    ]
    return _after_line(text, colon, lines, newline, blank=False)


def append_item(
    text: str,
    seq: SequenceNode,
    item: Pairs,
    *,
    layout: Layout,
    newline: str,
    rewritten: frozenset[int] = frozenset(),
) -> Insertion:
    """`item` after the last item of a list, in the style of that last item.

    `rewritten`: ids of scalars whose text tier replaces anyway (see `_check_open_block`).
    A flow list gets `, {...}`; a block list gets a `- ` item with the last item's dash column,
    gap after the dash and nested style (flow or block for inner mappings); a blank line goes
    before it when the last two items are separated by one.
    """
    if seq.flow_style:
        if not seq.value:
            return Insertion(seq.end_mark.index - 1, flow(item))
        end = content_end(text, seq.value[-1], seq.start_mark.column)
        return Insertion(end, ", " + flow(item))
    last = seq.value[-1]
    end = content_end(text, last, seq.start_mark.column)
    _check_open_block(text, last, end, rewritten)
    dash_col = seq.start_mark.column
    if isinstance(last, MappingNode) and last.flow_style:
        lines = [" " * dash_col + "- " + flow(item)]
    else:
        gap = _gap(text, last, dash_col)
        lines = block_item(item, dash_col, gap, layout, flow_nested=_nested_flow(seq))
    blank = len(seq.value) > 1 and _blank_between(text, seq.value[-2], last, dash_col)
    return _after_line(text, end, lines, newline, blank)


def _check_open_block(text: str, node: Node, end: int, rewritten: frozenset[int]) -> None:
    """Refuse to add lines after an unended block scalar, unless tier rewrites that scalar."""
    block = ends_open_block(text, node, end)
    if block is not None and id(block) not in rewritten:
        raise SpanError(
            f"the file ends inside the block scalar of line {block.start_mark.line + 1} without "
            "a final line break, and a line added after it would change its value"
        )


def _gap(text: str, item: Node, dash_col: int) -> int:
    """Spaces between the dash and the item's first key, when both are on one line."""
    start = item.start_mark.index
    if isinstance(item, MappingNode) and item.value:
        start = item.value[0][0].start_mark.index
    head = text[line_start(text, start) : start]
    if head.strip(" ") == "-" and head.rstrip(" ").endswith("-"):
        return max(1, len(head) - head.index("-") - 1)
    return max(1, int(item.start_mark.column) - dash_col - 1)


def _nested_flow(seq: SequenceNode) -> bool:
    """True when the list's items write their nested mappings flow style (`{...}`)."""
    for item in seq.value:
        if isinstance(item, MappingNode):
            for _, value in item.value:
                if isinstance(value, MappingNode) and value.value:
                    return bool(value.flow_style)
    return False


def _blank_between(text: str, before: Node, after: Node, dash_col: int) -> bool:
    end = line_end(text, content_end(text, before, dash_col))
    gap = text[end : line_start(text, after.start_mark.index)]
    lines = gap.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return any(line.strip() == "" for line in lines[1:-1])


def _break_before(text: str, pos: int) -> int:
    """The length of the line break just before `pos` (0 at the start of the text)."""
    return 2 if text.endswith("\r\n", 0, pos) else (1 if pos > 0 else 0)


def pair_span(text: str, mapping: MappingNode, index: int) -> tuple[int, int]:
    """The characters to delete to remove the `index`-th pair of `mapping`, nothing else.

    Block style: the key's line through the last line of its value, with the comments on those
    lines and between them; full-line comments above the key or after the value stay. When the
    key shares its line with a list item's dash (`- scaling:`), the next key moves up to the
    dash. The mapping's last pair takes the line break before it instead of its own (and, at
    the end of a file without a final line break, the blank lines before it, unless they end
    a block scalar's value: then the file ends with that line break).
    Flow style: the pair and one comma beside it. Raises SpanError when that cannot be done
    cleanly (the only pair of a list item, a complex `? key`).
    """
    key, value = mapping.value[index]
    end = pair_end(text, key, value)
    if mapping.flow_style:
        if index > 0:
            before_key, before_value = mapping.value[index - 1]
            return pair_end(text, before_key, before_value), end
        if len(mapping.value) > 1:
            return int(key.start_mark.index), int(mapping.value[1][0].start_mark.index)
        return int(key.start_mark.index), end
    start = line_start(text, key.start_mark.index)
    head = text[start : key.start_mark.index]
    if head.strip(" ") == "":
        eol = line_end(text, end)
        br = break_at(text, eol)
        if start == 0 or (br and index + 1 < len(mapping.value)):
            return start, eol + len(br)
        # The last pair: take the line break before it instead of its own, so that lines
        # added after the mapping's last key (at `eol`) still have a place to go. At the end
        # of a file without a final line break, blank lines before it go too: the file still
        # ends without one.
        if not br and index > 0 and ending_block(text, mapping.value[index - 1][1]):
            return start, eol  # the break before is the end of a block scalar's value
        while not br and start > 0:
            prev = line_start(text, start - _break_before(text, start))
            if prev == start or text[prev:start].strip():
                break
            start = prev
        return start - _break_before(text, start), eol
    if head.strip(" ").strip("-").strip(" ") == "" and index + 1 < len(mapping.value):
        return int(key.start_mark.index), int(mapping.value[index + 1][0].start_mark.index)
    line = key.start_mark.line + 1
    raise SpanError(f"the key at line {line} shares its line with `{head.strip()}`")
