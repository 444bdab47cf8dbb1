"""depth: how deeply a YAML text nests, read before parsing; too deep is refused, quickly."""

from __future__ import annotations

import time

import pytest
from corpus_files import FILES
from yaml_parsers import on_both

from tier_cli.blueprint.depth import MAX_DEPTH, nesting_depth, too_deep
from tier_cli.blueprint.nodes import compose
from tier_cli.errors import RenderFileError


def flow(levels: int) -> str:
    return "a: " + "[" * levels + "]" * levels + "\n"


def block(levels: int) -> str:
    """`levels` mappings, each a key more indented than its parent's."""
    return "".join("  " * i + "k:\n" for i in range(levels - 1)) + "  " * (levels - 1) + "k: v\n"


def entries(levels: int) -> str:
    """`levels` sequences opened on one line: `- - - x`."""
    return "- " * levels + "x\n"


# (text, the depth read); a sequence written at its key's column counts no level of its own
DEPTHS = [
    pytest.param("", 0, id="empty"),
    pytest.param("# only a comment\n", 0, id="comment"),
    pytest.param("a: 1\n", 1, id="one-mapping"),
    pytest.param("a:\n  b: 1\n", 2, id="nested-mapping"),
    pytest.param("a:\n- x\n- y\n", 1, id="sequence-at-its-keys-column"),
    pytest.param("a:\n  - x\n", 2, id="sequence-indented-under-its-key"),
    pytest.param("- - - x\n", 3, id="entries-on-one-line"),
    pytest.param("- a: b\n  c: d\n- e\n", 2, id="mapping-in-a-sequence-entry"),
    pytest.param("a: [1, {b: [2]}]\n", 4, id="flow-in-block"),
    pytest.param("a: [1,\n  [2,\n   [3]]]\n", 4, id="flow-over-lines"),
    pytest.param("a: 'it''s [[[['\nb: \"x\\\" [[[[\"\n", 1, id="brackets-in-quotes"),
    pytest.param('a: "multi\n  [[[[ line"\nb: 1\n', 1, id="brackets-in-a-multi-line-quote"),
    pytest.param("a: echo [x\nb: {c: d}\n", 2, id="bracket-inside-a-plain-scalar"),
    pytest.param("a: 1 # [[[[\n", 1, id="brackets-in-a-comment"),
    pytest.param("a: |\n  [[[[[\n  {{{{\nb: [1]\n", 2, id="brackets-in-a-block-scalar"),
    pytest.param("- |\n  [[[[\n- [x]\n", 2, id="block-scalar-in-a-sequence"),
    pytest.param("a: &x [1]\nb: !!seq [2]\n", 2, id="anchor-and-tag-before-flow"),
    pytest.param("a: b\r\n  \r\nc:\r\n  d: [1]\r\n", 3, id="crlf"),
    pytest.param(flow(300), 301, id="flow-300"),
    pytest.param(block(300), 300, id="block-300"),
    pytest.param(entries(300), 300, id="entries-300"),
]


@pytest.mark.parametrize(("text", "depth"), DEPTHS)
def test_nesting_depth(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


def test_every_corpus_file_is_far_from_the_limit() -> None:
    texts = [path.read_text("utf-8", errors="replace") for path in FILES]
    assert all(nesting_depth(text) < MAX_DEPTH // 10 and not too_deep(text) for text in texts)


@pytest.mark.parametrize("make", [flow, block, entries], ids=["flow", "block", "entries"])
def test_the_limit_is_exact(make: object) -> None:
    assert callable(make)
    at, over = make(MAX_DEPTH - 1), make(MAX_DEPTH + 1)  # flow() adds the mapping's level
    assert not too_deep(at) and nesting_depth(at) <= MAX_DEPTH
    assert too_deep(over)


@pytest.mark.parametrize("text", [flow(MAX_DEPTH - 1), block(MAX_DEPTH)], ids=["flow", "block"])
def test_parsers_read_what_the_limit_lets_through(text: str) -> None:
    assert on_both(lambda: compose(text, "render.yaml") is not None, expect_c=False)


@pytest.mark.parametrize(
    "text",
    [flow(MAX_DEPTH + 1), flow(400), flow(3000), block(MAX_DEPTH + 1), entries(5000)],
    ids=["flow-just-over", "flow-400", "flow-3000", "block-just-over", "entries-5000"],
)
def test_too_deep_is_refused_before_parsing(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(RenderFileError, match=r"^render\.yaml: nested too deeply to be a Blue"):
        on_both(lambda: compose(text, "render.yaml"))
    assert time.perf_counter() - started < 1.0  # the parser took seconds to refuse 3000
