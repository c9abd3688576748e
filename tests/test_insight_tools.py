"""The answer tools in-process (SDK `Client`, both protocol eras) against the fake portal:
get_energy_report, get_day_profile, and what get_basic_data gained (battery outlook,
installed solar, phases)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from mcp import Client

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.models import MODES_BRIEF
from oig_cloud_mcp.domain.parsing import PORTAL_TZ
from oig_cloud_mcp.server import build_server

from .fake_portal import BOX_ID, FakePortal
from .helpers.mcp_calls import call, error_text, server_at
from .helpers.sample import NOW

pytestmark = pytest.mark.anyio
ANSWER_LIMIT = 4096


@pytest.fixture
def server(settings: Settings) -> Any:
    """The server with its clock fixed at NOW."""
    return server_at(settings, NOW)


def wire_size(result: Any) -> int:
    """Bytes of the tools/call answer line as the server writes it at protocol 2025-06-18
    (compact JSON, no serverInfo stamp), as benchmarks/answer_size.py measures it."""
    body = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    for key in ("_meta", "resultType"):
        body.pop(key, None)
    line = {"jsonrpc": "2.0", "id": 99, "result": body}
    return len(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode())


# --- get_energy_report ------------------------------------------------------------------


async def test_todays_energy_report_reads_the_day_counters(mcp: Client, portal: FakePortal) -> None:
    result = await call(mcp, "get_energy_report")

    assert not result.is_error
    data = result.structured_content
    assert (data["box_id"], data["period"], data["period_label"]) == (BOX_ID, "today", "2025-04-05")
    assert data["solar"] == {"kwh": 45.6, "source": "counter", "field": "dc_in.fv_ad"}
    assert data["consumption"] == {"kwh": 6.9, "source": "counter", "field": "ac_out.en_day"}
    assert (data["grid_import"]["kwh"], data["grid_export"]["kwh"]) == (7.6, 18.1)
    assert (data["self_consumption_pct"], data["net_export_kwh"]) == (60.2, 10.5)
    assert data["battery_charged"] == {"kwh": None, "source": None, "field": None}
    text = result.content[0].text
    assert text.startswith("Today (2025-04-05), box 2205232120: solar 45.6 kWh, imported 7.6 kWh")
    assert "self-consumption 60.2 %" in text
    assert "backed-up output" in text  # the notes follow the summary line
    assert "net export +10.5 kWh (+ = exported more than imported)" in text
    assert wire_size(result) <= ANSWER_LIMIT
    assert portal.count("json.php") == 1


async def test_monthly_consumption_is_marked_as_an_estimate(
    mcp: Client, portal: FakePortal
) -> None:
    result = await call(mcp, "get_energy_report", period="this_month")

    data = result.structured_content
    assert data["consumption"] == {
        "kwh": 117.0,
        "source": "estimate",
        "field": "solar + import - export",
    }
    assert data["self_sufficiency_pct"] == 90.6
    assert "consumption 117 kWh (estimated)" in result.content[0].text
    assert any("inferred" in note for note in data["notes"])
    assert wire_size(result) <= ANSWER_LIMIT


async def test_a_period_the_tool_does_not_know_is_one_sentence(
    mcp: Client, portal: FakePortal
) -> None:
    text = error_text(await call(mcp, "get_energy_report", period="last_week"))

    assert text == (
        "period must be one of: today, yesterday, this_month, last_month, this_year, "
        'last_year (got "last_week").'
    )
    assert portal.log == []


@pytest.mark.parametrize("tool", ["get_energy_report", "get_day_profile", "get_notifications"])
async def test_a_box_not_on_the_account_gets_the_same_sentence_everywhere(
    mcp: Client, portal: FakePortal, tool: str
) -> None:
    arguments: dict[str, Any] = {"box_id": "9999999999"}
    if tool == "get_day_profile":
        arguments["date"] = "2025-04-05"
    expected = error_text(await call(mcp, "get_basic_data", box_id="9999999999"))

    assert expected == f"Box 9999999999 is not on this account; use one of: {BOX_ID}."
    assert error_text(await call(mcp, tool, **arguments)) == expected
    assert portal.count("Controller.Call.php") == 0
    assert portal.count("json2.php") == 0


async def test_notifications_for_the_accounts_own_box_still_work(
    mcp: Client, portal: FakePortal
) -> None:
    result = await call(mcp, "get_notifications", box_id=BOX_ID)

    assert result.structured_content["total"] == 3


# --- get_day_profile --------------------------------------------------------------------


async def test_todays_profile_matches_the_day_counters(mcp: Client, portal: FakePortal) -> None:
    portal.history_mode = "day"

    result = await call(mcp, "get_day_profile", date="2025-04-05")

    assert not result.is_error
    data = result.structured_content
    assert data["box_id"] == BOX_ID
    assert data["sample_count"] == {"fve": 84, "load": 84, "grid": 84, "batt": 84}
    assert data["spacing_min"] == {"fve": 15, "load": 15, "grid": 15, "batt": 15}
    assert [len(data["hours"]), data["hours"][20]["hour"]] == [24, 20]
    assert data["hours"][21] == {
        "hour": 21,
        "solar_w": None,
        "house_w": None,
        "grid_w": None,
        "battery_pct": None,
    }
    assert data["peak_solar"]["hour"] == 13
    assert data["energy"]["estimated"] is True
    check = data["cross_check"]
    assert check["solar"]["counter_kwh"] == 45.6
    for name in ("solar", "house", "grid_import", "grid_export"):
        assert abs(check[name]["difference_kwh"]) <= 0.1, name
    text = result.content[0].text
    assert "Samples match today's counters within 0.1 kWh." in text
    assert [r.json()["range"] for r in portal.requests_to("json2.php")] == [
        "2025-04-05,2025-04-05,0"
    ] * 4
    assert wire_size(result) <= ANSWER_LIMIT


async def test_a_past_day_has_every_hour_and_no_cross_check(
    mcp: Client, portal: FakePortal
) -> None:
    portal.history_mode = "day"

    data = (await call(mcp, "get_day_profile", date="2025-04-04")).structured_content

    assert data["sample_count"]["grid"] == 96
    assert all(row["house_w"] is not None for row in data["hours"])
    assert data["cross_check"] is None
    assert data["battery_fullest"]["hour"] == 15
    assert data["battery_emptiest"]["hour"] == 5  # 45 % at 06:00, but rising within hour 6


async def test_a_full_day_with_cross_check_stays_under_4_kb(
    settings: Settings, portal: FakePortal, mode: str
) -> None:
    portal.history_mode = "day"
    portal.box()["device"]["lastcall"] = "2025-04-05 23:59:00"
    late = datetime(2025, 4, 5, 23, 59, 59, tzinfo=PORTAL_TZ)
    async with Client(server_at(settings, late), mode=mode) as client:  # type: ignore[arg-type]
        result = await call(client, "get_day_profile", date="2025-04-05")

    assert result.structured_content["sample_count"]["load"] == 96
    assert result.structured_content["cross_check"] is not None
    assert wire_size(result) <= ANSWER_LIMIT


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2025-04-06", "date 2025-04-06 is in the future (today is 2025-04-05 in Prague)"),
        ("2025-02-30", "date '2025-02-30' is not a date; use YYYY-MM-DD"),
        (
            "5.4.2025",
            'date must be one of: today, yesterday or a date as YYYY-MM-DD (got "5.4.2025")',
        ),
    ],
)
async def test_bad_days_are_refused_without_a_request(
    mcp: Client, portal: FakePortal, date: str, expected: str
) -> None:
    assert expected in error_text(await call(mcp, "get_day_profile", date=date))
    assert portal.log == []


async def test_a_missing_date_is_today(mcp: Client, portal: FakePortal) -> None:
    result = await call(mcp, "get_day_profile")

    assert not result.is_error
    assert result.structured_content["date"] == NOW.date().isoformat()


async def test_a_day_long_ago_is_asked_for_and_an_empty_answer_says_so(
    mcp: Client, portal: FakePortal
) -> None:
    portal.history_rows = 0

    data = (await call(mcp, "get_day_profile", date="2019-01-01")).structured_content

    assert data["notes"] == ["OIG Cloud's history has no samples for this day."]
    assert all(row["solar_w"] is None for row in data["hours"])
    assert data["energy"]["solar_kwh"] is None


# --- get_basic_data: outlook, installed solar, phases ------------------------------------


async def test_basic_data_has_the_battery_outlook_solar_size_and_phases(
    mcp: Client, portal: FakePortal
) -> None:
    result = await call(mcp, "get_basic_data")

    data = result.structured_content
    assert data["solar"]["installed_kwp"] == 9.6
    assert data["phases"] == {
        "house_w": [136, 15, 116],
        "grid_w": [23, -76, 0],
        "voltage_v": [235.6, 238.6, 237.1],
        "frequency_hz": 50.03,
        "busiest": "L1",
        "note": None,
    }
    text = result.content[0].text
    assert "6.6 kWh above the 20 % reserve, reached in ~14 h 11 min." in text
    assert "Phases L1/L2/L3: house 136/15/116 W, grid 23/-76/0 W" in text


async def test_an_idle_battery_has_no_time_estimates(mcp: Client, portal: FakePortal) -> None:
    portal.box()["actual"]["bat_p"] = 20

    battery = (await call(mcp, "get_basic_data")).structured_content["battery"]

    assert (battery["to_reserve_min"], battery["to_full_min"]) == (None, None)
    assert battery["above_reserve_kwh"] == 6.6


async def test_a_tight_phase_is_named_in_basic_data(mcp: Client, portal: FakePortal) -> None:
    portal.box()["ac_out"]["aco_pt"] = 3150

    result = await call(mcp, "get_basic_data")

    assert result.structured_content["phases"]["busiest"] == "L3"
    assert "L3 carries 3,150 W" in result.structured_content["phases"]["note"]
    assert "L3 carries 3,150 W" in result.content[0].text


async def test_the_modes_are_explained_once_in_the_instructions(
    settings: Settings, portal: FakePortal, mode: str
) -> None:
    writable = settings.with_overrides(allowed_writes=frozenset({"set_box_mode"}))
    async with Client(build_server(writable), mode=mode) as client:  # type: ignore[arg-type]
        tools = {t.name: t for t in (await client.list_tools()).tools}
        instructions = client.instructions

    assert instructions is not None
    assert instructions.count(MODES_BRIEF) == 1
    listed = json.dumps([t.model_dump(mode="json", by_alias=True) for t in tools.values()])
    assert "battery covers what solar lacks" not in listed  # said once, in the instructions
    for name in ("Home 1:", "Home 2:", "Home 3:", "Home UPS:"):
        assert name in MODES_BRIEF
    assert len(MODES_BRIEF) <= 250


async def test_output_schemas_carry_no_generated_titles(mcp: Client) -> None:
    tools = (await mcp.list_tools()).tools

    listed = json.dumps([t.model_dump(mode="json", by_alias=True) for t in tools])
    assert '"title": "Solar W"' not in listed
    assert '"title": "Box Id"' not in listed
    notifications = next(t for t in tools if t.name == "get_notifications").output_schema
    assert notifications is not None
    entry = notifications["properties"]["notifications"]["items"]
    assert "title" in entry["properties"]  # a field's name
