"""Plan a web service's startCommand for a tier: the tier's template with the app and the
options of the current command carried over, or the current server with only the tier's worker
count when the template cannot be taken safely (startcmd.py reads the commands).
"""

import shlex
from typing import NamedTuple

from tier_cli.blueprint.startcmd import (
    ASGI_WORKERS,
    IMPORT_OPTIONS,
    Command,
    find_prefix,
    option_names,
    parse_start,
    parse_template,
    render_command,
    set_workers,
)

# Options of one server that another carries with the same meaning: (from, to) -> {long name:
# the target's name, or DEFAULT when the target already behaves so}. gunicorn here runs an
# ASGI worker (uvicorn_worker.UvicornWorker, or uvicorn.workers.UvicornWorker): the worker builds
# uvicorn's Config from gunicorn's settings: timeout_keep_alive = --keep-alive,
# limit_max_requests = --max-requests, forwarded_allow_ips = --forwarded-allow-ips, backlog =
# --backlog, the uvicorn loggers take gunicorn's --log-level; proxy_headers is left at uvicorn's
# default (on), loop and http at "auto". Everything else (--root-path, --no-proxy-headers,
# --no-access-log, --env-file, ...) has no gunicorn setting the worker reads.
DEFAULT = ""
_CARRY: dict[tuple[str, str], dict[str, str]] = {
    ("uvicorn", "gunicorn"): {
        "--forwarded-allow-ips": "--forwarded-allow-ips",
        "--log-level": "--log-level",
        "--timeout-keep-alive": "--keep-alive",
        "--limit-max-requests": "--max-requests",
        "--backlog": "--backlog",
        "--proxy-headers": DEFAULT,
    },
    ("gunicorn", "uvicorn"): {
        "--forwarded-allow-ips": "--forwarded-allow-ips",
        "--log-level": "--log-level",
        "--keep-alive": "--timeout-keep-alive",
        "--backlog": "--backlog",
    },
}
# Values that only one side knows: uvicorn's `--log-level trace`, its `--loop`/`--http` choices.
_ONLY_AUTO = {"--loop", "--http"}
_GUNICORN_LEVELS = frozenset({"debug", "info", "warning", "error", "critical"})

# What a tier decides: the current command's value never survives a rewrite.
MANAGED = frozenset(
    {"--host", "--port", "--bind", "--workers", "--worker-class", "--timeout", "--max-requests",
     "--max-requests-jitter", "--factory"}
)  # fmt: skip
_SERVER_PACKAGE = {
    "uvicorn": "uvicorn",
    "gunicorn": "gunicorn",
    "hypercorn": "hypercorn",
    "fastapi": "fastapi-cli",
}


class StartPlan(NamedTuple):
    """What to write as the startCommand, and what to tell the user about it."""

    command: str | None  # None: leave the startCommand as it is
    own_workers: str | None = None  # why the server was kept (only its worker count set)
    dropped: tuple[str, ...] = ()  # options not written: the new server's default already
    needs: frozenset[str] = frozenset()  # packages the new command runs that the old did not
    missing: tuple[str, ...] = ()  # of the tier's packages, those not installed (or not known)
    refused: str | None = None  # why the tier's worker count cannot be reached
    unsure: tuple[str, ...] = ()  # packages `command` runs that the build may not install


# The own-worker form: uvicorn's own process manager (uvicorn 0.30+ restarts dead workers), for
# when the build may not install gunicorn and uvicorn-worker. uvicorn comes with both
# uvicorn-worker and fastapi[standard], so a command that ran either still finds it.
OWN_TEMPLATE = "uvicorn {app} --host 0.0.0.0 --port $PORT"


def own_template(template: str) -> str:
    """The tier's template in the own-worker form, with the tier's worker count."""
    tier = parse_template(template)
    workers = None if tier is None else tier.workers
    return OWN_TEMPLATE + (f" --workers {workers}" if workers else "")


def packages(cmd: Command) -> frozenset[str]:
    """The distributions a command runs (`uvicorn-worker` for `uvicorn_worker.UvicornWorker`)."""
    found = {_SERVER_PACKAGE[cmd.server]}
    worker = cmd.worker_class or ""
    if worker.startswith("uvicorn_worker."):
        found |= {"uvicorn-worker", "uvicorn"}
    elif worker.startswith("uvicorn.workers."):
        found.add("uvicorn")
    return frozenset(found)


def plan_start(
    current: str | None,
    template: str,
    app: str | None = None,
    installed: frozenset[str] | None = None,
    unknown: bool = False,
) -> StartPlan:
    """The startCommand for a tier's `template`, from the current command.

    `app` is the ASGI app to use (tiers.toml's `app`), else the current command's. `installed`:
    the distributions the service's build installs; None with `unknown`: tier looked and cannot
    tell; None without it: not looked up (a library call: nothing is checked). The tier's command is
    written when the current command's options can all be carried (or are the new server's
    default) and the build installs what it runs. When the build does not install it, or tier
    cannot tell, no server that may be missing is written: the current server is kept when the
    build installs it (or it is uvicorn, hypercorn or `fastapi run`), else the command moves to
    uvicorn's own workers (`own_template`). `unsure` names what the written command runs that
    the build may not install.
    """
    plan = _plan(current, template, app, installed, unknown)
    written = None if plan.command is None else parse_start(plan.command)
    if written is None or (installed is None and not unknown):
        return plan
    runs = _implied(packages(written))
    unsure = runs if installed is None else runs - _implied(installed)
    return plan._replace(unsure=tuple(sorted(unsure)))


