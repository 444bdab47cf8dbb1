"""How every command ends: a TierError is one line on stderr and its exit code, a bug is exit 5,
and no message ever shows a password. The exit codes are known here and nowhere else."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from tier_cli.cli.streams import flush_stdout, quiet_stdout, say
from tier_cli.errors import TierError, mask, url_secrets

EXIT_OUT_OF_SYNC = 1
EXIT_INTERNAL = 5

EXIT_HELP = (
    "Exit codes: 0 ok; 1 render.yaml is not on the recommended tier (check), or costs more than "
    "--max-increase (diff); 2 usage or "
    "config error (flags, tiers.toml, a refused custom query or database role, an output that "
    "cannot be written); 3 render.yaml unreadable or invalid, or an edit refused as unsafe (the "
    "file is untouched); 4 metrics unavailable (database, snapshot); 5 internal error (a bug "
    "in tier)."
)

F = TypeVar("F", bound=Callable[..., Any])


def guarded(fn: F) -> F:
    """Turn a TierError into one line on stderr and its exit code; never show a password.

    Also an unexpected error (a bug: exit 5, the traceback on stderr when TIER_DEBUG is set, to
    any value) and an output that cannot be written (stdout closed, /dev/full: exit 2; a pipe
    whose reader has all it wanted, `| head -1`, ends quietly).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                result = fn(*args, **kwargs)
            except typer.Exit:
                flush_stdout()
                raise
            flush_stdout()
            return result
        except TierError as exc:
            say(f"tier: error: {_masked(exc, kwargs)}")
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # `tier recommend | head -1`: the reader has all it wanted
            quiet_stdout()
            raise typer.Exit(0) from None
        except Exception as exc:  # a bug: never let CI read it as "out of sync" (exit 1)
            if "TIER_DEBUG" in os.environ:
                import traceback

                say(_masked_text(traceback.format_exc(), kwargs).rstrip("\n"), True)
            say(
                f"tier: internal error: {type(exc).__name__}: {_masked(exc, kwargs)}. "
                "This is a bug in tier; set TIER_DEBUG=1 for the traceback and report it"
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def github_errors(fn: F) -> F:
    """`--format github`: a failure (exit 2 to 5) is also an `::error` annotation on stdout, with
    the same one line as stderr, so the Actions run shows why the check could not tell."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt, BrokenPipeError):
            raise
        except Exception as exc:
            if kwargs.get("output") == "github":
                from tier_cli.output.check import error_annotation

                text = _masked(exc, kwargs)
                if isinstance(exc, TierError):
                    code = exc.exit_code
                else:
                    code, text = EXIT_INTERNAL, f"internal error: {type(exc).__name__}: {text}"
                sys.stdout.write(error_annotation(text, code))
            raise

    return wrapper  # type: ignore[return-value]


def exit_status(code: object) -> int:
    """The process's exit status from what click's SystemExit carries (None: 0)."""
    return code if isinstance(code, int) else 0 if code is None else EXIT_INTERNAL


def _masked(exc: Exception, kwargs: dict[str, Any]) -> str:
    """The exception's message without the password of --database-url or DATABASE_URL."""
    return _masked_text(str(exc), kwargs)


def _masked_text(text: str, kwargs: dict[str, Any]) -> str:
    return mask(text, *url_secrets(kwargs.get("database_url") or os.environ.get("DATABASE_URL")))
