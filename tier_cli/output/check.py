"""Output of `tier check`: text, GitHub Actions annotations, and the Markdown step summary.

No decisions here: the verdict (in sync or not, which fields differ) comes in as values.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from tier_cli.config.tiers import Tier
from tier_cli.decide.recommendation import Recommendation
from tier_cli.models import METRIC_NAMES
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


def verdict_text(v: Verdict) -> str:
    rec = v.rec
    if v.in_sync:
        lines = [f"{v.render}: on tier {rec.target}, in sync"]
        lines += [_line(w) for w in v.rec.guardrails]
        return "\n".join(lines) + "\n"
    lines = [f"{v.render}: not on tier {rec.target} (now: {rec.current or 'no tier'}; {_why(rec)})"]
    lines += [f"  {v.render}:{d.line}: {d.text}" for d in v.differences]
    lines += [f"  - {r.describe()}" for r in rec.decision.reasons]
    lines.append(f"  {cost_line(rec)}")
    lines += [_line(w) for w in unique((*rec.warnings, *v.notes))]
    lines.append(f"Fix: {v.fix}")
    return "\n".join(lines) + "\n"


def verdict_github(v: Verdict) -> str:
    """Workflow commands: one error annotation per differing line; warnings for guardrails."""
    out = [
        f"::{w.severity} file={v.render},title=tier [{w.code}]::{_escape(w.message)}"
        for w in v.rec.guardrails
    ]
    for d in v.differences:
        out.append(
            f"::error file={v.render},line={d.line},title=tier: not on {v.rec.target}::"
            + _escape(f"{d.text} ({_why(v.rec)}). Fix: {v.fix}")
        )
    return "".join(line + "\n" for line in out) + verdict_text(v)


def verdict_markdown(v: Verdict) -> str:
    rec = v.rec
    if v.in_sync:
        extra = "".join(f"\n- {w.text()}" for w in v.rec.guardrails)
        return f"### tier: `{v.render}` is on **{rec.target}**, in sync{extra}\n"
    rows = "\n".join(
        f"| {name} | {quantity(rec.metrics.get(name))} | "
        + " | ".join(_threshold(t, name) for t in v.tiers[1:])
        + " |"
        for name in METRIC_NAMES
    )
    header = "| metric | value | " + " | ".join(t.name for t in v.tiers[1:]) + " |"
    rule = "|---|---:|" + "---:|" * len(v.tiers[1:])
    reasons = "\n".join(f"- {r.describe()}" for r in rec.decision.reasons) or "- (none)"
    warnings = "\n".join(f"- {w.text()}" for w in unique((*rec.warnings, *v.notes)))
    return (
        f"### tier: `{v.render}` is not on **{rec.target}** (now: {rec.current or 'no tier'})\n\n"
        f"{header}\n{rule}\n{rows}\n\n**Reasons**\n\n{reasons}\n\n"
        f"**Cost**: {cost_line(rec)}\n\n"
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


def _line(w: Notice) -> str:
    return f"{w.severity}: {w.text()}"


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