def _plan(
    current: str | None,
    template: str,
    app: str | None,
    installed: frozenset[str] | None,
    unknown: bool,
) -> StartPlan:
    tier = parse_template(template)
    cmd = parse_start(current)
    wanted = frozenset() if tier is None or (installed is None and not unknown) else packages(tier)
    missing = tuple(sorted(wanted if installed is None else wanted - _implied(installed)))
    own_form = tier is not None and tier.server in ("uvicorn", "fastapi")
    why = _why_missing(missing, installed)
    if cmd is None:
        if app is None:
            return StartPlan(None)
        if missing and not own_form:
            command = render_command(own_template(template), app, find_prefix(current))
            return StartPlan(command, own_workers=why, missing=missing)
        return StartPlan(render_command(template, app, find_prefix(current)))
    app = app or cmd.app
    needs = frozenset() if tier is None else packages(tier) - _implied(packages(cmd))
    if app is None:
        return _own_workers(cmd, tier, _why_not_movable(cmd))
    carried, dropped, blocked = _carry(cmd, tier, template)
    if blocked:
        target = tier.server if tier else "the tier's server"
        return _own_workers(cmd, tier, f"{_join(blocked)} cannot be carried to {target}")
    if missing and not own_form:
        kept_is_there = installed is not None and packages(cmd) <= _implied(installed)
        if kept_is_there or cmd.server != "gunicorn":
            return _own_workers(cmd, tier, why, missing)
        own = own_template(template)
        carried, dropped, blocked = _carry(cmd, parse_template(own), own)
        if blocked:
            return _own_workers(cmd, tier, why, missing)
        new = render_command(own, app, cmd.prefix)
        return StartPlan(" ".join([new, *carried]), own_workers=why, dropped=dropped,
                         missing=missing)  # fmt: skip
    new = render_command(template, app, cmd.prefix)
    return StartPlan(" ".join([new, *carried]), dropped=dropped, needs=needs)


def _why_missing(missing: tuple[str, ...], installed: frozenset[str] | None) -> str:
    names = " and ".join(missing)
    if installed is None:
        return f"tier cannot tell whether the build installs {names}"
    return f"the build does not install {names}"


def _own_workers(
    cmd: Command, tier: Command | None, why: str, missing: tuple[str, ...] = ()
) -> StartPlan:
    """The command's own server and options, with the tier's worker count, if that works."""
    refused = _refusal(cmd, tier)
    if refused is not None:
        return StartPlan(None, refused=refused)
    return StartPlan(set_workers_of(cmd, tier), own_workers=why, missing=missing)


def set_workers_of(cmd: Command, tier: Command | None) -> str:
    """set_workers with the tier's worker count (None without a readable template)."""
    return set_workers(cmd, None if tier is None else tier.workers)


def _refusal(cmd: Command, tier: Command | None) -> str | None:
    """Why the tier's worker count cannot be reached with this command's own server."""
    workers = None if tier is None else tier.workers
    reload = cmd.find("--reload") is not None and cmd.server in ("uvicorn", "fastapi")
    if reload and workers not in (None, "1"):
        return f"{cmd.server} --reload runs a single process, whatever --workers says"
    return None


def _why_not_movable(cmd: Command) -> str:
    if cmd.server == "fastapi":
        return "fastapi run finds the app from a path, not an import string"
    imports = [o.name for o in cmd.options if o.name in IMPORT_OPTIONS]
    if imports:
        return f"{imports[0]} changes how the app is found"
    if cmd.server == "gunicorn" and cmd.worker_class not in ASGI_WORKERS:
        return "gunicorn runs it without an ASGI worker class"
    return "its app is not a `module:attribute` import string"


def _implied(found: frozenset[str]) -> frozenset[str]:
    extra = {"gunicorn", "uvicorn"} if "uvicorn-worker" in found else set()
    return found | extra


def _carry(
    cmd: Command, tier: Command | None, template: str
) -> tuple[list[str], tuple[str, ...], list[str]]:
    """(options to append, in the target's spelling; options dropped as the target's default;
    options that cannot be carried)."""
    if tier is None:
        names = set(option_names(template.split()))
        blocked_names = [o.name for o in cmd.options if o.name not in names | MANAGED]
        return [], (), sorted(set(blocked_names))
    in_template = {tier.long(o.name) for o in tier.options}
    same = cmd.server == tier.server
    table = _CARRY.get((cmd.server, tier.server), {})
    carried: list[str] = []
    dropped: list[str] = []
    blocked: list[str] = []
    for option in cmd.options:
        name = cmd.long(option.name)
        if name in MANAGED or (same and name in in_template):
            continue
        target = name if same else table.get(name)
        auto = name in _ONLY_AUTO and option.value == "auto" and tier.server == "gunicorn"
        if target is None and auto and (tier.worker_class or "").endswith(".UvicornWorker"):
            target = DEFAULT
        if target == "--log-level" and not same and option.value not in _GUNICORN_LEVELS:
            target = None
        if target is None:
            blocked.append(option.name)
        elif target == DEFAULT:
            dropped.append(option.name)
        elif target in in_template or target in MANAGED:
            continue  # the tier sets it
        else:
            raw = cmd.body[option.start : option.end]
            if same:
                carried.append(raw)
            elif option.value is None:
                carried.append(target)
            else:
                carried.append(f"{target} {shlex.quote(option.value)}")
    return carried, tuple(dropped), sorted(set(blocked), key=blocked.index)


def _join(names: list[str]) -> str:
    return ", ".join(names)
