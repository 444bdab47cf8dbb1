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
# Bidirectional controls and zero-width characters: text that reads one way and is another
# ("Trojan source"), or a mention split so a reviewer does not see it. Shown, never obeyed.
_INVISIBLE = (0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F))
_SHOWN = {code: f"\\u{code:04x}" for code in (*_INVISIBLE, *range(0x2060, 0x206A), 0xFEFF)}
_VISIBLE.update(_SHOWN)
# Inline Markdown and HTML: emphasis, code, tables, tags (`<`) and entities, an underscore at
# a word's edge (`a_b` stays), and the `(` of `](` so that no `[text](url)` becomes a link.
# Brackets, parentheses, `-`, `>` and `.` stay (`[price-differs]`, `(web starter $7)`, `->`);
# the text never starts a line (it follows "- " or a label), so `#`, `+`, `1.` cannot either.
_MARKDOWN = r"[\\`*<|~&]|(?<!\w)_|_(?!\w)|(?<=\])\("  # compiled on first use


def terminal(text: str) -> str:
    """One line with every control character visible as `\\xNN` (or `\\uNNNN`)."""
    return text.translate(_VISIBLE)


def invisible_shown(text: str) -> str:
    """Multi-line text (a diff in a code block) with only its bidirectional and zero-width
    characters shown as `\\uNNNN`: everything else, tabs and newlines, as it is."""
    return text.translate(_SHOWN)


def github_message(text: str) -> str:
    """The message part of a workflow command (`::warning ...::MESSAGE`)."""
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return terminal(escaped)


def github_property(text: str) -> str:
    """A property value of a workflow command (`file=`, `title=`)."""
    return github_message(text).replace(":", "%3A").replace(",", "%2C")


# What GitHub turns into a notification or a link in a pull request's body or a step summary:
# URLs (with a scheme, or www.), @mentions (users, org/team), #123 and owner/repo#123 and GH-123
# references. Put in a code span, each is shown and inert. Linear: each alternative starts at a
# fixed character and its runs cannot overlap a retry.
_LINKING = (
    r"(?i:\b(?:https?|ftp|mailto):[^\s`]+|\bwww\.[^\s`]+)"
    r"|(?<![\w@])@[\w-]+(?:/[\w.-]+)?"
    r"|(?:\b[\w.-]+/[\w.-]+)?#\d+\b|\bGH-\d+\b"
)


def markdown(text: str) -> str:
    """Text for a Markdown paragraph or table cell: one line, punctuation escaped, and URLs,
    mentions and references in code spans, where GitHub neither links nor notifies."""
    plain = terminal(text)
    parts: list[str] = []
    done = 0
    for found in re.finditer(_LINKING, plain):
        parts.append(re.sub(_MARKDOWN, lambda m: "\\" + m[0], plain[done : found.start()]))
        parts.append("`" + found[0].replace("`", "'") + "`")
        done = found.end()
    parts.append(re.sub(_MARKDOWN, lambda m: "\\" + m[0], plain[done:]))
    return "".join(parts)


def markdown_code(text: str) -> str:
    """Text for inside a Markdown code span: one line, no backtick to end the span early."""
    return terminal(text).replace("`", "'")
