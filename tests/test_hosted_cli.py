"""Hosting on Redis as an operator runs it: `--state` on the installed command, replicas
of `serve --http` behind one public URL, the owner's `login`, and Redis going away.

The replicas keep nothing in the state directory: every promise is kept in Redis, and
while Redis does not answer a client sees 503 (try again), never 401/403 (which would
make it throw its grant away).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from oig_cloud_mcp.cli.app import app

from .fake_portal import BOX_ID, FakePortal
from .helpers.commands import run_command
from .helpers.fakes import EMAIL, PASSWORD, MemoryKeyring
from .helpers.oauth import Browser, RawOAuth, call_tool, grant
from .helpers.remote import served
from .helpers.settings import state_dir_of
from .helpers.threaded import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser() -> Iterator[Browser]:
    owner = Browser()
    yield owner
    owner.close()


@pytest.fixture
def hosted(env: dict[str, str], real_redis: Any) -> dict[str, str]:
    """A replica's environment: state on the test's own redis-server."""
    return {**env, "OIG_CLOUD_MCP_STATE": real_redis.url}


def pair(env: dict[str, str]) -> str:
    done = run_command(env, "remote", "pair")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def mcp_ping(url: str, token: str) -> httpx.Response:
    return httpx.post(
        f"{url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-06-18",
        },
        timeout=30,
    )


def test_a_grant_made_through_one_replica_works_on_another_and_nothing_is_on_disk(
    hosted: dict[str, str], portal: FakePortal, browser: Browser
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    with (
        served(hosted, port=port) as first,
        served(hosted, "--public-url", public) as second,
    ):
        through_first = RawOAuth(first.url)
        tokens = grant(through_first, browser, pair(hosted))
        on_second = RawOAuth(second.url)
        answer = call_tool(on_second, tokens["access_token"], "get_basic_data")
        listed = run_command(hosted, "remote", "list")
        through_first.close()
        on_second.close()

    assert answer["structuredContent"]["box_id"] == BOX_ID
    assert listed.returncode == 0, listed.stderr
    assert "read; created" in listed.stdout
    assert not (state_dir_of(hosted) / "remote").exists()  # every record is in Redis


def test_the_state_flag_selects_redis_like_the_variable(
    env: dict[str, str], real_redis: Any, portal: FakePortal, browser: Browser
) -> None:
    flag = ("--state", real_redis.url)
    code = run_command(env, "remote", "pair", *flag)
    assert code.returncode == 0, code.stderr
    with served(env, *flag) as replica:
        raw = RawOAuth(replica.url)
        tokens = grant(raw, browser, code.stdout.strip())
        raw.close()
    listed = run_command(env, "--state", real_redis.url, "remote", "list")
    on_disk = run_command(env, "remote", "list")

    assert tokens["access_token"]
    assert "read; created" in listed.stdout
    assert "No client holds a grant" in on_disk.stdout  # the state directory knows nothing


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--state", "ftp://example.com/0", "remote", "list"], "--state must be a redis://"),
        (["remote", "list", "--state", "localhost:6379"], "--state must be a redis://"),
    ],
)
def test_a_state_that_is_no_redis_url_is_a_usage_error(
    env: dict[str, str], argv: list[str], said: str
) -> None:
    done = run_command(env, *argv)

    assert done.returncode == 2
    assert said in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_redis_not_answering_is_503_never_401_and_service_comes_back(
    hosted: dict[str, str], real_redis: Any, portal: FakePortal, browser: Browser
) -> None:
    with served(hosted) as replica:
        raw = RawOAuth(replica.url)
        tokens = grant(raw, browser, pair(hosted))
        assert mcp_ping(replica.url, tokens["access_token"]).status_code == 200

        real_redis.stop()
        health = httpx.get(f"{replica.url}/health", timeout=30)
        during = mcp_ping(replica.url, tokens["access_token"])
        refresh = raw.http.post(
            "/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": tokens["client_id"],
            },
        )
        real_redis.start()  # same port, same append-only file
        after = mcp_ping(replica.url, tokens["access_token"])
        health_after = httpx.get(f"{replica.url}/health", timeout=30)
        raw.close()
        log = "".join(replica.stderr_lines)

    assert (health.status_code, during.status_code, refresh.status_code) == (503, 503, 503)
    assert during.json()["error"] == "temporarily_unavailable"
    assert during.headers["Retry-After"] == "5"
    assert (after.status_code, health_after.status_code) == (200, 200)
    assert "Traceback" not in log
    assert "is not answering" in log  # the operator's line names what failed
    assert tokens["access_token"] not in log


def test_a_tool_call_while_redis_is_down_says_so_in_one_sentence(
    hosted: dict[str, str], real_redis: Any, portal: FakePortal
) -> None:
    from oig_cloud_mcp.config import Settings
    from oig_cloud_mcp.errors import StateUnavailableError

    settings = Settings.from_env({**hosted, "OIG_CLOUD_MCP_CACHE_TTL": "0"})
    real_redis.stop()

    async def read() -> None:
        from oig_cloud_mcp.app.wiring import build_app

        app = build_app(settings)
        try:
            await app.reads.basic_data()
        finally:
            await app.aclose()

    import anyio

    with pytest.raises(StateUnavailableError, match=r"is not answering; try again in a moment"):
        anyio.run(read)
    assert portal.count("json.php") == 0


def test_login_with_shared_state_whitelists_the_account_in_redis(
    portal_url: str,
    portal: FakePortal,
    memory_keyring: MemoryKeyring,
    isolated_home: Path,
    real_redis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OIG_CLOUD_BASE_URL", portal_url)
    result = CliRunner().invoke(
        app,
        ["login", "--state", real_redis.url, "--email", EMAIL, "--password-stdin"],
        input=PASSWORD + "\n",
    )
    stored = real_redis.client()
    listed, sessions = stored.smembers("oig:whitelist"), stored.keys("oig:session:*")
    stored.close()

    assert result.exit_code == 0, result.output
    assert listed == {EMAIL}
    assert len(sessions) == 1  # every replica starts with the owner's session
    assert "Whitelist updated: shared state on Redis at 127.0.0.1" in result.output
    assert not (isolated_home / "config" / "oig-cloud-mcp" / "whitelist.txt").exists()
    assert PASSWORD not in result.output


def test_the_stdio_server_and_cli_load_no_redis_without_state(env: dict[str, str]) -> None:
    probe = (
        "import sys, oig_cloud_mcp.cli.app, oig_cloud_mcp.app.wiring as w;"
        "from oig_cloud_mcp.config import Settings;"
        "w.build_state(Settings.from_env());"
        "print('redis' in sys.modules)"
    )
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )

    assert done.stdout.strip() == "False"


def test_serving_on_redis_without_the_hosted_extra_stops_at_start_in_one_sentence(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "sitecustomize.py").write_text(
        "import sys\nsys.modules['redis'] = None  # as if the hosted extra were not installed\n"
    )
    without_redis = {
        **env,
        "PYTHONPATH": str(tmp_path / "probe"),
        "OIG_CLOUD_MCP_STATE": "redis://127.0.0.1:1/0",
    }

    done = run_command(without_redis)  # serving stdio; it would wait for stdin's end

    assert done.returncode == 2
    assert "needs the hosted extra" in done.stderr
    assert done.stdout == ""
