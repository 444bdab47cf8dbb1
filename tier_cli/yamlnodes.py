"""YAML as a tree of positioned nodes: parse, check, look up keys, compare meaning.

ruamel.yaml composes the text into nodes that carry their start and end marks (absolute
character offsets, 0-based line and column). Nothing here builds Python objects from YAML or
writes YAML: the tree is used to find where things are, and `to_data` gives a plain,
comparable picture of what the file means.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from .errors import RenderFileError

STR = "tag:yaml.org,2002:str"
NULL = "tag:yaml.org,2002:null"
MERGE = "tag:yaml.org,2002:merge"

_SYNTAX_TIP = "Tip: fix the YAML at that spot (indentation, a missing quote or bracket)"

Data = Any  # a plain picture of a node: (tag, text) tuples, lists and dicts


def compose(text: str, filename: str) -> Node | None:
    """The document's root node (None for an empty or comments-only file).

    Raises RenderFileError (`file:line:col: ...`) for invalid YAML, several documents,
    duplicate keys and recursive aliases.
    """
    try:
        root: Node | None = YAML(typ="safe", pure=True).compose(text)
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
    if root is not None:
        _check_tree(root, filename)
    return root


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
        stack.extend((child, False) for child in reversed(list(children(node))))


def _check_keys(node: MappingNode, filename: str) -> None:
    seen: dict[Data, Node] = {}
    for key, _ in node.value:
        if str(key.tag) == MERGE:
            continue
        ident = to_data(key)
        ident = _hashable(ident)
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
    if root is None:
        return frozenset()
    seen: Counter[int] = Counter()
    stack = [root]
    while stack:
        node = stack.pop()
        for child in children(node):
            seen[id(child)] += 1
            if seen[id(child)] == 1:
                stack.append(child)
    return frozenset(k for k, n in seen.items() if n > 1)


@dataclass(frozen=True)
class Lookup:
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
        if str(key.tag) == MERGE:
            merges.append((key, value))
        elif key.value == name and str(key.tag) == STR:
            return Lookup(key, value)
    for merge_key, source in merges:
        sources = source.value if isinstance(source, SequenceNode) else [source]
        for src in sources:
            if isinstance(src, MappingNode):
                found = lookup(src, name)
                if found is not None:
                    return Lookup(found.key, found.value, merge_key)
    return None


def text_of(node: Node | None) -> str | None:
    """A scalar's text; None for null, a missing node, a list or a mapping."""
    if isinstance(node, ScalarNode) and str(node.tag) != NULL:
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
        return (str(node.tag), str(node.value))
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
