"""The day profile from json2.php's four series, pinned on hand-computed figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from oig_cloud_mcp.domain.day_profile import day_profile
from oig_cloud_mcp.domain.models import SeriesName
from oig_cloud_mcp.domain.parsing import PORTAL_TZ

from .helpers.sample import BOX_ID, NOW, sample_box

PAST_DAY = date(2025, 4, 4)

History = dict[SeriesName, Any]


@pytest.fixture
def box() -> dict[str, Any]:
    return sample_box()


def series(rows: list[Any]) -> dict[str, Any]:
    """A json2.php answer holding these rows."""
    return {"items": [{"values": row} for row in rows]}


def past_day_history() -> History:
    """A full day at 5-min spacing (288 rows per series) with hand-computable totals.

    Solar 1,200 W in hours 10, 11 and 13 and 1,800 W in hour 12; house 600 W, 3,000 W in
    hour 18; grid +600 W in hours 0-9, -1,200 W in hours 10-13, else 0; battery 50 %,
    15 % in hour 5, 90 % in hour 14, alternating 40/41 % in hour 7.
    """
    fve, load, grid, batt = [], [], [], []
    for i in range(288):
        hour = i // 12
        strings = (1000, 800) if hour == 12 else (700, 500) if 10 <= hour <= 13 else (0, 0)
        fve.append([310.5, 305.0, 0, *strings])
        load.append([1000, 1000, 1000] if hour == 18 else [100, 200, 300])
        grid.append([230.1, 600 if hour < 10 else -1200 if hour <= 13 else 0, 0, 0])
        soc = 40 + i % 2 if hour == 7 else {5: 15, 14: 90}.get(hour, 50)
        batt.append([52.0, -1.5, soc, 24.0])
    return {"fve": series(fve), "load": series(load), "grid": series(grid), "batt": series(batt)}


def test_past_day_of_288_samples_is_read_as_5_minute_spacing() -> None:
    profile = day_profile(PAST_DAY, past_day_history(), None, NOW)

    assert profile.date == "2025-04-04"
    assert profile.sample_count == {"fve": 288, "load": 288, "grid": 288, "batt": 288}
    assert profile.spacing_min == {"fve": 5, "load": 5, "grid": 5, "batt": 5}
    assert any("5 min" in note and "no sample times" in note for note in profile.notes)


def test_past_day_hours_are_means_of_their_samples() -> None:
    hours = day_profile(PAST_DAY, past_day_history(), None, NOW).hours

    assert [row.hour for row in hours] == list(range(24))
    assert (hours[0].solar_w, hours[0].house_w, hours[0].grid_w) == (0, 600, 600)
    assert (hours[12].solar_w, hours[11].solar_w, hours[11].grid_w) == (1800, 1200, -1200)
    assert (hours[18].house_w, hours[20].grid_w) == (3000, 0)
    assert (hours[7].battery_pct, hours[23].battery_pct) == (40.5, 50.0)


def test_past_day_peaks_and_battery_extremes() -> None:
    profile = day_profile(PAST_DAY, past_day_history(), None, NOW)

    assert profile.peak_solar is not None
    assert profile.peak_house is not None
    assert (profile.peak_solar.hour, profile.peak_solar.w) == (12, 1800)
    assert (profile.peak_house.hour, profile.peak_house.w) == (18, 3000)
    assert profile.battery_fullest is not None
    assert profile.battery_emptiest is not None
    assert (profile.battery_fullest.hour, profile.battery_fullest.pct) == (14, 90.0)
    assert (profile.battery_emptiest.hour, profile.battery_emptiest.pct) == (5, 15.0)


def test_past_day_energy_is_integrated_from_the_samples() -> None:
    energy = day_profile(PAST_DAY, past_day_history(), None, NOW).energy

    assert energy.solar_kwh == 5.4  # 36 x 1200 W x 5 min + 12 x 1800 W x 5 min
    assert energy.house_kwh == 16.8  # 276 x 600 W x 5 min + 12 x 3000 W x 5 min
    assert energy.grid_import_kwh == 6.0  # 120 x 600 W x 5 min
    assert energy.grid_export_kwh == 4.8  # 48 x 1200 W x 5 min
    assert energy.estimated is True


def test_past_day_has_no_cross_check_even_with_a_box(box: dict[str, Any]) -> None:
    assert day_profile(PAST_DAY, past_day_history(), box, NOW).cross_check is None


def today_history() -> History:
    """36 rows per series by 06:00: 10-min spacing. Solar 2,000 W, house 500 W,
    grid +400 W for the first 18 rows and -300 W for the next 18."""
    return {
        "fve": series([[300, 300, 0, 1200, 800]] * 36),
        "load": series([[200, 200, 100]] * 36),
        "grid": series([[230, 400, 0, 0]] * 18 + [[230, -300, 0, 0]] * 18),
        "batt": series([[52, 1, 60 + i // 6, 24] for i in range(36)]),
    }


SIX_AM = datetime(2025, 4, 5, 6, 0, tzinfo=PORTAL_TZ)


def test_today_spacing_is_inferred_from_the_time_elapsed() -> None:
    profile = day_profile(SIX_AM.date(), today_history(), None, SIX_AM)

    assert profile.spacing_min == {"fve": 10, "load": 10, "grid": 10, "batt": 10}
    assert any("6.0 h elapsed today" in note for note in profile.notes)
    assert [row.grid_w for row in profile.hours[:6]] == [400, 400, 400, -300, -300, -300]
    assert [row.battery_pct for row in profile.hours[:6]] == [60.0, 61.0, 62.0, 63.0, 64.0, 65.0]


def test_today_hours_from_now_on_without_samples_are_null() -> None:
    hours = day_profile(SIX_AM.date(), today_history(), None, SIX_AM).hours

    assert all(
        (row.solar_w, row.house_w, row.grid_w, row.battery_pct) == (None, None, None, None)
        for row in hours[6:]
    )


def test_today_hours_after_now_stay_null_even_if_a_sample_lands_there() -> None:
    now = datetime(2025, 4, 5, 12, 58, tzinfo=PORTAL_TZ)  # 778 min; 157 rows -> 4.96 -> 5 min
    history: History = {"load": series([[100, 100, 200]] * 157)}

    profile = day_profile(now.date(), history, None, now)

    assert profile.spacing_min == {"load": 5}
    assert profile.hours[12].house_w == 400
    assert profile.hours[13].house_w is None  # row 156 starts at 13:00
    assert profile.energy.house_kwh == 5.2  # 157 x 400 W x 5 min = 5,233 Wh


def test_today_cross_check_compares_integrals_with_the_day_counters(box: dict[str, Any]) -> None:
    box["dc_in"]["fv_ad"] = 12500
    box["ac_out"]["en_day"] = 2800
    box["ac_in"]["ac_ad"] = 1000
    del box["ac_in"]["ac_pd"]

    profile = day_profile(SIX_AM.date(), today_history(), box, SIX_AM)

    assert profile.energy.solar_kwh == 12.0  # 36 x 2000 W x 10 min
    assert profile.energy.house_kwh == 3.0  # 36 x 500 W x 10 min
    assert profile.energy.grid_import_kwh == 1.2  # 18 x 400 W x 10 min
    assert profile.energy.grid_export_kwh == 0.9  # 18 x 300 W x 10 min
    check = profile.cross_check
    assert check is not None
    assert check.solar.model_dump() == {
        "counter_kwh": 12.5,
        "integrated_kwh": 12.0,
        "difference_kwh": -0.5,
        "difference_pct": -4.0,
    }
    assert (check.house.difference_kwh, check.house.difference_pct) == (0.2, 7.1)  # 0.2 / 2.8
    assert (check.grid_import.difference_kwh, check.grid_import.difference_pct) == (0.2, 20.0)
    assert check.grid_export.model_dump() == {
        "counter_kwh": None,
        "integrated_kwh": 0.9,
        "difference_kwh": None,
        "difference_pct": None,
    }


def test_malformed_rows_are_tolerated() -> None:
    grid = {
        "items": [
            {"values": [230, "500", 0, 0]},
            "garbage",
            {"values": [230]},
            {"values": [230, "abc"]},
            {"values": [230, True]},
            {"no_values": 1},
            {"values": "not a list"},
            {"values": [230, [1, 2]]},
            {"values": [230, "-250.4"]},
        ]
    }
    history: History = {"grid": grid, "load": [], "fve": {"items": "nope"}}

    profile = day_profile(PAST_DAY, history, None, NOW)

    # 6 usable rows over 24 h -> 240 min, snapped to 60: one row per hour from 00:00
    assert profile.sample_count == {"fve": 0, "load": 0, "grid": 6, "batt": 0}
    assert profile.spacing_min == {"grid": 60}
    assert [row.grid_w for row in profile.hours[:7]] == [500, None, None, None, None, -250, None]
    assert profile.energy.grid_import_kwh == 0.5
    assert profile.energy.grid_export_kwh == 0.3  # 250.4 Wh
    assert profile.energy.solar_kwh is None
    assert profile.peak_solar is None


def test_a_row_missing_one_phase_has_no_house_value_rather_than_a_partial_sum() -> None:
    history: History = {"load": series([[100, 200, 300], [100, None, 300]] * 144)}

    profile = day_profile(PAST_DAY, history, None, NOW)

    assert profile.hours[0].house_w == 600
    assert profile.energy.house_kwh == 7.2  # 144 x 600 W x 5 min


def test_rows_beyond_midnight_at_the_inferred_spacing_are_left_out() -> None:
    history: History = {"load": series([[100, 100, 100]] * 300)}  # 4.8 min -> 5 min: 288 fit

    profile = day_profile(PAST_DAY, history, None, NOW)

    assert profile.spacing_min == {"load": 5}
    assert profile.energy.house_kwh == 7.2  # 288 x 300 W x 5 min
    assert any("12 samples of load fell after midnight" in note for note in profile.notes)


@pytest.mark.parametrize(("rows", "spacing"), [(1440, 1), (720, 2), (96, 15), (24, 60)])
def test_spacing_snaps_to_the_usual_intervals(rows: int, spacing: int) -> None:
    history: History = {"batt": series([[52, 1, 50, 24]] * rows)}

    assert day_profile(PAST_DAY, history, None, NOW).spacing_min == {"batt": spacing}


def test_no_samples_give_null_hours_peaks_and_energy() -> None:
    profile = day_profile(PAST_DAY, {}, None, NOW)

    assert len(profile.hours) == 24
    assert all(row.solar_w is None and row.battery_pct is None for row in profile.hours)
    assert profile.peak_solar is None
    assert profile.battery_fullest is None
    assert profile.energy.solar_kwh is None
    assert profile.energy.grid_import_kwh is None
    assert profile.spacing_min == {}
    assert profile.notes == ["OIG Cloud's history has no samples for this day."]


def test_a_day_without_solar_has_no_solar_peak() -> None:
    history: History = {"fve": series([[0, 0, 0, 0, 0]] * 288)}

    profile = day_profile(PAST_DAY, history, None, NOW)

    assert profile.hours[12].solar_w == 0
    assert profile.energy.solar_kwh == 0.0
    assert profile.peak_solar is None


def test_a_full_day_of_5_minute_data_stays_under_4_kb(box: dict[str, Any]) -> None:
    """Today just before midnight, with the cross-check and wide numbers everywhere."""
    now = datetime(2025, 4, 5, 23, 59, 59, tzinfo=PORTAL_TZ)
    history: History = {
        "fve": series([[612.3, 598.7, 1.1, 12345.6, 11111.1]] * 288),
        "load": series([[-1234.5, 2345.6, 3456.7]] * 288),
        "grid": series([[231.2, -12345.6 if i % 2 else 12345.6, 1, 1] for i in range(288)]),
        "batt": series([[52.1, -12.3, 33.33 + i % 3, 24.5] for i in range(288)]),
    }

    profile = day_profile(now.date(), history, box, now)

    assert profile.cross_check is not None
    assert profile.spacing_min == {"fve": 5, "load": 5, "grid": 5, "batt": 5}
    assert len(profile.model_dump_json()) <= 4096


def test_counters_from_another_day_are_not_cross_checked(box: dict[str, Any]) -> None:
    box["device"]["lastcall"] = "2025-04-04 23:58:00"  # the box has not reported today yet

    profile = day_profile(SIX_AM.date(), today_history(), box, SIX_AM, box_id=BOX_ID)

    assert profile.box_id == BOX_ID
    assert profile.cross_check is None
    assert any("last reported on 2025-04-04" in note for note in profile.notes)


def test_counters_without_a_last_contact_are_taken_as_todays(box: dict[str, Any]) -> None:
    del box["device"]

    profile = day_profile(SIX_AM.date(), today_history(), box, SIX_AM)

    assert profile.cross_check is not None
    assert profile.box_id is None


def test_profile_notes_say_in_words_that_the_history_has_no_sample_times() -> None:
    profile = day_profile(PAST_DAY, past_day_history(), None, NOW)

    assert profile.notes == [
        "Sample spacing inferred from the sample count over the whole day: 5 min "
        "(OIG Cloud's history has no sample times, so the times are inferred)."
    ]
    assert all(".php" not in note for note in profile.notes)


def test_a_near_zero_day_counter_gets_no_percentage_difference(box: dict[str, Any]) -> None:
    box["ac_in"]["ac_ad"] = 1.1447276731432449e-154  # ~0 Wh: found by a hypothesis test

    check = day_profile(SIX_AM.date(), today_history(), box, SIX_AM).cross_check

    assert check is not None
    assert check.grid_import.model_dump() == {
        "counter_kwh": 0.0,
        "integrated_kwh": 1.2,
        "difference_kwh": 1.2,
        "difference_pct": None,  # was 1e156 %
    }
