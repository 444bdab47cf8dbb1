"""Web service fields a tier sets ([tier.web] in tiers.toml): write, replace, or remove them.

A field some tier sets is managed (TierTarget.managed). For a tier that sets it:
- missing: it goes in after the service's `plan:` (else where `plan:` would go), in the file's
  style: inside a flow mapping as `, key: {...}`; in a block mapping as block lines indented
  like its siblings, or as one flow value when the service's own nested mappings are written
  flow style (`fromDatabase: {name: db}`);
- present: scalars are replaced in place (a string keeps its quoting, a number or boolean is
  written bare); a mapping is edited key by key: each key the tier sets is replaced in place or
  added after the last key both have, each key it does not set is removed; anything else that
  differs (a list, a scalar where the tier sets a mapping) is rewritten whole from the `:` on.
For a tier that does not set it: the key and its value are removed, nothing else (see
insert.pair_span: the comments on those lines and between them go too, full-line comments above
the key or after its value stay). Fields no tier sets are never touched.

Render's rules (config/webfields.py) are checked first: a field with a conflict Render refuses
(scaling with a disk) is a RefusedError, one it resolves by ignoring the other field (scaling
over numInstances) a note.
"""

from typing import NamedTuple

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tier_cli.blueprint.compare import same_data, to_value
from tier_cli.blueprint.insert import (
    Pairs,
    Value,
    block_value,
    flow,
    insert_pair,
    is_scalar,
    pair_end,
    pair_span,
    scalar_text,
    value_data,
)
from tier_cli.blueprint.nodes import STR, children, lookup, tag_of, to_data, where
from tier_cli.blueprint.spans import ScalarSpan, SpanError, after_colon, break_at, scalar_span
from tier_cli.blueprint.splice import (
    REMOVED,
    Op,
    Splice,
    Work,
    check_merge,
    check_shared,
    write_scalar,
)
from tier_cli.blueprint.view import Entry
from tier_cli.config.settings import FieldValue, TierTarget
from tier_cli.config.webfields import CONFLICTS, NOT_ON_FREE
from tier_cli.errors import ConfigError, RefusedError


class _At(NamedTuple):
    """A mapping being edited: its node, data path, nodes from the root, name in the report."""

    node: MappingNode
    seq: SequenceNode  # the list the service is an item of
    keys: tuple[str | int, ...]
    trail: tuple[Node, ...]
    field: str  # "" for the service itself, "scaling" inside its scaling mapping
    flow_nested: bool  # the service writes its nested mappings flow style


def set_web_field(
    work: Work,
    web: Entry,
    subject: str,
    target: TierTarget,
    key: str,
    want: FieldValue | None,
    after: tuple[str, ...],
) -> None:
    """Make the web service's `key` say `want` (what `target` sets), or remove it (None)."""
    if want is not None:
        _check_render_rules(work, web, subject, target, key)
    at = _At(web.node, web.seq, web.keys, web.trail, "", _nested_flow(web.node))
    _set(work, at, key, None if want is None else to_value(want), subject, after)


def _check_render_rules(work: Work, web: Entry, subject: str, target: TierTarget, key: str) -> None:
    plan = work.catalogue.find("web", target.web_plan)
    if key in NOT_ON_FREE and plan is not None and plan.name == "free":
        raise ConfigError(
            f"tier `{target.tier}` sets {key} on the free web plan, which Render does not "
            f"offer. Tip: give tier {target.tier} a paid web_plan in tiers.toml."
        )
    for conflict in CONFLICTS:
        if conflict.field != key or conflict.other in target.managed:
            continue  # a managed other field is written or removed by the tier itself
        found = lookup(web.node, conflict.other)
        if found is None:
            continue
        place = where(found.key, work.filename)
        if conflict.refused:
            raise RefusedError(
                f"{place}: tier `{target.tier}` sets {key}, but `{subject}` has "
                f"{conflict.other}: {conflict.why}. Tip: remove {conflict.other} from "
                f"`{subject}`, or {key} from tier {target.tier} in tiers.toml."
            )
        line = found.key.start_mark.line + 1
        work.note(
            "field-overridden",
            f"{subject} has {conflict.other} (line {line}) beside {key}: {conflict.why}. "
            f"Tip: remove {conflict.other} from render.yaml, or set it under [tier.web] of "
            "the tiers without it so that tier manages it.",
            line=line,
        )


def _nested_flow(service: MappingNode) -> bool:
    """True when the first non-empty mapping held by a key inside the service (a list item is
    not one: `- key: A` is block whatever its values are) is written flow style."""
    stack: list[Node] = [service]
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode):
            for _, value in node.value:
                if isinstance(value, MappingNode) and value.value:
                    return bool(value.flow_style)
        stack.extend(reversed([c for c in children(node) if not isinstance(c, ScalarNode)]))
    return False


