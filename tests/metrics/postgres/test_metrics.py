"""metrics.collect against a real PostgreSQL: values, custom queries, safety, failures."""

from __future__ import annotations

import os
import time
import traceback
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from as_superuser import collect, inspect_schema, one_failure
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tier_cli.config.metric_table import METRIC_NAMES
from tier_cli.config.settings import DatabaseSettings
from tier_cli.errors import ConfigError, MetricsError, TierError
from tier_cli.metrics.postgres.schema import SchemaGuess
from tier_cli.metrics.postgres.url import public_url

DEFAULT = DatabaseSettings()


@pytest.fixture
def parser_check_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's own defences, as if a query had got past the parser check (guard.py):
    the read-only session and transaction, the timeouts, the one-statement protocol. The
    parser check itself is tested in tests/test_safety.py."""
    from tier_cli.metrics.postgres import collect as module

    monkeypatch.setattr(module, "check_queries", lambda settings: None)


# (seen how long ago, how many users): 15 registered, 9 seen in 30 days, 3 in 5 minutes.
SEEN = [
    (timedelta(seconds=30), 3),
    (timedelta(minutes=20), 2),
    (timedelta(days=10), 4),
    (timedelta(days=40), 5),
    (None, 1),
]


def _with_params(url: str, **params: str) -> str:
    """The URL with query parameters added (or a key=value conninfo with them set)."""
    if "://" not in url:
        return make_conninfo(url, **params)
    joiner = "&" if "?" in url else "?"
    return url + joiner + urlencode(params, quote_via=quote)


def _as_user(url: str, user: str, password: str | None = None) -> str:
    if "://" not in url:
        return make_conninfo(url, user=user, password=password)
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    login = quote(user) + (f":{quote(password, safe='')}" if password else "")
    return urlunsplit(parts._replace(netloc=f"{login}@{host}"))


def _execute(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _one(url: str, query: str) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def _fill_users(url: str, schema: str = "public") -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "CREATE TABLE {}.users (id serial PRIMARY KEY, email text,"
                " created_at timestamptz NOT NULL DEFAULT now() - interval '90 days',"
                " last_seen_at timestamptz)"
            ).format(sql.Identifier(schema))
        )
        for ago, count in SEEN:
            conn.execute(
                sql.SQL(
                    "INSERT INTO {}.users (email, last_seen_at)"
                    " SELECT 'u' || g || '@example.com', now() - %s::interval"
                    " FROM generate_series(1, %s) AS g"
                ).format(sql.Identifier(schema)),
                [ago, count],
            )


def _database_url(url: str, name: str) -> str:
    if "://" not in url:
        return make_conninfo(url, dbname=name)
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
def app_db(pg_url: str) -> Iterator[str]:
    """A database with the conventional users table and the SEEN rows, shared by this module.

    collect only reads, so the tests share it (CREATE DATABASE costs ~0.2 s); a test that
    changes a schema takes its own pg_db instead, and one that grants privileges revokes them.
    """
    name = f"tier_app_{uuid.uuid4().hex[:12]}"
    _execute(pg_url, f"CREATE DATABASE {name}")
    try:
        url = _database_url(pg_url, name)
        _fill_users(url)
        yield url
    finally:
        _execute(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


pytestmark = pytest.mark.postgres


# --- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        pytest.param(
            DEFAULT, {"users": 15, "active_users": 9, "concurrent_users": 3}, id="default"
        ),
        pytest.param(
            DatabaseSettings(active_days=5, concurrent_minutes=30),
            {"users": 15, "active_users": 5, "concurrent_users": 5},
            id="narrow-active-wide-concurrent",
        ),
        pytest.param(
            DatabaseSettings(active_days=60, concurrent_minutes=1),
            {"users": 15, "active_users": 14, "concurrent_users": 3},
            id="wide-active",
        ),
    ],
)
def test_default_queries_count_exactly(
    app_db: str, settings: DatabaseSettings, expected: dict[str, int]
) -> None:
    metrics = collect(app_db, settings)
    assert {name: metrics.get(name) for name in expected} == expected
    assert tuple(metrics.values) == METRIC_NAMES
    assert metrics.labels["concurrent_users"] == "single reading"


def test_db_size_is_the_current_database_in_mb(app_db: str) -> None:
    size = collect(app_db, DEFAULT).get("db_size_mb")
    expected = _one(app_db, "SELECT pg_database_size(current_database())")
    assert isinstance(expected, int)
    assert size == pytest.approx(expected / 1048576, rel=0.05)


def test_slow_query_is_unknown_without_pg_stat_statements(app_db: str) -> None:
    metrics = collect(app_db, DEFAULT)
    assert metrics.get("slow_query_ms") is None
    assert metrics.labels["slow_query_ms"] == "pg_stat_statements not installed"


def test_source_and_collected_at(app_db: str) -> None:
    metrics = collect(app_db, DEFAULT)
    assert metrics.source == public_url(app_db)
    assert "@" not in metrics.source
    assert metrics.collected_at is not None and metrics.collected_at.tzinfo is not None
    assert abs(metrics.collected_at - datetime.now(UTC)) < timedelta(minutes=1)


# --- custom queries ------------------------------------------------------------------------------

READ_ONLY_BOTH_WAYS = (
    "SELECT (current_setting('transaction_read_only') = 'on')::int"
    " + (current_setting('default_transaction_read_only') = 'on')::int"
)
TIMEOUT_MS = "SELECT extract(epoch FROM current_setting('statement_timeout')::interval) * 1000"
JIT_IS_OFF = "SELECT (current_setting('jit') = 'off')::int"
MY_SESSION_IS_NAMED = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE application_name = 'tier' AND pid = pg_backend_pid()"
)


@pytest.mark.parametrize(
    ("queries", "expected", "labels"),
    [
        pytest.param(
            {"users": "SELECT count(*) FROM users WHERE last_seen_at IS NULL"},
            {"users": 1},
            {},
            id="replaces-users",
        ),
        pytest.param(
            {
                "active_users": "SELECT count(*) FROM users"
                " WHERE last_seen_at > now() - %(active_days)s * interval '1 day'"
            },
            {"active_users": 9},
            {},
            id="active-days-parameter",
        ),
        pytest.param(
            {
                "concurrent_users": "SELECT count(*) FROM users"
                " WHERE last_seen_at > now() - make_interval(mins => %(concurrent_minutes)s)"
                " AND email LIKE 'u%%'"
            },
            {"concurrent_users": 3},
            {"concurrent_users": "single reading"},
            id="parameter-and-escaped-percent",
        ),
        pytest.param(
            {"users": "SELECT count(*) FROM users WHERE email LIKE 'u%@example.com'"},
            {"users": 15},
            {},
            id="literal-percent-without-parameters",
        ),
        pytest.param(
            {"users": "SELECT NULL", "active_users": "SELECT NULL::bigint"},
            {"users": None, "active_users": None},
            {"users": "query returned NULL", "active_users": "query returned NULL"},
            id="null-is-unknown",
        ),
        pytest.param(
            {"db_size_mb": "SELECT 1234.5::numeric", "slow_query_ms": "SELECT 250.0::float8"},
            {"db_size_mb": 1234.5, "slow_query_ms": 250.0},
            {},
            id="numeric-and-float-slow-query-without-extension",
        ),
    ],
)
def test_custom_queries(
    app_db: str,
    queries: dict[str, str],
    expected: dict[str, float | None],
    labels: dict[str, str],
) -> None:
    metrics = collect(app_db, DatabaseSettings(queries=queries))
    assert {name: metrics.get(name) for name in expected} == expected
    assert {name: metrics.labels.get(name) for name in queries} == {
        name: labels.get(name, "single reading" if name == "concurrent_users" else None)
        for name in queries
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(READ_ONLY_BOTH_WAYS, 2, id="session-and-transaction-read-only"),
        pytest.param(TIMEOUT_MS, 5000, id="statement-timeout-set"),
        pytest.param(MY_SESSION_IS_NAMED, 1, id="application-name"),
        pytest.param(JIT_IS_OFF, 1, id="no-jit-compilation"),
    ],
)
def test_session_settings(app_db: str, parser_check_off: None, query: str, expected: float) -> None:
    """Read by queries the parser check refuses (current_setting, pg_backend_pid)."""
    assert collect(app_db, DatabaseSettings(queries={"users": query})).get("users") == expected


def test_all_queries_share_one_transaction(app_db: str) -> None:
    started = "SELECT extract(epoch FROM now())"
    inside = "SELECT (now() < statement_timestamp())::int"
    queries = {"users": started, "db_size_mb": started, "concurrent_users": inside}
    metrics = collect(app_db, DatabaseSettings(queries=queries))
    assert metrics.collected_at is not None
    assert metrics.get("users") == metrics.get("db_size_mb")
    assert metrics.get("users") == pytest.approx(metrics.collected_at.timestamp(), abs=1e-6)
    assert metrics.get("concurrent_users") == 1  # the transaction began before this statement


def test_application_name_from_settings(app_db: str, parser_check_off: None) -> None:
    query = MY_SESSION_IS_NAMED.replace("'tier'", "'tier-nightly'")
    settings = DatabaseSettings(application_name="tier-nightly", queries={"users": query})
    assert collect(app_db, settings).get("users") == 1


# --- custom queries that must be refused ---------------------------------------------------------

WRITE_TIP = "Tip: metric queries must be read-only SELECTs; nothing was written."
SQL_TIP = "Tip: a metric query is one SELECT statement; try it in psql first"
SHAPE_TIP = "Tip: a metric query returns one row with one number (or NULL for unknown)"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(
            "INSERT INTO users (email) VALUES ('x') RETURNING 1",
            f"tiers.toml: [database.queries] users: 42601 syntax_error. {SQL_TIP}",
            id="insert",
        ),
        pytest.param(
            "WITH gone AS (DELETE FROM users RETURNING 1) SELECT count(*) FROM gone",
            f"tiers.toml: [database.queries] users: 0A000 feature_not_supported. {SQL_TIP}",
            id="delete-in-cte",
        ),
        pytest.param(
            "SELECT nextval('users_id_seq')",
            "tiers.toml: [database.queries] users: this query tried to write "
            f"(25006 read_only_sql_transaction). {WRITE_TIP}",
            id="function-that-writes",
        ),
        pytest.param(
            "CREATE TABLE intruder (id int)",
            f"tiers.toml: [database.queries] users: 42601 syntax_error. {SQL_TIP}",
            id="ddl",
        ),
        pytest.param(
            "SET statement_timeout = 0",
            f"tiers.toml: [database.queries] users: 42601 syntax_error. {SQL_TIP}",
            id="set",
        ),
        pytest.param(
            "SELECT set_config('default_transaction_read_only', 'off', false)",
            "tiers.toml: [database.queries] users: the query returned a value of type text, "
            f"not a number. {SHAPE_TIP}",
            id="set-config",
        ),
        pytest.param(
            "COMMIT",
            f"tiers.toml: [database.queries] users: 42601 syntax_error. {SQL_TIP}",
            id="commit",
        ),
        pytest.param(
            "SELECT 1; DELETE FROM users",
            f"tiers.toml: [database.queries] users: 42601 syntax_error. {SQL_TIP}",
            id="two-statements",
        ),
        pytest.param(
            "SELECT 1, 2",
            f"tiers.toml: [database.queries] users: the query returned 2 columns. {SHAPE_TIP}",
            id="two-columns",
        ),
        pytest.param(
            "SELECT generate_series(1, 3)",
            f"tiers.toml: [database.queries] users: the query returned more than one row. "
            f"{SHAPE_TIP}",
            id="three-rows",
        ),
        pytest.param(
            "SELECT 1 WHERE false",
            f"tiers.toml: [database.queries] users: the query returned no row. {SHAPE_TIP}",
            id="no-rows",
        ),
        pytest.param(
            "SELECT true",
            "tiers.toml: [database.queries] users: the query returned a value of type bool, "
            f"not a number. {SHAPE_TIP}",
            id="boolean",
        ),
        pytest.param(
            "SELECT 'NaN'::float8",
            "tiers.toml: [database.queries] users: the query returned a number that is not "
            f"finite (NaN, infinity or too big for a float), not a number. {SHAPE_TIP}",
            id="nan",
        ),
        pytest.param(
            "SELEC count(*) FROM users",
            f"tiers.toml: [database.queries] users: 42601 syntax_error. {SQL_TIP}",
            id="syntax-error",
        ),
        pytest.param(
            "SELECT %(days)s",
            "tiers.toml: [database.queries] users: unknown parameter %(days)s. "
            "Tip: the parameters are %(active_days)s, %(concurrent_minutes)s, "
            "%(slow_query_min_calls)s",
            id="unknown-parameter",
        ),
        pytest.param(
            "SELECT count(*) FROM users WHERE email LIKE 'u%' AND %(active_days)s > 0",
            "tiers.toml: [database.queries] users: only '%s', '%b', '%t' are allowed as "
            "placeholders, got '%''. Tip: in a query that uses %(active_days)s or "
            "%(concurrent_minutes)s, write % as %%",
            id="unescaped-percent-with-parameter",
        ),
    ],
)
def test_refused_custom_queries_change_nothing(
    app_db: str, parser_check_off: None, query: str, message: str
) -> None:
    before = _one(app_db, "SELECT string_agg(id || email, ',' ORDER BY id) FROM users")
    with pytest.raises(ConfigError) as caught:
        collect(app_db, DatabaseSettings(queries={"users": query}))
    assert str(caught.value) == message
    assert _one(app_db, "SELECT string_agg(id || email, ',' ORDER BY id) FROM users") == before
    assert _one(app_db, "SELECT to_regclass('intruder') IS NULL") is True
    assert _one(app_db, "SELECT last_value FROM users_id_seq") == 15


def test_the_transaction_is_read_only_on_its_own(
    app_db: str, monkeypatch: pytest.MonkeyPatch, parser_check_off: None
) -> None:
    """As behind a pooler that drops the startup options: BEGIN READ ONLY still holds."""
    connect = psycopg.connect

    def connect_without_session_default(*args: object, **kwargs: object) -> psycopg.Connection:
        conn = connect(*args, **kwargs)  # type: ignore[arg-type]
        conn.execute("SET default_transaction_read_only = off")
        return conn

    monkeypatch.setattr(psycopg, "connect", connect_without_session_default)
    queries = {"users": "SELECT nextval('users_id_seq')"}
    with pytest.raises(ConfigError, match=r"users: this query tried to write \(25006 read_only"):
        collect(app_db, DatabaseSettings(queries=queries))
    metrics = collect(app_db, DatabaseSettings(queries={"users": READ_ONLY_BOTH_WAYS}))
    assert metrics.get("users") == 2  # and tier puts its session default back before each query
    monkeypatch.undo()
    assert _one(app_db, "SELECT count(*) FROM users") == 15


def test_messages_name_the_config_file(app_db: str) -> None:
    settings = DatabaseSettings(
        queries={"active_users": "DELETE FROM users RETURNING 1"}, config_path="deploy/tiers.toml"
    )
    with pytest.raises(
        ConfigError, match=r"^deploy/tiers\.toml: \[database\.queries\] active_users"
    ):
        collect(app_db, settings)


def test_a_query_for_an_unknown_metric_is_refused(app_db: str) -> None:
    with pytest.raises(ConfigError) as caught:
        collect(app_db, DatabaseSettings(queries={"peak_users": "SELECT 1"}))
    assert str(caught.value) == (
        "tiers.toml: [database.queries] peak_users: no such metric. Tip: use one of "
        "users, active_users, concurrent_users, db_size_mb, slow_query_ms, db_connections"
    )


# --- failures while reading ----------------------------------------------------------------------


def test_statement_timeout_names_the_metric(app_db: str, parser_check_off: None) -> None:
    settings = DatabaseSettings(
        statement_timeout_ms=100, queries={"active_users": "SELECT pg_sleep(2)"}
    )
    started = time.monotonic()
    with pytest.raises(MetricsError) as caught:
        one_failure(app_db, settings)
    assert time.monotonic() - started < 1.5
    assert str(caught.value) == (
        "metric 'active_users': statement timeout after 100 ms. Tip: raise statement_timeout_ms "
        "under [database] in tiers.toml or make the query under [database.queries] cheaper"
    )


TABLE_TIP = (
    "the default query expects a table users with columns created_at and last_seen_at "
    "(timestamptz). Tip: point the URL at the app's database, or replace the query under "
    "[database.queries] in tiers.toml"
)


@pytest.mark.parametrize(
    ("schema", "queries", "message"),
    [
        pytest.param(
            (), {}, f"metric 'users': relation \"users\" does not exist; {TABLE_TIP}", id="no-table"
        ),
        pytest.param(
            ("CREATE TABLE users (id int, created_at timestamptz)",),
            {},
            f"metric 'active_users': column \"last_seen_at\" does not exist; {TABLE_TIP}",
            id="no-column",
        ),
        pytest.param(
            (),
            {"users": "SELECT count(*) FROM accounts"},
            "metric 'users': 42P01 undefined_table (custom query). "
            "Tip: fix the query under [database.queries] in tiers.toml",
            id="custom-no-table",
        ),
        pytest.param(
            ("CREATE TABLE users (created_at timestamptz, last_seen_at timestamptz)",),
            {"db_size_mb": "SELECT 1 / 0"},
            "metric 'db_size_mb': 22012 division_by_zero",
            id="runtime-error",
        ),
    ],
)
def test_missing_schema(
    pg_db: str, schema: tuple[str, ...], queries: dict[str, str], message: str
) -> None:
    _execute(pg_db, *schema)
    with pytest.raises(MetricsError) as caught:
        one_failure(pg_db, DatabaseSettings(queries=queries))
    assert str(caught.value) == message


@pytest.fixture
def login_role(pg_url: str) -> Iterator[str]:
    """A role that can log in (as the server allows: trust here) and owns nothing."""
    name = f"tier_reader_{uuid.uuid4().hex[:8]}"
    _execute(pg_url, f"CREATE ROLE {name} LOGIN")
    yield name
    _execute(pg_url, f"DROP ROLE {name}")


def test_permission_denied(app_db: str, login_role: str) -> None:
    """Each metric the role may not read is unknown, with the reason and the fix; the others
    are measured."""
    metrics = collect(_as_user(app_db, login_role), DEFAULT)
    denied = (
        "unknown: permission denied for table users. Tip: grant SELECT on it to the URL's "
        "role (a read-only role is best)"
    )
    assert {n: metrics.labels.get(n) for n in ("users", "active_users", "concurrent_users")} == {
        "users": denied,
        "active_users": denied,
        "concurrent_users": denied,
    }
    assert metrics.get("db_size_mb") is not None
    assert metrics.quality_of("db_size_mb") == "exact"
    assert metrics.quality_of("users") == "unknown"


def test_missing_database(pg_url: str) -> None:
    url = _database_url(pg_url, "no_such_db")
    with pytest.raises(MetricsError) as caught:
        collect(url, DEFAULT)
    assert str(caught.value) == (
        f'cannot connect to {public_url(url)}: database "no_such_db" does not exist. '
        "Tip: check the database name at the end of the URL"
    )


# --- the URL's own parameters --------------------------------------------------------------------


def test_url_options_are_kept_and_ours_win(pg_db: str, parser_check_off: None) -> None:
    _fill_users(pg_db)
    _execute(pg_db, "CREATE SCHEMA other")
    _fill_users(pg_db, schema="other")
    _execute(pg_db, "DELETE FROM other.users WHERE last_seen_at IS NOT NULL")
    url = _with_params(
        pg_db,
        options="-c search_path=other -c default_transaction_read_only=off -c statement_timeout=1",
    )
    metrics = collect(
        url,
        DatabaseSettings(
            queries={"active_users": READ_ONLY_BOTH_WAYS, "concurrent_users": TIMEOUT_MS}
        ),
    )
    assert metrics.get("users") == 1  # other.users, through the URL's search_path
    assert metrics.get("active_users") == 2  # read-only all the same
    assert metrics.get("concurrent_users") == 5000  # and tiers.toml's statement timeout


def test_url_sslmode_reaches_libpq(app_db: str) -> None:
    with pytest.raises(MetricsError, match=r'invalid sslmode value: "bogus"'):
        collect(_with_params(app_db, sslmode="bogus"), DEFAULT)


# --- passwords -----------------------------------------------------------------------------------

SECRET = "Hunter2-Zq8#pw"


def _assert_no_secret(exc: TierError, secret: str) -> None:
    assert exc.__cause__ is None and exc.__context__ is None
    text = "".join(traceback.format_exception(exc))
    for shown in (str(exc), repr(exc), text):
        assert secret not in shown
        assert quote(secret, safe="") not in shown


def test_unreachable_server_hides_the_password() -> None:
    url = f"postgresql://app:{quote(SECRET, safe='')}@127.0.0.1:1/app"
    with pytest.raises(MetricsError) as caught:
        collect(url, DatabaseSettings(connect_timeout_s=2))
    assert str(caught.value).startswith(
        "cannot connect to postgresql://127.0.0.1:1/app: Connection refused. Tip: check the host"
    )
    _assert_no_secret(caught.value, SECRET)


@pytest.fixture(scope="module")
def password_role(pg_url: str) -> Iterator[tuple[str, str]]:
    """A role that must give its password: pgserver trusts everyone, so add a pg_hba rule for it.

    The rule is put first in the server's pg_hba.conf (we started that server; with
    TEST_DATABASE_URL, the server's own rules must already ask for passwords) and removed after.
    """
    name, password = f"tier_pw_{uuid.uuid4().hex[:8]}", "Right-pw-4e9d"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(password)
            )
        )
        row = admin.execute("SHOW hba_file").fetchone()
    hba = Path(row[0]) if row else None
    original = hba.read_bytes() if hba and hba.is_file() and os.access(hba, os.W_OK) else None
    if hba and original is not None:
        rules = f"local all {name} scram-sha-256\nhost all {name} all scram-sha-256\n"
        hba.write_bytes(rules.encode() + original)
        _execute(pg_url, "SELECT pg_reload_conf()")
    try:
        _wait_for_password_auth(_as_user(pg_url, name, "wrong"))
        yield name, password
    finally:
        if hba and original is not None:
            hba.write_bytes(original)
            _execute(pg_url, "SELECT pg_reload_conf()")
        _execute(pg_url, f"DROP ROLE {name}")


def _wait_for_password_auth(wrong_url: str) -> None:
    deadline = time.monotonic() + 5
    while True:
        try:
            psycopg.connect(wrong_url).close()
        except psycopg.OperationalError as exc:
            if "password authentication failed" in str(exc):
                return
            raise
        if time.monotonic() > deadline:
            pytest.skip("the test server accepts any password (trust); cannot test a wrong one")
        time.sleep(0.05)


def test_wrong_password_hides_it(app_db: str, password_role: tuple[str, str]) -> None:
    name = password_role[0]
    with pytest.raises(MetricsError) as caught:
        collect(_as_user(app_db, name, SECRET), DEFAULT)
    assert str(caught.value) == (
        f"cannot connect to {public_url(app_db)}: password authentication failed for user "
        f'"{name}". Tip: check the user and password in the database URL'
    )
    _assert_no_secret(caught.value, SECRET)


def test_right_password_connects(app_db: str, password_role: tuple[str, str]) -> None:
    name, password = password_role
    _execute(app_db, f"GRANT SELECT ON users TO {name}")
    try:
        assert collect(_as_user(app_db, name, password), DEFAULT).get("users") == 15
    finally:
        _execute(app_db, f"REVOKE ALL ON users FROM {name}")


def test_query_errors_hide_the_password(app_db: str, password_role: tuple[str, str]) -> None:
    """The password is masked even where a message would quote it."""
    name, password = password_role
    _execute(app_db, f"GRANT SELECT ON users TO {name}")
    try:
        with pytest.raises(MetricsError) as caught:
            one_failure(
                _as_user(app_db, name, password),
                DatabaseSettings(queries={"users": f"SELECT '{password}'::int FROM users"}),
            )
    finally:
        _execute(app_db, f"REVOKE ALL ON users FROM {name}")
    assert str(caught.value) == ("metric 'users': 22P02 invalid_text_representation")
    _assert_no_secret(caught.value, password)


# --- inspect_schema (tier init) ------------------------------------------------------------------

TS = "timestamptz"
CONVENTIONAL_CANDIDATES = (
    "public.users.last_seen_at: 0 users in 30 days (visits)",
    "public.activity(user_id, at): 0 users, 0 rows in 30 days (visits)",
)
OTHER_CANDIDATES = (
    "app.events(account_id, occurred_at): 0 users, 0 rows in 30 days (visits)",
    "app.accounts.updated_at: 0 users in 30 days (edits only)",
)
LAST_SEEN_LIST = (
    "last_seen_at, last_seen, last_active_at, last_activity_at, last_login_at, last_login, "
    "last_sign_in_at, updated_at"
)


@pytest.mark.parametrize(
    ("ddl", "expected"),
    [
        pytest.param(
            (
                f"CREATE TABLE users (id int, email text, created_at {TS}, last_seen_at {TS})",
                f"CREATE TABLE activity (id int, user_id int, at {TS})",
            ),
            SchemaGuess(
                "public.users", "last_seen_at", "created_at", "public.activity", "user_id", "at",
                (
                    "users table: public.users (0 rows)",
                    "last activity: public.users.last_seen_at",
                    "tables that record what users do, best first: "
                    "public.activity(user_id, at; 0 rows in 30 days)",
                    "activity table: public.activity(user_id, at)",
                    "active_users candidates (most distinct users first): "
                    f"{CONVENTIONAL_CANDIDATES[0]}; {CONVENTIONAL_CANDIDATES[1]}; "
                    "chosen: public.users.last_seen_at",
                ),
                users_rows=0,
                count_column="id",
                candidates=CONVENTIONAL_CANDIDATES,
            ),
            id="conventional",
        ),
        pytest.param(
            (f"CREATE TABLE auth_user (id int, last_login {TS}, date_joined {TS})",),
            SchemaGuess(
                "public.auth_user", "last_login", "date_joined",
                notes=(
                    "users table: public.auth_user (0 rows)",
                    "last activity: public.auth_user.last_login",
                    "no table references public.auth_user with a timestamp column",
                    "active_users candidates (most distinct users first): "
                    "public.auth_user.last_login: 0 users in 30 days (visits); "
                    "chosen: public.auth_user.last_login",
                ),
                users_rows=0,
                active_login_only=True,
                count_column="id",
                candidates=("public.auth_user.last_login: 0 users in 30 days (visits)",),
            ),
            id="django",
        ),
        pytest.param(
            (
                "CREATE SCHEMA app",
                "CREATE TABLE app.accounts (id int, created date, updated_at timestamp)",
                f"CREATE TABLE app.events (account_id int, occurred_at {TS})",
            ),
            SchemaGuess(
                "app.accounts", "updated_at", "created", "app.events", "account_id", "occurred_at",
                (
                    "users table: app.accounts (0 rows)",
                    "last activity: updated_at, which also changes when a profile is edited",
                    "tables that record what users do, best first: "
                    "app.events(account_id, occurred_at; 0 rows in 30 days)",
                    "activity table: app.events(account_id, occurred_at)",
                    "active_users candidates (most distinct users first): "
                    f"{OTHER_CANDIDATES[0]}; {OTHER_CANDIDATES[1]}; "
                    "chosen: app.events(account_id, occurred_at)",
                ),
                users_rows=0,
                # on a tie (none in 30 days here), visits before an edit column
                active_table="app.events",
                active_user_column="account_id",
                active_time_column="occurred_at",
                count_column="id",
                candidates=OTHER_CANDIDATES,
            ),
            id="other-schema-and-names",
        ),
        pytest.param(
            (
                "CREATE SCHEMA other",
                f"CREATE TABLE other.users (id int, last_seen_at {TS})",
                "CREATE TABLE users (id int, last_seen_at text)",
                "CREATE TABLE events (user_id int, at text)",
            ),
            SchemaGuess(
                "public.users", None, None,
                notes=(
                    "users table: public.users (0 rows), picked over other.users (0 rows): as "
                    "many rows, and its schema comes first on the search_path",
                    f"no timestamp column of last activity in public.users (looked for "
                    f"{LAST_SEEN_LIST})",
                    "no table references public.users with a timestamp column",
                ),
                users_rows=0,
                count_column="id",
            ),
            id="search-path-first-and-types-checked",
        ),
        pytest.param(
            ("CREATE TABLE orders (id int, user_id int, created_at timestamptz)",),
            SchemaGuess(
                None, None,
                notes=(
                    "no users table found (looked for users, user, auth_user, users_user, "
                    "accounts_user, accounts, account, members, customers, profiles, students)",
                ),
            ),
            id="nothing-like-users",
        ),
    ],
)  # fmt: skip
def test_inspect_schema(pg_db: str, ddl: tuple[str, ...], expected: SchemaGuess) -> None:
    _execute(pg_db, *ddl)
    assert inspect_schema(pg_db) == expected


def test_inspect_schema_failure_hides_the_password() -> None:
    url = f"postgresql://app:{quote(SECRET, safe='')}@127.0.0.1:1/app"
    with pytest.raises(MetricsError) as caught:
        inspect_schema(url)
    assert str(caught.value).startswith("cannot connect to postgresql://127.0.0.1:1/app: ")
    _assert_no_secret(caught.value, SECRET)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param(
            f"postgresql://app:{SECRET.replace('#', '')}%zz@db.example/shop",
            "the database URL is not a valid PostgreSQL URL. Tip: use "
            "postgresql://USER:PASSWORD@HOST:PORT/DBNAME, with special characters percent-encoded",
            id="bad-percent-encoding",
        ),
        pytest.param(
            f"postgresql://app:{SECRET}@db.example/shop",
            "the database URL has an unencoded /, ?, # or @ in its user or password. Tip: "
            "percent-encode them (/ as %2F, ? as %3F, # as %23, @ as %40)",
            id="unencoded-hash",
        ),
        pytest.param(
            f"postgresql://app:{SECRET}@{SECRET}@db.example/shop",
            "the database URL has an unencoded /, ?, # or @ in its user or password. Tip: "
            "percent-encode them (/ as %2F, ? as %3F, # as %23, @ as %40)",
            id="unencoded-at",
        ),
    ],
)
def test_broken_urls_are_not_echoed(url: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        collect(url, DEFAULT)
    assert str(caught.value) == message
    _assert_no_secret(caught.value, SECRET)
    assert SECRET not in public_url(url)


# --- public_url ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "postgresql://app:s3cret@db.example:5432/shop",
            "postgresql://db.example:5432/shop",
            id="tcp",
        ),
        pytest.param(
            "postgres://app@db.example/shop?sslmode=require&password=s3cret",
            "postgresql://db.example/shop",
            id="query-password",
        ),
        pytest.param(
            "postgresql://a:s3cret@h1:5433,h2:5434/shop",
            "postgresql://h1:5433,h2:5434/shop",
            id="two-hosts",
        ),
        pytest.param(
            "postgresql://a:s3cret@[::1]:5432/shop", "postgresql://[::1]:5432/shop", id="ipv6"
        ),
        pytest.param(
            "postgresql://postgres:@/shop?host=/tmp/pg",
            "postgresql:///shop?host=/tmp/pg",
            id="socket",
        ),
        pytest.param(
            "host=db.example port=6543 dbname=shop user=app password=s3cret",
            "postgresql://db.example:6543/shop",
            id="key-value",
        ),
        pytest.param(
            "postgresql://a:s3cret@db.example/my%20shop",
            "postgresql://db.example/my%20shop",
            id="quoted-name",
        ),
        pytest.param(
            "postgresql://app:s3cret@db.example/shop?bogus=1",
            "(a database URL that cannot be parsed)",
            id="unparsable",
        ),
    ],
)
def test_public_url(url: str, expected: str) -> None:
    assert public_url(url) == expected


def test_environment_is_hermetic() -> None:
    assert "DATABASE_URL" not in os.environ
    assert [name for name in os.environ if name.startswith("PG")] == ["PGPASSFILE"]
