"""nodes: the C parser (ruamel.yaml.clib) and the pure-Python one give the same trees.

tier parses with the C parser when it can be imported. These tests fail when it silently is
not (on CPython ruamel.yaml.clib is a dependency), check that every kind of text the C parser
reads differently goes to the pure parser, and compare the two on generated YAML and on
mutated Blueprints: same nodes, marks, styles, anchors and sharing, or the same error.
"""

from __future__ import annotations

import importlib
import importlib.util
import platform
import random
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml.error import StringMark
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode
from test_corpus import FILES
from yaml_parsers import available

from tier_cli.blueprint import cparser
from tier_cli.blueprint import nodes as yamlnodes
from tier_cli.blueprint.nodes import NULL, compose, use_parser
from tier_cli.errors import RenderFileError

T = TypeVar("T")

# Generated YAML defines anchors twice; the pure parser warns, tier reads it all the same.
pytestmark = pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")

needs_c = pytest.mark.skipif(
    not yamlnodes.c_parser_available(), reason="ruamel.yaml.clib is not installed"
)


def counted(fn: Callable[[], T]) -> tuple[T, Counter[str]]:
    before = Counter(yamlnodes.PARSES)
    result = fn()
    return result, yamlnodes.PARSES - before


def describe(root: Node | None) -> list[tuple[Any, ...]]:
    """Everything tier reads of a tree, node by node in document order; a node reached again
    through an alias is named by its first index, so sharing is compared too.

    Not compared: the end marks of block collections (tier measures those from the text) and
    the marks of an empty mapping value (`key:` and nothing), which libyaml puts after the
    colon and the pure parser at the next token; tier finds such a value by its key's colon.
    """
    if root is None:
        return []
    order: list[Node] = []
    index: dict[int, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in index:
            continue
        index[id(node)] = len(order)
        order.append(node)
        stack.extend(reversed(list(yamlnodes.children(node))))
    values = {id(v) for n in order if isinstance(n, MappingNode) for _, v in n.value}
    out = []
    for node in order:
        kids = [index[id(child)] for child in yamlnodes.children(node)]
        style = node.style if isinstance(node, ScalarNode) else getattr(node, "flow_style", None)
        marks: tuple[Any, ...] = (_mark(node.start_mark),)
        if isinstance(node, ScalarNode) or style:
            marks += (_mark(node.end_mark),)
        if id(node) in values and _empty(node):
            marks = ()
        value = node.value if isinstance(node, ScalarNode) else kids
        out.append((type(node).__name__, str(node.tag), value, marks, style, node.anchor))
    return out


def _mark(mark: Any) -> tuple[int, int, int]:
    return (mark.index, mark.line, mark.column)


def _empty(node: Node) -> bool:
    return (
        isinstance(node, ScalarNode)
        and node.value == ""
        and node.style is None
        and str(node.tag) == NULL
        and node.anchor is None
        and node.start_mark.index == node.end_mark.index
    )


def outcome(text: str, parser: yamlnodes.Parser) -> tuple[Any, Counter[str]]:
    """What compose gives under `parser`: the tree described, or the error message."""
    before = Counter(yamlnodes.PARSES)
    with use_parser(parser):
        try:
            result: Any = describe(compose(text, "render.yaml"))
        except RenderFileError as exc:
            result = ("error", str(exc))
    return result, yamlnodes.PARSES - before


def same_on_both(text: str) -> Counter[str]:
    """Compose under each parser: the same outcome; returns how the C run parsed."""
    pure, _ = outcome(text, "pure")
    if "c" not in available():
        return Counter()
    c, used = outcome(text, "c")
    assert c == pure, text
    return used


# ------------------------------------------------------------------------------------------
# The C parser is there and is used


@pytest.mark.skipif(
    platform.python_implementation() != "CPython",
    reason="ruamel.yaml.clib is a dependency on CPython only",
)
def test_c_parser_is_installed_and_is_the_default() -> None:
    assert importlib.util.find_spec("_ruamel_yaml") is not None, "install ruamel.yaml.clib"
    assert yamlnodes.c_parser_available()
    assert yamlnodes.current_parser() == "c"


@needs_c
def test_a_blueprint_is_read_by_the_c_parser() -> None:
    text = "services:\n  - type: web\n    name: api\n    plan: free\n"
    with use_parser("c"):
        root, used = counted(lambda: compose(text, "render.yaml"))
    assert used == Counter(c=1)
    assert root is not None
    assert isinstance(root.start_mark, importlib.import_module("_ruamel_yaml").Mark)


def test_the_pure_parser_is_used_when_asked() -> None:
    with use_parser("pure"):
        root, used = counted(lambda: compose("a: b\n", "render.yaml"))
    assert used == Counter(pure=1)
    assert root is not None
    assert isinstance(root.start_mark, StringMark)


def test_asking_for_a_missing_c_parser_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cparser, "AVAILABLE", False)
    with pytest.raises(RuntimeError, match=r"ruamel\.yaml\.clib"), use_parser("c"):
        pass  # pragma: no cover


