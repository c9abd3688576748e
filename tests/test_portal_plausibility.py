"""Numbers the portal sends that are numbers but cannot be right (issue 17): a battery level
of 250 %, a negative day counter, a battery of a billion kWh, a last contact in the year
9999, daylight-saving days. Each becomes null with a note, never an answer built on it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from mcp import Client

from oig_cloud_mcp.domain.day_profile import day_profile
from oig_cloud_mcp.domain.energy import energy_report
from oig_cloud_mcp.domain.models import SeriesName
from oig_cloud_mcp.domain.parsing import PORTAL_TZ
from oig_cloud_mcp.domain.snapshot import parse_basic_data
from oig_cloud_mcp.tools.render import basic_data_text, day_profile_text, energy_report_text

from .fake_portal import FakePortal
from .helpers.commands import run_cli
from .helpers.sample import BOX_ID, NOW, sample_payload


@pytest.fixture
def payload() -> dict[str, Any]:
    return sample_payload()


def series(rows: list[Any]) -> dict[str, Any]:
    """A json2.php answer holding these rows."""
    return {"items": [{"values": row} for row in rows]}


def flat_day(
    rows: int, *, house_w: float = 3000.0, soc: float = 50.0
) -> dict[SeriesName, dict[str, Any]]:
    """`rows` samples per series of a constant house load and battery level."""
    return {
        "fve": series([[0, 0, 0, 0, 0]] * rows),
        "load": series([[house_w, 0, 0]] * rows),
        "grid": series([[230, 0, 0, 0]] * rows),
        "batt": series([[52, 0, soc, 24]] * rows),
    }


# --- battery level and reserve --------------------------------------------------------


@pytest.mark.parametrize("level", [250, -30, 100.5])
def test_a_battery_level_outside_0_to_100_percent_is_unknown_and_said(
    payload: dict[str, Any], level: float
) -> None:
    payload[BOX_ID]["actual"]["bat_c"] = level
    payload[BOX_ID]["batt"]["bat_c"] = level

    data = parse_basic_data(payload, None, NOW)

    assert data.battery.soc_pct is None
    assert data.battery.above_reserve_kwh is None
    assert data.battery.to_reserve_min is None  # no outlook from an impossible level
    assert any(f"battery level {level:g} %" in note for note in data.notes), data.notes
    assert f"Battery {level:g} %" not in basic_data_text(data)


@pytest.mark.parametrize("reserve", [-5, 180])
def test_a_reserve_outside_0_to_100_percent_is_unknown_and_said(
    payload: dict[str, Any], reserve: int
) -> None:
    payload[BOX_ID]["batt_prms"]["bat_min"] = reserve

    data = parse_basic_data(payload, None, NOW)

    assert data.battery.reserve_pct is None
    assert data.battery.to_reserve_min is None
    assert any(f"reserve {reserve} %" in note for note in data.notes), data.notes


def test_huge_history_battery_levels_are_left_out_of_the_day_profile() -> None:
    history = flat_day(288)
    rows = history["batt"]["items"]
    for i in range(0, 288, 20):
        rows[i] = {"values": [52, 0, 1e12, 24]}

    profile = day_profile(date(2025, 4, 4), history, None, NOW)

    assert profile.battery_fullest is not None
    assert profile.battery_fullest.pct == 50
    assert all(h.battery_pct == 50 for h in profile.hours)
    assert "fullest 50 %" in day_profile_text(profile)
    assert any("battery level" in note and "15 samples" in note for note in profile.notes)


# --- energy counters ------------------------------------------------------------------


def test_a_negative_day_counter_is_unknown_not_negative_energy(payload: dict[str, Any]) -> None:
    box = payload[BOX_ID]
    box["dc_in"]["fv_ad"] = -5000

    report = energy_report(BOX_ID, box, "today", NOW)
    text = energy_report_text(report)

    assert report.solar.kwh is None
    assert report.self_consumption_pct is None
    assert "-5 kWh" not in text
    assert "No solar production yet" not in text
    assert any("solar today -5000 Wh" in note for note in report.notes), report.notes


def test_a_negative_counter_in_the_snapshot_is_unknown(payload: dict[str, Any]) -> None:
    payload[BOX_ID]["ac_in"]["ac_pd"] = -18132

    data = parse_basic_data(payload, None, NOW)

    assert data.grid.today_export_kwh is None
    assert any("exported today -18132 Wh" in note for note in data.notes), data.notes


# --- sizes that overflow a date -------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [(("box_prms", "p_bat"), 5e11), (("box_prms", "p_bat"), 10**12), (("actual", "bat_p"), -5e11)],
)
def test_a_huge_battery_capacity_or_power_gives_an_answer_not_an_overflow(
    payload: dict[str, Any], field: tuple[str, str], value: float
) -> None:
    payload[BOX_ID][field[0]][field[1]] = value
    payload[BOX_ID]["actual"]["bat_p"] = -60 if field[1] == "p_bat" else value

    data = parse_basic_data(payload, None, NOW)

    assert data.battery.capacity_kwh is None or data.battery.capacity_kwh <= 10_000
    assert data.battery.power_w is None or abs(data.battery.power_w) <= 1_000_000
    assert data.battery.to_reserve_min is None or data.battery.to_reserve_min <= 14 * 24 * 60
    assert any("cannot be right" in note for note in data.notes), data.notes


def test_a_battery_that_would_last_weeks_gets_no_clock_time(payload: dict[str, Any]) -> None:
    payload[BOX_ID]["box_prms"]["p_bat"] = 2_000_000  # 2 MWh: large, but believed
    payload[BOX_ID]["actual"]["bat_p"] = -60

    data = parse_basic_data(payload, None, NOW)

    assert data.battery.capacity_kwh == 2000
    assert data.battery.to_reserve_min is None
    assert "more than two weeks" in basic_data_text(data)


# --- the last contact -----------------------------------------------------------------


@pytest.mark.parametrize("lastcall", ["9999-12-31 23:59:59", "2025-04-06 21:00:00"])
def test_a_last_contact_in_the_future_is_not_believed(
    payload: dict[str, Any], lastcall: str
) -> None:
    box = payload[BOX_ID]
    box["device"]["lastcall"] = lastcall

    data = parse_basic_data(payload, None, NOW)
    report = energy_report(BOX_ID, box, "today", NOW)

    assert (data.last_contact, data.data_age_s) == (None, None)
    assert "0 s ago" not in basic_data_text(data)
    assert any(f"last contact as {lastcall}" in note for note in data.notes), data.notes
    assert report.period_label == "2025-04-05"  # from the clock, not the year 9999
    assert report.as_of is None


def test_a_last_contact_a_minute_ahead_is_clock_skew_and_believed(
    payload: dict[str, Any],
) -> None:
    payload[BOX_ID]["device"]["lastcall"] = "2025-04-05 21:01:30"

    data = parse_basic_data(payload, None, NOW)

    assert data.last_contact == "2025-04-05T21:01:30+02:00"
    assert data.data_age_s == 0


# --- daylight-saving days -------------------------------------------------------------


def test_a_25_hour_day_keeps_its_last_hour_and_all_its_energy() -> None:
    autumn = date(2025, 10, 26)  # clocks go back at 03:00: 25 hours
    later = datetime(2025, 10, 28, 12, 0, tzinfo=PORTAL_TZ)

    profile = day_profile(autumn, flat_day(300), None, later)

    assert profile.energy.house_kwh == 75.0
    assert profile.hours[23].house_w == 3000
    assert profile.spacing_min["load"] == 5
    assert not any("left out" in note for note in profile.notes)
    assert any("25 hours" in note for note in profile.notes)


def test_a_23_hour_day_places_the_hours_after_the_clock_change() -> None:
    spring = date(2025, 3, 30)  # clocks go forward at 02:00: 23 hours, no 02:00 hour
    later = datetime(2025, 4, 1, 12, 0, tzinfo=PORTAL_TZ)
    history = flat_day(276)
    for i in range(24, 36):  # the third hour of samples: 03:00-04:00 on the wall clock
        history["load"]["items"][i] = {"values": [5000, 0, 0]}

    profile = day_profile(spring, history, None, later)

    assert profile.hours[2].house_w is None
    assert profile.hours[3].house_w == 5000
    assert profile.hours[4].house_w == 3000
    assert profile.energy.house_kwh == 71.0  # 22 h x 3 kW + 1 h x 5 kW
    assert any("23 hours" in note for note in profile.notes)


def test_samples_after_midnight_are_counted_per_series_not_summed() -> None:
    profile = day_profile(date(2025, 4, 4), flat_day(300), None, NOW)

    dropped = [note for note in profile.notes if "after midnight" in note]
    assert dropped == [
        "12 samples of each series fell after midnight at that spacing and were left out."
    ]


# --- through the tool and the installed command ---------------------------------------


@pytest.mark.anyio
async def test_a_huge_battery_capacity_is_an_answer_from_the_tool_not_an_unexpected_error(
    mcp: Client, portal: FakePortal
) -> None:
    portal.box()["box_prms"]["p_bat"] = 5e11
    portal.box()["actual"]["bat_p"] = -60

    result = await mcp.call_tool("get_basic_data", {})

    text = "".join(getattr(block, "text", "") for block in result.content)
    assert not result.is_error, text
    assert "battery capacity 500000000000 Wh" in text


@pytest.mark.e2e
def test_status_check_reads_a_huge_battery_capacity_without_a_traceback(
    env: dict[str, str], portal: FakePortal
) -> None:
    portal.box()["box_prms"]["p_bat"] = 5e11
    portal.box()["actual"]["bat_p"] = -60

    ran = run_cli(["status", "--check"], env)

    assert ran.returncode == 0, ran
    assert "Traceback" not in ran.stderr
    assert "Battery 89 %" in ran.stdout


def test_a_day_the_box_stopped_reporting_ends_its_samples_at_the_last_contact(
    payload: dict[str, Any],
) -> None:
    box = payload[BOX_ID]
    box["device"]["lastcall"] = "2025-04-04 12:00:00"  # silent since noon yesterday
    history = flat_day(48)  # 15-minute samples up to noon

    profile = day_profile(date(2025, 4, 4), history, box, NOW)

    assert profile.spacing_min["load"] == 15  # not 30 (48 samples spread over 24 h)
    assert profile.hours[11].house_w == 3000
    assert profile.hours[12].house_w is None
    assert profile.energy.house_kwh == 36.0  # 12 h x 3 kW