def _set(
    work: Work,
    at: _At,
    key: str,
    want: Value | None,
    subject: str,
    after: tuple[str, ...],
) -> None:
    name = f"{at.field}.{key}" if at.field else key
    found = lookup(at.node, key)
    if want is None:
        if found is not None:
            check_merge(work, found.merge_key, name, subject)
            _remove(work, at, _index(at.node, key), name, subject)
        return
    if found is None:
        _insert(work, at, key, want, subject, after, name)
        return
    check_merge(work, found.merge_key, name, subject)
    node = found.value
    check_shared(work, (*at.trail, node), name, subject)
    if _same(node, want):
        return
    if isinstance(want, tuple) and isinstance(node, MappingNode) and want:
        _set_mapping(work, at, key, want, node, subject, name)
    elif isinstance(want, str) and isinstance(node, ScalarNode):
        entry = Entry(at.node, at.seq, at.keys, at.trail)
        old = _show_node(node)
        write_scalar(work, entry, key, old, want, subject, after, field=name)
    elif (
        isinstance(want, int | float)  # a number or boolean: written bare, over any quotes
        and isinstance(node, ScalarNode)
        and node.style not in ("|", ">")
    ):
        span = _span(work, node, found.key, name, subject)
        text = span.lead + scalar_text(want, flow=bool(at.node.flow_style))
        work.add(Splice(span.start, span.end, text), (name, _show_node(node), flow(want), subject))
        work.ops.append(Op(at.keys, key, value_data(want)))
    else:
        _replace(work, at, found.key, node, key, want, subject, name)


def _set_mapping(
    work: Work, at: _At, key: str, want: Pairs, node: MappingNode, subject: str, name: str
) -> None:
    inner = _At(node, at.seq, (*at.keys, key), (*at.trail, node), name, at.flow_nested)
    keys = [_name(k) for k, _ in node.value]
    wanted = [k for k, _ in want]
    kept = tuple(k for k in wanted if k in keys)
    if not kept or None in keys:  # nothing to anchor new keys to, or keys tier cannot name
        key_node = at.node.value[_index(at.node, key)][0]
        _replace(work, at, key_node, node, key, want, subject, name)
        return
    for k, v in want:
        _set(work, inner, k, v, subject, kept)
    for old in keys:
        if old is not None and old not in wanted:
            _set(work, inner, old, None, subject, kept)


def _name(key: Node) -> str | None:
    """A key's text when it is a plain string key (not `<<`, not a number or a collection)."""
    return str(key.value) if isinstance(key, ScalarNode) and tag_of(key) == STR else None


def _index(mapping: MappingNode, key: str) -> int:
    """The position of the mapping's own `key`."""
    for i, (k, _) in enumerate(mapping.value):
        if _name(k) == key:
            return i
    raise AssertionError(f"no own key {key}")  # pragma: no cover


def _insert(
    work: Work, at: _At, key: str, want: Value, subject: str, after: tuple[str, ...], name: str
) -> None:
    check_shared(work, at.trail, name, subject)
    splice = work.insertion(
        lambda: insert_pair(
            work.text,
            at.node,
            key,
            want,
            after=after,
            layout=work.layout,
            newline=work.newline,
            rewritten=work.done,
            flow_nested=at.flow_nested,
        ),
        name,
        subject,
    )
    work.add(splice, (name, None, flow(want), subject))
    work.ops.append(Op(at.keys, key, value_data(want)))


def _remove(work: Work, at: _At, index: int, name: str, subject: str) -> None:
    key, node = at.node.value[index]
    check_shared(work, (*at.trail, node), name, subject)
    try:
        start, end = pair_span(work.text, at.node, index)
    except SpanError as exc:
        raise RefusedError(
            f"{where(key, work.filename)}: cannot remove {name} of `{subject}` safely ({exc}). "
            f"Tip: move {name} below another key of `{subject}`, then run tier again."
        ) from None
    # A span that starts with the line break before the key ends before its own: the change
    # is reported on the line after it, where the removed lines were.
    skip = len(break_at(work.text, end)) if work.text.startswith(("\n", "\r"), start) else 0
    work.add(Splice(start, end, "", skip), (name, _show_node(node), None, subject))
    work.ops.append(Op(at.keys, str(key.value), REMOVED))


def _replace(
    work: Work, at: _At, key_node: Node, node: Node, key: str, want: Value, subject: str, name: str
) -> None:
    """Rewrite the value from the `:` on (comments inside the old value go with it)."""
    start = after_colon(work.text, key_node)
    end = pair_end(work.text, key_node, node)
    as_flow = (
        bool(at.node.flow_style)
        or is_scalar(want)
        or not want
        or bool(getattr(node, "flow_style", False))
        or (not isinstance(node, MappingNode | SequenceNode) and at.flow_nested)
    )
    if as_flow:
        text = " " + flow(want)
    else:
        assert isinstance(want, tuple | list)
        col = key_node.start_mark.column
        text = work.newline + work.newline.join(block_value(want, col, work.layout))
    work.add(Splice(start, end, text), (name, _show_node(node), flow(want), subject))
    work.ops.append(Op(at.keys, key, value_data(want)))


def _span(work: Work, node: ScalarNode, key: Node, name: str, subject: str) -> ScalarSpan:
    try:
        return scalar_span(work.text, node, key, key.start_mark.column)
    except SpanError as exc:
        raise RefusedError(
            f"{where(key, work.filename)}: cannot locate the text of {name} of `{subject}` "
            f"safely ({exc}). Tip: write it as a plain `{name.rsplit('.', 1)[-1]}: VALUE` line."
        ) from None


# ------------------------------------------------------------------------------------------
# Comparing what the file says with what the tier wants


def _same(node: Node, want: Value) -> bool:
    return same_data(to_data(node), want)


def _show_node(node: Node) -> str:
    """A one-line picture of a value in the file, for the report."""
    if isinstance(node, ScalarNode):
        return str(node.value)
    return flow(_plain(to_data(node)))


def _plain(data: object) -> Value:
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[1], str):
        return data[1]
    if isinstance(data, list):
        return [_plain(item) for item in data]
    if isinstance(data, dict):
        return tuple((str(_plain(k)), _plain(v)) for k, v in data.items())
    return str(data)  # pragma: no cover
