"""YAML as a tree of positioned nodes: parse, check, look up keys, compare meaning.

ruamel.yaml composes the text into nodes that carry their start and end marks (absolute
character offsets, 0-based line and column). Nothing here builds Python objects from YAML or
writes YAML: the tree is used to find where things are, and `to_data` gives a plain,
comparable picture of what the file means.

Two parsers give the same tree. ruamel.yaml.clib's C parser (libyaml with a Cython composer,
several times faster: benchmarks/README.md) is used when it can be imported; ruamel.yaml's
pure-Python parser is the reference. The C parser gets only text with none of the constructs the
two are known to read differently (cparser.py), its tree is completed to what the pure parser
gives and checked, and when it fails, or is unsure, the pure parser reads the text.
So every error message is the pure parser's, and an accepted file gives the same nodes, marks
(but two kinds tier never reads, see cparser._adopt), styles, anchors and sharing;
tests/test_parsers.py compares the two on real, generated and mutated YAML. `use_parser` picks
one (for tests and the benchmark).
"""

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, NamedTuple

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from tier_cli.blueprint import cparser
from tier_cli.blueprint.depth import too_deep
from tier_cli.errors import RenderFileError

STR = "tag:yaml.org,2002:str"
NULL = "tag:yaml.org,2002:null"
MERGE = "tag:yaml.org,2002:merge"

_SYNTAX_TIP = "Tip: fix the YAML at that spot (indentation, a missing quote or bracket)"

Data = Any  # a plain picture of a node: (tag, text) tuples, lists and dicts

Parser = Literal["c", "pure"]


_parser: Parser = "c" if cparser.AVAILABLE else "pure"

# How each parse was done, for tests and the benchmark: "c" (the C parser's tree), "pure"
# (the pure parser, C not asked), "pure-after-c" (the C parser was skipped for this text,
# failed, or was unsure, and the pure parser read it).
PARSES: Counter[str] = Counter()


def c_parser_available() -> bool:
    """True when ruamel.yaml.clib's C parser can be imported."""
    return cparser.AVAILABLE


def current_parser() -> Parser:
    return _parser


@contextmanager
def use_parser(name: Parser) -> Iterator[None]:
    """Parse with `name` inside the block ("c" needs ruamel.yaml.clib)."""
    global _parser
    if name == "c" and not cparser.AVAILABLE:
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


LONG_HEADER_COMMENT = 4096
_HEADER_COMMENT = r"[|>][-+0-9]*[ ]+#"  # the first on a line starts its longest comment


def _refuse_long_header_comment(text: str, filename: str) -> None:
    """A comment of more than LONG_HEADER_COMMENT characters after a block scalar's `|` or `>`
    is refused: the pure parser reads it one character at a time into a string it copies each
    time (seconds at 400 KB, a minute at the 1 MB limit). Looked for line by line, only in lines
    long enough to hold one, so the search is linear."""
    if len(text) <= LONG_HEADER_COMMENT:
        return
    start = 0
    for line in re.split(r"\r\n|\r|\n", text):
        found = re.search(_HEADER_COMMENT, line) if len(line) > LONG_HEADER_COMMENT else None
        if found is not None and len(line) - found.end() > LONG_HEADER_COMMENT:
            number = text.count("\n", 0, start) + 1
            raise RenderFileError(
                f"{filename}:{number}: a comment of more than {LONG_HEADER_COMMENT:,} characters "
                "after a block scalar's | or >, which tier's YAML parser cannot read in bounded "
                "time. Tip: shorten the comment or put it on a line of its own"
            )
        start += len(line) + 1


def compose_shared(text: str, filename: str) -> tuple[Node | None, frozenset[int]]:
    """compose(), and the nodes reached more than once (shared_nodes), found by the same walk
    where the tree has no alias."""
    if too_deep(text):  # before the parser recurses into it
        raise RenderFileError(_TOO_DEEP.format(filename=filename))
    _refuse_long_header_comment(text, filename)
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
        root = cparser.compose(text)
        if root is not None:
            PARSES["c"] += 1
            return root[0]
        PARSES["pure-after-c"] += 1
    else:
        PARSES["pure"] += 1
    tree: Node | None = YAML(typ="safe", pure=True).compose(text)
    return tree


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


class Lookup(NamedTuple):
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
