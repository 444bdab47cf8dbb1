"""guess_schema on information_schema rows (schema, table, column, type), without a database."""

from __future__ import annotations

import pytest

from tier_cli.metrics.postgres.schema import guess_schema

TZ = "timestamp with time zone"
USERS = [("public", "users", "id", "bigint"), ("public", "users", "last_seen_at", TZ)]


def _table(schema: str, table: str, **columns: str) -> list[tuple[str, str, str, str]]:
    return [(schema, table, column, kind) for column, kind in columns.items()]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(
            USERS + _table("public", "activity", user_id="bigint", at=TZ),
            ("public.activity", "user_id", "at"),
            id="conventional",
        ),
        pytest.param(
            USERS
            + _table("public", "events", user_id="uuid", occurred_at=TZ)
            + _table("public", "activity", account_id="integer", ts="timestamp without time zone"),
            ("public.activity", "account_id", "ts"),
            id="best-name-first",
        ),
        pytest.param(
            USERS
            + _table("public", "activity", user_id="integer", at="text")
            + _table("public", "events", member_id="integer", created_at=TZ),
            ("public.events", "member_id", "created_at"),
            id="time-column-must-be-a-timestamp",
        ),
        pytest.param(
            USERS
            + _table("public", "activity", at=TZ)
            + _table("public", "sessions", user_id="integer", inserted_at=TZ),
            ("public.sessions", "user_id", "inserted_at"),
            id="user-column-needed",
        ),
        pytest.param(
            USERS
            + _table("app", "activity", user_id="integer", at=TZ)
            + _table("public", "activity", user_id="integer", at=TZ),
            ("app.activity", "user_id", "at"),
            id="search-path-order-of-the-rows",
        ),
        pytest.param(
            USERS
            + _table("my.app", "activity", user_id="integer", at=TZ)
            + _table("public", "events", user_id="integer", at=TZ),
            ("public.events", "user_id", "at"),
            id="dotted-schema-passed-over",
        ),
        pytest.param(
            USERS + _table("public", "orders", user_id="integer", created_at=TZ),
            (None, None, None),
            id="none",
        ),
    ],
)
def test_activity_table(
    rows: list[tuple[str, str, str, str]], expected: tuple[str | None, str | None, str | None]
) -> None:
    guess = guess_schema(rows)
    assert (guess.activity_table, guess.activity_user_column, guess.activity_time_column) == (
        expected
    )
    noted = [n for n in guess.notes if n.startswith("activity table: ")]
    table, user, at = expected
    assert noted == ([f"activity table: {table}({user}, {at})"] if table else [])
