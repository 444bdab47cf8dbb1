"""Rewrite render.yaml to a tier: parse to find, splice to edit, check before returning.

What is edited is one table, RULES (plus a row per managed web field, see `rules`), and nothing
else:
- the web service's `plan` and `startCommand` (the tier's template, filled with the ASGI app
  found in the current command, or with `selection.app`; a `cd DIR &&` / runner prefix stays);
- the chosen database's `plan`;
- for a tier with Key Value: a `type: keyvalue` service (unless a `keyvalue` or legacy `redis`
  service already exists) and a `REDIS_URL` env var on the web service (unless it has one);
- the web service fields tiers set under [tier.web] (`scaling`, ...): written for a tier that
  sets them, removed for one that does not (fields.py).

A plan that is the same plan under another spelling (`2c-4g` and `pro`) is left alone. A missing
`plan:` goes in as one line right after the last of the entry's `type:`/`name:`/`runtime:`/
`env:` keys (databases: after `name:`), indented like its siblings; a missing `startCommand:`
(only written when `selection.app` is given) goes after the last of those keys, `plan:` or
`buildCommand:`. The new Key Value service follows the last service of the web service's own
list, with that item's dash column, indentation and first key (`type` or `name`); REDIS_URL
follows the last env var, in its style.

Refused (RefusedError, `file:line:col: reason. Tip: way out`, nothing changes): a value to
change, or a list or mapping to add to, that another entry shares through an anchor/alias; a
value that comes from a merge key (`<<: *base`); a plan or startCommand that is a list or a
mapping; envVars that is not a list; a `|+`/`>+` (keep) block scalar; lines to add after an
unended block scalar on the file's last line (they would change its value); a new Key Value
name another service already has; a database plan that would become a legacy Postgres plan
(LegacyPlanRefused: Render rejects it); and any result that does not re-parse to exactly the
intended data, or that a second run would change again (see splice.verify).

Where edits are spliced in, see splice.py; the Key Value part is keyvalue.py.
"""

from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from tier_cli.blueprint.deps import Declared
from tier_cli.blueprint.keyvalue import edit_keyvalue
from tier_cli.blueprint.nodes import line_col, lookup, text_of, where
from tier_cli.blueprint.splice import Work, apply_splices, verify, write_scalar
from tier_cli.blueprint.startcmd import is_app, parse_start
from tier_cli.blueprint.startplan import StartPlan, plan_start
from tier_cli.blueprint.view import (
    DatabaseView,
    Entry,
    Parsed,
    ServiceView,
    choose_database,
    choose_web_service,
    parse_blueprint,
)
from tier_cli.config.catalogue import (
    PAID_TO_FREE_SOURCE,
    Catalogue,
    Kind,
    database_move,
    same_plan,
)
from tier_cli.config.settings import FieldValue, KeyValueTarget, Selection, TierTarget
from tier_cli.errors import ConfigError, LegacyPlanRefused, RefusedError
from tier_cli.notices import Notice
from tier_cli.numbers import usd
from tier_cli.textio import decode, encode

_PLAN_AFTER = ("type", "name", "runtime", "env")
_START_AFTER = (*_PLAN_AFTER, "plan", "buildCommand")
# Never "replace it": a tip must not lose a step of the user's command.
_TIP_LAST = (
    "Tip: end it with the server itself (`... && uvicorn main:app ...`; what comes before is "
    "kept as written), and tier will set the tier's worker count."
)


class Change(NamedTuple):
    """One edit, as the report shows it."""

    field: str  # "plan", "startCommand", "service" (an added service), "envVars"
    old: str | None
    new: str | None
    line: int  # 1-based line of the change in the rewritten file
    subject: str  # the service or database name

    def describe(self) -> str:
        if self.new is None:
            return f"{self.subject} {self.field} removed"
        if self.field == "service":
            return f"{self.subject} {self.new} service added"
        if self.field == "envVars":
            return f"{self.subject} envVars {self.new} added"
        if self.field == "startCommand":
            return f"{self.subject} startCommand -> {_one_line(self.new or '')}"
        old = self.old if self.old is not None else "(not set)"
        return f"{self.subject} {self.field} {old} -> {self.new}"


