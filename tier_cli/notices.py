"""Warnings as values: a stable code, a severity, the subject (file, line) and the message.

Every warning tier can give is one row of CODES, with the one line the README shows for it. The
text is made at the output end (output/), never here; `[warnings] ignore` in tiers.toml and
`--quiet` filter these values, not strings.
"""

from collections.abc import Iterable
from typing import Literal, NamedTuple

Severity = Literal["notice", "warning"]

# code -> (severity, what it means). One row per kind of warning; README lists them all.
CODES: dict[str, tuple[Severity, str]] = {
    # metrics
    "stale-snapshot": ("warning", "the metrics snapshot is older than [snapshot] max_age_days"),
    "future-snapshot": ("warning", "the snapshot's collected_at is in the future"),
    "unknown-metric": ("notice", "a metric could not be measured; it triggered nothing"),
    "metric-query-advice": ("notice", "a metric query was slow or scanned a table: an index tip"),
    "activity-unknown": (
        "warning",
        "nothing records user activity: active or concurrent users unknown",
    ),
    # the decision and guardrails
    "tier-capped": ("warning", "max_tier or max_monthly_usd lowered the recommendation"),
    "tier-pinned": ("notice", "[decision] pin holds render.yaml off the recommended tier"),
    "no-tier-above": ("warning", "still slow on the highest tier: there is no tier above it"),
    "storage-beyond-tiers": ("warning", "the database is past every tier's storage"),
    "downgrade-held": ("notice", "a downgrade is held back by the dead band or an unknown metric"),
    "uncertain-recommendation": (
        "warning",
        "the tier depends on a metric that is unknown, a lower bound or a single reading",
    ),
    "beyond-capacity": ("warning", "active users beyond what the highest tier is said to carry"),
    "connection-budget": (
        "warning",
        "workers x instances x pool exceed the database's connections",
    ),
    "connections-beyond-tiers": (
        "warning",
        "near the connection limit, and no tier's plan has more",
    ),
    # where render.yaml stands
    "unknown-plan": ("warning", "a plan in render.yaml that Render's catalogue does not know"),
    "no-matching-tier": ("warning", "render.yaml's plans match no tier of tiers.toml"),
    "nearest-tier": (
        "notice",
        "a web plan no tier uses: placed on the nearest tier by CPU and RAM",
    ),
    "database-off-tier": ("warning", "the database plan is not the web service tier's"),
    "leftover-keyvalue": ("notice", "a Key Value service the tier no longer needs (never deleted)"),
    # where the tiers come from
    "bundled-tiers": ("notice", "no tiers.toml in the folder: tier shows the tiers it ships"),
    # Render's reality against tiers.toml
    "legacy-postgres-plan": ("warning", "a legacy Postgres plan: Render creates no database on it"),
    "free-postgres-expires": ("notice", "Render's free Postgres expires after 30 days"),
    "price-differs": ("notice", "price_usd differs from Render's catalogue"),
    "size-differs": ("notice", "web_cpu / web_ram_gb differ from the plan's real size"),
    "workers-exceed-ram": ("warning", "too little RAM per worker on the tier's web plan"),
    "workers-exceed-cpu": ("warning", "more workers than (2 x CPUs) + 1 on the tier's web plan"),
    "deprecated-worker-class": ("warning", "uvicorn.workers.UvicornWorker is deprecated"),
    # what tier apply did or left alone
    "start-command-kept": ("warning", "a startCommand tier cannot rewrite safely was left as is"),
    "server-changed": ("notice", "the startCommand now runs another server than before"),
    "start-command-own-workers": (
        "notice",
        "the startCommand keeps its server and options; only its worker count is the tier's",
    ),
    "start-option-default": ("notice", "an option was not written: the new server's default"),
    "dependencies-unknown": (
        "warning",
        "tier cannot tell whether the build installs the startCommand's server",
    ),
    "server-missing": ("warning", "the build does not install the startCommand's server"),
    "server-not-installed": (
        "warning",
        "the build lacks the tier's server: its own workers (uvicorn --workers N) are written",
    ),
    "build-context-guessed": (
        "warning",
        "render.yaml is in no git repository: the build's files were read from its folder",
    ),
    "database-plan-kept": (
        "warning",
        "a paid database keeps its plan: Render moves none to free",
    ),
    "database-disk-kept": ("notice", "a smaller database plan keeps its disk, which stays billed"),
    "redis-url-hand-set": (
        "warning",
        "REDIS_URL is set by hand: the tier's Key Value service is unused until it is wired",
    ),
    "keyvalue-region-differs": ("warning", "the Key Value service is in another region"),
    "no-database": ("notice", "no database plan was written (none declared, or none chosen)"),
    "keyvalue-plan-differs": ("notice", "an existing Key Value service is on another plan"),
    "field-overridden": ("warning", "a field the tier writes makes Render ignore another one"),
}


class Notice(NamedTuple):
    """One warning or notice: what, how serious, where, and the sentence a person reads."""

    code: str
    message: str
    severity: Severity = "warning"
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return self.message

    def text(self) -> str:
        """The message with its code in brackets, as the text output shows it."""
        return f"{self.message} [{self.code}]"

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
        }


def notice(code: str, message: str, *, file: str | None = None, line: int | None = None) -> Notice:
    """A Notice with its registered severity; an unregistered code is a bug in tier."""
    severity, _ = CODES[code]
    return Notice(code, message, severity, file, line)


def unique(notices: Iterable[Notice], ignore: Iterable[str] = ()) -> tuple[Notice, ...]:
    """In order, once each (by code and message), without the ignored codes."""
    skip = frozenset(ignore)
    seen: set[tuple[str, str]] = set()
    out: list[Notice] = []
    for n in notices:
        key = (n.code, n.message)
        if n.code in skip or key in seen:
            continue
        seen.add(key)
        out.append(n)
    return tuple(out)


def leftover_keyvalue_note(name: str) -> Notice:
    """Said by `apply` (the editor) and `recommend` alike, so `check` can show it once."""
    return notice(
        "leftover-keyvalue",
        f"Key Value service `{name}` is no longer needed by this tier; tier never deletes it, and "
        "it stays in the monthly cost: remove it by hand if you no longer use it.",
    )
