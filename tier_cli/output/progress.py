"""Which metric is being read, as a rich status line on stderr: only on a terminal.

Nothing at all when stderr is piped or redirected, or when the command prints JSON: the status
line is for a person waiting on a long collection, never for a log or a machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

Progress = Callable[[str], None]


@contextmanager
def metric_status(stream: IO[str], enabled: bool = True) -> Iterator[Progress | None]:
    """A callback naming the metric being read, shown on ``stream`` when it is a terminal."""
    if not enabled or not stream.isatty():
        yield None
        return
    from rich.console import Console

    console = Console(file=stream, highlight=False)
    with console.status("connecting to the database") as status:

        def show(metric: str) -> None:
            status.update(f"reading metric {metric}")

        yield show
