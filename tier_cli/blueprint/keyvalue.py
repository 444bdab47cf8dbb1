"""Key Value edits: add the tier's Key Value service and wire REDIS_URL to the web service.

An existing `type: keyvalue` service, or one of the deprecated `type: redis`, counts: then no
service is added (and its plan is left alone, with a note when it differs from the tier's), and
REDIS_URL is wired to that service under its real name and type. An existing REDIS_URL env var
is never touched; one set by hand (`sync: false`, a literal value) gets a warning naming the
choice (keep it, or wire it to the Key Value service). The new service gets the web service's
`region` (none when it has none: both then are in Render's default region); an existing one in
another region is noted. A tier
without Key Value notes the service REDIS_URL points at, and never deletes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from tier_cli.blueprint.nodes import lookup, text_of, where
from tier_cli.blueprint.spans import is_empty
from tier_cli.blueprint.splice import Op, Work, check_merge, check_shared
from tier_cli.blueprint.view import KEYVALUE_TYPES, Entry, ServiceView, env_var
from tier_cli.config.catalogue import same_plan
from tier_cli.config.settings import KeyValueTarget
from tier_cli.errors import RefusedError
from tier_cli.notices import leftover_keyvalue_note

if TYPE_CHECKING:
    from tier_cli.blueprint.insert import Pairs, Value


def edit_keyvalue(
    work: Work, web: Entry, web_view: ServiceView, want: KeyValueTarget | None
) -> None:
    services = work.parsed.view.services
    existing = [s for s in services if s.type in KEYVALUE_TYPES]
    wired = _wired_keyvalue(web.node)
    if want is None:
        for service in existing:
            if service.name is not None and service.name == wired:
                work.notes.append(leftover_keyvalue_note(service.name))
        return
    chosen = _pick_keyvalue(existing, want.name, wired)
    if chosen is None:
        name, kind = want.name, "keyvalue"
        _check_free_name(work, want.name)
    else:
        name, kind = chosen.name or want.name, chosen.type or "keyvalue"
        if not same_plan(work.catalogue, "keyvalue", chosen.plan or "starter", want.plan):
            work.note(
                "keyvalue-plan-differs",
                f"Key Value service `{name}` is on plan {chosen.plan or 'starter (default)'}; "
                f"this tier suggests {want.plan}. tier does not change an existing Key Value "
                "plan; change it by hand if you want to.",
            )
    item = env_var(web.node, "REDIS_URL")
    if item is None:
        _add_redis_url(work, web, web_view.label, name, kind)
    elif lookup(item, "fromService") is None:
        _note_hand_set(work, item, web_view.label, name, kind)
    if chosen is None:
        _add_keyvalue_service(work, web, want, web_view.region)
    elif (chosen.region or "oregon") != (web_view.region or "oregon"):
        work.note(
            "keyvalue-region-differs",
            f"Key Value service `{name}` is in region {chosen.region or 'oregon (default)'} "
            f"and {web_view.label} in {web_view.region or 'oregon (default)'}: the internal "
            "connection string only works within one region. Tip: create the Key Value "
            "service in the web service's region (Render cannot move a service to another "
            "region).",
        )


def _note_hand_set(work: Work, item: MappingNode, label: str, name: str, kind: str) -> None:
    """A REDIS_URL set by hand (`sync: false`, a literal `value:`, an env group...) is kept as it
    is; say so, with the choice, since the tier's Key Value service is otherwise unused."""
    how = "set in the Render Dashboard (`sync: false`)"
    if lookup(item, "value") is not None:
        how = "a literal `value:`"
    elif lookup(item, "sync") is None:
        how = "not wired to a Key Value service"
    work.note(
        "redis-url-hand-set",
        f"{label}'s REDIS_URL is {how}; tier keeps it, so the tier's Key Value service `{name}` "
        "is unused unless you wire it. Tip: keep your Redis (and remove keyvalue_plan from the "
        f"tier), or replace that REDIS_URL entry with `fromService: {{type: {kind}, name: "
        f"{name}, property: connectionString}}`.",
        item.start_mark.line + 1,
    )


def _wired_keyvalue(service: MappingNode) -> str | None:
    item = env_var(service, "REDIS_URL")
    source = None if item is None else lookup(item, "fromService")
    if source is None or not isinstance(source.value, MappingNode):
        return None
    return text_of(_value(source.value, "name"))


