"""`tier check`'s answer: is render.yaml on the target tier, which fields differ, and the exact
`tier apply` command that fixes it; and whether "in sync" can be said at all."""

import shlex
from collections.abc import Iterable
from typing import NamedTuple, Protocol

from tier_cli.config.tiers import Tier
from tier_cli.decide.recommendation import Recommendation
from tier_cli.decide.trend import Trend
from tier_cli.errors import RenderFileError
from tier_cli.notices import Notice


class Difference(NamedTuple):
    """One field render.yaml would change to reach the target tier."""

    text: str  # "api plan starter -> pro"
    line: int  # 1-based line in render.yaml
    field: str = ""  # "plan", "startCommand", "service" (an added one), "envVars", a web field
    old: str | None = None  # the value now; None: not set
    new: str | None = None  # the value the tier writes; None: removed
    service: str = ""  # the service or database it belongs to


class Verdict(NamedTuple):
    rec: Recommendation
    render: str  # the render.yaml path as given
    differences: tuple[Difference, ...]
    fix: str  # the exact `tier apply` command
    before: bytes  # render.yaml now
    after: bytes  # render.yaml as `tier apply` would write it
    notes: tuple[Notice, ...]  # editor notes (a startCommand it leaves alone, ...)
    tiers: tuple[Tier, ...]
    trend: Trend | None = None  # growth from the snapshot history (None: demo metrics)

    @property
    def in_sync(self) -> bool:
        return not self.differences

    @property
    def diff(self) -> str:
        """The unified diff `tier apply` would make."""
        from tier_cli.textio import unified_diff

        return unified_diff(self.before, self.after, self.render)


class Change(Protocol):
    """One edit the editor would make (blueprint.editor.Change), as the verdict reads it."""

    @property
    def field(self) -> str: ...
    @property
    def old(self) -> str | None: ...
    @property
    def new(self) -> str | None: ...
    @property
    def line(self) -> int: ...
    @property
    def subject(self) -> str: ...
    def describe(self) -> str: ...


def judge(
    rec: Recommendation,
    render: str,
    before: bytes,
    after: bytes,
    edit: tuple[Iterable[Change], tuple[Notice, ...]],
    tiers: tuple[Tier, ...],
    fix: list[str],
) -> Verdict:
    """The verdict on render.yaml (`before`), given the target tier's edit of it (`after`, the
    changes and the editor's notes) and the words of the `tier apply` command that makes it."""
    changes, notes = edit
    return Verdict(
        rec=rec,
        render=render,
        differences=tuple(
            Difference(c.describe(), c.line, c.field, c.old, c.new, c.subject) for c in changes
        ),
        fix=shlex.join(fix),
        before=before,
        after=after,
        notes=notes,
        tiers=tiers,
    )


_SERVER_MAY_BE_MISSING = ("dependencies-unknown", "server-missing")


def confirm_in_sync(v: Verdict) -> None:
    """`tier check` says "in sync" only when it can tell: with a startCommand the editor could not
    read, the plans may match while the tier's worker count is not there (exit 3)."""
    if not v.in_sync:
        return
    missing = next((n for n in v.notes if n.code in _SERVER_MAY_BE_MISSING), None)
    if missing is not None:
        raise RenderFileError(
            f"{v.render}: the plans are on tier {v.rec.target}, but the startCommand's server "
            f"may be missing on Render: {missing.message} [{missing.code}]"
        )
    kept = next((n for n in v.notes if n.code == "start-command-kept"), None)
    if kept is not None:
        raise RenderFileError(
            f"{v.render}: the plans are on tier {v.rec.target}, but tier cannot tell whether the "
            f"startCommand runs the tier's workers: {kept.message} (or, to accept the command as "
            'it is, add "start-command-kept" to [warnings] ignore in tiers.toml)'
        )
