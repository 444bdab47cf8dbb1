"""A deadline kept by the client, besides the server's statement_timeout.

The server's timeout is a setting, and a setting can be changed by what runs under it; a network
that stops answering is not bounded by it either. So each statement also runs under a watch:
past ``statement_timeout`` plus :data:`GRACE_S`, tier asks the server to cancel the query; if
no answer comes :data:`CLOSE_AFTER_S` later, it shuts the connection's socket, which ends the
wait with a connection error. Either way the run ends in bounded time with exit 4.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Any

import psycopg

GRACE_S = 1.0  # the server's own timeout comes first, with its clearer message
CLOSE_AFTER_S = 2.0  # after the cancel request, before the socket is shut


class Deadline:
    """``with Deadline(conn, ms):`` cancels, then cuts off, a statement that runs past ``ms``."""

    def __init__(self, conn: psycopg.Connection[Any], timeout_ms: int) -> None:
        self.conn = conn
        self.seconds = timeout_ms / 1000 + GRACE_S
        self.done = threading.Event()
        self.cancelled = False
        self.closed = False
        self.thread: threading.Thread | None = None

    def __enter__(self) -> Deadline:
        self.thread = threading.Thread(target=self._watch, name="tier-deadline", daemon=True)
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.done.set()
        if self.thread is not None:
            self.thread.join()

    def _watch(self) -> None:
        if self.done.wait(self.seconds):
            return
        self.cancelled = True
        with contextlib.suppress(Exception):
            self.conn.cancel_safe(timeout=CLOSE_AFTER_S)
        if self.done.wait(CLOSE_AFTER_S):
            return
        self.closed = True
        with contextlib.suppress(OSError, psycopg.Error):
            sock = socket.socket(fileno=_dup(self.conn.fileno()))
            try:
                sock.shutdown(socket.SHUT_RDWR)
            finally:
                sock.close()


def _dup(fd: int) -> int:
    import os

    return os.dup(fd)
