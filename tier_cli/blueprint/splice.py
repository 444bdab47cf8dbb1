"""Edits as splices of the original text: record them, apply them, check the result.

Every edit is decided against the original text and recorded as a splice (replace the
characters `start:end` with new text) plus the data change it is meant to make. The splices are
applied from the end of the text backwards; then the result is parsed again and must mean
exactly the old data with those changes, and planning the same edits on it must find nothing
left to do. Any failure is a RefusedError: the caller writes nothing.
"""

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from ruamel.yaml.nodes import Node, ScalarNode

from tier_cli.blueprint.nodes import STR, Data, first_difference, lookup, to_data, where
from tier_cli.blueprint.spans import (
    SpanError,
    is_empty,
    render_scalar,
    scalar_span,
)
from tier_cli.blueprint.view import Entry, Parsed, parse_blueprint
from tier_cli.config.catalogue import Catalogue
from tier_cli.errors import RefusedError, TierError
from tier_cli.notices import Notice, notice
from tier_cli.textio import dominant_newline

if TYPE_CHECKING:
    from tier_cli.blueprint.insert import Insertion, Layout


class Splice(NamedTuple):
    """Replace text[start:end] of the original text with `text`."""

    start: int
    end: int
    text: str
    skip: int = 0  # characters of `text` before the first changed line (a leading line break)


class PendingChange(NamedTuple):
    """A Change before its line in the new text is known."""

    field: str
    old: str | None
    new: str | None
    subject: str
    splice: int  # index into Work.splices


REMOVED = ("removed",)  # Op.value: take `key` out of its mapping


class Op(NamedTuple):
    """The data change a splice is meant to make: set `key` in a mapping (or remove it, with
    the value REMOVED), or append to a list."""

    path: tuple[str | int, ...]
    key: str | None  # None: append `value` to the list at `path`
    value: Data
    clip: int | None = None  # a clipped block scalar written by this splice: it reads back
    # with a final line break exactly when the new text goes on after it


class Work:
    """What one planning pass over a parsed file decided: splices, changes, notes, data ops."""

    def __init__(self, parsed: Parsed, catalogue: Catalogue) -> None:
        self.parsed = parsed
        self.catalogue = catalogue  # Render's plans: same_plan() and legacy status
        self.splices: list[Splice] = []
        self.changes: list[PendingChange] = []
        self.notes: list[Notice] = []
        self.ops: list[Op] = []
        self.rewritten: set[int] = set()  # ids of scalars whose text is replaced
        self._layout: Layout | None = None

    def note(self, code: str, message: str, line: int | None = None) -> None:
        """A notice about this file for the user (notices.CODES has the code)."""
        self.notes.append(notice(code, message, file=self.filename, line=line))

    @property
    def text(self) -> str:
        return self.parsed.text

    @property
    def filename(self) -> str:
        return self.parsed.filename

    @property
    def newline(self) -> str:
        return dominant_newline(self.parsed.text)

    @property
    def done(self) -> frozenset[int]:
        return frozenset(self.rewritten)

    @property
    def layout(self) -> "Layout":
        """The file's indentation, for new lines (insert.py: only an edit that adds one)."""
        from tier_cli.blueprint.insert import Layout

        if self._layout is None:
            self._layout = Layout.of(self.parsed.root)
        return self._layout

    def add(self, splice: Splice, change: tuple[str, str | None, str | None, str]) -> None:
        self.splices.append(splice)
        name, old, new, subject = change
        self.changes.append(PendingChange(name, old, new, subject, len(self.splices) - 1))

    def insertion(self, make: Callable[[], "Insertion"], what: str, subject: str) -> Splice:
        """The splice for new lines, or RefusedError if they cannot go in safely."""
        try:
            ins = make()
        except SpanError as exc:
            raise RefusedError(
                f"{self.filename}: cannot add {what} to `{subject}` safely: {exc}. "
                "Tip: end the file with a line break, then run tier again."
            ) from None
        return Splice(ins.pos, ins.pos, ins.text, ins.skip)


def check_shared(work: Work, nodes: tuple[Node, ...], what: str, subject: str) -> None:
    for node in nodes:
        if id(node) in work.parsed.shared:
            anchor = f" (&{node.anchor})" if getattr(node, "anchor", None) else ""
            raise RefusedError(
                f"{where(node, work.filename)}: {what} of `{subject}` is inside an anchored "
                f"node{anchor} that another entry reuses through an alias or merge key; "
                "changing it would change that entry too. Tip: write the values of "
                f"`{subject}` out in full (no anchor/alias there), then run tier again."
            )


def check_merge(work: Work, merge_key: Node | None, what: str, subject: str) -> None:
    if merge_key is not None:
        raise RefusedError(
            f"{where(merge_key, work.filename)}: {what} of `{subject}` comes from the merge "
            "key `<<`; changing it there would change every entry that merges the same "
            f"anchor. Tip: write `{what}:` directly under `{subject}` (it overrides the merged "
            "value), then run tier again."
        )


