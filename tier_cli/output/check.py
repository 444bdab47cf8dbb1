"""Output of `tier check`: text, GitHub Actions annotations, and the Markdown step summary.

No decisions here: the verdict (in sync or not, which fields differ) comes in as values.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from tier_cli.config.tiers import Tier
from tier_cli.decide.recommendation import Recommendation
from tier_cli.metrics.table import METRIC_NAMES
from tier_cli.notices import Notice, unique
from tier_cli.numbers import quantity
from tier_cli.output.report import cost_line, recommendation_json


class Difference(NamedTuple):
    """One field render.yaml would change to reach the target tier."""

    text: str  # "api plan starter -> pro"
    line: int  # 1-based line in render.yaml


class Verdict(NamedTuple):
    rec: Recommendation
    render: str  # the render.yaml path as given
    differences: tuple[Difference, ...]
    fix: str  # the exact `tier apply` command
    before: bytes  # render.yaml now
    after: bytes  # render.yaml as `tier apply` would write it
    notes: tuple[Notice, ...]  # editor notes (a startCommand it leaves alone, ...)
    tiers: tuple[Tier, ...]

    @property
    def in_sync(self) -> bool:
        return not self.differences

    @property
    def diff(self) -> str:
        """The unified diff `tier apply` would make."""
        from tier_cli.textio import unified_diff

        return unified_diff(self.before, self.after, self.render)


def verdict_json(v: Verdict) -> dict[str, Any]:
    out = recommendation_json(v.rec)
    out.update(
        in_sync=v.in_sync,
        target=v.rec.target,
        differences=[{"text": d.text, "line": d.line} for d in v.differences],
        fix=None if v.in_sync else v.fix,
    )
    return out


def warnings_of(v: Verdict) -> tuple[Notice, ...]:
    """Every warning of the run, once: the recommendation's, then the editor's own notes."""
    return unique((*v.rec.warnings, *v.notes))


def verdict_text(v: Verdict) -> str:
    rec = v.rec
    warnings = [f"{w.severity}: {w.text()}" for w in warnings_of(v)]
    if v.in_sync:
        lines = [f"{v.render}: on tier {rec.target}, in sync", *warnings]
        return "\n".join(lines) + "\n"
    lines = [f"{v.render}: not on tier {rec.target} (now: {rec.current or 'no tier'}; {_why(rec)})"]
    lines += [f"  {v.render}:{d.line}: {d.text}" for d in v.differences]
    lines += [f"  - {r.describe()}" for r in rec.decision.reasons]
    lines.append(f"  {cost_line(rec)}")
    lines += warnings
    lines.append(f"Fix: {v.fix}")
    return "\n".join(lines) + "\n"


def verdict_github(v: Verdict) -> str:
    """Workflow commands: every warning as a `::warning` or `::notice` (on its file and line when
    it has them, else on render.yaml), one `::error` per differing line, then the text."""
    out = []
    for w in warnings_of(v):
        where = f"file={_property(w.file or v.render)}"
        if w.line is not None:
            where += f",line={w.line}"
        out.append(
            f"::{w.severity} {where},title={_property(f'tier [{w.code}]')}::{_escape(w.message)}"
        )
    for d in v.differences:
        out.append(
            f"::error file={_property(v.render)},line={d.line},"
            f"title={_property(f'tier: not on {v.rec.target}')}::"
            + _escape(f"{d.text} ({_why(v.rec)}). Fix: {v.fix}")
        )
    return "".join(line + "\n" for line in out) + verdict_text(v)


def verdict_markdown(v: Verdict) -> str:
    rec = v.rec
    warnings = "\n".join(f"- {w.severity}: {w.text()}" for w in warnings_of(v))
    rows = "\n".join(
        f"| {name} | {quantity(rec.metrics.get(name))} | "
        + " | ".join(_threshold(t, name) for t in v.tiers[1:])
        + " |"
        for name in METRIC_NAMES
    )
    header = "| metric | value | " + " | ".join(t.name for t in v.tiers[1:]) + " |"
    rule = "|---|---:|" + "---:|" * len(v.tiers[1:])
    reasons = "\n".join(f"- {r.describe()}" for r in rec.decision.reasons) or "- (none)"
    facts = f"{header}\n{rule}\n{rows}\n\n**Reasons**\n\n{reasons}\n\n**Cost**: {cost_line(rec)}\n"
    if v.in_sync:  # the metrics too: a weekly pull request may carry a new snapshot alone
        return f"### tier: `{v.render}` is on **{rec.target}**, in sync\n\n{facts}" + (
            f"\n**Warnings**\n\n{warnings}\n" if warnings else ""
        )
    return (
        f"### tier: `{v.render}` is not on **{rec.target}** (now: {rec.current or 'no tier'})\n\n"
        f"{facts}\n"
        + (f"**Warnings**\n\n{warnings}\n\n" if warnings else "")
        + f"**Fix**: `{v.fix}`\n\n```diff\n{v.diff}```\n"
    )


def _threshold(tier: Tier, metric: str) -> str:
    value = tier.thresholds.get(metric)
    return "" if value is None else quantity(value)


def _why(rec: Recommendation) -> str:
    if rec.pinned:
        return f"pinned to {rec.pinned}"
    return f"recommended: {rec.recommended}"


_WHERE = re.compile(r"^(?P<file>[^\s:,]+):(?P<line>\d+)(?::\d+)?: ")


def error_annotation(message: str, exit_code: int) -> str:
    """`::error` for a run that could not tell (exits 2 to 5): on the file and line the message
    starts with (`render.yaml:5:3: ...`), else without a place."""
    found = _WHERE.match(message)
    where = ""
    if found:
        where = f"file={_property(found['file'])},line={found['line']},"
    return f"::error {where}title={_property(f'tier: exit {exit_code}')}::{_escape(message)}\n"


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """A value of an annotation's property (file=, title=): `:` and `,` would end it early."""
    return _escape(text).replace(":", "%3A").replace(",", "%2C")
