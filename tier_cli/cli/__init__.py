"""The command line: flags in, exit codes out. The only package that knows about exit codes.

- ``commands.py``: the Typer app, its options and commands; each asks app.py for the work and
  prints what it returns.
- ``failures.py``: a failure as one line on stderr and its exit code; the exit codes.
- ``streams.py``: standard output and error that never crash tier.
"""

from __future__ import annotations

from collections.abc import Sequence

from tier_cli.cli.commands import app
from tier_cli.cli.streams import last_flush, usable_streams

__all__ = ["app", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one tier command (``argv``: its arguments, else the process's) and return its exit
    status."""
    usable_streams()
    try:
        app(args=None if argv is None else list(argv), prog_name="tier")
        code: object = 0
    except SystemExit as done:
        code = done.code
    last_flush()
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    raise SystemExit(code)  # a message: the interpreter prints it, as it always has
