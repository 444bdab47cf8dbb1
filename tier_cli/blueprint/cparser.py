"""ruamel.yaml.clib's C parser (libyaml with a Cython composer), used where it reads a text
exactly as ruamel.yaml's pure-Python parser would, and its tree made the pure parser's tree.

nodes.py picks the parser and owns what a parse means; this module only answers, for one text,
either the C parser's tree (completed to what the pure parser gives) or None: the pure parser
must read it. Which texts the two read differently was found by comparing them on real,
generated and mutated YAML (tests/blueprint/test_parsers.py).
"""

from __future__ import annotations

import importlib
import re
from typing import Any, Literal

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver


def _load_c_parser() -> Any:
    try:
        return importlib.import_module("_ruamel_yaml").CParser
    except ImportError:  # pragma: no cover - PyPy, or ruamel.yaml.clib not installed
        return None


_CParser: Any = _load_c_parser()
AVAILABLE = _CParser is not None  # ruamel.yaml.clib can be imported


# Text the two parsers read differently, found by comparing them (the parsers' tests). A match
# anywhere, even inside a quoted value or a comment, sends the text to the pure parser.
# In order: libyaml takes a tab as separation, NEL/LS/PS as line breaks and a BOM inside the
# text; `%YAML 1.1` changes how the pure parser resolves tags; it reads `...` twice as two
# documents and takes a `...` after a top-level block scalar into the scalar; it refuses a `#`
# right after a block scalar's `|`, a whitespace-only first line in a block scalar indented
# less than what follows, `"key":value` in a flow sequence and a flow collection as a key in
# a flow collection; an anchor or alias name followed by one of `?:%@` or a backquote ends
# there for libyaml but goes on for ruamel (`&a:b`); the tag `!` alone on an empty value means
# null to the pure parser and a string to libyaml. The characters of the first kind are looked
# for with `in`: as a character class they cost milliseconds of start-up to compile.
_C_UNSURE_CHARACTERS = "\t\x85\u2028\u2029\ufeff"
_C_UNSURE = re.compile(
    r"^%|^\.\.\."
    r"|[|>][-+0-9]*#"
    r"|[|>][-+0-9]*[ ]*(?:\r\n|\r|\n)[ ]+(?:\r\n|\r|\n)"
    r"|[\"'\]}][ ]*:(?![ \r\n])"
    r"|[&*][A-Za-z0-9_-]+[?:%@`]"
    r"|(?<![^\s\[{,])!(?![^\s,\]}])",
    re.MULTILINE,
)
_ANCHOR_NAME = r"[A-Za-z0-9_-]+(?=[\s,\]}]|$)"
_TAG = r"!\S*[ ]*"  # a tag and the spaces after it
# Deeper trees go to the pure parser, which fails on deep nesting with a RecursionError where
# libyaml does not. Before parsing, a bound on the depth keeps libyaml's own recursion off
# pathological input: flow brackets, plus two levels per column a block node can start at.
_C_MAX_DEPTH = 100
_C_MAX_DEPTH_BOUND = 5000  # libyaml overflowed an 8 MB C stack between 20,000 and 40,000


_COMMENTED_HEADER = r"[|>][-+0-9]*[ ]*#"


def _blank_after_commented_header(text: str) -> bool:
    """A line holding a block scalar header with a comment (`| # ...`), then a line of spaces
    only: the whitespace-only first line of _C_UNSURE, read line by line. As one expression
    (`#[^\\r\\n]*` up to the line break) it was tried again from every `|` of a long line, each
    time to the line's end: minutes on a 100 KB line of `| #`."""
    if "#" not in text:
        return False
    lines = re.split(r"\r\n|\r|\n", text)
    return any(
        0 < len(lines[i + 1]) == lines[i + 1].count(" ")
        and re.search(_COMMENTED_HEADER, line) is not None
        for i, line in enumerate(lines[:-2])
        if "#" in line
    )


def compose(text: str) -> tuple[Node | None] | None:
    """(root,) from the C parser, or None when the pure parser must read the text."""
    if (
        any(character in text for character in _C_UNSURE_CHARACTERS)
        or _C_UNSURE.search(text)
        or _blank_after_commented_header(text)
        or _depth_bound(text) > _C_MAX_DEPTH_BOUND
    ):
        return None
    try:
        root: Node | None = CComposer(text).get_single_node()
    except Exception:  # any error: the pure parser finds it and words it
        return None
    if root is not None and not _adopt(text, root):
        return None
    return (root,)


def _depth_bound(text: str) -> int:
    longest = max(map(len, text.split("\n")))
    return text.count("[") + text.count("{") + 2 * longest + 2


class _CResolver(VersionedResolver):
    """Tags resolved as YAML 1.2, as the pure parser does for a file without `%YAML`."""

    @property
    def processing_version(self) -> Any:
        return (1, 2)


def _c_composer_class() -> Any:
    """libyaml's parser and the Cython composer, calling ruamel's resolver for tags."""
    if _CParser is None:  # pragma: no cover - PyPy, or ruamel.yaml.clib not installed
        return None

    def __init__(self: Any, text: str) -> None:
        _CParser.__init__(self, text)
        _CResolver.__init__(self, loadumper=self)

    return type("CComposer", (_CParser, _CResolver), {"__init__": __init__})


CComposer: Any = _c_composer_class()


def _adopt(text: str, root: Node) -> bool:
    """Give the C parser's nodes what the pure parser's have: plain style as None (libyaml
    says ''), and the anchor each node was defined with (the C composer keeps none). False
    when the tree is deeper than the pure parser reads safely, an anchor is unclear, or an
    empty value sits at the very end of the text.

    Left as libyaml gives them: the end marks of block collections (tier measures those from
    the text) and the marks of an empty mapping value (`key:` and nothing), which libyaml puts
    after the colon and the pure parser at the next token; tier finds such a value by its
    key's colon and never reads them.
    """
    stack: list[tuple[Node, int]] = [(root, 1)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if depth > _C_MAX_DEPTH:
            return False
        start = node.start_mark.index
        if _has_properties(text, node, start):
            anchor = _anchor_at(text, start)
            if anchor is False:
                return False
            node.anchor = anchor
        if isinstance(node, ScalarNode):
            if node.style == "":
                node.style = None
            if start == len(text) and node.end_mark.index == start and text[-1:] not in "\r\n":
                return False  # libyaml marks the end of an unended last line on the next line
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
    return True


def _has_properties(text: str, node: Node, start: int) -> bool:
    """The node starts with its own `&anchor` or `!tag`: not an empty value that libyaml
    marks at the next token, nor a mapping whose first key has them."""
    if not text.startswith(("&", "!"), start) or node.end_mark.index == start:
        return False
    return not (
        isinstance(node, MappingNode) and node.value and node.value[0][0].start_mark.index == start
    )


def _anchor_at(text: str, pos: int) -> str | Literal[False] | None:
    """The anchor of the node whose properties start at `pos`; False when the pure parser
    could see it differently: an anchor after a tag (the pure parser then starts the node at
    the anchor), one that could be on another line, or a name libyaml ends early."""
    if text.startswith("&", pos):
        name = re.compile(_ANCHOR_NAME).match(text, pos + 1)
        return False if name is None else name.group(0)
    tag = re.compile(_TAG).match(text, pos)
    assert tag is not None
    after = tag.end()
    if after >= len(text) or text[after] in "&#\r\n":
        return False
    return None
