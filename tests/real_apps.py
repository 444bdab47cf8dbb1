"""Real open-source apps' schemas, loaded into a fresh database and filled with data of known truth.

Each schema is the DDL the app's own migrations build (tests/fixtures/apps/<app>/schema.sql, with
SOURCE.md: repository, commit, how it was produced). `fill(app, url)` writes, deterministically:

- `USERS` users;
- `ACTIVE` of them active in the last 30 days by the app's true activity signal, `PEAK` of those
  active in one aligned 5-minute window a day ago (the peak of distinct users in any such window
  over the last 7 days: every other active user is alone in their window), the others 2 to 22
  days ago; inactive users last active 45 to 90 days ago;
- decoys: `updated_at` moved by profile edits for `EDITED` users (none in the last 5 minutes),
  and items created (a proxy that covers only some active users).

It returns the truth: what an honest tool measures on that schema (value and quality of each
metric) beside the true figures, which a schema without a visit record cannot show.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

FIXTURES = Path(__file__).parent / "fixtures" / "apps"

USERS = 800
ACTIVE = 520  # active in the last 30 days: starter (>= 500)
PEAK = 120  # distinct users in one 5-minute window: pro (>= 100)
EDITED = 60  # users whose profile was edited in the last 30 days
TRUE_TIER = "pro"  # with the shipped tiers.toml: concurrent_users 120 >= pro's 100

# The peak window: aligned on 5 minutes (14:00 is), a day ago; row i at i seconds into it.
WINDOW = "(date_trunc('hour', now()) - interval '1 day')"
# Active user k (counted from 1) outside the peak: one row 2 days ago minus k x 40 minutes, so
# two such rows never share a window and the last is 2 + 400 x 40 min = 13.1 days ago.
SPREAD = "(now() - interval '2 days' - make_interval(mins => 40 * {k}))"
# Inactive user k: 45 days ago minus k hours (under 90 days for k < 1080).
OLD = "(now() - interval '45 days' - make_interval(hours => {k}))"
# A profile edited within 30 days, never within the last 5 minutes (k < 600).
EDIT = "(now() - interval '1 hour' - make_interval(hours => {k}))"


def activity_time(i: str) -> str:
    """SQL: when user number `i` (an integer SQL expression, 1..USERS) was last active."""
    return (
        f"CASE WHEN {i} <= {PEAK} THEN {WINDOW} + make_interval(secs => {i}) "
        f"WHEN {i} <= {ACTIVE} THEN {SPREAD.format(k=f'({i} - {PEAK})')} "
        f"ELSE {OLD.format(k=f'({i} - {ACTIVE})')} END"
    )


def edit_time(i: str) -> str:
    """SQL: updated_at of user `i`: users 1..EDITED edited their profile within 30 days (some of
    them active, some not), the others never since signing up 100 days ago."""
    return (
        f"CASE WHEN {i} % {USERS // EDITED} = 0 AND {i} <= {EDITED * (USERS // EDITED)} "
        f"THEN {EDIT.format(k=f'({i} / {USERS // EDITED})')} ELSE now() - interval '100 days' END"
    )


@dataclass(frozen=True)
class Truth:
    """What an honest tier measures on the app's schema, and the truth behind it."""

    metrics: dict[str, int | None]  # users, active_users, concurrent_users as measurable
    quality: dict[str, str]  # exact / lower_bound / single_reading / unknown, per metric
    tier: str  # the tier those measurements recommend with the shipped tiers.toml
    uncertain: bool  # the recommendation depends on a lower bound, single reading or unknown
    true_active: int = ACTIVE
    true_peak: int = PEAK
    true_tier: str = TRUE_TIER


# Items created (full-stack template), comments (RealWorld): user i < ITEM_USERS made one in the
# last 30 days, the first ITEM_PEAK of them in the peak window: a proxy that sees only some.
ITEM_USERS = 300
ITEM_PEAK = 40
COMMENT_USERS = 350
COMMENT_PEAK = 45
ONLINE_NOW = 30  # healthchecks: users whose last login is within the last 5 minutes


def proxy_time(i: str, covered: int, peak: int) -> str:
    """SQL: when user `i` (1..covered) made an item: the first `peak` in the peak window, the
    others spread like active users (each alone in their window)."""
    return (
        f"CASE WHEN {i} <= {peak} THEN {WINDOW} + make_interval(secs => {i}) "
        f"ELSE {SPREAD.format(k=f'({i} - {peak})')} END"
    )