def write_scalar(
    work: Work,
    entry: Entry,
    key: str,
    current: str | None,
    new: str,
    subject: str,
    after: tuple[str, ...],
    field: str | None = None,
) -> None:
    """Replace the value of `key` in the entry, or insert the key if it is missing.

    `field` names the change in the report when it is not `key` (`scaling.minInstances`)."""
    field = field or key
    found = lookup(entry.node, key)
    if found is None:
        from tier_cli.blueprint.insert import insert_pair

        check_shared(work, entry.trail, key, subject)
        splice = work.insertion(
            lambda: insert_pair(
                work.text,
                entry.node,
                key,
                new,
                after=after,
                layout=work.layout,
                newline=work.newline,
                rewritten=work.done,
            ),
            key,
            subject,
        )
        work.add(splice, (field, None, new, subject))
        work.ops.append(Op(entry.keys, key, (STR, new)))
        return
    check_merge(work, found.merge_key, key, subject)
    check_shared(work, (*entry.trail, found.value), key, subject)
    if not isinstance(found.value, ScalarNode):
        raise RefusedError(
            f"{where(found.value, work.filename)}: {key} of `{subject}` is not a single value. "
            f"Tip: write it as `{key}: VALUE`."
        )
    try:
        span = scalar_span(work.text, found.value, found.key, found.key.start_mark.column)
        if span.chomp == "+":
            raise SpanError("a keep (`+`) block scalar; its trailing lines are part of it")
        replacement = render_scalar(new, span, flow=bool(entry.node.flow_style))
    except SpanError as exc:
        # An empty value (`? plan` then `:`) has no text of its own: point at its key. (The
        # two YAML parsers mark an empty value at different places; tier never reads those.)
        at = found.key if is_empty(found.value) else found.value
        raise RefusedError(
            f"{where(at, work.filename)}: cannot locate the text of {key} of "
            f"`{subject}` safely ({exc}). Tip: write it as a plain `{key}: VALUE` line."
        ) from None
    work.rewritten.add(id(found.value))
    work.add(
        Splice(span.start, span.end, replacement),
        (field, current, new, subject),
    )
    clip = len(work.splices) - 1 if span.style in ("|", ">") and not span.chomp else None
    work.ops.append(Op(entry.keys, key, (STR, new), clip))


def apply_splices(text: str, splices: list[Splice], filename: str) -> tuple[str, list[int]]:
    """Apply the splices from the end of the text backwards; also return, per splice, the
    offset of its first changed character in the new text."""
    order = sorted(range(len(splices)), key=lambda i: (splices[i].start, i))
    for a, b in itertools.pairwise(order):
        if splices[a].end > splices[b].start:
            raise RefusedError(
                f"{filename}: two edits overlap (offsets {splices[a].start} and "
                f"{splices[b].start}); nothing was written. Tip: please report this."
            )
    out = text
    for i in reversed(order):
        s = splices[i]
        out = out[: s.start] + s.text + out[s.end :]
    starts = [0] * len(splices)
    shift = 0
    for i in order:
        s = splices[i]
        starts[i] = s.start + shift + s.skip
        shift += len(s.text) - (s.end - s.start)
    return out, starts


def verify(
    parsed: Parsed,
    new_text: str,
    starts: list[int],
    work: Work,
    replan: Callable[[Parsed], Work],
) -> None:
    """Re-parse, compare meaning with the intended change, and check a second run is a no-op."""
    filename = parsed.filename
    try:
        reparsed = parse_blueprint(new_text, filename)
    except TierError as exc:
        raise RefusedError(
            f"{filename}: the edit would not re-parse ({exc}); nothing was written. "
            "Tip: please report this with the file."
        ) from None
    expected = {} if parsed.root is None else to_data(parsed.root)
    for op in work.ops:
        if op.clip is not None:
            end = starts[op.clip] + len(work.splices[op.clip].text)
            op = op._replace(value=(STR, op.value[1] + ("\n" if end < len(new_text) else "")))
        _apply_op(expected, op)
    actual = {} if reparsed.root is None else to_data(reparsed.root)
    diff = first_difference(expected, actual)
    if diff is not None:
        raise RefusedError(
            f"{filename}: after the edit `{diff}` would not be what tier intended; nothing "
            "was written. Tip: please report this with the file."
        )
    try:
        again = replan(reparsed)
    except TierError as exc:
        raise RefusedError(
            f"{filename}: a second run would fail ({exc}); nothing was written. "
            "Tip: please report this with the file."
        ) from None
    if again.splices:
        raise RefusedError(
            f"{filename}: a second run would change the file again; nothing was written. "
            "Tip: please report this with the file."
        )


def _apply_op(data: Data, op: Op) -> None:
    node = data
    for key in op.path:
        node = node[key] if isinstance(key, int) else node[(STR, key)]
    if op.key is None:
        node.append(op.value)
    elif op.value == REMOVED:
        del node[(STR, op.key)]
    else:
        node[(STR, op.key)] = op.value
