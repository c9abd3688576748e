"""ASGI apps served by uvicorn on 127.0.0.1 in a background thread, and free ports."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn


def free_port() -> int:
    """A loopback port nobody listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(config: uvicorn.Config, what: str = "the test server") -> Iterator[int]:
    """Run uvicorn with `config` in a daemon thread until the block ends; yields the port
    it listens on (useful with `port=0`)."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.01)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class ThreadedServer:
    """An ASGI app served by uvicorn on 127.0.0.1:`port` in a thread (in-process tests)."""

    def __init__(self, app: Any, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")
        self._serving = serve_in_thread(config, "the in-process HTTP server")
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> ThreadedServer:
        self._serving.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.__exit__(None, None, None)
