"""Energy for periods the portal keeps no counter for (issue 17): yesterday, last month,
last year, a range of days, and a per-day breakdown. json.php counts today, this month
and this year only; everything else is estimated from json2.php history and says so."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
from mcp import Client

from oig_cloud_mcp.app.reads import Reads
from oig_cloud_mcp.app.wiring import build_app
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.errors import InvalidRequestError
from oig_cloud_mcp.server import build_server
from oig_cloud_mcp.tools.render import energy_report_text

from .fake_history import day_history
from .fake_portal import FakePortal
from .helpers.mcp_calls import text_of
from .helpers.sample import NOW

pytestmark = pytest.mark.anyio
ESTIMATE_NOTE = "OIG Cloud keeps counters for today, this month and this year only"


@pytest.fixture
def server(settings: Settings) -> Any:
    """The server with its clock fixed at NOW."""
    return build_server(settings, build_app(settings, now=lambda: NOW))


@pytest.fixture
async def reads(settings: Settings) -> AsyncIterator[Reads]:
    """The read use cases at NOW, for the arguments the tools do not take yet."""
    app = build_app(settings, now=lambda: NOW)
    yield app.reads
    await app.aclose()


@pytest.fixture
def history(portal: FakePortal) -> FakePortal:
    portal.history_mode = "day"  # realistic 15-minute days, full before the last contact
    return portal


def day_kwh(portal: FakePortal, day: date) -> dict[str, float]:
    """What the fake's samples of `day` integrate to (W x 15 min)."""
    rows = day_history(portal.box(), day)
    grid = [row[1] for row in rows["grid"]]
    quarter = 0.25 / 1000
    return {
        "solar": sum(row[3] + row[4] for row in rows["fve"]) * quarter,
        "consumption": sum(sum(row) for row in rows["load"]) * quarter,
        "grid_import": sum(w for w in grid if w > 0) * quarter,
        "grid_export": -sum(w for w in grid if w < 0) * quarter,
    }


def ranges(portal: FakePortal) -> list[str]:
    return [r.json()["range"] for r in portal.requests_to("json2.php")]


async def test_yesterday_is_estimated_from_the_history_and_says_so(
    mcp: Client, history: FakePortal
) -> None:
    result = await mcp.call_tool("get_energy_report", {"period": "yesterday"})

    data, text = result.structured_content, text_of(result)
    assert not result.is_error, text
    assert (data["period"], data["period_label"]) == ("yesterday", "2025-04-04")
    assert (data["start_date"], data["end_date"]) == ("2025-04-04", "2025-04-04")
    expected = day_kwh(history, date(2025, 4, 4))
    for figure in ("solar", "consumption", "grid_import", "grid_export"):
        assert data[figure]["source"] == "estimate"
        assert data[figure]["kwh"] == pytest.approx(expected[figure], abs=0.051), figure
    assert data["battery_charged"]["kwh"] is None
    assert any(ESTIMATE_NOTE in note for note in data["notes"])
    assert text.startswith("Yesterday (2025-04-04), box 2205232120: solar ")
    assert "(estimated)" in text
    assert ranges(history) == ["2025-04-04,2025-04-04,0"] * 3


async def test_last_month_is_one_history_request_per_series(
    mcp: Client, history: FakePortal
) -> None:
    result = await mcp.call_tool("get_energy_report", {"period": "last_month"})

    data = result.structured_content
    assert (data["period_label"], data["start_date"], data["end_date"]) == (
        "2025-03",
        "2025-03-01",
        "2025-03-31",
    )
    march = [day_kwh(history, date(2025, 3, 1) + timedelta(days=i)) for i in range(31)]
    assert data["solar"]["kwh"] == pytest.approx(sum(d["solar"] for d in march), abs=0.051)
    assert ranges(history) == ["2025-03-01,2025-03-31,0"] * 3
    assert "Last month (2025-03)" in text_of(result)


async def test_last_year_is_read_a_month_at_a_time(mcp: Client, history: FakePortal) -> None:
    result = await mcp.call_tool("get_energy_report", {"period": "last_year"})

    data = result.structured_content
    assert (data["period_label"], data["start_date"], data["end_date"]) == (
        "2024",
        "2024-01-01",
        "2024-12-31",
    )
    daily = day_kwh(history, date(2024, 6, 1))["consumption"]  # the fake repeats its days
    assert data["consumption"]["kwh"] == pytest.approx(366 * daily, abs=0.51)
    sent = ranges(history)
    assert len(sent) == 36
    assert sent[:3] == ["2024-01-01,2024-01-31,0"] * 3
    assert sent[-1] == "2024-12-01,2024-12-31,0"


