"""End to end: the real command as a subprocess over stdio against the fake portal on 127.0.0.1."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from .fake_portal import FakePortal
from .helpers.commands import command
from .helpers.fakes import PASSWORD
from .helpers.stdio_session import HANDSHAKE_VERSIONS, StdioSession

pytestmark = pytest.mark.e2e


def assert_only_json_rpc(lines: list[str]) -> None:
    assert lines, "the server wrote nothing"
    for line in lines:
        message = json.loads(line)
        assert message.get("jsonrpc") == "2.0", line


@pytest.mark.parametrize(
    ("version", "negotiated"),
    [*((v, v) for v in HANDSHAKE_VERSIONS), ("2026-07-28", "2025-11-25")],
)
def test_stdio_session_lists_tools_and_reads_the_portal(
    env: dict[str, str], portal: FakePortal, version: str, negotiated: str
) -> None:
    with StdioSession(env) as server:
        answer = server.initialize(version)
        tools = server.request("tools/list")["result"]["tools"]
        result = server.call_tool("get_basic_data")

    assert answer["result"]["protocolVersion"] == negotiated
    assert answer["result"]["serverInfo"]["name"] == "oig-cloud"
    assert {t["name"] for t in tools} == {
        "get_basic_data",
        "get_energy_report",
        "get_day_profile",
        "get_extended_data",
        "get_notifications",
    }
    assert all("outputSchema" in t for t in tools)
    data = result["structuredContent"]
    assert data["battery"] == {
        "soc_pct": 89,
        "power_w": -467,
        "capacity_kwh": 9.6,
        "reserve_pct": 20,
        "above_reserve_kwh": 6.6,
        "to_reserve_min": 851,
        "to_full_min": None,
    }
    assert data["grid"]["power_w"] == -53
    assert_only_json_rpc(server.stdout_lines)
    assert PASSWORD not in server.stderr


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_sdk_stdio_client_works_in_both_protocol_eras(
    env: dict[str, str], portal: FakePortal, mode: str
) -> None:
    argv = command()
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    async with Client(params, mode=mode) as client:  # type: ignore[arg-type]
        result = await client.call_tool("get_basic_data", {})
    assert result.structured_content is not None
    assert result.structured_content["battery"]["soc_pct"] == 89


def test_a_restarted_server_reuses_the_cached_session(
    env: dict[str, str], portal: FakePortal
) -> None:
    for _ in range(3):
        with StdioSession(env) as server:
            server.initialize()
            assert not server.call_tool("get_basic_data")["isError"]

    assert portal.count("Login.php") == 1
    assert portal.count("json.php") == 3


def test_an_expired_session_costs_exactly_one_login(
    env: dict[str, str], portal: FakePortal
) -> None:
    with StdioSession({**env, "OIG_CLOUD_MCP_CACHE_TTL": "0"}) as server:
        server.initialize()
        server.call_tool("get_basic_data")
        portal.expire_sessions()
        result = server.call_tool("get_basic_data")

    assert not result["isError"]
    assert portal.count("Login.php") == 2
    assert portal.count("json.php") == 3  # ok, dead, retried


def test_a_wrong_password_is_not_retried_even_across_restarts(
    env: dict[str, str], portal: FakePortal
) -> None:
    wrong = {**env, "OIG_CLOUD_PASSWORD": "not-the-password"}
    with StdioSession(wrong) as server:
        server.initialize()
        results = [server.call_tool("get_basic_data") for _ in range(4)]
    with StdioSession(wrong) as restarted:
        restarted.initialize()
        after_restart = restarted.call_tool("get_basic_data")

    assert all(r["isError"] for r in [*results, after_restart])
    assert "rejected the e-mail or password" in results[0]["content"][0]["text"]
    assert "locked for" in after_restart["content"][0]["text"]
    assert portal.count("Login.php") == 3
    assert "Traceback" not in server.stderr + restarted.stderr


def test_files_written_hold_no_password_and_are_private(
    env: dict[str, str], portal: FakePortal
) -> None:
    with StdioSession(env) as server:
        server.initialize()
        server.call_tool("get_basic_data")
        server.call_tool("get_notifications")

    home = Path(env["HOME"])
    written = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name == "session.json" for p in written)
    for path in written:
        assert PASSWORD.encode() not in path.read_bytes(), path
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    for directory in {p.parent for p in written}:
        assert stat.S_IMODE(directory.stat().st_mode) & 0o077 == 0, directory


def test_demo_mode_needs_no_login_and_no_portal(tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path / "s"),
        "OIG_CLOUD_MCP_DEMO": "1",
        "OIG_CLOUD_BASE_URL": "http://127.0.0.1:9/",
    }
    with StdioSession(env) as server:
        server.initialize()
        result = server.call_tool("get_basic_data")
    assert not result["isError"]
    assert 0 <= result["structuredContent"]["battery"]["soc_pct"] <= 100
    assert_only_json_rpc(server.stdout_lines)


def test_python_dash_m_serves_too(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "oig_cloud_mcp", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.startswith("oig-cloud-mcp ")


def test_stdio_write_previews_then_writes_once_then_shows_pending_and_applied(
    env: dict[str, str], portal: FakePortal
) -> None:
    portal.apply_delay_s = 3600  # the box applies it when the test says so
    writable = {**env, "OIG_CLOUD_MCP_ALLOW_WRITES": "1", "OIG_CLOUD_MCP_CACHE_TTL": "0"}
    with StdioSession(writable) as server:
        server.initialize("2025-06-18")
        tools = {t["name"] for t in server.request("tools/list")["result"]["tools"]}
        preview = server.call_tool("set_box_mode", mode="Home UPS")
        writes_after_preview = len(portal.write_requests())
        written = server.call_tool("set_box_mode", mode="Home UPS", confirm=True)
        pending = server.call_tool("get_basic_data")["structuredContent"]["pending_changes"]
        portal.apply_writes()
        applied = server.call_tool("get_basic_data")["structuredContent"]

    assert {"set_box_mode", "set_grid_delivery"} <= tools
    assert preview["structuredContent"]["outcome"] == "previewed"
    assert writes_after_preview == 0
    assert written["structuredContent"]["outcome"] == "written"
    (write,) = portal.write_requests()
    assert write.json() == {
        "id_device": "2205232120",
        "table": "box_prms",
        "column": "mode",
        "value": 3,
    }
    assert write.headers["x-requested-with"] == "XMLHttpRequest"
    assert [p["status"] for p in pending] == ["pending"]
    assert applied["mode"] == "Home UPS"
    assert [p["status"] for p in applied["pending_changes"]] == ["applied"]
    assert_only_json_rpc(server.stdout_lines)


def test_two_server_processes_writing_at_once_are_serialised(
    env: dict[str, str], portal: FakePortal
) -> None:
    import threading

    portal.write_delay_s = 0.5
    writable = {**env, "OIG_CLOUD_MCP_ALLOW_WRITES": "set_box_mode,set_grid_delivery"}
    with StdioSession(writable) as first, StdioSession(writable) as second:
        for server, mode in ((first, "Home 2"), (second, "Home 3")):
            server.initialize()
            server.call_tool("get_basic_data")
            server.call_tool("set_box_mode", mode=mode)  # the preview the user is shown
        results: list[object] = []
        calls = [
            threading.Thread(
                target=lambda s=server, m=mode: results.append(
                    s.call_tool("set_box_mode", mode=m, confirm=True)
                )
            )
            for server, mode in ((first, "Home 2"), (second, "Home 3"))
        ]
        for thread in calls:
            thread.start()
        for thread in calls:
            thread.join(30)

    assert len(portal.write_requests()) == 2
    assert portal.max_writes_in_flight == 1
    assert all(not r["isError"] for r in results)  # type: ignore[index]


def test_stdio_energy_report_prompts_and_config_against_the_fake_portal(
    env: dict[str, str], portal: FakePortal
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    lastcall = datetime.now(ZoneInfo("Europe/Prague")).strftime("%Y-%m-%d %H:%M:%S")
    portal.box()["device"]["lastcall"] = lastcall
    with StdioSession(env) as server:
        server.initialize()
        today = server.call_tool("get_energy_report")
        month = server.call_tool("get_energy_report", period="this_month")
        prompt = server.request("prompts/get", {"name": "daily_check_in"})["result"]
        config = server.request("resources/read", {"uri": "oig://box/2205232120/config"})

    data = today["structuredContent"]
    assert not today["isError"]
    assert data["period_label"] == lastcall[:10]
    assert (data["solar"]["kwh"], data["grid_import"]["kwh"], data["grid_export"]["kwh"]) == (
        45.6,
        7.6,
        18.1,
    )
    assert (data["consumption"]["kwh"], data["consumption"]["source"]) == (6.9, "counter")
    assert (data["self_consumption_pct"], data["self_sufficiency_pct"]) == (60.2, 0.0)
    assert today["content"][0]["text"].startswith(f"Today ({lastcall[:10]}), box 2205232120:")
    assert month["structuredContent"]["consumption"]["source"] == "estimate"
    assert "get_energy_report" in prompt["messages"][0]["content"]["text"]
    assert '"battery_capacity_kwh":9.6' in config["result"]["contents"][0]["text"]
    assert portal.count("json.php") == 1  # one read, shared by the cache
    assert_only_json_rpc(server.stdout_lines)


@pytest.mark.parametrize(("version", "extras"), [("2025-11-25", True), ("2025-06-18", False)])
def test_server_info_carries_the_home_and_the_icon_where_the_protocol_has_them(
    tmp_path: Path, version: str, extras: bool
) -> None:
    import base64
    import struct

    from oig_cloud_mcp import HOMEPAGE

    env = {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "s"), "OIG_CLOUD_MCP_DEMO": "1"}
    with StdioSession(env) as server:
        info = server.initialize(version)["result"]["serverInfo"]

    assert info["name"] == "oig-cloud"
    if not extras:
        assert "websiteUrl" not in info
        assert "icons" not in info
        return
    assert info["websiteUrl"] == HOMEPAGE
    (icon,) = info["icons"]
    assert icon["mimeType"] == "image/png"
    assert icon["sizes"] == ["48x48"]
    png = base64.b64decode(icon["src"].removeprefix("data:image/png;base64,"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (48, 48)
    assert len(icon["src"]) < 2500  # small: it rides on every initialize