# ------------------------------------------------------------------------------------------
# Same trees


SAME = [
    pytest.param("services:\n  - type: web\n    name: api\n", id="blueprint"),
    pytest.param(
        "base: &base {runtime: python}\nservices:\n  - <<: *base\n    name: a\n"
        "  - &svc\n    name: b\n  - *svc\n",
        id="anchors-aliases-merge",
    ),
    pytest.param("services:\n  - &a type: web\n    name: x\n", id="anchor-on-first-key"),
    pytest.param("a: &x !!str 5\nb: *x\nc: !!int '7'\n", id="anchor-then-tag"),
    pytest.param("a: &x\n  b: 1\nc: *x\n", id="anchor-alone-on-its-line"),
    pytest.param("a: |\n  x\n\n  y\nb: >-\n  f\n  g\nc: |+\n  k\n\nd: |2-\n    i\n", id="blocks"),
    pytest.param("a: 'it''s'\nb: \"x\\ty\\u00e9\"\nc: \"multi\n  line\"\n", id="quoted"),
    pytest.param("a: {b: [1, 2, {c: d}], e: [], f}\ng: [a: b]\n", id="flow"),
    pytest.param("a: 1\r\nb:\r\n  - x\r\n  - |\r\n    y\r\n", id="crlf"),
    pytest.param("a: 1\rb: 2\r", id="cr"),
    pytest.param("a: café ✓ 中文 😀\nb: '😀'\nc: x\n", id="non-ascii"),
    pytest.param("a:\nb:   # c\nc: {d: , e}\nf:\n  -\n  - x\n? g\n", id="empty-values"),
    pytest.param("? a\n: b\n? [c]\n: d\n", id="explicit-keys"),
    pytest.param("a: yes\nb: 010\nc: 0o10\nd: ~\ne: 1e3\nf: 2024-01-01\n", id="tags-1.2"),
    pytest.param("--- # doc\na: 1\n", id="document-start"),
    pytest.param("~\n", id="null-root"),
    pytest.param("# only a comment\n", id="comments-only"),
    pytest.param("", id="empty"),
    pytest.param("a: " + "[" * 40 + "]" * 40 + "\n", id="nested-40"),
]


@needs_c
@pytest.mark.parametrize("text", SAME)
def test_same_tree_from_the_c_parser(text: str) -> None:
    used = same_on_both(text)
    assert used == Counter(c=1)


