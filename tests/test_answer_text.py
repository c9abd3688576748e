"""The text summaries a model reads when its client passes no structured content
(issue 17): they carry what a question needs, in words that read right."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
from mcp import Client

from oig_cloud_mcp.app.wiring import build_app
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.models import PendingChange
from oig_cloud_mcp.domain.parsing import PORTAL_TZ
from oig_cloud_mcp.domain.snapshot import parse_basic_data
from oig_cloud_mcp.errors import InvalidRequestError
from oig_cloud_mcp.tools.render import basic_data_text

from .fake_portal import FakePortal
from .helpers.mcp_calls import server_at, text_of
from .helpers.sample import BOX_ID, NOW, sample_payload


@pytest.fixture
def payload() -> dict[str, Any]:
    return sample_payload()


def test_live_data_off_says_the_battery_power_is_unknown(payload: dict[str, Any]) -> None:
    del payload[BOX_ID]["actual"]

    text = basic_data_text(parse_basic_data(payload, None, NOW))

    assert "Battery 89 %, unknown" not in text
    assert "Battery 89 %, power unknown; 6.6 kWh above the 20 % reserve." in text


# --- through the tools: what a model reads when it gets only the text ------------------


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


def shown(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


@pytest.mark.anyio
async def test_the_day_profile_text_is_an_hourly_table_that_answers_which_hour(
    mcp: Client, portal: FakePortal
) -> None:
    portal.history_mode = "day"

    result = await mcp.call_tool("get_day_profile", {"date": "2025-04-04"})

    text, hours = text_of(result), result.structured_content["hours"]
    rows = [line.split() for line in text.splitlines() if re.match(r"\d\d:00 ", line)]
    assert [row[0] for row in rows] == [f"{hour:02d}:00" for hour in range(24)]
    for row, hour in zip(rows, hours, strict=True):
        expected = [hour["solar_w"], hour["house_w"], hour["grid_w"], hour["battery_pct"]]
        assert row[1:] == [shown(value) for value in expected]
    busiest = max(rows, key=lambda row: int(row[2]))
    assert busiest[0] == "19:00"  # "which hour did we use the most?" from the text alone
    assert wire_size(result) <= 4096


@pytest.mark.anyio
async def test_todays_profile_with_its_table_and_cross_check_stays_within_4_kb(
    settings: Settings, portal: FakePortal
) -> None:
    portal.history_mode = "day"
    portal.box()["device"]["lastcall"] = "2025-04-05 23:59:00"
    late = datetime(2025, 4, 5, 23, 59, 59, tzinfo=PORTAL_TZ)
    async with Client(server_at(settings, late), mode="legacy") as client:
        result = await client.call_tool("get_day_profile", {"date": "2025-04-05"})

    assert result.structured_content["cross_check"] is not None
    assert len([line for line in text_of(result).splitlines() if line[2:6] == ":00 "]) == 24
    assert wire_size(result) <= 4096


@pytest.mark.anyio
async def test_history_rows_and_extremes_carry_their_inferred_times(
    mcp: Client, portal: FakePortal
) -> None:
    portal.history_mode = "day"

    result = await mcp.call_tool(
        "get_extended_data", {"start_date": "2025-04-01", "end_date": "2025-04-05"}
    )

    data, text = result.structured_content, text_of(result)
    # 4 days and 21 h of 15-minute samples in rows of 6 h (the narrowest round width
    # that needs at most 24 rows)
    assert data["row_minutes"] == 360
    assert data["row_starts"][:3] == ["2025-04-01T00:00", "2025-04-01T06:00", "2025-04-01T12:00"]
    assert len(data["row_starts"]) == 20
    assert all(len(s["samples"]) == 20 for s in data["series"])
    assert any("inferred" in note and "15 min" in note for note in data["notes"])
    batt = next(s for s in data["series"] if s["series"] == "batt")
    soc = next(f for f in batt["fields"] if f["name"] == "soc")
    assert soc["min_at"] == "2025-04-01T06:00"  # the fake's lowest, 45 %, each day at 06:00
    assert "soc 45 % (04-01 06:00)..100 % (04-01 15:00)" in text  # "when was it lowest?"
    column = batt["columns"].index("soc")
    first = f"04-01 00:00 {shown(round(batt['samples'][0][column], 1))} "
    assert any(line.startswith(first) for line in text.splitlines())


@pytest.mark.anyio
async def test_a_31_day_history_with_times_stays_within_8000_bytes(
    settings: Settings, portal: FakePortal
) -> None:
    portal.history_mode = "day"
    portal.box()["device"]["lastcall"] = "2025-07-02 12:00:00"
    later = datetime(2025, 7, 2, 12, 5, tzinfo=PORTAL_TZ)
    async with Client(server_at(settings, later), mode="legacy") as client:
        result = await client.call_tool(
            "get_extended_data", {"start_date": "2025-06-01", "end_date": "2025-07-01"}
        )

    assert result.structured_content["series"][0]["sample_count"] == 31 * 96
    assert wire_size(result) <= 8000


# --- small things in the summaries ----------------------------------------------------


def test_sent_changes_read_as_what_was_asked_and_what_became_of_it(
    payload: dict[str, Any],
) -> None:
    data = parse_basic_data(payload, None, NOW)
    data.pending_changes = [
        PendingChange(
            tool="set_box_mode",
            box_id=BOX_ID,
            requested="Home 3",
            requested_at="2025-04-05T20:40:00+02:00",
            status="applied",
        ),
        PendingChange(
            tool="set_grid_delivery",
            box_id=BOX_ID,
            requested="limited to 500 W",
            requested_at="2025-04-05T20:50:00+02:00",
            status="pending",
        ),
    ]

    text = basic_data_text(data)

    assert "Pending changes: Home 3 (applied)" not in text
    assert (
        "Changes sent: mode to Home 3 at 20:40, applied (the box shows it); grid export "
        "limited to 500 W at 20:50, accepted, not applied yet."
    ) in text


# --- get_day_profile without a date, and in words -------------------------------------


@pytest.mark.anyio
async def test_the_day_profile_is_todays_by_default_and_takes_today_or_yesterday(
    settings: Settings, portal: FakePortal
) -> None:
    portal.history_mode = "day"
    app = build_app(settings, now=lambda: NOW)
    try:
        default = await app.reads.day_profile()
        words = [await app.reads.day_profile(word) for word in ("Yesterday", " today ")]
    finally:
        await app.aclose()

    assert default.date == "2025-04-05"
    assert [profile.date for profile in words] == ["2025-04-04", "2025-04-05"]
    assert default.cross_check is not None  # today's, checked against the counters


@pytest.mark.anyio
async def test_a_day_word_it_does_not_know_names_the_words_it_does(
    settings: Settings, portal: FakePortal
) -> None:
    app = build_app(settings, now=lambda: NOW)
    try:
        with pytest.raises(InvalidRequestError) as refused:
            await app.reads.day_profile("tomorrow")
    finally:
        await app.aclose()

    assert "today, yesterday or a date as YYYY-MM-DD" in str(refused.value)
    assert portal.log == []


# --- where the bypass state comes from ------------------------------------------------


@pytest.mark.anyio
async def test_the_bypass_state_says_which_notice_and_how_old_it_is(
    settings: Settings, portal: FakePortal
) -> None:
    later = datetime(2025, 7, 14, 10, 0, tzinfo=PORTAL_TZ)  # 16 days after the notice
    async with Client(server_at(settings, later), mode="legacy") as client:
        result = await client.call_tool("get_notifications", {})

    data, text = result.structured_content, text_of(result)
    assert (data["bypass"], data["bypass_at"]) == ("on", "2025-06-28T09:41:00+02:00")
    assert "Automatic bypass: on, per the notice of 2025-06-28 09:41" in text
    assert '"Automatický BYPASS - Zapnut", 16 days ago' in text
