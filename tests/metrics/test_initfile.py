"""`tier init`'s file: the guide's tiers, plus SQL and an activity source fitted to a schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from tier_cli.config.catalogue import load_catalogue
from tier_cli.config.settings import ActivitySource
from tier_cli.config.tiers import load_config
from tier_cli.metrics.initfile import initial_tiers_toml
from tier_cli.metrics.postgres.schema import SchemaGuess

ROOT = Path(__file__).resolve().parents[2]

# (id, guess, expected [database.queries] keys, expected activity source)
CASES = [
    ("no-database", None, set(), None),
    (
        "no-users-table",
        SchemaGuess(None, None),
        {"users", "active_users", "concurrent_users"},
        None,
    ),
    ("conventional", SchemaGuess("public.users", "last_seen_at", "created_at"), set(), None),
    (
        "other-names",
        SchemaGuess("public.accounts", "last_login", "signed_up"),
        {"users", "active_users", "concurrent_users"},
        None,
    ),
    (
        "no-activity-column",
        SchemaGuess("app.members", None),
        {"users", "active_users", "concurrent_users"},  # the last two: SELECT NULL, with a why
        None,
    ),
    (
        "conventional-with-events",
        SchemaGuess("public.users", "last_seen_at", "created_at", "public.events", "user_id", "at"),
        set(),
        ActivitySource("public.events", "user_id", "at"),
    ),
    (
        "other-names-with-events",
        SchemaGuess("public.accounts", "seen", None, "public.hits", "account_id", "ts"),
        {"users", "active_users"},  # no concurrent_users query: it would hide the peak
        ActivitySource("public.hits", "account_id", "ts"),
    ),
]


@pytest.mark.parametrize(
    ("guess", "queries", "activity"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_written_file_loads_with_the_expected_sql(
    tmp_path: Path, guess: SchemaGuess | None, queries: set[str], activity: ActivitySource | None
) -> None:
    text, notes = initial_tiers_toml(guess)
    assert notes
    path = tmp_path / "tiers.toml"
    path.write_text(text, "utf-8")
    config = load_config(path, load_catalogue())  # every file init writes must be valid
    assert set(config.database.queries) == queries
    assert config.database.activity == activity
    assert config.names == ("free", "starter", "pro", "pro+redis")


def test_custom_sql_quotes_identifiers() -> None:
    text, _ = initial_tiers_toml(SchemaGuess('app."odd" name', "Last Seen", None))
    assert """users = 'SELECT count(*) FROM "app".""" in text
    assert '"Last Seen" >= now()' in text


def test_init_writes_tiers_that_deploy_on_render(tmp_path: Path) -> None:
    """What `tier init` writes names no legacy Postgres plan and no deprecated worker class."""
    text, _ = initial_tiers_toml(None)
    path = tmp_path / "tiers.toml"
    path.write_text(text, "utf-8")
    cat = load_catalogue()
    config = load_config(path, cat)
    for tier in config.tiers:
        plan = cat.find("postgres", tier.database_plan)
        assert plan is not None and not plan.legacy, tier.name
        assert "uvicorn.workers.UvicornWorker" not in tier.start_command
    assert text == (ROOT / "tiers.toml").read_text("utf-8")