def _full_stack_template(conn: psycopg.Connection[object]) -> Truth:
    conn.execute(
        'INSERT INTO "user" (id, email, is_active, is_superuser, full_name, hashed_password, '
        "created_at) SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, "
        "'u' || i || '@example.org', true, i = 1, 'User ' || i, '$2b$12$secret-hash-' || i, "
        f"now() - interval '100 days' FROM generate_series(1, {USERS}) AS i"
    )
    # The app records no visit: items created are all there is. Old items from inactive users.
    conn.execute(
        "INSERT INTO item (id, title, description, owner_id, created_at) "
        "SELECT gen_random_uuid(), 'item ' || i, NULL, "
        "('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, "
        f"{proxy_time('i', ITEM_USERS, ITEM_PEAK)} FROM generate_series(1, {ITEM_USERS}) AS i "
        "UNION ALL "
        "SELECT gen_random_uuid(), 'old item', NULL, "
        "('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, "
        f"{OLD.format(k='i')} FROM generate_series({ACTIVE + 1}, {ACTIVE + 50}) AS i"
    )
    # Concurrency: nothing records who is online; the items of one window (40 users) would be a
    # lower bound, but tier takes no peak from rows users add: unknown, never 0.
    return Truth(
        {"users": USERS, "active_users": ITEM_USERS, "concurrent_users": None},
        {"users": "exact", "active_users": "lower_bound", "concurrent_users": "unknown"},
        "free",  # 300 item makers < 500: a lower bound, so the decision is uncertain
        uncertain=True,
    )


def _minimal_template(conn: psycopg.Connection[object]) -> Truth:
    conn.execute(
        "INSERT INTO auth_user (user_id, email, hashed_password, created_at, updated_at) "
        "SELECT 'u' || i, 'u' || i || '@example.org', '$argon2id$secret-hash-' || i, "
        f"now() - interval '100 days', {edit_time('i')} FROM generate_series(1, {USERS}) AS i"
    )
    # The true signal: a refresh token per visit; its only time is exp, epoch seconds (+ 7 days).
    conn.execute(
        "INSERT INTO auth_refresh_token (id, refresh_token, used, exp, user_id) "
        "SELECT i, 'refresh-token-' || md5(i::text), false, "
        f"extract(epoch FROM {activity_time('i')} + interval '7 days')::bigint, 'u' || i "
        f"FROM generate_series(1, {USERS}) AS i"
    )
    return Truth(
        {"users": USERS, "active_users": EDITED, "concurrent_users": 0},
        {"users": "exact", "active_users": "lower_bound", "concurrent_users": "single_reading"},
        "free",  # all that is measurable is profile edits: a lower bound and a single reading
        uncertain=True,
    )


def _realworld(conn: psycopg.Connection[object]) -> Truth:
    conn.execute(
        "INSERT INTO users (id, username, email, salt, hashed_password, bio, image, created_at, "
        "updated_at) SELECT i, 'user' || i, 'u' || i || '@example.org', 'salt' || i, "
        "'$2b$12$secret-hash-' || i, '', NULL, now() - interval '100 days', "
        f"{edit_time('i')} FROM generate_series(1, {USERS}) AS i"
    )
    # 30 authors wrote an article 40 days ago; users 1..COMMENT_USERS commented on them.
    conn.execute(
        "INSERT INTO articles (id, slug, title, description, body, author_id, created_at, "
        "updated_at) SELECT i, 'a-' || i, 't', 'd', 'b', 700 + i, now() - interval '40 days', "
        "now() - interval '40 days' FROM generate_series(1, 30) AS i"
    )
    conn.execute(
        "INSERT INTO commentaries (body, author_id, article_id, created_at, updated_at) "
        f"SELECT 'c', i, 1 + i % 30, {proxy_time('i', COMMENT_USERS, COMMENT_PEAK)}, "
        f"{proxy_time('i', COMMENT_USERS, COMMENT_PEAK)} "
        f"FROM generate_series(1, {COMMENT_USERS}) AS i"
    )
    # active_users: the 350 commenters (rows users add: a lower bound), not the 60 profile edits;
    # concurrent_users: one reading of updated_at (no profile edited in the last 5 minutes).
    return Truth(
        {"users": USERS, "active_users": COMMENT_USERS, "concurrent_users": 0},
        {"users": "exact", "active_users": "lower_bound", "concurrent_users": "single_reading"},
        "free",  # a lower bound and a single reading, both under starter's thresholds
        uncertain=True,
    )


def _phoenix(conn: psycopg.Connection[object]) -> Truth:
    conn.execute(
        "INSERT INTO user_roles (id, name) VALUES (1, 'SYSTEM'), (2, 'ADMIN'), (3, 'MEMBER')"
    )
    conn.execute(
        "INSERT INTO users (id, user_role_id, username, email, password_hash, password_salt, "
        "reset_password, created_at, updated_at, auth_method) "
        "SELECT i, 3, 'user' || i, 'u' || i || '@example.org', "
        "convert_to('secret-hash-' || i, 'UTF8'), convert_to('salt' || i, 'UTF8'), false, "
        f"now() - interval '100 days', {edit_time('i')}, 'LOCAL' "
        f"FROM generate_series(1, {USERS}) AS i"
    )
    # The true signal: a sign-in (a refresh token and its access token) at each visit.
    conn.execute(
        "INSERT INTO refresh_tokens (id, user_id, created_at, expires_at) "
        f"SELECT i, i, {activity_time('i')}, {activity_time('i')} + interval '7 days' "
        f"FROM generate_series(1, {USERS}) AS i"
    )
    conn.execute(
        "INSERT INTO access_tokens (user_id, created_at, expires_at, refresh_token_id) "
        "SELECT user_id, created_at, created_at + interval '10 minutes', id FROM refresh_tokens"
    )
    # Items: 30 users made a dataset in the last 30 days.
    conn.execute(
        "INSERT INTO datasets (name, metadata, created_at, updated_at, user_id) "
        "SELECT 'ds' || i, '{}', now() - make_interval(days => i % 29), now(), 10 * i "
        "FROM generate_series(1, 30) AS i"
    )
    # A token is made at sign-in: the 7-day peak of sign-ins undercounts concurrency (users who
    # signed in earlier and are still online are not in it), so it is a lower bound; here it is
    # the whole truth, and above pro's threshold, so pro is certain.
    return Truth(
        {"users": USERS, "active_users": ACTIVE, "concurrent_users": PEAK},
        {"users": "exact", "active_users": "exact", "concurrent_users": "lower_bound"},
        TRUE_TIER,
        uncertain=False,
    )


