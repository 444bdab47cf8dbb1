"""The one domain exception family, and credential masking.

Each subclass stands for one way a run can fail and carries its exit code (a subclass inherits
it); the CLI turns them into one line and that code.
Messages are one line, name the file and the field, and end with a tip where there is a fix.
"""

from __future__ import annotations

import re


class TierError(Exception):
    """An expected failure: shown as one line, never as a traceback."""

    exit_code = 2


class ConfigError(TierError):
    """tiers.toml, a flag or an option is wrong (exit 2)."""


class RenderFileError(TierError):
    """render.yaml is unreadable or invalid (exit 3)."""

    exit_code = 3


class RefusedError(TierError):
    """The edit cannot be made safely; the file is left untouched (exit 3)."""

    exit_code = 3


class LegacyPlanRefused(RefusedError):
    """The tier would move a database to a legacy Postgres plan Render no longer accepts (exit 3;
    `tier check` reports it as the configuration problem it is, exit 2)."""


class MetricsError(TierError):
    """Metrics could not be read: database unreachable, query failed, snapshot missing (exit 4)."""

    exit_code = 4


# A URL's credentials run from `://` to the last `@` of the line, whatever libpq would make of
# them: an unencoded `/`, `?`, `#`, `@` or space in a password moves where it thinks the host
# starts. A plain user name before the first `:` stays; the rest, to the last `@`, is hidden. A
# URL given as a path (--metrics URL) comes back with its `//` made one `/`.
# The patterns are compiled on first use (re's own cache keeps them): a run that prints no
# message needs none, and compiling them costs a start-up that does.
_URL_CREDENTIALS = r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://|\bpostgres(?:ql)?:/)(?P<cred>[^\n]*)@"
_PLAIN_USER = r"[^:/?#@\s]*"
_KV_PASSWORD = r"(?i)(?P<head>\bpassword\s*=\s*)(?P<pw>'[^']*'|\S+)"
_QUERY_PASSWORD = r"(?i)(?P<head>[?&]password=)(?P<pw>[^&\s]*)"


def mask(text: str, *secrets: str | None) -> str:
    """Hide passwords in URLs, key=value conninfo strings, and any given secret.

    A secret is hidden where it stands on its own, not inside a longer word: a one-letter
    password `p` is not cut out of `Tip` or `postgresql` (the rest of the message stays legible),
    and the URL and key=value patterns below catch it where it is a password.
    """
    for secret in secrets:
        if secret:
            text = _alone(secret).sub("***", text)
    text = re.sub(_URL_CREDENTIALS, _credentials, text)
    text = re.sub(_QUERY_PASSWORD, lambda m: m["head"] + "***", text)
    return re.sub(_KV_PASSWORD, lambda m: m["head"] + "***", text)


def _credentials(m: re.Match[str]) -> str:
    user, colon, password = m["cred"].partition(":")
    if colon and re.fullmatch(_PLAIN_USER, user):
        return f"{m['head']}{user}:{_hidden(password)}@"
    return f"{m['head']}***@"


def _hidden(password: str) -> str:
    """`***`, except for the placeholder of a tip (`postgresql://USER:PASSWORD@HOST`)."""
    return password if password == "PASSWORD" else "***"


def _alone(secret: str) -> re.Pattern[str]:
    """`secret`, not preceded or followed by a letter or digit where its own end is one."""
    head = r"(?<![0-9A-Za-z])" if secret[0].isalnum() else ""
    tail = r"(?![0-9A-Za-z])" if secret[-1].isalnum() else ""
    return re.compile(head + re.escape(secret) + tail)


def url_secrets(url: str | None) -> tuple[str, ...]:
    """The password of a database URL (or `key=value` conninfo string), as written and
    percent-decoded: what to hide in a message. Nothing when it has none (`p` is not a URL)."""
    if not url:
        return ()
    from urllib.parse import unquote, urlsplit

    url = url.strip()
    if "://" in url:
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
    else:
        found = re.search(_KV_PASSWORD, url)
        password = found["pw"].strip("'") if found else None
    return (password, unquote(password)) if password else ()
