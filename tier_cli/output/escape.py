"""Text from files and the database, made safe for the place it is printed.

A snapshot's `source` and `labels`, service names from render.yaml, keys of tiers.toml and the
server's messages are data: printed raw, a newline followed by `::error ...` becomes a GitHub
workflow command, an ANSI escape repaints the terminal, a `|` breaks a Markdown table. Every
output path runs such text through one of these, for its format:

- :func:`terminal`: one line, control characters shown as `\\x..` (text output and stderr);
- :func:`github_message` / :func:`github_property`: GitHub's workflow-command escaping
  (`%25`, `%0D`, `%0A`; a property also `%3A` and `%2C`), after :func:`terminal`'s clean-up
  of the other control characters;
- :func:`markdown`: one line, inline Markdown and HTML backslash-escaped;
  :func:`markdown_code` for text inside backticks.
"""

from __future__ import annotations

import re

# C0 controls (tab included), DEL, C1 controls, and the Unicode line and paragraph separators,
# each with how it is shown. A table for str.translate, not a regular expression: a character
# class with the two separators in it takes milliseconds to compile, a noticeable part of the
# start-up of `tier check`.
_VISIBLE = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
_VISIBLE.update({0x2028: "\\u2028", 0x2029: "\\u2029"})
# Inline Markdown and HTML: emphasis, code, tables, tags (`<`) and entities, an underscore at
# a word's edge (`a_b` stays), and the `(` of `](` so that no `[text](url)` becomes a link.
# Brackets, parentheses, `-`, `>` and `.` stay (`[price-differs]`, `(web starter $7)`, `->`);
# the text never starts a line (it follows "- " or a label), so `#`, `+`, `1.` cannot either.
_MARKDOWN = r"[\\`*<|~&]|(?<!\w)_|_(?!\w)|(?<=\])\("  # compiled on first use


def terminal(text: str) -> str:
    """One line with every control character visible as `\\xNN` (or `\\uNNNN`)."""
    return text.translate(_VISIBLE)


def github_message(text: str) -> str:
    """The message part of a workflow command (`::warning ...::MESSAGE`)."""
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return terminal(escaped)


def github_property(text: str) -> str:
    """A property value of a workflow command (`file=`, `title=`)."""
    return github_message(text).replace(":", "%3A").replace(",", "%2C")


def markdown(text: str) -> str:
    """Text for a Markdown paragraph or table cell: one line, punctuation escaped."""
    return re.sub(_MARKDOWN, lambda m: "\\" + m[0], terminal(text))


def markdown_code(text: str) -> str:
    """Text for inside a Markdown code span: one line, no backtick to end the span early."""
    return terminal(text).replace("`", "'")
