"""Standard output and error that never crash tier: any text can be printed, a closed or full
stdout is one line and exit 2 (OutputError), a reader that went away (`| head -1`) ends quietly."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from typing import Any

from tier_cli.errors import ConfigError


class OutputError(ConfigError):
    """Standard output cannot be written: closed, a full disk (exit 2)."""


def usable_streams() -> None:
    """Streams that never crash tier: any text can be printed (PYTHONIOENCODING=ascii and a
    non-ASCII path: shown as \\xe9), and a closed stdout fails a write with a clear error."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(OSError, ValueError):
                reconfigure(errors="backslashreplace")
    # fd 1 closed at start (`tier check >&-`): Python gives None; every write then fails.
    sys.stdout = _Stdout(_ClosedStream() if sys.stdout is None else sys.stdout)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the whole run


def say(text: str, multiline: bool = False) -> None:
    """One line on stderr; file and database text in it cannot start a new line (escape.py)."""
    from tier_cli.output.escape import terminal

    lines = text.split("\n") if multiline else [text]
    with contextlib.suppress(OSError, ValueError):  # nowhere left: the exit code still says it
        sys.stderr.write("".join(terminal(line) + "\n" for line in lines))
        sys.stderr.flush()


def flush_stdout() -> None:
    """What is still buffered; a reader that is gone ends the output quietly, a write that
    fails is an OutputError."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader is gone: nothing more to say to it
        quiet_stdout()
    except (OSError, ValueError) as exc:
        quiet_stdout()
        raise OutputError(_output_message(exc)) from None


def last_flush() -> None:
    """At the very end: what is still buffered, while a closed pipe can be told apart."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, OutputError):  # OutputError: already said by the command
        quiet_stdout()


def quiet_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's last flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test's capture): nothing to flush
        pass
    finally:
        os.close(devnull)


def _output_message(exc: BaseException) -> str:
    return (
        f"cannot write to standard output ({getattr(exc, 'strerror', None) or exc}). "
        "Tip: check where the output goes (a closed stream, a full disk)"
    )


class _ClosedStream(io.StringIO):
    """Stands for a standard output that was closed before tier started."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


class _Stdout:
    """sys.stdout, where a write or flush that fails (closed, /dev/full) is an OutputError: one
    line and exit 2, never an internal error. A closed pipe stays a BrokenPipeError."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as exc:
            quiet_stdout()
            raise OutputError(_output_message(exc)) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as exc:
            quiet_stdout()
            raise OutputError(_output_message(exc)) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