# Each kind of text the two parsers read differently (see yamlnodes._C_UNSURE and _adopt):
# the C parser's tree is not used, and the outcome is the pure parser's.
UNSURE = [
    pytest.param("a:\tb\n", id="tab"),
    pytest.param("a: b  # a\ttab in a comment\n", id="tab-in-comment"),
    pytest.param("a: x\x85b: y\n", id="nel"),
    pytest.param("a: x\u2028b: y\n", id="line-separator"),
    pytest.param("a: b\n\ufeffc: d\n", id="bom-inside"),
    pytest.param("%YAML 1.1\n---\na: yes\n", id="yaml-1.1-directive"),
    pytest.param("a: 1\n...\n...\n", id="document-end-twice"),
    pytest.param("--- |\n...\n", id="document-end-after-a-block-scalar"),
    pytest.param("a: |#\n  x\n", id="comment-right-after-block-header"),
    pytest.param("a: |\n  \n    x\n", id="block-first-line-blank-and-less-indented"),
    pytest.param('x: ["a":b]\n', id="json-key-in-flow-sequence"),
    pytest.param("x: [{a: 1}:]\n", id="flow-key-in-flow-sequence"),
    pytest.param("a: &x:y 1\n", id="anchor-name-with-colon"),
    pytest.param("a: &x 1\nb: [*x:]\n", id="alias-name-with-colon"),
    pytest.param("a: &x !\nb: *x\n", id="non-specific-tag-on-empty-value"),
    pytest.param("a: !!str &x 5\nb: *x\n", id="tag-then-anchor"),
    pytest.param("a: !!map\n  &x\n  b: 1\n", id="tag-then-line-break"),
    pytest.param("a: " + "[" * 150 + "]" * 150 + "\n", id="nested-150"),
    pytest.param("services:\n  - type: web\n   name: api\n", id="invalid-yaml"),
    pytest.param("a: 1\nb: &x 2\nc: &x 3\nd: *x\n", id="anchor-defined-twice"),
    pytest.param("a: 1\n---\nb: 2\n", id="two-documents"),
    pytest.param("# empty\n---", id="empty-document-without-final-line-break"),
    pytest.param("a: 1\nb:", id="empty-value-without-final-line-break"),
]


@needs_c
@pytest.mark.parametrize("text", UNSURE)
def test_unsure_text_is_read_by_the_pure_parser(text: str) -> None:
    used = same_on_both(text)
    assert used == Counter({"pure-after-c": 1})


@needs_c
def test_long_lines_never_reach_the_c_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """libyaml recurses in C: a text that could nest thousands deep is not given to it."""

    def never(text: str) -> None:
        raise AssertionError("the C parser was asked")

    monkeypatch.setattr(cparser, "CComposer", never)
    used = same_on_both("a: " + "x" * 2600 + "\n")
    assert used == Counter({"pure-after-c": 1})


# ------------------------------------------------------------------------------------------
# Same trees on generated YAML and on mutated Blueprints

PLAIN = [
    "a", "web", "x y", "a:b", "http://x:80/", "-a", "?a", ":a", "a#b", "a #b", "1", "0o7", "010",
    "yes", "~", "null", "", "a,b", "a]b", "a}", "*", "&", "!", "%x", "@x", "`x", "a  b", "é",
    "中文", "😀", "--", "...", "---", "-", "?", ":", "'", '"', "a'b", "a\\b", "<<",
]  # fmt: skip
FLOWS = [
    "[]", "{}", "[a, b]", "{a: 1, b}", "[a: b]", "[{a: 1}: b]", "{[a]: b}", "[? a]", '["a":b]',
    '{"a":b}', "[a,]", "[ a , b ]", "{a: [b, {c: d}]}", "[*x]", "[&y z]", "[!!str 1]", "[a\n, b]",
]  # fmt: skip
HEADS = ["|", ">", "|-", ">+", "|2", "|+1", "|-2", "|1-", ">2-", "|#", "| #c", "|0", "|10"]
PROPS = ["&x ", "&y ", "!!str ", "!!map ", "!t ", "&x !!str ", "!!str &x ", "&x\n", "&x # c\n"]
KEYS = ["a", "b", "plan", "'q'", '"d"', "<<", "? k", "[k]", "{k: v}", "&x k", "!!str k", "*x ",
        "x y", "k#", "", "-k"]  # fmt: skip


