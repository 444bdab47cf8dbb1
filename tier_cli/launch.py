"""The process entry (the `tier` script and `python -m tier_cli`): start-up settings, then the CLI.

Three savings that change nothing in what tier prints or writes (tests/test_launch.py runs the
check cases both ways and compares):

- The cyclic garbage collector is off for the whole process. A `tier` run is short and frees
  little: it imports modules, parses render.yaml and keeps the result to the end. Collections
  during the imports cost about 8 ms of `tier check`, and on a big render.yaml they made
  `tier apply` grow faster than the file (each full collection walks every node kept so far).
  Reference counting still frees everything that is not in a cycle.
- Only the invoked command is built: typer turns every command's signature into click options
  before it runs one (about 0.7 ms a command). `tier` alone, `tier --help`, `--version`, an
  unknown command and shell completion get the whole app.
- The process ends without the interpreter's teardown once the command is done: freeing every
  module and object one by one, and a last garbage collection over all of them, took some 10 ms
  of `tier check` (about a tenth of its run) and achieves nothing for a process that is about to
  end. It is skipped only when nothing can be waiting for it: stdout and stderr flush cleanly,
  no other thread is alive and no exit handler is registered (`atexit`); files tier writes are
  closed by then (every write is in a `with` block). Otherwise tier exits the normal way.

``TIER_PLAIN_START=1`` turns all three off.
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

    try:
        run_app(sys.argv[1] if len(sys.argv) > 1 else None)
    except SystemExit as done:
        _end(done.code)
        raise
    _end(None)


def _end(code: object) -> None:
    """Exit now with `code` (an exit status or None) when nothing waits for the teardown;
    return otherwise, and the interpreter exits the usual way."""
    import atexit

    if code is not None and not isinstance(code, int):
        return  # a message to print: SystemExit's own handling does it
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return
    callbacks = getattr(atexit, "_ncallbacks", None)  # CPython's count of exit handlers
    if callbacks is None or callbacks():
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return  # the usual exit reports or ignores it, as before
    os._exit(code or 0)