def _value(mapping: MappingNode, key: str) -> Node | None:
    found = lookup(mapping, key)
    return None if found is None else found.value


def _pick_keyvalue(existing: list[ServiceView], name: str, wired: str | None) -> ServiceView | None:
    """The Key Value service to use: the one with the tier's name, else the one REDIS_URL
    already points at, else the first."""
    for wanted in (name, wired):
        for service in existing:
            if wanted is not None and service.name == wanted:
                return service
    return existing[0] if existing else None


def _check_free_name(work: Work, name: str) -> None:
    for view, entry in zip(work.parsed.view.services, work.parsed.services, strict=True):
        if view.name == name:
            raise RefusedError(
                f"{where(entry.node, work.filename)}: the tier adds a Key Value service named "
                f"`{name}`, but a `{view.type}` service already has that name. Tip: choose "
                "another Key Value name for the tier in tiers.toml."
            )


def _redis_item(name: str, kind: str) -> Pairs:
    source: Pairs = (("type", kind), ("name", name), ("property", "connectionString"))
    return (("key", "REDIS_URL"), ("fromService", source))


def _add_redis_url(work: Work, web: Entry, subject: str, name: str, kind: str) -> None:
    from tier_cli.blueprint.insert import append_item, fill_empty, insert_pair, value_data

    item = _redis_item(name, kind)
    change = ("envVars", None, "REDIS_URL", subject)
    found = lookup(web.node, "envVars")
    if found is None:
        check_shared(work, web.trail, "envVars", subject)
        value: Value = [item]
        splice = work.insertion(
            lambda: insert_pair(
                work.text,
                web.node,
                "envVars",
                value,
                after=(),
                layout=work.layout,
                newline=work.newline,
                rewritten=work.done,
            ),
            "envVars",
            subject,
        )
        work.add(splice, change)
        work.ops.append(Op(web.keys, "envVars", value_data(value)))
        return
    check_merge(work, found.merge_key, "envVars", subject)
    check_shared(work, (*web.trail, found.value), "envVars", subject)
    if is_empty(found.value):
        key = found.key
        splice = work.insertion(
            lambda: fill_empty(
                work.text,
                key,
                [item],
                flow_parent=bool(web.node.flow_style),
                layout=work.layout,
                newline=work.newline,
            ),
            "envVars",
            subject,
        )
        work.add(splice, change)
        work.ops.append(Op(web.keys, "envVars", value_data([item])))
        return
    if not isinstance(found.value, SequenceNode):
        raise RefusedError(
            f"{where(found.value, work.filename)}: envVars of `{subject}` is not a list. "
            "Tip: write each env var as a list item `- key: NAME`."
        )
    seq = found.value
    splice = work.insertion(
        lambda: append_item(
            work.text,
            seq,
            item,
            layout=work.layout,
            newline=work.newline,
            rewritten=work.done,
        ),
        "envVars",
        subject,
    )
    work.add(splice, change)
    work.ops.append(Op((*web.keys, "envVars"), None, value_data(item)))


def _add_keyvalue_service(work: Work, web: Entry, want: KeyValueTarget, region: str | None) -> None:
    """After the web service's list's last item; in the web service's region (Render's internal
    connection string only reaches a Key Value in the same region; the default is oregon)."""
    from tier_cli.blueprint.insert import append_item, value_data

    check_shared(work, web.trail[:-1], "services", want.name)
    head: Pairs = (("type", "keyvalue"), ("name", want.name))
    first = web.seq.value[-1]
    if isinstance(first, MappingNode) and first.value and text_of(first.value[0][0]) == "name":
        head = head[::-1]
    placed: Pairs = (("region", region),) if region else ()
    item: Pairs = (*head, *placed, ("plan", want.plan), ("ipAllowList", []))
    splice = work.insertion(
        lambda: append_item(
            work.text,
            web.seq,
            item,
            layout=work.layout,
            newline=work.newline,
            rewritten=work.done,
        ),
        "a Key Value service",
        "services",
    )
    work.add(splice, ("service", None, "keyvalue", want.name))
    work.ops.append(Op(web.keys[:-1], None, value_data(item)))
