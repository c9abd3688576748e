"""Several real server processes sharing one state directory, as on a machine with Claude
Desktop, Claude Code and an editor open at once; plus a server killed in the middle of a write."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .fake_portal import FakePortal
from .helpers.settings import state_dir_of
from .helpers.stdio_session import StdioSession

pytestmark = pytest.mark.e2e


@contextlib.contextmanager
def servers(env: dict[str, str], count: int) -> Iterator[list[StdioSession]]:
    """`count` server processes on one state directory, initialized."""
    with contextlib.ExitStack() as stack:
        started = [stack.enter_context(StdioSession(env)) for _ in range(count)]
        for server in started:
            server.initialize()
        yield started


def all_at_once(calls: list[tuple[StdioSession, str, dict[str, Any]]]) -> list[Any]:
    """Send every call before reading any answer; the results in call order."""
    waiting = [server.start_tool(tool, **arguments) for server, tool, arguments in calls]
    return [answer.get(timeout=60)["result"] for answer in waiting]


def text(result: Any) -> str:
    return "".join(block.get("text", "") for block in result["content"])


def test_five_processes_renew_each_expired_session_with_exactly_one_login(
    env: dict[str, str], portal: FakePortal
) -> None:
    portal.login_delay_s = 0.2  # others find the session dead while one logs in
    reads = {**env, "OIG_CLOUD_MCP_CACHE_TTL": "0"}
    with servers(reads, 5) as five:
        all_at_once([(server, "get_basic_data", {}) for server in five])
        logins_before, failures = portal.count("Login.php"), []
        for _ in range(10):
            portal.expire_sessions()
            results = all_at_once([(server, "get_basic_data", {}) for server in five])
            failures += [text(r) for r in results if r["isError"]]

    assert logins_before == 1
    assert portal.count("Login.php") - logins_before == 10
    assert failures == []


def test_a_wrong_password_in_five_processes_is_rejected_at_most_three_times(
    env: dict[str, str], portal: FakePortal
) -> None:
    wrong = {**env, "OIG_CLOUD_PASSWORD": "not-the-pw-4711"}
    with servers(wrong, 5) as five:
        results = []
        for _ in range(3):  # 15 calls in bursts
            results += all_at_once([(server, "get_basic_data", {}) for server in five])

    assert portal.count("Login.php") <= 3
    assert all(r["isError"] for r in results)
    texts = [text(r) for r in results]
    assert sum("rejected the e-mail or password" in t for t in texts) == portal.count("Login.php")
    assert all("rejected the e-mail" in t or "locked for" in t for t in texts)
    assert all("OIG_CLOUD_PASSWORD" in t for t in texts)  # the fix that can help here


@pytest.mark.parametrize("answer", ["maintenance", "garbage", "500"])
def test_a_portal_in_trouble_at_login_is_not_counted_as_a_wrong_password(
    env: dict[str, str], portal: FakePortal, answer: str
) -> None:
    portal.login_answer = answer
    with servers(env, 1) as (server,):
        texts = [text(server.call_tool("get_basic_data")) for _ in range(5)]
        portal.login_answer = "normal"  # the maintenance is over
        after = server.call_tool("get_basic_data")

    assert portal.count("Login.php") == 6
    assert all("not answering normally" in t and "try again later" in t for t in texts)
    assert not any("rejected" in t or "locked" in t for t in texts)
    assert not after["isError"]
    assert not (state_dir_of(env) / "login_backoff.json").exists()


@pytest.mark.parametrize("where", ["two processes", "one process"])
def test_the_same_change_confirmed_twice_at_once_is_written_once(
    env: dict[str, str], portal: FakePortal, where: str
) -> None:
    portal.write_delay_s = 0.5
    writable = {**env, "OIG_CLOUD_MCP_ALLOW_WRITES": "set_box_mode", "OIG_CLOUD_MCP_CACHE_TTL": "0"}
    with servers(writable, 2 if where == "two processes" else 1) as running:
        pair = running if len(running) == 2 else running * 2
        outcomes = []
        for mode in ("Home UPS", "Home 2", "Home 3"):
            for server in running:  # each process previews it first, as the user is shown
                server.call_tool("set_box_mode", mode=mode)
            confirm = {"mode": mode, "confirm": True}
            results = all_at_once([(server, "set_box_mode", confirm) for server in pair])
            outcomes.append(sorted(r["structuredContent"]["outcome"] for r in results))

    assert [r.json()["value"] for r in portal.write_requests()] == [3, 1, 2]
    assert outcomes == [["unchanged", "written"]] * 3


def test_the_same_change_confirmed_while_another_process_sends_it_is_being_sent_now(
    env: dict[str, str], portal: FakePortal
) -> None:
    portal.write_delay_s = 3  # the first confirm is still in flight at the second
    writable = {**env, "OIG_CLOUD_MCP_ALLOW_WRITES": "set_box_mode", "OIG_CLOUD_MCP_CACHE_TTL": "0"}
    with servers(writable, 2) as (first, second):
        for server in (first, second):
            server.call_tool("set_box_mode", mode="Home UPS")  # each shows the preview
        sending = first.start_tool("set_box_mode", mode="Home UPS", confirm=True)
        deadline = time.monotonic() + 30
        while not portal.write_requests() and time.monotonic() < deadline:
            time.sleep(0.02)
        repeat = second.call_tool("set_box_mode", mode="Home UPS", confirm=True)
        sent = sending.get(timeout=60)["result"]

    assert sent["structuredContent"]["outcome"] == "written"
    assert repeat["structuredContent"]["outcome"] == "unchanged"
    assert "is being sent now" in text(repeat)
    assert "no answer came back" not in text(repeat)
    assert len(portal.write_requests()) == 1


def test_a_server_killed_mid_write_does_not_send_the_change_again_after_a_restart(
    env: dict[str, str], portal: FakePortal
) -> None:
    portal.write_delay_s = 30  # the portal has the request but has not answered yet
    portal.apply_delay_s = 3600
    writable = {**env, "OIG_CLOUD_MCP_ALLOW_WRITES": "set_box_mode"}
    with servers(writable, 1) as (first,):
        first.call_tool("set_box_mode", mode="Home UPS")  # the preview the user is shown
        first.start_tool("set_box_mode", mode="Home UPS", confirm=True)
        deadline = time.monotonic() + 30
        while not portal.write_requests() and time.monotonic() < deadline:
            time.sleep(0.02)
        first.process.kill()  # SIGKILL: no cleanup runs
        first.process.wait()
    portal.write_delay_s = 0
    with servers(writable, 1) as (restarted,):
        again = restarted.call_tool("set_box_mode", mode="Home UPS", confirm=True)
        listed = restarted.call_tool("get_basic_data")["structuredContent"]["pending_changes"]

    assert len(portal.write_requests()) == 1
    assert again["structuredContent"]["outcome"] == "unchanged"
    assert "outcome is unknown" in text(again)
    assert [(p["requested"], p["status"]) for p in listed] == [("Home UPS", "outcome_unknown")]
    audit = (state_dir_of(env) / "audit.jsonl").read_text().splitlines()
    assert [json.loads(line)["outcome"] for line in audit] == ["previewed", "sending", "unchanged"]