class ApplyResult(NamedTuple):
    text: str
    changes: tuple[Change, ...]
    notes: tuple[Notice, ...]


def apply_file_bytes(
    data: bytes,
    filename: str,
    target: TierTarget,
    selection: Selection,
    catalogue: Catalogue,
    declared: Declared | None = None,
    parsed: Parsed | None = None,
) -> tuple[bytes, ApplyResult]:
    """apply_tier on the file's bytes; BOM, line endings and final newline come back as is.

    `parsed`: the same bytes already parsed (parse_file), so that a caller that also read the
    file's services parses it once."""
    decoded = decode(data, filename)
    result = apply_tier(decoded.text, filename, target, selection, catalogue, declared, parsed)
    return encode(result.text, decoded), result


def apply_tier(
    text: str,
    filename: str,
    target: TierTarget,
    selection: Selection,
    catalogue: Catalogue,
    declared: Declared | None = None,
    parsed: Parsed | None = None,
) -> ApplyResult:
    """The Blueprint text rewritten to `target`, with what changed and notes for the user.

    `declared`: what the web service's build installs (deps.py), read by the caller; None
    when not looked up (then a new server is written without that check)."""
    if selection.app is not None and not is_app(selection.app):
        raise ConfigError(
            f"app `{selection.app}` is not a `module:attribute` ASGI app. "
            'Tip: write it like app = "main:app" under [render] in tiers.toml.'
        )
    if parsed is None or parsed.text != text:
        parsed = parse_blueprint(text, filename)
    work = _plan(parsed, target, selection, catalogue, declared)
    if not work.splices:
        return ApplyResult(text, (), tuple(work.notes))
    new_text, starts = apply_splices(text, work.splices, filename)
    verify(
        parsed,
        new_text,
        starts,
        work,
        lambda again: _plan(again, target, selection, catalogue, declared),
    )
    changes = tuple(
        Change(c.field, c.old, c.new, line_col(new_text, starts[c.splice])[0], c.subject)
        for c in work.changes
    )
    return ApplyResult(new_text, changes, tuple(work.notes))


# ------------------------------------------------------------------------------------------
# Planning: decide every splice against the original text


class Place(NamedTuple):
    """An entry a rule edits (the web service or the database, as node and as view), and what
    every rule may need besides its value."""

    entry: Entry
    view: ServiceView | DatabaseView
    web: ServiceView  # the web service (the Key Value rule wires REDIS_URL to it)
    app: str | None  # Selection.app: the ASGI app when the startCommand cannot be read
    target: TierTarget  # the whole tier (Render's rules compare fields with each other)
    declared: Declared | None  # what the web service's build installs (deps.py), if read


class Rule(NamedTuple):
    """One field a tier sets: which entry, which key, where a missing key goes, how its value
    comes from the tier, and the function that makes the file say it."""

    entry: Literal["web", "database"]  # the web service, or the database it uses
    key: str  # "plan", "startCommand", "services" (the Key Value service), "scaling", ...
    after: tuple[str, ...]  # a missing key goes after the last of these keys the entry has
    value: Callable[[TierTarget], Any]  # None for a web field: this tier removes it
    write: Callable[[Work, Place, "Rule", Any], None]


def _write_plan(work: Work, place: Place, rule: Rule, plan: str) -> None:
    kind: Kind = "web" if rule.entry == "web" else "postgres"
    if kind == "postgres":
        _refuse_legacy_postgres(work, place.entry, place.view.label, place.target.tier, plan)
        if _database_kept(work, place, plan):
            return
    _set_plan(work, place.entry, place.view.label, plan, kind, rule.after)


