"""Output of `tier check`: text, GitHub Actions annotations, and the Markdown step summary.

No decisions here: the verdict (in sync or not, which fields differ) comes in as values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tier_cli.config.metric_table import METRIC_NAMES
from tier_cli.config.tiers import Tier
from tier_cli.decide.recommendation import Recommendation
from tier_cli.decide.verdict import Verdict
from tier_cli.notices import Notice, unique
from tier_cli.numbers import quantity
from tier_cli.output.escape import (
    github_message,
    github_property,
    invisible_shown,
    markdown,
    markdown_code,
    terminal,
)
from tier_cli.output.report import cost_line, recommendation_json

if TYPE_CHECKING:
    from tier_cli.blueprint.editor import ApplyResult


def verdict_json(v: Verdict) -> dict[str, Any]:
    out = recommendation_json(v.rec, v.trend)
    out.update(
        in_sync=v.in_sync,
        target=v.rec.target,
        differences=[
            {
                "field": d.field,
                "line": d.line,
                "from": d.old,
                "to": d.new,
                "service": d.service,
                "text": d.text,
            }
            for d in v.differences
        ],
        fix=None if v.in_sync else v.fix,
    )
    return out


def apply_json(
    render: str, result: ApplyResult, notes: tuple[Notice, ...], dry_run: bool, diff: str
) -> dict[str, Any]:
    """`tier apply --json`: what changed (or would, with --dry-run), as check's differences."""
    from tier_cli.contract import versioned

    return versioned(
        {
            "render": render,
            "changed": bool(result.changes),
            "dry_run": dry_run,
            "changes": [
                {
                    "field": c.field,
                    "line": c.line,
                    "from": c.old,
                    "to": c.new,
                    "service": c.subject,
                    "text": c.describe(),
                }
                for c in result.changes
            ],
            "warnings": [n.as_json() for n in unique(notes)],
            "diff": diff,
        }
    )


def warnings_of(v: Verdict) -> tuple[Notice, ...]:
    """Every warning of the run, once: the recommendation's, then the editor's own notes."""
    return unique((*v.rec.warnings, *v.notes))


def verdict_text(v: Verdict) -> str:
    """Plain lines; every piece of text from a file or the database on one line (escape.py)."""
    rec, t = v.rec, terminal
    render = t(v.render)
    warnings = [f"{w.severity}: {t(w.text())}" for w in warnings_of(v)]
    if v.in_sync:
        lines = [f"{render}: on tier {rec.target}, in sync", *warnings]
        return "\n".join(lines) + "\n"
    lines = [f"{render}: not on tier {rec.target} (now: {rec.current or 'no tier'}; {_why(rec)})"]
    lines += [f"  {render}:{d.line}: {t(d.text)}" for d in v.differences]
    lines += [f"  - {t(r.describe())}" for r in rec.decision.reasons]
    lines.append(f"  {t(cost_line(rec))}")
    lines += warnings
    lines.append(f"Fix: {t(v.fix)}")
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


def _verdict_json_text(v: Verdict) -> str:
    import json

    return json.dumps(verdict_json(v), indent=2) + "\n"