def _scalar(rng: random.Random, indent: int) -> str:
    pick = rng.random()
    if pick < 0.35:
        return rng.choice(PLAIN)
    if pick < 0.5:
        tail = rng.choice(["", "\n" + " " * rng.randint(0, indent + 2) + "z"])
        return "'" + rng.choice(PLAIN).replace("'", rng.choice(["''", "'"])) + tail + "'"
    if pick < 0.65:
        body = rng.choice([*PLAIN, "\\n", "\\t", "\\x41", "\\u00e9", "\\/", "\\ ", "\\q", "\\"])
        return '"' + body.replace('"', rng.choice(['\\"', '"'])) + '"'
    if pick < 0.85:
        base = indent + rng.choice([1, 2, 2, 2, 3, 4])
        lines = [
            " " * rng.randint(0, base + 2)
            if rng.random() < 0.3
            else " " * (base + rng.choice([0, 0, 0, 1, 2, -1])) + rng.choice(PLAIN)
            for _ in range(rng.randint(0, 4))
        ]
        return rng.choice(HEADS) + "".join("\n" + line for line in lines)
    return rng.choice(FLOWS)


def _node(rng: random.Random, indent: int, depth: int) -> str:
    pick = rng.random()
    if depth > 3 or pick < 0.35:
        if rng.random() < 0.08:
            return rng.choice(["*x", "*y", "*x ", "*z"])
        return (rng.choice(PROPS) if rng.random() < 0.25 else "") + _scalar(rng, indent)
    step = rng.choice([1, 2, 2, 4])
    lines = []
    if pick < 0.7:
        for _ in range(rng.randint(1, 4)):
            key = rng.choice(KEYS)
            value = _node(rng, indent + step, depth + 1)
            if rng.random() < 0.2 and not value.startswith(("|", ">")):
                lines.append(f"{' ' * indent}{key}:\n{' ' * (indent + step)}{value.lstrip()}")
            else:
                colon = rng.choice([": ", ":", " : ", ":\t"]) if rng.random() < 0.1 else ": "
                lines.append(f"{' ' * indent}{key}{colon}{value.lstrip(' ')}")
            if rng.random() < 0.1:
                lines.append(" " * rng.randint(0, indent + 2) + rng.choice(["# c", "", "  "]))
    else:
        for _ in range(rng.randint(1, 3)):
            value = _node(rng, indent + 2, depth + 1)
            dash = rng.choice(["- ", "- ", "-  ", "-\n" + " " * (indent + 2)])
            lines.append(" " * indent + dash + value.lstrip(" "))
    text = "\n".join(lines)
    return text.lstrip(" ") if depth else text


def random_yaml(rng: random.Random) -> str:
    head = rng.choice(["", "", "---\n", "--- ", "# c\n", "%YAML 1.2\n---\n", "- "])
    tail = rng.choice(["\n", "", "\n...\n", "\n---\n", "\n\n"])
    text = head + _node(rng, 0, 0) + tail
    return text.replace("\n", "\r\n") if rng.random() < 0.3 else text


@needs_c
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_same_on_generated_yaml(rng: random.Random) -> None:
    same_on_both(random_yaml(rng))


