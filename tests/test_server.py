"""The MCP server in-process (SDK `Client`, both protocol eras) against the fake portal."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.server import build_server
from oig_cloud_mcp.state import credentials

from .fake_portal import FakePortal
from .helpers.fakes import EMAIL, PASSWORD
from .helpers.mcp_calls import call, error_text

pytestmark = pytest.mark.anyio
SECRET_WORDS = ("password", "passwd", "email", "secret", "token", "cookie", "credential")


async def test_five_read_tools_with_titles_schemas_and_no_credential_arguments(
    mcp: Client,
) -> None:
    tools = {t.name: t for t in (await mcp.list_tools()).tools}

    assert set(tools) == {
        "get_basic_data",
        "get_energy_report",
        "get_day_profile",
        "get_extended_data",
        "get_notifications",
    }
    for tool in tools.values():
        assert tool.title
        assert tool.output_schema
        assert tool.output_schema.get("type") == "object"
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is True
        for name in tool.input_schema.get("properties", {}):
            assert not any(word in name.lower() for word in SECRET_WORDS)


async def test_basic_data_returns_portal_values_with_signs(mcp: Client, portal: FakePortal) -> None:
    result = await call(mcp, "get_basic_data")

    assert not result.is_error
    data = result.structured_content
    assert data["box_id"] == "2205232120"
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
    assert data["grid"]["delivery"] == "on"
    assert data["solar"]["today_kwh"] == 45.61
    text = result.content[0].text
    assert "discharging 467 W" in text
    assert "exporting 53 W" in text
    assert text.strip()[0] != "{"  # a summary, not the JSON again


async def test_live_data_off_is_reported_not_zeroed(mcp: Client, portal: FakePortal) -> None:
    portal.live_data = False

    data = (await call(mcp, "get_basic_data")).structured_content

    assert data["live_data"] is False
    assert data["battery"]["power_w"] is None
    assert any("Live data" in note for note in data["notes"])


async def test_live_data_500_tells_the_user_to_switch_live_data_on(
    mcp: Client, portal: FakePortal
) -> None:
    portal.live_500 = True
    assert "Live data" in error_text(await call(mcp, "get_basic_data"))


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"start_date": "2025-02-30", "end_date": "2025-03-01"}, "is not a date"),
        ({"start_date": "05/06/2025", "end_date": "2025-03-01"}, "is not a date"),
        ({"start_date": "2025-03-02", "end_date": "2025-03-01"}, "after end_date"),
        ({"start_date": "2099-01-01", "end_date": "2099-01-02"}, "in the future"),
        ({"start_date": "2025-01-01", "end_date": "2025-03-01"}, "at most 31 days"),
    ],
)
async def test_bad_history_ranges_are_refused_without_a_request(
    mcp: Client, portal: FakePortal, arguments: dict[str, str], expected: str
) -> None:
    assert expected in error_text(await call(mcp, "get_extended_data", **arguments))
    assert portal.log == []


async def test_history_has_all_four_series_bounded(mcp: Client, portal: FakePortal) -> None:
    portal.history_rows = 3000

    result = await call(mcp, "get_extended_data", start_date="2025-06-01", end_date="2025-06-30")

    data = result.structured_content
    assert [s["series"] for s in data["series"]] == ["batt", "fve", "grid", "load"]
    rows = len(data["row_starts"])
    assert 0 < rows <= 24
    assert all(s["sample_count"] == 3000 and len(s["samples"]) == rows for s in data["series"])
    assert [r.json()["name"] for r in portal.requests_to("json2.php")] == [
        "batt",
        "fve",
        "grid",
        "load",
    ]
    assert any("averaged" in note for note in data["notes"])


async def test_notifications_newest_first_filtered_by_severity(
    mcp: Client, portal: FakePortal
) -> None:
    result = await call(mcp, "get_notifications", min_severity="warning")

    data = result.structured_content
    assert [n["title"] for n in data["notifications"]] == [
        "Automatický BYPASS - Zapnut",
        "Chyba komunikace",
    ]
    assert data["bypass"] == "on"
    assert data["notifications"][0]["time"] == "2025-06-28T09:41:00+02:00"


async def test_not_logged_in_says_run_login_and_makes_no_request(
    settings: Settings, portal: FakePortal, mode: str
) -> None:
    bare = settings.with_overrides(env_email=None, env_password=None)
    async with Client(build_server(bare), mode=mode) as client:  # type: ignore[arg-type]
        text = error_text(await call(client, "get_basic_data"))
    assert "oig-cloud-mcp login" in text
    assert portal.log == []


async def test_an_account_off_the_whitelist_is_refused_before_any_request(
    settings: Settings, portal: FakePortal, mode: str
) -> None:
    unlisted = settings.with_overrides(env_email=None, env_password=None, whitelist_extra=())
    credentials.store_password(EMAIL, PASSWORD)  # a keyring login (OIG_CLOUD_EMAIL with
    credentials.remember_account(unlisted, EMAIL)  # its password is the owner's choice)
    async with Client(build_server(unlisted), mode=mode) as client:  # type: ignore[arg-type]
        text = error_text(await call(client, "get_basic_data"))
    assert "whitelist" in text
    assert portal.log == []


async def test_a_wrong_password_is_not_retried_in_a_loop(
    settings: Settings, portal: FakePortal, mode: str
) -> None:
    wrong = settings.with_overrides(env_password="not-the-pw-4711")
    async with Client(build_server(wrong), mode=mode) as client:  # type: ignore[arg-type]
        texts = [error_text(await call(client, "get_basic_data")) for _ in range(5)]

    assert portal.count("Login.php") == 3
    assert "rejected the e-mail or password" in texts[0]
    assert "locked for" in texts[3]
    assert "locked for" in texts[4]
    assert all("not-the-pw-4711" not in t for t in texts)


async def test_an_unreachable_portal_gives_one_sentence(settings: Settings, mode: str) -> None:
    gone = settings.with_overrides(base_url="http://127.0.0.1:9/")
    async with Client(build_server(gone), mode=mode) as client:  # type: ignore[arg-type]
        text = error_text(await call(client, "get_basic_data"))
    assert "Cannot reach OIG Cloud" in text
    assert "Traceback" not in text


async def test_a_portal_error_page_gives_one_sentence(mcp: Client, portal: FakePortal) -> None:
    portal.fail_all_500 = True
    text = error_text(await call(mcp, "get_notifications"))
    assert "HTTP 500" in text
    assert "try again" in text


async def test_a_cached_session_needs_no_keyring_access(
    settings: Settings, portal: FakePortal, mode: str
) -> None:
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    from oig_cloud_mcp.state import credentials

    stored = settings.with_overrides(env_email=None, env_password=None)
    credentials.store_password(EMAIL, PASSWORD)
    credentials.remember_account(stored, EMAIL)
    async with Client(build_server(stored), mode=mode) as client:  # type: ignore[arg-type]
        assert not (await call(client, "get_basic_data")).is_error

    keyring.set_keyring(FailKeyring())  # e.g. a locked macOS keychain after a restart
    async with Client(build_server(stored), mode=mode) as client:  # type: ignore[arg-type]
        result = await call(client, "get_basic_data")

    assert not result.is_error
    assert portal.count("Login.php") == 1


async def test_the_icon_rides_on_discovery_not_on_every_answer(tmp_path: Path) -> None:
    demo = Settings(demo=True, state_dir=tmp_path)
    async with Client(build_server(demo), mode="auto") as modern:
        answer = await modern.call_tool("get_basic_data", {})
        info = modern.server_info

    assert info is not None
    assert info.icons
    assert info.icons[0].src.startswith("data:image/png;base64,")
    assert answer.meta is not None
    stamp = answer.meta["io.modelcontextprotocol/serverInfo"]
    assert stamp["name"] == "oig-cloud"
    assert "icons" not in stamp
