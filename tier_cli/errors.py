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


_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)(?P<pw>[^@\s]*)(?=@)")
_KV_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'[^']*'|\S+)", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)(?P<pw>[^&\s]*)", re.IGNORECASE)


def mask(text: str, *secrets: str | None) -> str:
    """Hide passwords in URLs, key=value conninfo strings, and any given secret."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _URL_PASSWORD.sub(lambda m: m["head"] + "***", text)
    text = _QUERY_PASSWORD.sub(lambda m: m["head"] + "***", text)
    return _KV_PASSWORD.sub(lambda m: m["head"] + "***", text)
