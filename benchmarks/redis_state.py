"""The shared state on Redis: round trips per port operation on the hot paths.

Against a redis-server of its own on a free loopback port and the fake portal, one
replica's state (`state.redis`) and a real `OigCloudClient`: how many times each operation
waits for Redis (a pipeline or MULTI/EXEC block is one round trip), how many commands
Redis executed for it (INFO commandstats), and how long it took on loopback. Operations:
a cached live read, a cache miss (the fetch lock, the re-check, the answer kept), a
session check (whitelist and stored cookie), a token check (two `Records.get`: the access
token, then its grant), a renewal after the session expired (a login), and a confirmed
write (plan, write lock, fencing number, fenced intent, audit, settle).

`python benchmarks/redis_state.py [RUNS]`; needs `redis-server` (Debian: redis-server).
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis
import redis.asyncio
from _common import EMAIL, PASSWORD, FakePortal, Row, RunningPortal, count_argument, print_rows
from redis.asyncio.connection import Connection
from tests.helpers.redis_servers import HINTS, RedisServer

from oig_cloud_mcp.app.wiring import build_app
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.grants import AccessRecord, Grant, RefreshChain
from oig_cloud_mcp.state.redis import Store, state_on

Step = Callable[[], Awaitable[None]]


class CountingConnection(Connection):
    """A redis-py connection that counts what it sends: one send, one round trip."""

    sent = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sent += 1
        await super().send_packed_command(command, check_health)


class CommandCounter:
    """Commands Redis executed between two looks (INFO stats on a connection of its own;
    commands run inside a Lua script, as in redis-py's lock release, count too)."""

    def __init__(self, server: RedisServer) -> None:
        self.plain = server.client()
        self.looks = 0
        self.per_look = 0
        first = self.processed()
        self.per_look = self.processed() - first  # what a look adds by itself
        self.looks = 0

    def processed(self) -> int:
        """Commands executed so far, less those of every look."""
        raw = int(self.plain.info("stats")["total_commands_processed"])
        self.looks += 1
        return raw - (self.looks - 1) * self.per_look

    def close(self) -> None:
        self.plain.close()


@dataclasses.dataclass
class Figure:
    operation: str
    trips: list[int]
    commands: list[int]
    millis: list[float]


async def measure_async(server: RedisServer, portal_url: str, runs: int) -> list[Figure]:
    client = redis.asyncio.Redis.from_url(
        server.url, decode_responses=True, connection_class=CountingConnection
    )
    store = Store(client, f"127.0.0.1:{server.port}/0", "bench:")
    settings = Settings(
        base_url=portal_url,
        env_email=EMAIL,
        env_password=PASSWORD,
        whitelist_extra=(EMAIL,),
        cache_ttl_s=3600.0,
        allowed_writes=frozenset({"set_box_mode"}),
    )
    state = state_on(store, settings, HINTS)
    app = build_app(settings, state=state)
    oig = app.client
    await state.sessions.add_to_whitelist("listed@example.com")  # type: ignore[attr-defined]
    later = time.time() + 3600
    await state.remote.grants.put("grant-1", _grant(), later)
    await state.remote.access.put("token-digest", _access(later), later)

    async def cached_read() -> None:
        await oig.live_stats()

    async def cache_miss_setup() -> None:
        await oig.forget_live_stats()

    async def session_check() -> None:
        await state.sessions.allow("listed@example.com")
        await state.sessions.stored_cookie("listed@example.com")

    async def token_check() -> None:
        record = await state.remote.access.get("token-digest")
        assert record is not None
        await state.remote.grants.get(record.grant_id)

    async def expire() -> None:
        await oig.forget_live_stats()
        PORTAL.expire_sessions()

    modes = iter(["Home 2", "Home 3"] * runs)

    async def confirmed_write() -> None:
        mode = next(modes)
        plan = await app.writes.plan("set_box_mode", mode=mode, box_id=None)
        await app.writes.execute(plan, "preview", principal="bench")
        await app.writes.execute(plan, "confirmed", principal="bench")

    operations: list[tuple[str, Step | None, Step]] = [
        ("cached live read (json.php answer in Redis)", None, cached_read),
        ("cache miss (fetch lock, re-check, keep the answer)", cache_miss_setup, cached_read),
        ("session check (whitelist set + stored cookie)", None, session_check),
        ("token check (Records.get x2: access token, grant)", None, token_check),
        ("expired session: renewal lock, one login, the read", expire, cached_read),
        ("confirmed write: plan, preview, lock, fence, intent, send", None, confirmed_write),
    ]
    await cached_read()  # log in, load the lock scripts, warm the connection pool
    counter = CommandCounter(server)
    figures = []
    for name, setup, operation in operations:
        figure = Figure(name, [], [], [])
        for _ in range(runs):
            if setup is not None:
                await setup()
            before_sent, before_commands = CountingConnection.sent, counter.processed()
            started = time.perf_counter()
            await operation()
            figure.millis.append((time.perf_counter() - started) * 1000)
            figure.trips.append(CountingConnection.sent - before_sent)
            figure.commands.append(counter.processed() - before_commands)
        figures.append(figure)
    counter.close()
    await app.aclose()
    await state.aclose()
    return figures


def _grant() -> Grant:
    return Grant(
        id="grant-1",
        client_id="client-1",
        subject="owner",
        scopes=["oig:read"],
        resource="https://home.example/mcp",
        created_at=time.time(),
        last_used_at=time.time(),
        refresh=RefreshChain(current="refresh-digest"),
    )


def _access(expires_at: float) -> AccessRecord:
    return AccessRecord(
        grant_id="grant-1",
        client_id="client-1",
        scopes=["oig:read"],
        resource="https://home.example/mcp",
        expires_at=expires_at,
    )


PORTAL = FakePortal()


def measure(runs: int = 20) -> list[Row]:
    executable = shutil.which("redis-server")
    if executable is None:
        print("redis-server is not installed: the Redis state benchmark is skipped")
        return []
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="oig-bench-redis-") as directory,
        RunningPortal(PORTAL) as running,
    ):
        server = RedisServer(executable, Path(directory)).start()
        try:
            figures = asyncio.run(measure_async(server, running.url, runs))
        finally:
            server.kill()
    for figure in figures:
        for values, unit, what in (
            (figure.trips, "trips", "round trips"),
            (figure.commands, "cmds", "commands"),
            (figure.millis, "ms", "time on loopback"),
        ):
            rows.append(
                Row(
                    f"Redis {what}: {figure.operation}",
                    statistics.median(values),
                    min(values),
                    max(values),
                    unit,
                )
            )
    return rows


if __name__ == "__main__":
    count = count_argument(20)
    print_rows(f"Shared state on Redis ({count} runs each)", measure(count))
