"""output/escape.py: text from files and the database, for each place it is printed."""

from __future__ import annotations

import pytest

from tier_cli.output.escape import (
    github_message,
    github_property,
    markdown,
    markdown_code,
    terminal,
)

CASES = [
    # (id, text, terminal, github message, github property, markdown)
    ("plain", "api plan free", "api plan free", "api plan free", "api plan free", "api plan free"),
    (
        "newline-command",
        "x\n::error::pwned",
        "x\\x0a::error::pwned",
        "x%0A::error::pwned",
        "x%0A%3A%3Aerror%3A%3Apwned",
        "x\\\\x0a::error::pwned",
    ),
    ("carriage-return", "a\rb", "a\\x0db", "a%0Db", "a%0Db", "a\\\\x0db"),
    ("percent", "100%0A", "100%0A", "100%250A", "100%250A", "100%0A"),
    ("ansi", "\x1b[31mred", "\\x1b[31mred", "\\x1b[31mred", "\\x1b[31mred", "\\\\x1b[31mred"),
    (
        "comma-colon",
        "r,line=99::x",
        "r,line=99::x",
        "r,line=99::x",
        "r%2Cline=99%3A%3Ax",
        "r,line=99::x",
    ),
    (
        "tab-del-c1",
        "a\tb\x7fc\x85",
        "a\\x09b\\x7fc\\x85",
        "a\\x09b\\x7fc\\x85",
        "a\\x09b\\x7fc\\x85",
        "a\\\\x09b\\\\x7fc\\\\x85",
    ),
    ("line-separator", "a\u2028b", "a\\u2028b", "a\\u2028b", "a\\u2028b", "a\\\\u2028b"),
    (
        "markdown-table",
        "| a | `b` *c*",
        "| a | `b` *c*",
        "| a | `b` *c*",
        "| a | `b` *c*",
        "\\| a \\| \\`b\\` \\*c\\*",
    ),
    ("link", "[x](y)", "[x](y)", "[x](y)", "[x](y)", "[x]\\(y)"),
    ("underscores", "a_b _c d_", "a_b _c d_", "a_b _c d_", "a_b _c d_", "a_b \\_c d\\_"),
    ("non-ascii-kept", "déploiement", "déploiement", "déploiement", "déploiement", "déploiement"),
]


@pytest.mark.parametrize(
    ("text", "term", "message", "prop", "md"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_escaping(text: str, term: str, message: str, prop: str, md: str) -> None:
    assert terminal(text) == term
    assert github_message(text) == message
    assert github_property(text) == prop
    assert markdown(text) == md
    for escaped in (term, message, prop, md):
        assert "\n" not in escaped and "\r" not in escaped and "\x1b" not in escaped


def test_markdown_code_cannot_end_its_span() -> None:
    assert markdown_code("a`b\nc") == "a'b\\x0ac"