def _healthchecks(conn: psycopg.Connection[object]) -> Truth:
    # Django sets last_login at each login; here the last ONLINE_NOW of the peak's users logged
    # in again within the last 5 minutes, and the others' last login is their activity time.
    last = (
        f"CASE WHEN i > {PEAK - ONLINE_NOW} AND i <= {PEAK} "
        f"THEN now() - make_interval(secs => i) ELSE {activity_time('i')} END"
    )
    conn.execute(
        "INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name, "
        "last_name, email, is_staff, is_active, date_joined) "
        f"SELECT i, 'pbkdf2_sha256$secret-hash-' || i, {last}, false, 'u' || i, '', '', "
        f"'u' || i || '@example.org', false, true, now() - interval '100 days' "
        f"FROM generate_series(1, {USERS}) AS i"
    )
    conn.execute(
        "INSERT INTO accounts_profile (user_id, ping_log_limit, token, check_limit, sms_limit, "
        "sms_sent, team_limit, sort, nag_period, call_limit, calls_sent, reports, tz, "
        "last_active_date) SELECT i, 100, 'secret-token-' || i, 20, 5, 0, 2, 'created', "
        f"interval '1 hour', 0, 0, 'monthly', 'UTC', {last} FROM generate_series(1, {USERS}) AS i"
    )
    return Truth(
        {"users": USERS, "active_users": ACTIVE, "concurrent_users": ONLINE_NOW},
        {"users": "exact", "active_users": "exact", "concurrent_users": "single_reading"},
        "starter",  # active 520 >= 500; the 7-day peak (120, pro) is in no column: one reading
        uncertain=True,
    )


FILLERS = {
    "full-stack-fastapi-template": _full_stack_template,
    "minimal-fastapi-postgres-template": _minimal_template,
    "fastapi-realworld-example-app": _realworld,
    "phoenix": _phoenix,
    "healthchecks": _healthchecks,
}

# Column names that hold a credential: the monitoring role must read none of them.
SECRET_COLUMN = re.compile(r"password|hash|token|secret|salt|totp|(^|_)key$|session_data")


def schema_sql(app: str) -> str:
    """The app's DDL, as committed (pg_dump's plain SQL)."""
    return (FIXTURES / app / "schema.sql").read_text("utf-8")


def as_role(url: str, role: str, password: str) -> str:
    """`url` with another login."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{role}:{quote(password, safe='')}@{host}"))


def same_database(admin_url: str, url: str) -> str:
    """`admin_url`'s login on the database of `url`."""
    return urlunsplit(urlsplit(admin_url)._replace(path=urlsplit(url).path))


@contextmanager
def app_database(admin_url: str, app: str) -> Iterator[tuple[str, Truth]]:
    """A new database owned by a new login role that is no superuser and cannot create roles
    (the database owner as Render gives it), holding `app`'s schema and data of known truth,
    both written as that owner; yields the owner's URL and the truth. Dropped after."""
    tag = uuid.uuid4().hex[:10]
    owner, database = f"own_{tag}", f"app_{tag}"
    password = f"Owner-pw-{tag}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            f"CREATE ROLE {owner} LOGIN PASSWORD '{password}' NOSUPERUSER NOCREATEDB "
            "NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        )
        admin.execute(f"CREATE DATABASE {database} OWNER {owner}")
    parts = urlsplit(admin_url)
    url = as_role(urlunsplit(parts._replace(path=f"/{database}")), owner, password)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(schema_sql(app))
        with psycopg.connect(url) as conn:  # one transaction
            truth = FILLERS[app](conn)
            conn.execute("ANALYZE")
        yield url, truth
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            admin.execute(f"DROP ROLE IF EXISTS {owner}")


def secret_columns(url: str) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every column of the app's tables named like a credential."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT n.nspname, c.relname, a.attname FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2, 3"
        ).fetchall()
    return [(s, t, c) for s, t, c in rows if SECRET_COLUMN.search(c.lower())]
