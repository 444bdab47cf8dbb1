"""guess_schema on information_schema rows (schema, table, column, type), without a database."""

from __future__ import annotations

import pytest

from tier_cli.metrics.postgres.schema import Probe, Stats, guess_schema, probes

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


# --- tables that reference the users table, ranked (rows with foreign keys, and counts) ----------

UUID_USERS = [("public", "user", "id", "uuid"), ("public", "user", "email", "character varying")]


def _fk(schema: str, table: str, column: str, kind: str, to: str = "user") -> tuple[str, ...]:
    return (schema, table, column, kind, "public", to)


def _recent(**counts: int) -> dict[tuple[str, str], Stats]:
    return {("public", table): Stats(recent=n) for table, n in counts.items()}


# (id, rows, stats, (activity table, active_users table, login-only peak, item tables))
RANKED = [
    (
        "fastapi-users-token-by-foreign-key",
        [
            *UUID_USERS,
            _fk("public", "accesstoken", "user_id", "uuid"),
            *_table("public", "accesstoken", token="character varying", created_at=TZ),
            # oauth_account: account_id is text, not the users' uuid, and no time column at all
            _fk("public", "oauth_account", "user_id", "uuid"),
            *_table(
                "public", "oauth_account", account_id="character varying", expires_at="integer"
            ),
        ],
        {},
        ("public.accesstoken", "public.accesstoken", True, ()),
    ),
    (
        "same-name-column-of-another-type-is-not-a-link",
        UUID_USERS + _table("public", "events", user_id="integer", at=TZ),
        {},
        (None, None, False, ()),
    ),
    (
        "an-event-table-beats-more-orders",
        UUID_USERS
        + _table("public", "orders", user_id="uuid", created_at=TZ)
        + _table("public", "sessions", user_id="uuid", created_at=TZ),
        _recent(orders=500, sessions=10),
        ("public.sessions", "public.sessions", True, ("public.orders",)),
    ),
    (
        "more-recent-rows-win-among-events",
        UUID_USERS
        + _table("public", "events", user_id="uuid", occurred_at=TZ)
        + _table("public", "audit_log", user_id="uuid", created_at=TZ),
        _recent(events=5, audit_log=50),
        ("public.audit_log", "public.audit_log", False, ()),
    ),
    (
        "items-only-give-active-users-not-the-peak",
        UUID_USERS + _table("public", "messages", owner_id="uuid", sent_at=TZ),
        {},
        (None, "public.messages", False, ("public.messages",)),
    ),
    (
        "the-admin-log-is-passed-over",
        UUID_USERS + _table("public", "django_admin_log", user_id="uuid", action_time=TZ),
        {},
        (None, None, False, ()),
    ),
]


@pytest.mark.parametrize(
    ("rows", "stats", "expected"), [c[1:] for c in RANKED], ids=[c[0] for c in RANKED]
)
def test_tables_that_record_activity_are_ranked(
    rows: list[tuple[str, ...]],
    stats: dict[tuple[str, str], Stats],
    expected: tuple[str | None, str | None, bool, tuple[str, ...]],
) -> None:
    guess = guess_schema(rows, stats)
    assert guess.users_table == "public.user"
    assert (
        guess.activity_table,
        guess.active_table,
        guess.activity_login_only,
        guess.item_tables,
    ) == expected


# (id, rows, stats, users table, its note)
USERS_TABLES = [
    (
        "most-rows-wins",
        _table("public", "users", id="integer")
        + _table("crm", "customers", id="integer", last_seen_at=TZ),
        {("public", "users"): Stats(rows=3), ("crm", "customers"): Stats(rows=1000)},
        "crm.customers",
        "users table: crm.customers (1,000 rows), picked over public.users (3 rows): it has the "
        "most rows",
    ),
    (
        "a-tie-goes-to-the-name-first-in-the-list",
        _table("public", "profiles", id="integer") + _table("public", "user", id="integer"),
        {("public", "profiles"): Stats(rows=1), ("public", "user"): Stats(rows=1)},
        "public.user",
        "users table: public.user (1 row), picked over public.profiles (1 row): as many rows, and "
        "its name comes first in the names looked for",
    ),
    (
        "any-case-prisma",
        _table("public", "User", id="text"),
        {("public", "User"): Stats(rows=7)},
        "public.User",
        "users table: public.User (7 rows)",
    ),
    (
        "cookiecutter-django",
        _table("public", "users_user", id="bigint") + _table("public", "socialaccount", id="int"),
        {},
        "public.users_user",
        "users table: public.users_user",
    ),
    (
        "not-counted",
        _table("public", "members", id="integer"),
        {},
        "public.members",
        "users table: public.members",
    ),
]


@pytest.mark.parametrize(
    ("rows", "stats", "table", "note"),
    [c[1:] for c in USERS_TABLES],
    ids=[c[0] for c in USERS_TABLES],
)
def test_the_users_table_with_the_most_rows_wins(
    rows: list[tuple[str, ...]],
    stats: dict[tuple[str, str], Stats],
    table: str,
    note: str,
) -> None:
    guess = guess_schema(rows, stats)
    assert (guess.users_table, guess.notes[0]) == (table, note)


