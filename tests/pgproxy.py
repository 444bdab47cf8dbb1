"""A TCP proxy in front of the test PostgreSQL server that fails on cue, like a real network.

Bytes pass through unchanged until the client sends one of the markers (inside a query's text):
- ``tier-proxy-drop``: both connections are closed at once, as when the server dies mid-query;
- ``tier-proxy-stall``: nothing more is passed on either way, as when a network stops answering
  (the server never sees the query, so its statement_timeout cannot help).
Other connections (tier's cancel request, say) go through untouched.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

from psycopg.conninfo import conninfo_to_dict

DROP = b"tier-proxy-drop"
STALL = b"tier-proxy-stall"


def _upstream(url: str) -> tuple[int, Any]:
    params = conninfo_to_dict(url)
    host = str(params.get("host") or "/tmp").split(",")[0]
    port = int(str(params.get("port") or 5432).split(",")[0])
    if host.startswith("/"):
        return socket.AF_UNIX, f"{host}/.s.PGSQL.{port}"
    return socket.AF_INET, (host, port)


@contextlib.contextmanager
def proxy(server_url: str) -> Iterator[tuple[str, int]]:
    """Listen on 127.0.0.1; yield (host, port) to put in a URL with sslmode=disable."""
    family, address = _upstream(server_url)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    sockets: list[socket.socket] = [listener]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.socket(family, socket.SOCK_STREAM)
            server.connect(address)
            sockets.extend((client, server))
            stalled = threading.Event()
            pair = (client, server, stalled)
            threading.Thread(target=pump, args=(*pair, True), daemon=True).start()
            threading.Thread(
                target=pump, args=(server, client, stalled, False), daemon=True
            ).start()

    def pump(src: socket.socket, dst: socket.socket, stalled: threading.Event, up: bool) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if up and DROP in data:
                    for s in (src, dst):
                        with contextlib.suppress(OSError):
                            s.shutdown(socket.SHUT_RDWR)
                        s.close()
                    return
                if up and STALL in data:
                    stalled.set()
                if stalled.is_set():
                    continue  # swallowed: the peer waits for an answer that never comes
                dst.sendall(data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()
    finally:
        stop.set()
        for s in sockets:
            with contextlib.suppress(OSError):
                s.close()
