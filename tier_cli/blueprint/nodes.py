"""YAML as a tree of positioned nodes: parse, check, look up keys, compare meaning.

ruamel.yaml composes the text into nodes that carry their start and end marks (absolute
character offsets, 0-based line and column). Nothing here builds Python objects from YAML or
writes YAML: the tree is used to find where things are, and `to_data` gives a plain,
comparable picture of what the file means.

Two parsers give the same tree. ruamel.yaml.clib's C parser (libyaml with a Cython composer,
some six times faster) is used when it can be imported; ruamel.yaml's pure-Python parser is
the reference. The C parser gets only text with none of the constructs the two are known to
read differently (`_C_UNSURE`), its tree is completed to what the pure parser gives and
checked (`_adopt`), and when it fails, or is unsure, the pure parser reads the text. So every
error message is the pure parser's, and an accepted file gives the same nodes, marks (but
two kinds tier never reads, see `_adopt`), styles, anchors and sharing; tests/test_parsers.py
compares the two on real, generated and mutated YAML. `use_parser` picks one (for tests and
the benchmark).
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver

from tier_cli.blueprint.depth import too_deep
from tier_cli.errors import RenderFileError
from tier_cli.record import Record

STR = "tag:yaml.org,2002:str"
NULL = "tag:yaml.org,2002:null"
MERGE = "tag:yaml.org,2002:merge"

_SYNTAX_TIP = "Tip: fix the YAML at that spot (indentation, a missing quote or bracket)"

Data = Any  # a plain picture of a node: (tag, text) tuples, lists and dicts

Parser = Literal["c", "pure"]


def _load_c_parser() -> Any:
    try:
        return importlib.import_module("_ruamel_yaml").CParser
    except ImportError:  # pragma: no cover - PyPy, or ruamel.yaml.clib not installed
        return None


_CParser: Any = _load_c_parser()
_parser: Parser = "pure" if _CParser is None else "c"

# How each parse was done, for tests and the benchmark: "c" (the C parser's tree), "pure"
# (the pure parser, C not asked), "pure-after-c" (the C parser was skipped for this text,
# failed, or was unsure, and the pure parser read it).
PARSES: Counter[str] = Counter()


def c_parser_available() -> bool:
    """True when ruamel.yaml.clib's C parser can be imported."""
    return _CParser is not None


def current_parser() -> Parser:
    return _parser


@contextmanager
def use_parser(name: Parser) -> Iterator[None]:
    """Parse with `name` inside the block ("c" needs ruamel.yaml.clib)."""
    global _parser
    if name == "c" and _CParser is None:
        raise RuntimeError("ruamel.yaml.clib's C parser is not installed")
    previous, _parser = _parser, name
    try:
        yield
    finally:
        _parser = previous


def compose(text: str, filename: str) -> Node | None:
    """The document's root node (None for an empty or comments-only file).

    Raises RenderFileError (`file:line:col: ...`) for invalid YAML, several documents,
    duplicate keys and recursive aliases.
    """
    return compose_shared(text, filename)[0]


def compose_shared(text: str, filename: str) -> tuple[Node | None, frozenset[int]]:
    """compose(), and the nodes reached more than once (shared_nodes), found by the same walk
    where the tree has no alias."""
    if too_deep(text):  # before the parser recurses into it
        raise RenderFileError(_TOO_DEEP.format(filename=filename))
    try:
        root = _compose(text)
    except MarkedYAMLError as exc:
        raise _syntax_error(exc, text, filename) from None
    except ReaderError as exc:
        line, col = line_col(text, exc.position)
        raise RenderFileError(
            f"{filename}:{line}:{col}: character U+{exc.character:04X} is not allowed in YAML. "
            "Tip: remove it or write it as an escape inside a double-quoted string."
        ) from None
    except YAMLError as exc:  # pragma: no cover - ruamel raises the two above for bad input
        raise RenderFileError(f"{filename}: invalid YAML: {_one_line(str(exc))}.") from None
    except RecursionError:
        raise RenderFileError(_TOO_DEEP.format(filename=filename)) from None
    shared: frozenset[int] = frozenset()
    if root is not None:
        shared = _check_expansion(root, filename)
        try:
            _check_tree(root, filename)
        except RecursionError:
            raise RenderFileError(_TOO_DEEP.format(filename=filename)) from None
    return root, shared


_TOO_DEEP = (
    "{filename}: nested too deeply to be a Blueprint. Tip: a render.yaml nests a few levels; "
    "check the file for runaway brackets or indentation"
)


MAX_EXPANDED_NODES = 200_000
"""How many nodes a document may hold once every alias is expanded. Render's 500-service
Blueprint holds some 30,000; nine levels of nine aliases (1.3 KB of text) hold 387 million."""


