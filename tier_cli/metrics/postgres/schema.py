"""Guess the users table, where user activity is recorded, and an events table (`tier init`).

Pure: :func:`guess_schema` reads the rows of :data:`COLUMNS_SQL` and the row counts that
collect.inspect_schema measured for the tables :func:`probes` names, and returns a SchemaGuess
with the reasons for each choice in its notes. What it looks for, in order (README, "Your
schema"):

1. The users table: a table named one of :data:`USERS_TABLES` (any case), in any schema; the one
   with the most rows (ties: the name earlier in that list, then the search_path's schemas).
2. A column of the users table that records activity (:data:`LAST_SEEN_COLUMNS`).
3. Tables that record what users do: they reference the users table (a foreign key, or a column
   named like :data:`USER_COLUMNS` of the same type as the users table's id) and have a timestamp
   column (:data:`TIME_COLUMNS`). Ranked: login, token, session, event and log tables before the
   others (orders, messages, items); more rows in the last active_days before fewer; then the name
   order of :data:`ACTIVITY_TABLES`. Tables about the admin site are passed over.
4. The best event-like one is the activity table (the peak of concurrent users); the best of all
   gives active_users when the users table has no activity column.
5. The indexes the queries init writes need (:func:`wanted_indexes`); collect.inspect_schema
   says which exist already.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from tier_cli.config.metric_table import ACTIVE_USERS, CONCURRENT_USERS, EDIT_COLUMNS, SECRET_COLUMN


class Index(NamedTuple):
    """An index a query `tier init` writes needs on a big table (docs/metrics.md, "Index
    recipes")."""

    table: str  # schema-qualified, as SchemaGuess names it: "public.events"
    columns: tuple[str, ...]
    metric: str  # the metric whose query reads it


class SchemaGuess(NamedTuple):
    """What `tier init` found in a database's schema (information_schema), for the metric SQL."""

    users_table: str | None  # schema-qualified, e.g. "public.users"; None: nothing likely found
    last_seen_column: str | None  # a timestamp column of last activity, e.g. "last_seen_at"
    created_column: str | None = None
    activity_table: str | None = None  # a table of events: one row per user action
    activity_user_column: str | None = None
    activity_time_column: str | None = None
    notes: tuple[str, ...] = ()  # what was looked at and why a choice was made
    users_rows: int | None = None  # rows in the users table, when counted
    # active_users from another table (the users table has no activity column): a user with a
    # row there within active_days, e.g. an access token created at login
    active_table: str | None = None
    active_user_column: str | None = None
    active_time_column: str | None = None
    active_login_only: bool = False  # the column active_users reads changes at login only
    activity_login_only: bool = False  # the activity table's rows are made at login only
    item_tables: tuple[str, ...] = ()  # tables with per-user times that are not events (orders)
    count_column: str | None = None  # a users column no secret is in: count(*)'s one grant
    candidates: tuple[str, ...] = ()  # every active_users source with its figures, best first
    indexed: tuple[Index, ...] = ()  # the indexes of wanted_indexes() that exist (pg_index)


def wanted_indexes(guess: SchemaGuess) -> tuple[Index, ...]:
    """The indexes the queries for this guess need to stay fast on a big table.

    - The peak's table, on (time, user): each window of the peak is one range scan of it
      (peak.py).
    - active_users' table, on (user, time): read in its order, the users of the window come out
      one after another and counting them sorts nothing. With (time, user) alone, every row of
      the window is sorted by user first, which spills to disk past tier's work_mem
      (benchmarks/README.md, "Real apps' schemas").
    """
    out = []
    if guess.activity_table and guess.activity_time_column and guess.activity_user_column:
        columns = (guess.activity_time_column, guess.activity_user_column)
        out.append(Index(guess.activity_table, columns, CONCURRENT_USERS))
    if guess.active_table and guess.active_user_column and guess.active_time_column:
        columns = (guess.active_user_column, guess.active_time_column)
        out.append(Index(guess.active_table, columns, ACTIVE_USERS))
    return tuple(out)


COLUMNS_SQL = """
SELECT c.table_schema::text, c.table_name::text, c.column_name::text, c.data_type::text,
       f.ref_schema, f.ref_table
FROM information_schema.columns AS c
LEFT JOIN LATERAL (
    SELECT rn.nspname::text AS ref_schema, rc.relname::text AS ref_table
    FROM pg_namespace AS n
    JOIN pg_class AS t ON t.relnamespace = n.oid AND t.relname = c.table_name
    JOIN pg_attribute AS a ON a.attrelid = t.oid AND a.attname = c.column_name
    JOIN pg_constraint AS k
      ON k.conrelid = t.oid AND k.contype = 'f' AND k.conkey = ARRAY[a.attnum]
    JOIN pg_class AS rc ON rc.oid = k.confrelid
    JOIN pg_namespace AS rn ON rn.oid = rc.relnamespace
    WHERE n.nspname = c.table_schema
    LIMIT 1
) AS f ON true
WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY array_position(current_schemas(false), c.table_schema::name), c.table_schema,
         c.table_name, c.ordinal_position
"""
"""Every column the role can see (schema, table, column, type, and the schema and table a
one-column foreign key on it references), the schemas of the search_path first."""

# Names looked for, best first.
USERS_TABLES = (
    "users", "user", "auth_user", "users_user", "accounts_user", "accounts", "account", "members",
    "customers", "profiles", "students",
)  # fmt: skip
"""Matched without regard to case ("User" from Prisma); users_user is cookiecutter-django's."""
LAST_SEEN_COLUMNS = (
    "last_seen_at", "last_seen", "last_active_at", "last_activity_at", "last_login_at",
    "last_login", "last_sign_in_at", "updated_at",
)  # fmt: skip
LOGIN_COLUMNS = ("last_login_at", "last_login", "last_sign_in_at")  # they change at login only
CREATED_COLUMNS = ("created_at", "date_joined", "inserted_at", "created", "registered_at")
ACTIVITY_TABLES = ("activity", "activities", "events", "user_events", "activity_log", "sessions")
USER_COLUMNS = (
    "user_id", "owner_id", "author_id", "creator_id", "created_by_id", "created_by", "account_id",
    "member_id", "student_id", "customer_id", "profile_id",
)  # fmt: skip
"""Matched in any spelling: userId, UserId (Prisma, TypeORM) too; a foreign key to the users table
wins over every name."""
TIME_COLUMNS = (
    "last_seen_at", "last_used_at", "at", "occurred_at", "created_at", "timestamp", "ts",
    "inserted_at", "logged_in_at", "login_at", "action_time", "sent_at", "created", "date_created",
    "created_on", "updated_at",
)  # fmt: skip
VISITS, EDITS, ITEMS = "visits", "edits", "items"
KIND_WORDS = {VISITS: "visits", EDITS: "edits only", ITEMS: "rows users add"}
CREATION_COLUMNS = ("created_at", "inserted_at", "created", "logged_in_at", "login_at")
TIMESTAMPS = ("timestamp with time zone", "timestamp without time zone")
INTEGERS = ("smallint", "integer", "bigint")

# A table is event-like when its name says it records what users do; login-like when a row is
# made at login (a token, a session): its creation time says when a user logged in.
_EVENT_WORDS = re.compile(
    r"token|session|login|signin|sign_in|event|activit|audit|pageview|page_view|visit"
    r"|(?:^|_)(?:log|logs|hits?|requests?|history|access|auth)(?:_|$)"
)
_LOGIN_WORDS = re.compile(r"token|session|login|signin|sign_in|(?:^|_)auth(?:_|$)")
_PASSED_OVER = re.compile(r"admin")  # the admin site's log records staff, not users

Table = tuple[str, str]  # (schema, name)


class Column(NamedTuple):
    type: str
    references: Table | None = None  # the table a one-column foreign key on it references


class Probe(NamedTuple):
    """A count inspect_schema makes: all rows; or the rows of the last active_days by time and,
    with a user column, the distinct users among them; or, on a users table, the users whose
    column (last_seen_at, updated_at, ...) is within active_days."""

    table: Table
    time_column: str | None = None
    user_column: str | None = None

    @property
    def key(self) -> tuple[str, ...]:
        """Where guess_schema finds its Stats: the table, or (schema, table, column) for a
        column of a users table."""
        if self.time_column is not None and self.user_column is None:
            return (*self.table, self.time_column)
        return self.table


class Stats(NamedTuple):
    rows: int | None = None  # None: not counted (timeout, no permission)
    recent: int | None = None  # rows in the last active_days, by the table's time column
    users: int | None = None  # distinct users among them


class Candidate(NamedTuple):
    """A table that records when a user did something."""

    table: Table
    user_column: str
    time_column: str
    event_like: bool
    login_only: bool  # its time is a login time: active users are right, the peak undercounts
    recent: int | None
    users: int | None = None  # distinct users in the last active_days

    @property
    def kind(self) -> str:
        """ "visits" (sessions, tokens, events...), "edits" (an updated_at), "items" (rows users
        add: orders, messages): what a row's time says about a user being there."""
        if self.event_like:
            return VISITS
        return EDITS if _is(self.time_column, EDIT_COLUMNS) else ITEMS

    @property
    def name(self) -> str:
        return ".".join(self.table)


def read_tables(rows: Sequence[tuple[Any, ...]]) -> dict[Table, dict[str, Column]]:
    """COLUMNS_SQL's rows by table, in their order; 4-column rows (no foreign keys) too."""
    tables: dict[Table, dict[str, Column]] = {}
    for row in rows:
        schema, table, column, data_type = row[:4]
        ref = (row[4], row[5]) if len(row) > 5 and row[4] is not None else None
        tables.setdefault((schema, table), {})[column] = Column(data_type, ref)
    return tables


def probes(rows: Sequence[tuple[Any, ...]]) -> list[Probe]:
    """What to count before guessing: each candidate users table and its columns of last
    activity, each table that records what users do (its rows and distinct users)."""
    tables = read_tables(rows)
    users = _users_candidates(tables)
    out = [Probe(t) for t in users]
    for table in users:
        out += [Probe(table, c) for c in _seen_columns(tables[table])]
    for table, columns in tables.items():
        if table in users or not _usable(table) or _passed_over(table):
            continue
        time = _time_column(columns)
        found = [_user_column(columns, u, tables[u]) for u in users]
        user = next((u for u in found if u), None)
        if time is not None and user is not None:
            out.append(Probe(table, time, user))
    return out


def _seen_columns(columns: Mapping[str, Column]) -> list[str]:
    """Every column of a users table that says when a user was last there (or edited)."""
    out: list[str] = []
    for name in LAST_SEEN_COLUMNS:
        found = _named(columns, name)
        if found is not None and columns[found].type in TIMESTAMPS and found not in out:
            out.append(found)
    return out


class Source(NamedTuple):
    """One place active users could be read from, with what was measured there."""

    text: str  # "public.user.updated_at", "public.events(user_id, created_at)"
    kind: str  # VISITS, EDITS, ITEMS
    users: int | None  # distinct users in the last active_days
    rows: int | None  # rows in the last active_days (a table)
    candidate: Candidate | None  # None: a column of the users table

    def describe(self, days: int) -> str:
        counted = "not counted" if self.users is None else f"{self.users:,} users"
        if self.candidate is not None and self.rows is not None:
            counted += f", {self.rows:,} rows"
        return f"{self.text}: {counted} in {days} days ({KIND_WORDS[self.kind]})"


def active_sources(
    seen: Sequence[str],
    users: Table,
    ranked: Sequence[Candidate],
    stats: Mapping[Any, Stats],
) -> list[Source]:
    """Every candidate for active_users, the best first: the most distinct active users; on a
    tie (or uncounted), visits before items before edits, then the users table's own column
    before a table (the cheaper query), then the tables' rank."""
    name = ".".join(users)
    out = [
        Source(
            f"{name}.{c}",
            EDITS if _is(c, EDIT_COLUMNS) else VISITS,
            stats.get((*users, c), Stats()).users,
            None,
            None,
        )
        for c in seen
    ]
    out += [
        Source(f"{c.name}({c.user_column}, {c.time_column})", c.kind, c.users, c.recent, c)
        for c in ranked
    ]
    order = {VISITS: 0, ITEMS: 1, EDITS: 2}
    position = {id(s): i for i, s in enumerate(out)}
    # A table of visits or items that could not be counted (too many rows for the timeout) may
    # hold more users than an edit-only column: the edits never win over it on a count alone;
    # nor does a table counted empty.
    uncounted = any(s.users is None and s.kind != EDITS for s in out)

    def rank(s: Source) -> tuple[int, float, int, int]:
        demoted = 1 if uncounted and s.kind == EDITS else 0
        users = s.users if s.users is not None else 0.5  # uncounted: above none, below one user
        return (demoted, -users, order[s.kind], position[id(s)])

    return sorted(out, key=rank)


def guess_schema(
    rows: Sequence[tuple[Any, ...]],
    stats: Mapping[Any, Stats] | None = None,
    active_days: int = 30,
) -> SchemaGuess:
    """Pick the tables and columns from COLUMNS_SQL's rows and the counts of :func:`probes`."""
    stats = stats or {}
    tables = read_tables(rows)
    found = _users_candidates(tables)
    if not found:
        looked = ", ".join(USERS_TABLES)
        return SchemaGuess(None, None, notes=(f"no users table found (looked for {looked})",))

    def counted(t: Table) -> int:
        return stats.get(t, Stats()).rows or 0

    users = max(found, key=lambda t: (counted(t), -found.index(t)))
    name = ".".join(users)
    rows_of = stats.get(users, Stats()).rows
    notes = [f"users table: {name}" + _rows(rows_of)]
    if len(found) > 1:
        others = [t for t in found if t != users]
        listed = ", ".join(".".join(t) + _rows(stats.get(t, Stats()).rows) for t in others)
        if counted(users) > max(counted(t) for t in others):
            why = "it has the most rows"
        elif any(t[1] == users[1] for t in others):
            why = "as many rows, and its schema comes first on the search_path"
        else:
            why = "as many rows, and its name comes first in the names looked for"
        notes[0] += f", picked over {listed}: {why}"
    columns = tables[users]
    seen = _first_column(columns, LAST_SEEN_COLUMNS, TIMESTAMPS)
    created = _first_column(columns, CREATED_COLUMNS, (*TIMESTAMPS, "date"))
    if seen is None:
        looked = ", ".join(LAST_SEEN_COLUMNS)
        notes.append(f"no timestamp column of last activity in {name} (looked for {looked})")
    elif _is(seen, ("updated_at",)):
        notes.append("last activity: updated_at, which also changes when a profile is edited")
    else:
        notes.append(f"last activity: {name}.{seen}")
    ranked = _candidates(tables, users, stats)
    if ranked:
        notes.append(
            "tables that record what users do, best first: "
            + ", ".join(
                f"{c.name}({c.user_column}, {c.time_column}"
                + (f"; {c.recent:,} rows in {active_days} days" if c.recent is not None else "")
                + ")"
                for c in ranked
            )
        )
    else:
        notes.append(f"no table references {name} with a timestamp column")
    notes.extend(_passed_over_notes(tables, users))
    events = [c for c in ranked if c.event_like]
    peak = events[0] if events else None
    if peak is not None:
        notes.append(f"activity table: {peak.name}({peak.user_column}, {peak.time_column})")
    sources = active_sources(_seen_columns(columns), users, ranked, stats)
    counted_any = any(s.users is not None for s in sources)
    if counted_any:  # the evidence decides: the most distinct active users
        best = sources[0]
        active = best.candidate
        if active is None:  # a column of the users table
            seen = best.text.rsplit(".", 1)[1]
    else:  # nothing could be counted: the users table's column first, as named
        active = ranked[0] if ranked and seen is None else None
    candidates = tuple(s.describe(active_days) for s in sources)
    if len(sources) > 1 or counted_any:
        chosen = sources[0].text if counted_any else None
        order = "most distinct users first" if counted_any else "not counted"
        notes.append(
            f"active_users candidates ({order}): "
            + "; ".join(candidates)
            + (f"; chosen: {chosen}" if chosen else "")
        )
    return SchemaGuess(
        name,
        seen,
        created,
        None if peak is None else peak.name,
        None if peak is None else peak.user_column,
        None if peak is None else peak.time_column,
        tuple(notes),
        users_rows=rows_of,
        active_table=None if active is None else active.name,
        active_user_column=None if active is None else active.user_column,
        active_time_column=None if active is None else active.time_column,
        active_login_only=_is(seen, LOGIN_COLUMNS) if active is None else active.login_only,
        activity_login_only=peak is not None and peak.login_only,
        item_tables=tuple(c.name for c in ranked if c.kind == ITEMS),
        count_column=_count_column(columns),
        candidates=candidates,
    )


def _count_column(columns: Mapping[str, Column]) -> str | None:
    """The column a one-column grant for count(*) names: the id, else the first one that does
    not look secret."""
    if "id" in columns:
        return "id"
    return next((c for c in columns if not re.search(SECRET_COLUMN, c)), None)


def _usable(table: Table) -> bool:
    """Named in tiers.toml as schema.table and split on the dot: no dot inside a part."""
    return "." not in "".join(table)


def _passed_over_notes(tables: Mapping[Table, Mapping[str, Column]], users: Table) -> list[str]:
    """Why event-like tables with a time column were not used: no link to users, or admin."""
    admin: list[str] = []
    unlinked: list[str] = []
    for table, columns in tables.items():
        if table == users or not _usable(table) or _time_like(columns) is None:
            continue
        if _passed_over(table) and _user_column(columns, users, tables[users]) is not None:
            admin.append(".".join(table))
        elif _EVENT_WORDS.search(table[1].lower()) and not _user_column(
            columns, users, tables[users]
        ):
            unlinked.append(".".join(table))
    name = ".".join(users)
    out = []
    if admin:
        out.append(f"passed over {', '.join(admin)}: the admin site's log records staff actions")
    if unlinked:
        out.append(
            f"not linked to {name}: {', '.join(unlinked)} (no foreign key to it, no user_id-like "
            "column of its id's type)"
        )
    return out


def _time_like(columns: Mapping[str, Column]) -> str | None:
    """Any timestamp column (for the notes): expire_date counts here, not for activity."""
    return next((n for n, c in columns.items() if c.type in TIMESTAMPS), None)


def _rows(n: int | None) -> str:
    return "" if n is None else f" ({n:,} row{'s' if n != 1 else ''})"


def _passed_over(table: Table) -> bool:
    return bool(_PASSED_OVER.search(table[1].lower()))


def _users_candidates(tables: Mapping[Table, object]) -> list[Table]:
    """Tables named like a users table, best name first; for one name, search_path order."""
    return [t for name in USERS_TABLES for t in tables if t[1].lower() == name and _usable(t)]


def _users(found: list[Probe]) -> list[Table]:
    return [p.table for p in found if p.time_column is None]


def _candidates(
    tables: Mapping[Table, Mapping[str, Column]], users: Table, stats: Mapping[Any, Stats]
) -> list[Candidate]:
    out: list[Candidate] = []
    for table, columns in tables.items():
        if table == users or not _usable(table) or _passed_over(table):
            continue
        user = _user_column(columns, users, tables[users])
        time = _time_column(columns)
        if user is None or time is None:
            continue
        lowered = table[1].lower()
        event_like = bool(_EVENT_WORDS.search(lowered)) or table[1] in ACTIVITY_TABLES
        login = bool(_LOGIN_WORDS.search(lowered)) and _is(time, CREATION_COLUMNS)
        found = stats.get(table, Stats())
        out.append(Candidate(table, user, time, event_like, login, found.recent, found.users))
    order = list(tables)

    def rank(c: Candidate) -> tuple[int, int, int, int]:
        named = ACTIVITY_TABLES.index(c.table[1]) if c.table[1] in ACTIVITY_TABLES else 99
        # rows in the window, most first; a table that could not be counted (too many rows for
        # the timeout) before one counted empty
        recent = -c.recent if c.recent else (0 if c.recent is None else 1)
        return (0 if c.event_like else 1, recent, named, order.index(c.table))

    return sorted(out, key=rank)


def _user_column(
    columns: Mapping[str, Column], users: Table, users_columns: Mapping[str, Column]
) -> str | None:
    """A foreign key to the users table, else a user_id-like column of the same type as its id."""
    for name, column in columns.items():
        if column.references == users:
            return name
    user_id = users_columns.get("id")
    for name in USER_COLUMNS:
        spelled = _named(columns, name)
        found = None if spelled is None else columns[spelled]
        if found is not None and (user_id is None or _same_type(found.type, user_id.type)):
            return spelled
    return None


def _same_type(a: str, b: str) -> bool:
    return a == b or (a in INTEGERS and b in INTEGERS)


def _time_column(columns: Mapping[str, Column]) -> str | None:
    return _first_column(columns, TIME_COLUMNS, TIMESTAMPS)


def _spelled(name: str) -> str:
    """created_at, createdAt and CreatedAt alike (ORMs such as Prisma write camelCase)."""
    return name.replace("_", "").lower()


def _is(name: str | None, names: tuple[str, ...]) -> bool:
    return name is not None and _spelled(name) in {_spelled(n) for n in names}


def _named(columns: Mapping[str, Column], name: str) -> str | None:
    """The table's own spelling of a column we look for by its snake_case name."""
    if name in columns:
        return name
    return next((c for c in columns if _spelled(c) == _spelled(name)), None)


def _first_column(
    columns: Mapping[str, Column], names: tuple[str, ...], types: tuple[str, ...] | None
) -> str | None:
    for name in names:
        found = _named(columns, name)
        if found is not None and (types is None or columns[found].type in types):
            return found
    return None