SEEDS = [
    "services:\n  - type: web\n    name: api\n    runtime: python\n    plan: free\n"
    "    startCommand: uvicorn main:app --port $PORT\n    envVars:\n      - key: DATABASE_URL\n"
    "        fromDatabase:\n          name: db\n          property: connectionString\n"
    "databases:\n  - name: db\n    plan: free\n",
    "base: &base\n  runtime: python\n  plan: free\nservices:\n- <<: *base\n  type: web\n"
    "  name: api\n  startCommand: |\n    cd app\n    gunicorn main:app -k uvicorn.workers.Uvi\n",
    "services: [{type: web, name: api, runtime: python, plan: 'pro', startCommand: \"x\"}]\n",
    "projects:\n- name: p\n  environments:\n  - name: e\n    services:\n    - type: web\n"
    "      name: api  # the api\n      plan: >-\n        pro\n",
]
PIECES = [
    *" \n-:#&*!|>'\"[]{},?%@`\\\r",
    "a", "é", "  ", "\n  ", "- ", ": ", " #", "&a ", "*a", "!!str ", "? ", "---\n", "...\n",
    "|", ">-", "0", "~", "\r\n", "<<: ", "'", "x: y\n", "\n- ",
]  # fmt: skip


def mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 4)):
        pos = rng.randint(0, len(text))
        pick = rng.random()
        if pick < 0.45:
            text = text[:pos] + rng.choice(PIECES) + text[pos:]
        elif pick < 0.75:
            text = text[:pos] + text[pos + rng.randint(1, 3) :]
        else:
            lines = text.split("\n")
            line = rng.randrange(len(lines))
            if pick < 0.9:
                lines.insert(rng.randrange(len(lines)), lines[line])
            else:
                lines[line] = " " + lines[line] if rng.random() < 0.5 else lines[line][1:]
            text = "\n".join(lines)
    return text


def _seeds() -> list[str]:
    return [*SEEDS, *(p.read_bytes().decode("utf-8-sig") for p in FILES)]


@needs_c
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_same_on_mutated_blueprints(rng: random.Random) -> None:
    text = rng.choice(_seeds())
    if len(text) > 600:
        start = rng.randrange(len(text) - 400)
        text = text[start : start + rng.randint(50, 400)]
    same_on_both(mutate(rng, text))


@needs_c
def test_corpus_files_are_read_by_the_c_parser() -> None:
    """Real Blueprints have nothing the C parser is unsure of (one is a Jinja template)."""
    if not FILES:
        pytest.skip("no corpus")
    for path in FILES:
        used = same_on_both(path.read_bytes().decode("utf-8-sig"))
        expected = "pure-after-c" if "cookiecutter" in path.name else "c"
        assert used == Counter({expected: 1}), path.name


# compose_shared finds the shared nodes with the alias-expansion check's walk where the tree has
# no alias; elsewhere it asks shared_nodes. Either way: the same set as shared_nodes on the tree.
SHARING = [
    ("no alias", "services:\n  - name: a\n    plan: free\n"),
    ("an alias", "x: &a {k: 1}\ny: *a\n"),
    ("a merge key", "base: &b\n  plan: free\nservices:\n  - <<: *b\n    name: a\n"),
    ("a scalar alias", "a: &s text\nb: *s\n"),
    ("a scalar document", "just text\n"),
    ("an empty document", "# nothing\n"),
    ("nested aliases", "a: &a [1, 2]\nb: &b [*a, *a]\nc: [*b, *b]\n"),
]


@pytest.mark.parametrize("text", [t for _, t in SHARING], ids=[n for n, _ in SHARING])
@pytest.mark.parametrize("parser", available())
def test_compose_shared_finds_what_shared_nodes_finds(text: str, parser: yamlnodes.Parser) -> None:
    with use_parser(parser):
        root, shared = yamlnodes.compose_shared(text, "render.yaml")
    assert shared == yamlnodes.shared_nodes(root)
    assert bool(shared) == ("*" in text)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_compose_shared_on_the_corpus(path: Any) -> None:
    text = path.read_bytes().decode("utf-8-sig")
    try:
        root, shared = yamlnodes.compose_shared(text, path.name)
    except RenderFileError:  # a file tier refuses (duplicate keys, ...): compose refuses it too
        with pytest.raises(RenderFileError):
            compose(text, path.name)
        return
    assert shared == yamlnodes.shared_nodes(root)
