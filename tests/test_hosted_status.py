"""`status --state URL` reports what the shared state holds, not the state directory,
and says in one line when the shared state does not answer."""

from __future__ import annotations

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
