"""Remote mode under test: the installed command serving HTTP, and an in-process server
on a fake clock."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from .commands import command, run_command
from .threaded import ThreadedServer, free_port


def pairing_code(env: dict[str, str]) -> str:
    """A fresh code from `oig-cloud-mcp remote pair` (the code alone is on stdout)."""
    done = run_command(env, "remote", "pair")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@dataclass
class ServedCommand:
    """`oig-cloud-mcp serve --http` running as a subprocess."""

    process: subprocess.Popen[str]
    url: str
    stderr_lines: list[str] = field(default_factory=list)
    stdout_lines: list[str] = field(default_factory=list)

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        """Signal the server and return its exit code and stderr."""
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        return code, "".join(self.stderr_lines)


@contextlib.contextmanager
def served(env: dict[str, str], *args: str, port: int | None = None) -> Iterator[ServedCommand]:
    """Start `oig-cloud-mcp serve --http` and wait until it answers /health."""
    port = port or free_port()
    process = subprocess.Popen(
        [*command(), "serve", "--http", "--port", str(port), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    server = ServedCommand(process, f"http://127.0.0.1:{port}")
    assert process.stderr is not None
    pump = threading.Thread(
        target=lambda: server.stderr_lines.extend(process.stderr or []), daemon=True
    )
    pump.start()
    out = threading.Thread(
        target=lambda: server.stdout_lines.extend(process.stdout or []), daemon=True
    )
    out.start()
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pump.join(timeout=5)
            raise RuntimeError("serve --http did not start: " + "".join(server.stderr_lines))
        time.sleep(0.05)
    try:
        yield server
    finally:
        if process.poll() is None:
            server.stop()
        pump.join(timeout=5)
        out.join(timeout=5)
        for stream in (process.stderr, process.stdout):
            if stream is not None:
                stream.close()


CODE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$")


@dataclass
class InProcess:
    """A remote server in this process: its authorization server and its URL."""

    authorization: Any
    url: str

    def pair(self) -> str:
        """A fresh pairing code, straight from the authorization server."""
        import anyio

        return str(anyio.run(self.authorization.pair))


@contextlib.contextmanager
def in_process(
    settings: Any, clock: Callable[[], float] | None = None, fetch_document: Any = None
) -> Iterator[InProcess]:
    """`build_http_app` for `settings` on a free loopback port, its records in memory on
    `clock` (a fake one moves codes and tokens past their lifetimes); with
    `fetch_document`, clients may name themselves with a metadata document (CIMD)."""
    from oig_cloud_mcp.app.authorization import Authorization
    from oig_cloud_mcp.app.wiring import RemoteParts, build_app, remote_settings
    from oig_cloud_mcp.server.remote.http import Remote, build_http_app
    from oig_cloud_mcp.state.memory import memory_remote

    port = free_port()
    current = settings.with_overrides(http_port=port)
    issuer = f"http://127.0.0.1:{port}"
    tick = clock or time.time
    authorization = Authorization(
        memory_remote(tick),
        remote_settings(current, issuer=issuer),
        fetch_document=fetch_document,
        clock=tick,
    )
    oig = build_app(current)
    parts = RemoteParts(authorization, lambda _: oig, None, oig.aclose, oig.state.ping)
    app = build_http_app(Remote(current, parts, issuer), cimd=fetch_document is not None)
    with ThreadedServer(app, port) as server:
        yield InProcess(authorization, server.url)
