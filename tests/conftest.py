"""Shared fixtures: isolated user dirs, an in-memory keyring, a fake clock, the fake portal."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import keyring
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.models import Credentials
from oig_cloud_mcp.server import build_server

from .fake_portal import FakePortal, RunningPortal
from .helpers.fakes import EMAIL, PASSWORD, FakeClock, MemoryKeyring

# CI runs the same examples every time (a property test that finds a new input there would
# block an unrelated change); local runs keep exploring new ones.
hypothesis.settings.register_profile("ci", derandomize=True, database=None)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user's files or environment."""
    home = tmp_path / "home"
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_DATA_HOME", "data"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("HOME", str(home))
    for var in [name for name in os.environ if name.startswith("OIG_CLOUD")]:
        monkeypatch.delenv(var)
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def creds() -> Credentials:
    return Credentials(EMAIL, PASSWORD, source="test")


@pytest.fixture(scope="session")
def running_portal() -> Iterator[RunningPortal]:
    with RunningPortal(FakePortal()) as running:
        yield running


@pytest.fixture
def portal(running_portal: RunningPortal) -> FakePortal:
    """A fresh fake portal for this test, served on 127.0.0.1."""
    running_portal.portal = FakePortal()
    return running_portal.portal


@pytest.fixture
def portal_url(running_portal: RunningPortal, portal: FakePortal) -> str:
    return running_portal.url


@pytest.fixture
def settings(tmp_path: Path, portal_url: str) -> Settings:
    """Settings pointing at the fake portal with env credentials and a whitelist."""
    return Settings(
        base_url=portal_url,
        env_email=EMAIL,
        env_password=PASSWORD,
        whitelist_extra=(EMAIL,),
        config_dir=tmp_path / "config",
        state_dir=tmp_path / "state",
    )


@pytest.fixture
def env(tmp_path: Path, portal_url: str) -> dict[str, str]:
    """The environment of a real server process: its own home, the fake portal, env login."""
    home = tmp_path / "e2e-home"
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
        "OIG_CLOUD_BASE_URL": portal_url,
        "OIG_CLOUD_EMAIL": EMAIL,
        "OIG_CLOUD_PASSWORD": PASSWORD,
        "OIG_CLOUD_MCP_WHITELIST": EMAIL,
        "OIG_CLOUD_MCP_LOG_LEVEL": "INFO",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }


@pytest.fixture(params=["legacy", "auto"])
def mode(request: pytest.FixtureRequest) -> str:
    """Both protocol eras of the SDK client: the initialize handshake and 2026's discover."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def server(settings: Settings) -> MCPServer:
    """The server under test; a module overrides this for other settings or a fixed clock."""
    return build_server(settings)


@pytest.fixture
async def mcp(server: MCPServer, mode: str) -> AsyncIterator[Client]:
    """The one in-process MCP client: the SDK's Client on `server`, in both eras."""
    async with Client(server, mode=mode) as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture
def real_redis(tmp_path: Path) -> Iterator[Any]:
    """A real redis-server of this test's own on a free loopback port (helpers.redis_servers)."""
    from .helpers.redis_servers import RedisServer, redis_server_path

    server = RedisServer(redis_server_path(), tmp_path / "redis").start()
    yield server
    server.kill()