def _check_expansion(root: Node, filename: str) -> frozenset[int]:
    """Refuse a document whose aliases expand past MAX_EXPANDED_NODES, before anything walks it.

    Counted on the tree as composed (each node once, its size remembered), so the count itself
    is linear in the text. A recursive alias counts as one node here; _check_tree refuses it.
    A tree where no node is reached twice (no alias: most files) expands to its own nodes: one
    cheaper walk (_reached) counts them. Returns shared_nodes(root), from that same walk.
    """
    count, shared = _reached(root)
    if not shared and count <= MAX_EXPANDED_NODES:
        return shared
    size: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if id(node) in size or (id(node) in open_ and not leaving):
            continue
        kids = [] if isinstance(node, ScalarNode) else list(children(node))
        if leaving:
            open_.discard(id(node))
            total = 1 + sum(size.get(id(kid), 1) for kid in kids)
            size[id(node)] = total
            if total > MAX_EXPANDED_NODES:
                raise RenderFileError(
                    f"{where(node, filename)}: its aliases expand to more than "
                    f"{MAX_EXPANDED_NODES:,} nodes. Tip: a Blueprint needs far fewer; write the "
                    "shared parts out, or use fewer levels of aliases"
                )
            continue
        open_.add(id(node))
        stack.append((node, True))
        stack.extend((kid, False) for kid in kids if id(kid) not in size and id(kid) not in open_)
    return shared


def _reached(root: Node) -> tuple[int, frozenset[int]]:
    """The number of distinct nodes of the tree, and the ids of the nodes reached more than
    once (through an alias or a merge key). Each node is walked into once."""
    seen: set[int] = set()
    twice: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, ScalarNode):
            continue
        kids = (
            [kid for pair in node.value for kid in pair]
            if isinstance(node, MappingNode)
            else node.value
        )
        for kid in kids:
            if id(kid) in seen:
                twice.add(id(kid))
            else:
                seen.add(id(kid))
                stack.append(kid)
    return len(seen | {id(root)}), frozenset(twice)


def _compose(text: str) -> Node | None:
    if _parser == "c":
        root = _compose_c(text)
        if root is not None:
            PARSES["c"] += 1
            return root[0]
        PARSES["pure-after-c"] += 1
    else:
        PARSES["pure"] += 1
    tree: Node | None = YAML(typ="safe", pure=True).compose(text)
    return tree


# ------------------------------------------------------------------------------------------
# The C parser, and what makes its tree the pure parser's tree

# Text the two parsers read differently, found by comparing them (tests/test_parsers.py). A
# match anywhere, even inside a quoted value or a comment, sends the text to the pure parser.
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
    r"|[|>][-+0-9]*[ ]*(?:#[^\r\n]*)?(?:\r\n|\r|\n)[ ]+(?:\r\n|\r|\n)"
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