def verdict_markdown(v: Verdict) -> str:
    """The step summary; text from files is Markdown-escaped, code spans kept on one line."""
    from tier_cli.output.growth import growth_markdown  # the only format with the chart

    rec, md = v.rec, markdown
    render = markdown_code(v.render)
    warnings = "\n".join(f"- {w.severity}: {md(w.text())}" for w in warnings_of(v))
    reached = {(r.metric, r.tier) for r in rec.decision.reasons if r.rule == "threshold"}
    rows = "\n".join(
        f"| {name} | {quantity(rec.metrics.get(name))} | "
        + " | ".join(_threshold(t, name, (name, t.name) in reached) for t in v.tiers[1:])
        + " |"
        for name in METRIC_NAMES
    )
    header = "| metric | value | " + " | ".join(t.name for t in v.tiers[1:]) + " |"
    rule = "|---|---:|" + "---:|" * len(v.tiers[1:])
    reasons = "\n".join(f"- {md(r.describe())}" for r in rec.decision.reasons) or "- (none)"
    cost = md(cost_line(rec))
    facts = f"{header}\n{rule}\n{rows}\n\n**Reasons**\n\n{reasons}\n\n**Cost**: {cost}\n"
    if reached:
        facts = facts.replace(
            "\n\n**Reasons**", "\n\n✓ a threshold the metrics reach\n\n**Reasons**", 1
        )
    growth = growth_markdown(v.trend, v.tiers)
    if growth:
        facts += f"\n{growth}"
    elif v.trend is not None and v.trend.per_week:  # a trend, but no metric with a chart
        facts += f"\n**Growth**: {md(v.trend.note)}\n"
    if v.in_sync:  # the metrics too: a weekly pull request may carry a new snapshot alone
        return f"### tier: `{render}` is on **{rec.target}**, in sync\n\n{facts}" + (
            f"\n**Warnings**\n\n{warnings}\n" if warnings else ""
        )
    return (
        f"### tier: `{render}` is not on **{rec.target}** (now: {rec.current or 'no tier'})\n\n"
        f"{facts}\n"
        + (f"**Warnings**\n\n{warnings}\n\n" if warnings else "")
        + _carried(v)
        + f"**Fix**: `{markdown_code(v.fix)}`\n\n{_fenced(v.diff)}"
    )


SHOWN_ELSEWHERE = ("plan", "startCommand")  # the tier's own fields, in the table and the diff


def _carried(v: Verdict) -> str:
    """Every other field the edit writes, with its value: what tiers.toml carries into
    render.yaml (a repo, an image, a buildCommand), for a reviewer to see before merging."""
    rows = [
        f"- {markdown(d.service)} `{markdown_code(d.field)}`: "
        + ("removed" if d.new is None else f"`{markdown_code(d.new)}`")
        for d in v.differences
        if d.field and d.field not in SHOWN_ELSEWHERE
    ]
    if not rows:
        return ""
    return (
        "**Also written** (from tiers.toml: check each value before merging)\n\n"
        + "\n".join(rows)
        + "\n\n"
    )


def _fenced(diff: str) -> str:
    """The diff in a fence longer than any run of backticks in it, so it cannot end early."""
    diff = invisible_shown(diff)
    runs = [len(m) for m in re.findall(r"`+", diff)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}diff\n{diff}{fence}\n"


def _threshold(tier: Tier, metric: str, reached: bool = False) -> str:
    value = tier.thresholds.get(metric)
    if value is None:
        return ""
    return f"**{quantity(value)}** ✓" if reached else quantity(value)


def _why(rec: Recommendation) -> str:
    if rec.pinned:
        return f"pinned to {rec.pinned}"
    return f"recommended: {rec.recommended}"


_WHERE = r"^(?P<file>[^\s:,]+):(?P<line>\d+)(?::\d+)?: "  # compiled on first use


def error_annotation(message: str, exit_code: int) -> str:
    """`::error` for a run that could not tell (exits 2 to 5): on the file and line the message
    starts with (`render.yaml:5:3: ...`), else without a place."""
    found = re.match(_WHERE, message)
    where = ""
    if found:
        where = f"file={_property(found['file'])},line={found['line']},"
    return f"::error {where}title={_property(f'tier: exit {exit_code}')}::{_escape(message)}\n"


_escape = github_message  # a workflow command's message (escape.py)
_property = github_property  # a property value (file=, title=): `:` and `,` would end it


# `tier check --format NAME`: one function per format, from the verdict to what stdout gets.
FORMATS: dict[str, Callable[[Verdict], str]] = {
    "text": verdict_text,
    "json": _verdict_json_text,
    "github": verdict_github,
}
