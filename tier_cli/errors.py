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
# The URLs are found in one linear scan (each scheme read once, the last `@` of each line found
# once): one expression of a scheme, `://` and credentials was tried again from every letter of
# a long alphanumeric run, and took hours on a file of tier's size limits. In _URL_HEAD, the
# lookbehind makes every position inside a run of scheme characters fail at once and the
# possessive runs never backtrack. The patterns are compiled on first use (re's cache keeps
# them): a run that prints no message needs none.
_URL_HEAD = (
    r"(?<![a-zA-Z0-9+.-])[0-9+.-]*+(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*+)://|\bpostgres(?:ql)?:/"
)
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
    text = _url_credentials(text)
    text = re.sub(_QUERY_PASSWORD, lambda m: m["head"] + "***", text)
    return re.sub(_KV_PASSWORD, lambda m: m["head"] + "***", text)


def _url_credentials(text: str) -> str:
    """Every `scheme://CREDENTIALS@` (and `postgres(ql):/CREDENTIALS@`) with its credentials
    hidden, the credentials running to the last `@` of their line."""
    if "@" not in text:
        return text
    heads = re.compile(_URL_HEAD)
    parts: list[str] = []
    done = 0  # text before this is in parts
    line_end = last_at = -1  # the current line's end and its last `@`, found once per line
    found = heads.search(text)
    while found is not None:
        head_end = found.end()
        if head_end > line_end:
            newline = text.find("\n", head_end)
            line_end = len(text) if newline < 0 else newline
            last_at = text.rfind("@", head_end, line_end)
        if last_at < head_end:  # no `@` after it on this line: none after a later head either
            found = heads.search(text, line_end)
            continue
        start = found.start("scheme") if found["scheme"] else found.start()
        parts.append(text[done:start] + _credentials(text[start:head_end], text[head_end:last_at]))
        done = last_at + 1
        found = heads.search(text, done)
    parts.append(text[done:])
    return "".join(parts)


def _credentials(head: str, cred: str) -> str:
    user, colon, password = cred.partition(":")
    if colon and re.fullmatch(_PLAIN_USER, user):
        return f"{head}{user}:{_hidden(password)}@"
    return f"{head}***@"


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
