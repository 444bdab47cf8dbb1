"""The process entry (the `tier` script and `python -m tier_cli`): start-up settings, then the CLI.

Two savings that change nothing in what tier prints or writes (tests/test_launch.py runs the
check cases both ways and compares):

- The cyclic garbage collector is off for the whole process. A `tier` run is short and frees
  little: it imports modules, parses render.yaml and keeps the result to the end. Collections
  during the imports cost about 8 ms of `tier check`, and on a big render.yaml they made
  `tier apply` grow faster than the file (each full collection walks every node kept so far).
  Reference counting still frees everything that is not in a cycle.
- Only the invoked command is built: typer turns every command's signature into click options
  before it runs one (about 0.7 ms a command). `tier` alone, `tier --help`, `--version`, an
  unknown command and shell completion get the whole app.

``TIER_PLAIN_START=1`` turns both off.
"""

from __future__ import annotations

import gc
import os
import sys


def main() -> None:
    if os.environ.get("TIER_PLAIN_START"):
        from tier_cli.cli import main as run_app

        run_app()
        return
    gc.disable()
    from tier_cli.cli import main as run_app

    run_app(sys.argv[1] if len(sys.argv) > 1 else None)
