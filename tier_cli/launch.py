"""The process entry (the `tier` script and `python -m tier_cli`): start-up settings, then the CLI.

Three savings that change nothing in what tier prints or writes (tests/test_launch.py runs the
check cases both ways and compares):

- The cyclic garbage collector is off for the whole process. A `tier` run is short and frees
  little: it imports modules, parses render.yaml and keeps the result to the end. Collections
  during the imports are a measurable part of `tier check`, and on a big render.yaml they made
  `tier apply` grow faster than the file (each full collection walks every node kept so far).
  Reference counting still frees everything that is not in a cycle.
- Only the command being run is built (cli.main's ``one_command``): Typer turns the signature
  of every command it holds into click options before it runs one.
- The process ends without the interpreter's teardown once the command is done: freeing every
  module and object one by one, and a last garbage collection over all of them, is a measurable
  part of `tier check`'s run and achieves nothing for a process that is about to end. It is
  skipped only when nothing can be waiting for it: stdout and stderr flush cleanly, no other
  thread is alive and no exit handler is registered (`atexit`); files tier writes are
  closed by then (every write is in a `with` block). Otherwise tier exits the normal way.

What each saves, with the command that measures it: benchmarks/README.md.

``TIER_PLAIN_START=1`` turns all three off.
"""

from __future__ import annotations

import gc
import os
import sys


def main() -> int:
    """The `tier` script's entry: the process's exit status (the script exits with it)."""
    if os.environ.get("TIER_PLAIN_START"):
        from tier_cli.cli import main as run_plain

        return run_plain()
    gc.disable()
    from tier_cli.cli import main as run

    code = run(one_command=True)
    _end(code)
    return code


def _end(code: int) -> None:
    """Exit now with `code` when nothing waits for the teardown; return otherwise, and the
    interpreter exits the usual way."""
    import atexit

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
    os._exit(code)
