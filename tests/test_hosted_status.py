"""`status --state URL` reports what the shared state holds, not the state directory,
and says in one line when the shared state does not answer."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from .fake_portal import FakePortal
from .helpers.commands import run_command
from .helpers.fakes import EMAIL

pytestmark = pytest.mark.e2e


def test_status_with_state_reads_the_session_and_whitelist_from_redis(
    env: dict[str, str], portal: FakePortal, real_redis: Any
) -> None:
    hosted = {**env, "OIG_CLOUD_MCP_STATE": real_redis.url}
    before = run_command(hosted, "status")
    called = run_command(hosted, "call", "get_basic_data")
    after = run_command(hosted, "status")

    assert before.returncode == after.returncode == called.returncode == 0, after.stderr
    assert f"Redis at 127.0.0.1:{real_redis.port}/0" in before.stdout
    assert "answers" in before.stdout
    assert "Session cache: no session" in before.stdout
    assert "Session cache: session saved" in after.stdout
    assert f"Whitelist: {EMAIL}" in after.stdout
    assert "session.json" not in after.stdout  # the state directory is not what is used
    assert portal.count("Login.php") == 1


def test_status_with_redis_down_says_so_in_one_line_and_exits_cleanly(
    env: dict[str, str], real_redis: Any
) -> None:
    hosted = {**env, "OIG_CLOUD_MCP_STATE": real_redis.url}
    real_redis.stop()
    done = run_command(hosted, "status")

    assert done.returncode == 0
    lines = [line for line in done.stdout.splitlines() if "NOT ANSWERING" in line]
    assert len(lines) == 1
    assert f"127.0.0.1:{real_redis.port}" in lines[0]
    assert "Session cache" not in done.stdout
    assert "Traceback" not in done.stderr + done.stdout


def _keep_a_households_login(settings_env: dict[str, str], key_file: Path) -> None:
    """Seal one household's login into the shared state, as a sign-in does."""
    from oig_cloud_mcp.app.wiring import build_state
    from oig_cloud_mcp.config import Settings
    from oig_cloud_mcp.domain.models import Credentials
    from oig_cloud_mcp.state.vault import KeyRing, Vault

    async def keep() -> None:
        state = build_state(Settings.from_env(settings_env))
        try:
            ring = KeyRing.load(key_file, variable="OIG_CLOUD_MCP_KEY_FILE")
            await Vault(state.remote.vault, ring).keep(Credentials("neighbour@example.org", "pw"))
        finally:
            await state.aclose()

    asyncio.run(keep())


def test_status_of_many_homes_counts_households_and_names_a_key_that_cannot_open_them(
    env: dict[str, str], real_redis: Any, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.key", tmp_path / "second.key"
    for key in (first, second):
        key.write_text(run_command(env, "remote", "new-key").stdout)
        key.chmod(0o600)
    hosted = {**env, "OIG_CLOUD_MCP_STATE": real_redis.url, "OIG_CLOUD_MCP_ACCOUNTS": "multi"}
    _keep_a_households_login(hosted, first)

    right = run_command({**hosted, "OIG_CLOUD_MCP_KEY_FILE": str(first)}, "status")
    wrong = run_command({**hosted, "OIG_CLOUD_MCP_KEY_FILE": str(second)}, "status")

    assert right.returncode == wrong.returncode == 0, wrong.stderr
    assert "Households: 1 signed in" in right.stdout
    assert "cannot open" not in right.stdout
    (line,) = [line for line in wrong.stdout.splitlines() if line.startswith("Households:")]
    assert "1 sealed with" in line
    assert "which this key file cannot open" in line
    assert "neighbour@example.org" not in right.stdout + wrong.stdout
