"""Masking: passwords never shown, and the rest of the message left legible."""

from __future__ import annotations

import pytest

from tier_cli.errors import mask, url_secrets

# (id, message, the database URL the user gave, expected)
CASES = [
    (
        "one-letter-password-not-cut-out-of-words",
        "Tip: use postgresql://USER:PASSWORD@HOST:PORT/DBNAME",
        "postgresql://u:p@h/db",
        "Tip: use postgresql://USER:PASSWORD@HOST:PORT/DBNAME",
    ),
    (
        "not-a-url-hides-nothing",
        "tiers.toml: not found. Tip: pass --tiers PATH",
        "p",
        "tiers.toml: not found. Tip: pass --tiers PATH",
    ),
    (
        "password-alone-is-hidden",
        'invalid input syntax for type integer: "s3cret"',
        "postgresql://u:s3cret@h/db",
        'invalid input syntax for type integer: "***"',
    ),
    (
        "percent-decoded-password-is-hidden",
        "echo: p@ss! end",
        "postgresql://u:p%40ss%21@h/db",
        "echo: *** end",
    ),
    (
        "url-password-in-any-url",
        "cannot connect to postgresql://alice:other@db/app",
        None,
        "cannot connect to postgresql://alice:***@db/app",
    ),
    (
        "conninfo-password",
        "host=db password=s3cret dbname=app",
        "host=db password=s3cret",
        "host=db password=*** dbname=app",
    ),
    (
        "query-password",
        "postgresql://db/app?sslmode=require&password=s3cret",
        None,
        "postgresql://db/app?sslmode=require&password=***",
    ),
]


@pytest.mark.parametrize(
    ("text", "url", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_mask(text: str, url: str | None, expected: str) -> None:
    assert mask(text, *url_secrets(url)) == expected
