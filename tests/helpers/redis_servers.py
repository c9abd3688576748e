"""Redis for the tests: an in-process fake (fakeredis) for the unit tests, and a real
`redis-server` on a free loopback port for the tests of several processes.

Without `redis-server` the real-server tests are skipped, unless `OIG_REQUIRE_REDIS=1`
(CI), where that is a failure.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import redis

from oig_cloud_mcp.state.local.sessions import Hints
from oig_cloud_mcp.state.redis import Store

if TYPE_CHECKING:
    import fakeredis

from .required import found_or_skip
from .threaded import free_port

HINTS = Hints(rejected="fix the password.", locked="fix the password.", not_listed="ask the owner.")


def fake_store(server: fakeredis.FakeServer | None = None, prefix: str = "oig:") -> Store:
    """A `Store` on an in-process fake Redis (`server` shares it between stores)."""
    import fakeredis  # a test dependency; the benchmarks use only the real server here

    client = fakeredis.FakeAsyncRedis(
        server=server or fakeredis.FakeServer(), decode_responses=True
    )
    return Store(client, "fakeredis", prefix)


def redis_server_path() -> str:
    """The `redis-server` executable, or skip (fail under OIG_REQUIRE_REDIS=1)."""
    reason = "redis-server is not installed (Debian: apt-get install redis-server)"
    return found_or_skip(shutil.which("redis-server"), reason, "OIG_REQUIRE_REDIS")


class RedisServer:
    """A real redis-server of our own on 127.0.0.1, persisting to an append-only file in
    `directory`; it can be stopped, killed and started again on the same port and data."""

    def __init__(self, executable: str, directory: Path, *, password: str | None = None) -> None:
        self.executable = executable
        self.directory = directory
        self.password = password
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        argv = [
            self.executable,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        if self.password:
            argv += ["--requirepass", self.password]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_until_answering()
        return self

    def _wait_until_answering(self) -> None:
        client = redis.Redis(port=self.port, password=self.password, socket_timeout=1)
        deadline = time.monotonic() + 15
        try:
            while True:
                try:
                    if client.ping():
                        return
                except (redis.ConnectionError, redis.exceptions.BusyLoadingError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM: Redis writes what it has and exits."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: gone at once."""
        self._end(signal.SIGKILL)

    def _end(self, how: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(how)
            self.process.wait(timeout=15)
        self.process = None

    def client(self) -> redis.Redis:
        """A plain synchronous client, for looking at what is stored."""
        return redis.Redis(port=self.port, password=self.password, decode_responses=True)
