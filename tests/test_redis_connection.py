"""Connecting to the shared Redis, and what every port call says when Redis cannot be
used (not there, hanging, refusing the password)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio.connection import SSLConnection

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.errors import ConfigurationError, StateUnavailableError
from oig_cloud_mcp.state.ports import State
from oig_cloud_mcp.state.redis import connect, redis_state, state_on

from .helpers.fakes import EMAIL
from .helpers.redis_servers import HINTS, RedisServer
from .helpers.threaded import free_port

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2025, 6, 28, 12, 0, tzinfo=UTC)


# -- connecting ---------------------------------------------------------------------------


def test_the_address_in_messages_names_host_port_and_database_but_never_the_password() -> None:
    store = connect("redis://:s3cret-redis@db.example:6380/2")

    assert store.where == "db.example:6380/2"
    assert "s3cret" not in repr(store)
    assert connect("redis://localhost").where == "localhost:6379/0"
    assert connect("unix:///run/redis/redis.sock?db=1").where == "/run/redis/redis.sock"


@pytest.mark.parametrize(
    "url",
    ["http://user:s3cret-redis@db.example/", "s3cret-redis", "redis://:s3cret-redis@/0", ""],
)
def test_a_url_that_is_no_redis_url_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ConfigurationError, match="redis://") as raised:
        connect(url)

    assert "s3cret" not in str(raised.value)


def test_rediss_verifies_the_servers_certificate() -> None:
    connection = connect("rediss://db.example:6380/0").redis.connection_pool.make_connection()

    assert isinstance(connection, SSLConnection)
    assert connection.ssl_context.cert_reqs == ssl.CERT_REQUIRED
    assert connection.ssl_context.check_hostname


def test_a_password_file_and_a_password_in_the_url_are_not_both_taken(tmp_path: Path) -> None:
    secret = tmp_path / "redis-password"
    secret.write_text("from-the-file\n")

    with pytest.raises(ConfigurationError, match="either in the URL or in the password file"):
        connect("redis://:in-the-url@localhost/0", secret)
    with pytest.raises(ConfigurationError, match=r"redis-missing cannot be read \(No such file"):
        connect("redis://localhost/0", tmp_path / "redis-missing")
    (tmp_path / "empty").write_text("")
    with pytest.raises(ConfigurationError, match="is empty"):
        connect("redis://localhost/0", tmp_path / "empty")
    with pytest.raises(ConfigurationError, match="prefix"):
        connect("redis://localhost/0", prefix="two words")


async def test_the_password_file_opens_a_redis_that_requires_a_password(tmp_path: Path) -> None:
    from .helpers.redis_servers import redis_server_path

    server = RedisServer(redis_server_path(), tmp_path / "redis", password="r3dis pw").start()
    try:
        (tmp_path / "pw").write_text("r3dis pw\n")
        (tmp_path / "wrong").write_text("not-the-pw-4711\n")
        right = connect(server.url, tmp_path / "pw")
        wrong = connect(server.url, tmp_path / "wrong")

        await right.redis.set("probe", "1")
        with pytest.raises(StateUnavailableError, match="refused the password") as raised:
            await state_on(wrong, Settings(), HINTS).pending.changes(EMAIL)

        assert "4711" not in str(raised.value)
        assert "r3dis" not in str(raised.value)
        assert f"127.0.0.1:{server.port}/0" in str(raised.value)
        await right.aclose()
        await wrong.aclose()
    finally:
        server.kill()


def test_redis_state_names_where_it_keeps_things(settings: Settings) -> None:
    state = redis_state("redis://:pw-4711@db.example:6380/3", settings, HINTS, prefix="home:")

    assert state.where == "shared state on Redis at db.example:6380/3 (keys home:*)"


def test_a_stdio_server_and_the_command_line_never_import_redis() -> None:
    probe = (
        "import sys, oig_cloud_mcp.server, oig_cloud_mcp.cli, oig_cloud_mcp.app.wiring; "
        "print(sorted(m for m in sys.modules if m == 'redis' or m.startswith(('redis.', "
        "'fakeredis', 'oig_cloud_mcp.state.redis'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )

    assert done.stdout.strip() == "[]"


# -- when Redis cannot be used ------------------------------------------------------------


def every_port(state: State) -> dict[str, Any]:
    """One call of each port, not yet awaited."""

    async def renew() -> None:
        async with state.sessions.renewal(EMAIL):
            pass

    async def hold() -> None:
        async with state.write_lock.hold(EMAIL):
            pass

    async def fetch() -> None:
        async with state.cache.fetching(EMAIL):
            pass

    return {
        "allow": lambda: state.sessions.allow("someone@example.com"),
        "cookie": lambda: state.sessions.stored_cookie(EMAIL),
        "renewal": renew,
        "cache": lambda: state.cache.get(EMAIL),
        "fetching": fetch,
        "pending": lambda: state.pending.update(EMAIL, lambda e: e),
        "audit": lambda: state.audit.append({"tool": "set_box_mode"}),
        "write lock": hold,
        "previews": lambda: state.previews.remember("p", "c", NOW),
        "records": lambda: state.remote.access.get("digest"),
        "take": lambda: state.remote.codes.take("digest"),
    }


async def test_a_redis_that_is_not_there_gives_one_clear_sentence_per_call_at_once(
    settings: Settings,
) -> None:
    port = free_port()  # nothing listens there
    state = redis_state(f"redis://:pw-4711@127.0.0.1:{port}/0", settings, HINTS)

    for name, call in every_port(state).items():
        started = time.monotonic()
        with pytest.raises(StateUnavailableError) as raised:
            await call()
        assert str(raised.value) == (
            f"The shared state (Redis at 127.0.0.1:{port}/0) is not answering; "
            "try again in a moment."
        ), name
        assert time.monotonic() - started < 3, name
    await state.aclose()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung Redis)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


async def test_a_redis_that_hangs_fails_the_call_after_a_bounded_time(
    settings: Settings, silent_port: int
) -> None:
    state = redis_state(f"redis://127.0.0.1:{silent_port}/0", settings, HINTS, redis_timeout_s=0.3)

    for name in ("cache", "pending", "write lock"):
        started = time.monotonic()
        with pytest.raises(StateUnavailableError, match="is not answering"):
            await every_port(state)[name]()
        assert time.monotonic() - started < 0.3 * 3 + 1.5, name  # three tries, short pauses
    await state.aclose()


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ("OOM command not allowed when used memory > 'maxmemory'.", "out of memory (maxmemory)"),
        ("READONLY You can't write against a read only replica.", "refused a command (READONLY)"),
    ],
)
def test_a_command_redis_refuses_is_named_by_redis_s_error_code(answer: str, said: str) -> None:
    from redis._parsers.base import BaseParser

    store = connect("redis://127.0.0.1:6379/0")
    with pytest.raises(StateUnavailableError) as caught, store.translating():
        raise BaseParser.parse_error(answer)  # as redis-py raises Redis's answer

    assert said in str(caught.value)
