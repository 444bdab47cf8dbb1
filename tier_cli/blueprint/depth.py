"""How deeply a YAML text nests, read from the text in one pass, before any parser sees it.

ruamel.yaml's pure parser recurses for each level and runs into Python's recursion limit a few
hundred levels down, after its scanner has spent seconds on a few kilobytes of brackets; a
Blueprint nests a handful of levels. So a text that nests deeper than MAX_DEPTH is refused before
it is parsed.

The count is read from the text's shape: block levels are the indentation columns open at a line
(one more for each `- ` or `? ` that starts a nested entry on it), flow levels the `[` and `{`
open outside quotes and comments; the lines of block scalars are skipped. It can be off by a
level or two on odd but valid files (a plain scalar continued on a deeper line), never by the
hundreds between a Blueprint and MAX_DEPTH.
"""

from __future__ import annotations

import re

MAX_DEPTH = 200
"""Deepest nesting read; the pure parser and the tree walks after it stay far from Python's
recursion limit below it (they failed from some 330 flow levels with the default limit)."""

_ESCAPED = {'"': "\\", "'": "''"}  # what starts a two-character escape inside each quote
_AFTER_COLON = ("", " ", "\t", ",", "[", "]", "{", "}")  # `:` before these ends a key
# A block node starts after a line's indentation and its `- ` or `? ` entries. A level takes a
# column more than its parent's, but for a sequence under a key at the key's column: two levels
# per column at most. So with no line starting past column 45 there are at most 92 block levels,
# and with at most 90 `[` and `{` at most 90 flow levels: 182, within MAX_DEPTH.
_FEW_BRACKETS = 90
_DEEP_START = re.compile(r"^[ ?-]{45}", re.MULTILINE)


def too_deep(text: str) -> bool:
    """True when `text` nests more than MAX_DEPTH levels."""
    if text.count("[") + text.count("{") <= _FEW_BRACKETS and not _DEEP_START.search(text):
        return False  # most files: no need to read them character by character
    return nesting_depth(text) > MAX_DEPTH


def nesting_depth(text: str) -> int:
    """The deepest nesting of `text`: block collections and flow collections, counted together."""
    scan = _Scan()
    for line in re.split(r"\r\n|\r|\n", text):  # compiled here: most files never get here
        scan.line(line)
    return scan.deepest


class _Scan:
    """The state carried from line to line."""

    def __init__(self) -> None:
        self.deepest = 0
        self.columns: list[int] = []  # the block collections open, by the column of their entries
        self.flow = 0  # flow collections open
        self.quote = ""  # the quote of a quoted scalar that goes on to the next line
        self.block_scalar = -1  # while a block scalar is read: the column its lines go past

    def line(self, line: str) -> None:
        content = line.lstrip(" ")
        indent = len(line) - len(content)
        if self.block_scalar >= 0:
            if not content or indent > self.block_scalar:
                return
            self.block_scalar = -1
        if self.quote or self.flow:
            self.scan(line, 0, expect=not self.quote)
            return
        if not content or content.startswith("#"):
            return
        while self.columns and self.columns[-1] > indent:
            self.columns.pop()
        if not self.columns or self.columns[-1] < indent:
            self.columns.append(indent)
        self.deepest = max(self.deepest, len(self.columns))
        self.scan(line, indent, expect=True)

    def scan(self, line: str, i: int, *, expect: bool) -> None:
        """Read `line` from `i`; `expect`: a node may begin at `i`."""
        n = len(line)
        while i < n:
            c = line[i]
            if self.quote:
                if line.startswith(_ESCAPED[self.quote], i):
                    i += 1  # a backslash escape in double quotes, '' in single quotes
                elif c == self.quote:
                    self.quote = ""
                    expect = False
                i += 1
                continue
            if c in " \t":
                i += 1
                continue
            if c == "#" and (i == 0 or line[i - 1] in " \t"):
                return
            if c in "[{":
                if expect or self.flow:
                    self.flow += 1
                    self.deepest = max(self.deepest, len(self.columns) + self.flow)
                    expect = True
                i += 1
                continue
            if self.flow and c in "]}":
                self.flow -= 1
                expect = False
            elif (self.flow and c == ",") or (c == ":" and line[i + 1 : i + 2] in _AFTER_COLON):
                expect = True
            elif expect and c in "\"'":
                self.quote = c
            elif expect and c in "&!":  # an anchor or a tag before the node: skip its name
                while i < n and line[i] not in " \t":
                    i += 1
                continue
            elif expect and not self.flow and c in "|>":
                self.block_scalar = self.columns[-1] if self.columns else 0
                return
            elif expect and not self.flow and c in "-?" and line[i + 1 : i + 2] in ("", " "):
                self._entry(line, i)
            else:
                expect = False
            i += 1

    def _entry(self, line: str, i: int) -> None:
        """A `- ` or `? ` at column `i`: its content, when it starts a collection on this line,
        is a level at its own column."""
        rest = line[i + 1 :].lstrip(" ")
        column = len(line) - len(rest)
        if self.columns and self.columns[-1] < i:
            self.columns.append(i)
        if rest and rest[0] in "|>":
            return
        if rest[:2] in ("- ", "? ", "-", "?") or ": " in rest or rest.rstrip().endswith(":"):
            self.columns.append(column)
            self.deepest = max(self.deepest, len(self.columns))