def _database_kept(work: Work, place: Place, wanted: str) -> bool:
    """The plan to write for the database, as Render moves one (catalogue.database_move): a
    paid database keeps its plan rather than going to free, and a smaller plan keeps the disk
    the database has, which stays billed. Both are said in the report."""
    view = place.view
    assert isinstance(view, DatabaseView)
    catalogue = work.catalogue
    found = lookup(place.entry.node, "plan")
    current = None if found is None else text_of(found.value)
    move = database_move(catalogue, current, view.disk_size_gb, wanted)
    line = (found.value if found is not None else place.entry.node).start_mark.line + 1
    now = catalogue.find("postgres", current) or catalogue.default("postgres")
    if move.kept:
        work.note(
            "database-plan-kept",
            f"database {view.label} stays on `{move.plan}`, not `{wanted}`: Render turns no paid "
            f"database into a free one (a disk never shrinks, and free has 1 GB; "
            f"{PAID_TO_FREE_SOURCE}). Tip: to stop paying for it, back it up and delete it on "
            "Render, then set its plan by hand.",
            line,
        )
        return True
    new = catalogue.find("postgres", wanted)
    default = None if new is None else new.disk_gb
    if move.disk_gb is not None and default is not None and move.disk_gb > default:
        cost = usd(move.disk_gb * catalogue.storage_usd_per_gb)
        work.note(
            "database-disk-kept",
            f"database {view.label} keeps its {move.disk_gb:g} GB disk on `{wanted}` (whose "
            f"default is {default:g} GB; from `{now.name}`): a Render disk never shrinks, and "
            f"it stays billed at {cost}/month.",
            line,
        )
    return False


def _write_start(work: Work, place: Place, rule: Rule, template: str) -> None:
    _set_start(work, place.entry, place.web, template, place.app, place.declared)


def _write_keyvalue(work: Work, place: Place, rule: Rule, want: KeyValueTarget | None) -> None:
    edit_keyvalue(work, place.entry, place.web, want)


def _write_web_field(work: Work, place: Place, rule: Rule, want: FieldValue | None) -> None:
    """A [tier.web] field: after `plan:`, or where `plan:` goes when the service has none."""
    from tier_cli.blueprint.fields import set_web_field  # only where tiers set [tier.web]

    node = place.entry.node
    own_plan = any(getattr(k, "value", None) == "plan" for k, _ in node.value)
    after = rule.after if own_plan else _PLAN_AFTER
    set_web_field(work, place.entry, place.view.label, place.target, rule.key, want, after)


RULES: tuple[Rule, ...] = (
    Rule("web", "plan", _PLAN_AFTER, lambda t: t.web_plan, _write_plan),
    Rule("web", "startCommand", _START_AFTER, lambda t: t.start_template, _write_start),
    Rule("database", "plan", ("name",), lambda t: t.database_plan, _write_plan),
    # a Key Value service after the web service's list, and REDIS_URL in its envVars
    Rule("web", "services", (), lambda t: t.keyvalue, _write_keyvalue),
)


def _web_field(key: str) -> Rule:
    return Rule("web", key, ("plan",), lambda t: t.web.get(key), _write_web_field)


def rules(target: TierTarget) -> tuple[Rule, ...]:
    """RULES with a row per web field some tier sets (in tiers.toml's order) before the Key
    Value row: lines added at one place come in row order, and a web field belongs to the web
    service, above a Key Value service added after it."""
    web = tuple(_web_field(key) for key in dict.fromkeys((*target.managed, *target.web)))
    return (*RULES[:-1], *web, RULES[-1])


def _plan(
    parsed: Parsed,
    target: TierTarget,
    selection: Selection,
    catalogue: Catalogue,
    declared: Declared | None,
) -> Work:
    work = Work(parsed, catalogue)
    view = parsed.view
    web_view = choose_web_service(view, selection.service, parsed.filename)
    web = _entry_of(parsed.services, view.services, web_view)
    places: dict[str, Place | None] = {
        "web": Place(web, web_view, web_view, selection.app, target, declared)
    }
    database = choose_database(view, web_view, selection.database)
    if database is None:
        places["database"] = None
        _note_no_database(work, web_view)
    else:
        entry = _entry_of(parsed.databases, view.databases, database)
        places["database"] = Place(entry, database, web_view, selection.app, target, declared)
    for rule in rules(target):
        place = places[rule.entry]
        if place is not None:
            rule.write(work, place, rule, rule.value(target))
    return work


