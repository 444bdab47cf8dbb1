"""The command line: flags in, exit codes out. The only package that knows about exit codes.

- ``commands.py``: the Typer app, its options and commands; each asks app/ for the work and
  prints what it returns.
- ``failures.py``: a failure as one line on stderr and its exit code; the exit codes.
- ``streams.py``: standard output and error that never crash tier.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tier_cli.cli.commands import COMMANDS, app, build
from tier_cli.cli.streams import last_flush, usable_streams

__all__ = ["app", "main"]


def main(argv: Sequence[str] | None = None, *, one_command: bool = False) -> int:
    """Run one tier command (``argv``: its arguments, else the process's) and return its exit
    status.

    ``one_command``: when the first argument names a command, run an app that holds only that
    command (commands.build). `tier` alone, `--help`, `--version`, an unknown command and shell
    completion (which passes no arguments) get the whole app.
    """
    usable_streams()
    words = sys.argv[1:] if argv is None else list(argv)
    runs = app
    if one_command and words and words[0] in COMMANDS:
        runs = build(words[0])
    try:
        runs(args=None if argv is None else words, prog_name="tier")
        code: object = 0
    except SystemExit as done:
        code = done.code
    last_flush()
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    raise SystemExit(code)  # a message: the interpreter prints it, as it always has