def _compose_c(text: str) -> tuple[Node | None] | None:
    """(root,) from the C parser, or None when the pure parser must read the text."""
    if (
        any(character in text for character in _C_UNSURE_CHARACTERS)
        or _C_UNSURE.search(text)
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


def line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character offset (CRLF, CR and LF each end one line)."""
    head = text[:index]
    line = head.count("\n") + head.count("\r") - head.count("\r\n")
    start = max(head.rfind("\n"), head.rfind("\r")) + 1
    return line + 1, index - start + 1


def where(node: Node, filename: str) -> str:
    """`file:line:col` of a node's start."""
    return f"{filename}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _syntax_error(exc: MarkedYAMLError, text: str, filename: str) -> RenderFileError:
    mark = exc.problem_mark or exc.context_mark
    problem = _one_line(exc.problem or exc.context or "invalid YAML")
    context = ""
    if (exc.context or "").startswith("expected a single document"):
        problem = "several YAML documents in one file; a Blueprint is a single document"
    elif exc.context and exc.problem and exc.context_mark is not None:
        context = f" ({_one_line(exc.context)} at line {exc.context_mark.line + 1})"
    if mark is None:  # pragma: no cover - ruamel always gives a mark for these
        return RenderFileError(f"{filename}: invalid YAML: {problem}{context}. {_SYNTAX_TIP}.")
    line, col = mark.line + 1, mark.column + 1
    return RenderFileError(
        f"{filename}:{line}:{col}: invalid YAML: {problem}{context}. {_SYNTAX_TIP}."
    )


def _one_line(message: str) -> str:
    return " ".join(message.split()).rstrip(".")


def _check_tree(root: Node, filename: str) -> None:
    """Duplicate keys and recursive aliases are errors: the meaning would be ambiguous."""
    done: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    open_: set[int] = set()
    while stack:
        node, leaving = stack.pop()
        if leaving:
            open_.discard(id(node))
            done.add(id(node))
            continue
        if id(node) in open_:
            raise RenderFileError(
                f"{where(node, filename)}: recursive alias (an anchor used inside itself). "
                "Tip: write the data out without the self-reference."
            )
        if id(node) in done:
            continue
        open_.add(id(node))
        stack.append((node, True))
        if isinstance(node, MappingNode):
            _check_keys(node, filename)
        # scalars hold nothing, so they can neither recurse nor hold duplicate keys
        stack.extend(
            (child, False)
            for child in reversed(list(children(node)))
            if not isinstance(child, ScalarNode)
        )


def _check_keys(node: MappingNode, filename: str) -> None:
    seen: dict[Data, Node] = {}
    for key, _ in node.value:
        tag = tag_of(key)
        if tag == MERGE:
            continue
        # to_data's picture of the key, made hashable; a scalar's is (tag, text) already
        ident = (tag, key.value) if isinstance(key, ScalarNode) else _hashable(to_data(key))
        if ident in seen:
            first = seen[ident]
            name = key.value if isinstance(key, ScalarNode) else "key"
            raise RenderFileError(
                f"{where(key, filename)}: duplicate key `{name}` (first at line "
                f"{first.start_mark.line + 1}); YAML keeps only one of them. "
                "Tip: merge the two entries into one key."
            )
        seen[ident] = key


def children(node: Node) -> Iterator[Node]:
    """Direct children in document order (keys and values of a mapping)."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, SequenceNode):
        yield from node.value


def shared_nodes(root: Node | None) -> frozenset[int]:
    """ids of nodes reached more than once (through an alias or a merge key).

    Anything inside a shared node is shared too; callers check every node on the path.
    """
    return frozenset() if root is None else _reached(root)[1]


class Lookup(Record):
    """A key found in a mapping, either its own or one it gets through a merge key."""

    key: ScalarNode
    value: Node
    merge_key: ScalarNode | None = None  # the `<<` key it came through, if any


def lookup(mapping: MappingNode, name: str) -> Lookup | None:
    """The value of key `name`: the mapping's own key first, then its merge keys in order."""
    merges: list[tuple[ScalarNode, Node]] = []
    for key, value in mapping.value:
        if not isinstance(key, ScalarNode):
            continue
        tag = tag_of(key)
        if tag == MERGE:
            merges.append((key, value))
        elif key.value == name and tag == STR:
            return Lookup(key, value)
    for merge_key, source in merges:
        sources = source.value if isinstance(source, SequenceNode) else [source]
        for src in sources:
            if isinstance(src, MappingNode):
                found = lookup(src, name)
                if found is not None:
                    return Lookup(found.key, found.value, merge_key)
    return None


def tag_of(node: Node) -> str:
    """``str(node.tag)``, read without its two wrappers: ruamel's ``Node.tag`` builds the string
    from ``node.ctag`` at every read, a cost that showed in big files (a million reads)."""
    ctag = node.ctag
    text = None if ctag is None else ctag.trval
    return "None" if text is None else text


def text_of(node: Node | None) -> str | None:
    """A scalar's text; None for null, a missing node, a list or a mapping."""
    if isinstance(node, ScalarNode) and tag_of(node) != NULL:
        return str(node.value)
    return None


def to_data(node: Node, memo: dict[int, Data] | None = None) -> Data:
    """A plain picture of the node: scalars as (tag, text), mappings as dicts, lists as lists.

    Tags are resolved, so `1` and `"1"` differ; merge keys stay as they are written.
    """
    memo = {} if memo is None else memo
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, ScalarNode):
        return (tag_of(node), str(node.value))
    if isinstance(node, SequenceNode):
        items: list[Data] = []
        memo[id(node)] = items
        items.extend(to_data(child, memo) for child in node.value)
        return items
    assert isinstance(node, MappingNode)
    mapping: dict[Data, Data] = {}
    memo[id(node)] = mapping
    for key, value in node.value:
        mapping[_hashable(to_data(key, memo))] = to_data(value, memo)
    return mapping


def _hashable(data: Data) -> Data:
    if isinstance(data, list):
        return tuple(_hashable(item) for item in data)
    if isinstance(data, dict):
        return tuple(sorted(((repr(k), _hashable(v)) for k, v in data.items()), key=repr))
    return data


def first_difference(a: Data, b: Data, path: str = "") -> str | None:
    """The path of the first place two data pictures differ, or None if they are equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            here = f"{path}.{_key_name(key)}" if path else _key_name(key)
            if key not in a or key not in b:
                return here
            found = first_difference(a[key], b[key], here)
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found is not None:
                return found
        return None if len(a) == len(b) else f"{path}[{min(len(a), len(b))}]"
    return None if a == b else (path or "(top level)")


def _key_name(key: Data) -> str:
    if isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], str):
        return key[1]
    return repr(key)