def _entry_of(entries: tuple[Entry, ...], views: tuple[object, ...], chosen: object) -> Entry:
    for entry, view in zip(entries, views, strict=True):
        if view is chosen:
            return entry
    raise AssertionError("chosen view is not in the blueprint")  # pragma: no cover


def _set_plan(
    work: Work, entry: Entry, subject: str, new: str, kind: Kind, after: tuple[str, ...]
) -> None:
    found = lookup(entry.node, "plan")
    current = None if found is None else text_of(found.value)
    catalogue = work.catalogue
    if found is not None and same_plan(catalogue, kind, current, new):
        return
    write_scalar(work, entry, "plan", current, new, subject, after)


def _refuse_legacy_postgres(work: Work, entry: Entry, subject: str, tier: str, new: str) -> None:
    """tier never writes a legacy Postgres plan: Render creates no database on one and moves no
    database from a current plan (free included) to one. Staying on it is fine (no write)."""
    catalogue, filename = work.catalogue, work.filename
    plan = catalogue.find("postgres", new)
    found = lookup(entry.node, "plan")
    current = None if found is None else text_of(found.value)
    if plan is None or not plan.legacy:
        return
    if found is not None and same_plan(catalogue, "postgres", current, new):
        return
    now = catalogue.find("postgres", current)
    if current is None:
        on = "has no `plan:` (a new database gets basic-256mb)"
    elif now is not None and now.legacy:
        on = f"is on legacy plan `{current}`"
    else:
        on = f"is on plan `{current}`"
    successor = catalogue.find("postgres", plan.successor) if plan.successor else None
    use = f'database_plan = "{successor.name}"' if successor else "a current database_plan"
    node = entry.node if found is None else found.value
    raise LegacyPlanRefused(
        f"{where(node, filename)}: database {subject} {on}; tier {tier} would write the legacy "
        f"Postgres plan `{new}`, which Render no longer creates nor moves a database to, so it "
        f"would reject the file. Tip: set {use} for tier {tier} in tiers.toml "
        f"(the successor of `{plan.name}`)"
    )


def _set_start(
    work: Work,
    web: Entry,
    view: ServiceView,
    template: str,
    app_override: str | None,
    declared: Declared | None,
) -> None:
    """Write the tier's startCommand, or the current one with the tier's worker count.

    Never half a tier: a command whose worker count tier cannot set is refused (RefusedError)
    when the tier runs more than one worker; one it does not understand is left as is."""
    found = lookup(web.node, "startCommand")
    current = None if found is None else text_of(found.value)
    complete = declared is not None and declared.unknown is None
    installed = declared.packages if complete and declared is not None else None
    plan = plan_start(current, template, app_override, installed, declared is not None)
    label = view.label
    line = None if found is None else found.value.start_mark.line + 1
    if plan.refused is not None:
        at = where(found.value if found else web.node, work.filename)
        raise RefusedError(
            f"{at}: startCommand of `{label}` cannot reach the tier's worker count: "
            f"{plan.refused}. Tip: write the startCommand for this tier by hand, or pick a "
            "tier with one worker."
        )
    if plan.command is None:
        if current is None or not current.strip():
            what = "has no startCommand" if current is None else "has an empty startCommand"
            work.note(
                "start-command-kept",
                f'{label} {what}; left as is. Tip: set app = "main:app" under '
                "[render] in tiers.toml to let tier write one.",
            )
        else:
            work.note(
                "start-command-kept",
                f"{label} startCommand `{_one_line(current)}` does not run a server tier knows "
                f"(uvicorn, gunicorn, hypercorn, fastapi run) as its last command; left as "
                f"is. {_TIP_LAST}",
                line,
            )
        return
    if current is not None and current.rstrip() == plan.command.rstrip():
        _note_kept(work, label, plan, current, declared, line)
        return
    before = parse_start(current)
    if before is not None and before.server == "hypercorn" and "hypercorn" not in template:
        work.note(
            "server-changed",
            f"{label} ran hypercorn; the tier's template runs another server: check that "
            "it is in your requirements.",
            line,
        )
    _note_kept(work, label, plan, plan.command, declared, line)
    for option in plan.dropped:
        work.note(
            "start-option-default",
            f"{label} startCommand: {option} is not written: the tier's server does so by default.",
            line,
        )
    write_scalar(work, web, "startCommand", current, plan.command, label, _START_AFTER)