async def test_a_range_of_days_gives_each_day(reads: Reads, history: FakePortal) -> None:
    report = await reads.energy_report(start_date="2025-04-01", end_date="2025-04-04", by_day=True)

    assert (report.period, report.period_label) == ("range", "2025-04-01..2025-04-04")
    assert report.days is not None
    assert report.days.date == ["2025-04-01", "2025-04-02", "2025-04-03", "2025-04-04"]
    expected = day_kwh(history, date(2025, 4, 2))
    assert report.days.solar_kwh[1] == pytest.approx(expected["solar"], abs=0.051)
    assert report.days.grid_export_kwh[1] == pytest.approx(expected["grid_export"], abs=0.051)
    assert report.solar.kwh == pytest.approx(4 * expected["solar"], abs=0.051)
    text = energy_report_text(report)
    assert "Days (2025-04-01..2025-04-04)" in text
    assert f"04-02 {report.days.solar_kwh[1]:g} " in text
    assert ranges(history) == ["2025-04-01,2025-04-04,0"] * 3


async def test_a_single_past_day_is_a_range_of_one(reads: Reads, history: FakePortal) -> None:
    report = await reads.energy_report(start_date="2025-03-10")

    assert (report.period_label, report.solar.source) == ("2025-03-10", "estimate")


async def test_a_range_a_counter_covers_is_answered_by_the_counter(
    reads: Reads, history: FakePortal
) -> None:
    today = await reads.energy_report(start_date="2025-04-05", end_date="2025-04-05")
    month = await reads.energy_report(start_date="2025-04-01", end_date="2025-04-05")

    assert (today.period, today.solar.source, today.solar.kwh) == ("today", "counter", 45.6)
    assert (month.period, month.solar.source, month.solar.kwh) == ("this_month", "counter", 229)
    assert history.count("json2.php") == 0


async def test_this_month_by_day_keeps_the_counters_and_adds_estimated_days(
    reads: Reads, history: FakePortal
) -> None:
    report = await reads.energy_report("this_month", by_day=True)

    assert (report.solar.source, report.solar.kwh) == ("counter", 229)
    assert report.days is not None
    assert report.days.date == [f"2025-04-0{d}" for d in range(1, 6)]
    assert any("need not add up" in note for note in report.notes)


async def test_a_month_by_day_stays_within_4_kb(reads: Reads, history: FakePortal) -> None:
    report = await reads.energy_report("last_month", by_day=True)

    assert report.days is not None
    assert len(report.days.date) == 31
    line = {
        "jsonrpc": "2.0",
        "id": 99,
        "result": {
            "content": [{"type": "text", "text": energy_report_text(report)}],
            "structuredContent": report.model_dump(mode="json"),
            "isError": False,
        },
    }
    assert len(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode()) <= 4096


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"period": "this_year", "by_day": True}, "by_day lists at most 31 days"),
        ({"period": "last_year", "by_day": True}, "by_day lists at most 31 days"),
        ({"period": "yesterday", "start_date": "2025-04-01"}, "not both"),
        ({"end_date": "2025-04-01"}, "end_date needs start_date"),
        ({"start_date": "2025-03-01", "end_date": "2025-04-05"}, "at most 31 days"),
        ({"start_date": "2025-04-06"}, "in the future"),
    ],
)
async def test_requests_that_cannot_be_answered_are_one_sentence_before_any_request(
    reads: Reads, portal: FakePortal, arguments: dict[str, Any], expected: str
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        await reads.energy_report(**arguments)

    assert expected in str(refused.value)
    assert portal.log == []


async def test_a_period_without_history_says_so(mcp: Client, portal: FakePortal) -> None:
    portal.history_rows = 0

    data = (await mcp.call_tool("get_energy_report", {"period": "yesterday"})).structured_content

    assert data["solar"]["kwh"] is None
    assert "OIG Cloud returned no history for this period." in data["notes"]


async def test_days_without_history_are_named_and_left_out_of_the_totals(
    reads: Reads, history: FakePortal
) -> None:
    history.box()["device"]["lastcall"] = "2025-04-02 23:59:00"  # the fake has no later days

    report = await reads.energy_report(start_date="2025-03-31", end_date="2025-04-04")

    expected = day_kwh(history, date(2025, 3, 31))["solar"]
    assert report.solar.kwh == pytest.approx(3 * expected, abs=0.051)
    assert any(
        "nothing for 2 of 5 days (2025-04-03, 2025-04-04)" in note for note in report.notes
    ), report.notes
