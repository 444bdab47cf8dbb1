"""Database URLs: tier's safety settings added, a public form for messages, passwords masked.

Pure: nothing here opens a connection (collect.py does, with :func:`connection_params`).

- ``statement_timeout``, ``connect_timeout`` and ``application_name`` come from ``[database]`` in
  tiers.toml; ``lock_timeout`` and ``work_mem`` are low; ``default_transaction_read_only`` is on
  and ``jit`` off (metric queries are short;
  compiling them would cost more than it saves). Everything else in the URL is kept as it is
  (``sslmode``, ``sslrootcert``, ...), and its ``options`` are kept too, with ours appended so that
  they win.
- Messages name the database by :func:`public_url` (no user, no password), everything else is
  masked, and no psycopg exception is chained to ours (they hold the password).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg.conninfo import conninfo_to_dict

from tier_cli.config.settings import DatabaseSettings
from tier_cli.errors import ConfigError, mask

LOCK_TIMEOUT_MS = 1000
"""A lock tier waits for is given up after a second: a query of tier's queued behind the app's
ALTER TABLE would make the app's own queries queue behind it."""
WORK_MEM = "2MB"
"""Memory a sort or hash of tier's may use before it spills (with hash_mem_multiplier 1, set in
each transaction by reader.py): a metric query cannot take a server's memory."""


def connection_params(url: str, settings: DatabaseSettings) -> dict[str, Any]:
    """The URL's parameters, with tier's safety settings added: ours last, so they win."""
    check_url(url)
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:  # its message may quote the password: not shown
        failure = ConfigError(
            "the database URL is not a valid PostgreSQL URL. Tip: use "
            "postgresql://USER:PASSWORD@HOST:PORT/DBNAME, with special characters percent-encoded"
        )
    else:
        if "@" in str(params.get("host") or ""):  # the rest of a password with an @ in it
            raise ConfigError(
                "the database URL has an @ in its password. Tip: percent-encode it as %40"
            )
        ours = "-c default_transaction_read_only=on -c jit=off"
        ours += f" -c statement_timeout={settings.statement_timeout_ms}"
        ours += f" -c lock_timeout={LOCK_TIMEOUT_MS} -c work_mem={WORK_MEM}"
        params["options"] = f"{params['options']} {ours}" if params.get("options") else ours
        params["connect_timeout"] = settings.connect_timeout_s
        params["application_name"] = settings.application_name
        return params
    raise failure  # outside the except block: nothing from psycopg is chained


def check_url(url: str) -> None:
    """Refuse a URL that libpq would read another way than it was meant (nothing of it shown).

    Everything between ``://`` and the last ``@`` is the user and password: an unencoded ``/``,
    ``?``, ``#`` or ``@`` there makes libpq end the user part early, and take the rest of the
    password for the host or the database name, which messages would then show.
    """
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(
            "the database URL is not UTF-8 text (a byte that is not). Tip: percent-encode any "
            "special character of the URL (%C3%A9 for e with an acute accent)"
        ) from None
    _, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return
    credentials = rest[: rest.rindex("@")]
    if any(c in credentials for c in "/?#@"):
        raise ConfigError(
            "the database URL has an unencoded /, ?, # or @ in its user or password. Tip: "
            "percent-encode them (/ as %2F, ? as %3F, # as %23, @ as %40)"
        )


def public_url(url: str) -> str:
    """Host, port and database of ``url``, for messages and Metrics.source.

    No user, no password, no other parameters: ``postgresql://db.example:5432/app``, or
    ``postgresql:///app?host=/run/postgresql`` for a Unix socket.
    """
    try:
        check_url(url)
        params = conninfo_to_dict(url)
    except (psycopg.Error, ConfigError):
        return "(a database URL that cannot be parsed)"
    if "@" in str(params.get("host") or ""):
        return "(a database URL with an @ in its password)"
    return public_url_of(params)


def database_name(url: str) -> str | None:
    """The database the URL names (None when it names none or cannot be read)."""
    try:
        check_url(url)
        name = conninfo_to_dict(url).get("dbname")
    except (psycopg.Error, ConfigError):
        return None
    return str(name) if name else None


def public_url_of(params: Mapping[str, Any]) -> str:
    """:func:`public_url` of already parsed parameters."""
    hosts = str(params.get("host") or params.get("hostaddr") or "").split(",")
    ports = str(params.get("port") or "").split(",")
    if len(ports) == 1:
        ports *= len(hosts)
    dbname = quote(str(params.get("dbname") or ""), safe="")
    if any(host.startswith("/") for host in hosts):
        query = f"?host={quote(','.join(hosts), safe='/,')}"
        if any(ports):
            query += f"&port={quote(','.join(ports), safe=',')}"
        return f"postgresql:///{dbname}{query}"
    netlocs = []
    for host, port in zip(hosts, ports + [""] * len(hosts), strict=False):
        netloc = f"[{host}]" if ":" in host else host
        netlocs.append(f"{netloc}:{port}" if port else netloc)
    return f"postgresql://{','.join(netlocs)}/{dbname}"


def connect_message(reason: str, settings: DatabaseSettings, source: str, password: str) -> str:
    """The one-line message for a connection that failed, with the likely fix."""
    detail = reason.split(" failed: ")[-1].removeprefix("FATAL:").strip()
    if "password" in detail and ("authentication failed" in detail or "no password" in detail):
        tip = "check the user and password in the database URL"
    elif "database" in detail and "does not exist" in detail:
        tip = "check the database name at the end of the URL"
    elif "timeout expired" in detail:
        detail = f"no answer within {settings.connect_timeout_s} s"
        tip = (
            "check the host and port in the URL (on Render: the External Database URL), "
            f"or raise connect_timeout_s under [database] in {settings.config_path}"
        )
    else:
        tip = (
            "check the host and port in the URL, and that the database accepts connections "
            "from this machine (on Render: the External Database URL and its access control)"
        )
    return masked(f"cannot connect to {source}: {detail}. Tip: {tip}", password)


def reason(exc: psycopg.Error) -> str:
    """The first line of a psycopg error, without libpq's prefix."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return lines[0].removeprefix("connection failed: ").strip()


def masked(text: str, password: str) -> str:
    """``text`` without the password, plain or percent-encoded, nor any URL's password."""
    return mask(text, password, quote(password, safe="") if password else None)