def _note_kept(
    work: Work,
    label: str,
    plan: StartPlan,
    command: str,
    declared: Declared | None,
    line: int | None,
) -> None:
    """Say in one line what the written command runs that the build may not install, and, when
    the server was kept or moved to its own workers, why."""
    cmd = parse_start(command)
    server = cmd.server if cmd is not None else "its server"
    if declared is not None and declared.guessed is not None and declared.unknown is not None:
        # Only when a file was missing there: a guess that found every file is the root.
        work.note("build-context-guessed", f"{declared.guessed}.", line)
    if plan.unsure and declared is not None:
        names = " and ".join(plan.unsure)
        if declared.unknown is not None:
            instead = ""
            others = [m for m in plan.missing if m not in plan.unsure]
            if plan.own_workers is not None and others:
                instead = (
                    f" It runs {server}'s own workers, not {' and '.join(others)}, "
                    "which may be missing too."
                )
            work.note(
                "dependencies-unknown",
                f"{label} startCommand runs {names}: tier could not tell whether the build "
                f"installs it ({declared.unknown}). Tip: check it does, e.g. "
                f'{declared.fix_for(list(plan.unsure))}, or add "dependencies-unknown" to '
                f"[warnings] ignore in tiers.toml once you have.{instead}",
                line,
            )
        else:
            read = ", ".join(declared.read) or "its buildCommand"
            work.note(
                "server-missing",
                f"{label} startCommand runs {names}, which the build does not install (read: "
                f"{read}): the deploy would fail with `command not found`. Tip: "
                f"{declared.fix_for(list(plan.unsure))}.",
                line,
            )
    if plan.own_workers is None:
        return
    if plan.missing and declared is not None and declared.unknown is None:
        tip = f" Tip: {declared.fix_for(list(plan.missing))} to let tier write the tier's command."
        work.note(
            "server-not-installed",
            f"{label} startCommand runs {server}'s own workers with the tier's worker count, "
            f"because {plan.own_workers}.{tip}",
            line,
        )
        return
    if plan.missing and plan.unsure:
        return  # dependencies-unknown above says it
    work.note(
        "start-command-own-workers",
        f"{label} startCommand keeps {server} and its options, with the tier's worker count, "
        f"because {plan.own_workers}.",
        line,
    )


def _note_no_database(work: Work, web: ServiceView) -> None:
    databases = work.parsed.view.databases
    if not databases:
        work.note(
            "no-database",
            f"{work.filename} declares no database; no database plan was written.",
        )
    elif web.database_ref is not None:
        work.note(
            "no-database",
            f"{web.label}'s DATABASE_URL names database `{web.database_ref}`, which "
            f"{work.filename} does not declare; no database plan was changed.",
        )
    else:
        names = ", ".join(f"`{d.label}`" for d in databases)
        work.note(
            "no-database",
            f"several databases ({names}) and {web.label} has no DATABASE_URL naming one; "
            'no database plan was changed. Tip: set database = "NAME" under [render] in '
            "tiers.toml.",
        )


def _one_line(command: str) -> str:
    return command.strip().replace("\r\n", "\n").replace("\n", "\\n")