def test_probes_count_the_candidates_only() -> None:
    rows = (
        _table("public", "users", id="integer")
        + _table("app", "accounts", id="integer")
        + _table("public", "events", user_id="integer", at=TZ)
        + _table("public", "settings", theme="text", updated_at=TZ)  # no user column
    )
    assert probes(rows) == [
        Probe(("public", "users")),
        Probe(("app", "accounts")),
        Probe(("public", "events"), "at", "user_id"),
    ]


# --- active_users: the source with the most distinct active users -------------------------------

EDITED_USERS = [
    ("public", "user", "id", "integer"),
    ("public", "user", "hashed_password", "character varying"),
    ("public", "user", "updated_at", TZ),
]


def _users(table: str, rows: int, recent: int) -> dict[tuple[str, ...], Stats]:
    return {("public", table): Stats(recent=rows, users=recent)}


# (id, rows, stats, (last_seen column, active table, candidates))
SOURCES = [
    pytest.param(
        [
            *EDITED_USERS,
            _fk("public", "request_log", "user_id", "integer"),
            *_table("public", "request_log", created_at=TZ),
        ],
        {("public", "user", "updated_at"): Stats(recent=628, users=628)}
        | _users("request_log", 285_000, 3_319),
        (
            "updated_at",
            "public.request_log",
            (
                "public.request_log(user_id, created_at): 3,319 users, 285,000 rows in 30 days "
                "(visits)",
                "public.user.updated_at: 628 users in 30 days (edits only)",
            ),
        ),
        id="edits-lose-to-a-table-with-more-users",
    ),
    pytest.param(
        [
            *EDITED_USERS,
            _fk("public", "item", "owner_id", "integer"),
            *_table("public", "item", created_at=TZ),
        ],
        {("public", "user", "updated_at"): Stats(recent=50, users=50)} | _users("item", 900, 71),
        (
            "updated_at",
            "public.item",
            (
                "public.item(owner_id, created_at): 71 users, 900 rows in 30 days (rows users add)",
                "public.user.updated_at: 50 users in 30 days (edits only)",
            ),
        ),
        id="items-beat-edits-when-more",
    ),
    pytest.param(
        EDITED_USERS
        + _table("public", "user", last_seen_at=TZ)
        + [_fk("public", "post", "author_id", "integer")]
        + _table("public", "post", created_at=TZ),
        {
            ("public", "user", "updated_at"): Stats(recent=40, users=40),
            ("public", "user", "last_seen_at"): Stats(recent=40, users=40),
        }
        | _users("post", 90, 40),
        (
            "last_seen_at",
            None,
            (
                "public.user.last_seen_at: 40 users in 30 days (visits)",
                "public.post(author_id, created_at): 40 users, 90 rows in 30 days (rows users add)",
                "public.user.updated_at: 40 users in 30 days (edits only)",
            ),
        ),
        id="a-tie-goes-to-visits",
    ),
    pytest.param(
        EDITED_USERS + _table("public", "Comment", authorId="integer", createdAt=TZ),
        {("public", "user", "updated_at"): Stats(recent=3, users=3)} | _users("Comment", 30, 12),
        (
            "updated_at",
            "public.Comment",
            (
                "public.Comment(authorId, createdAt): 12 users, 30 rows in 30 days "
                "(rows users add)",
                "public.user.updated_at: 3 users in 30 days (edits only)",
            ),
        ),
        id="camel-case-author-id",
    ),
    pytest.param(
        [
            *EDITED_USERS,
            _fk("public", "refresh_tokens", "user_id", "integer"),
            *_table("public", "refresh_tokens", created_at=TZ),
            _fk("public", "access_tokens", "user_id", "integer"),
            *_table("public", "access_tokens", created_at=TZ),
        ],
        # refresh_tokens too big to count within the timeout; access_tokens empty
        {("public", "user", "updated_at"): Stats(recent=60, users=60)}
        | _users("access_tokens", 0, 0),
        (
            "updated_at",
            "public.refresh_tokens",
            (
                "public.refresh_tokens(user_id, created_at): not counted in 30 days (visits)",
                "public.access_tokens(user_id, created_at): 0 users, 0 rows in 30 days (visits)",
                "public.user.updated_at: 60 users in 30 days (edits only)",
            ),
        ),
        id="edits-never-beat-visits-too-big-to-count",
    ),
]


@pytest.mark.parametrize(("rows", "stats", "expected"), SOURCES)
def test_active_users_come_from_the_most_distinct_users(
    rows: list[tuple[str, ...]],
    stats: dict[tuple[str, ...], Stats],
    expected: tuple[str | None, str | None, tuple[str, ...]],
) -> None:
    guess = guess_schema(rows, stats)
    assert (guess.last_seen_column, guess.active_table, guess.candidates) == expected


def test_uncounted_sources_keep_the_users_column() -> None:
    rows = EDITED_USERS + _table("public", "item", user_id="integer", created_at=TZ)
    guess = guess_schema(rows, {})
    assert (guess.last_seen_column, guess.active_table) == ("updated_at", None)
