"""Answers computed from the portal's numbers, pinned on hand-computed figures."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest

from oig_cloud_mcp.domain.energy import energy_report
from oig_cloud_mcp.domain.insights import battery_outlook, phase_report
from oig_cloud_mcp.domain.parsing import PORTAL_TZ, installed_pv_kwp

from .helpers.sample import BOX_ID, NOW, sample_box


@pytest.fixture
def box() -> dict[str, Any]:
    return sample_box()


# --- A. Energy totals -------------------------------------------------------------------


def test_today_report_of_the_sample_uses_the_day_counters(box: dict[str, Any]) -> None:
    report = energy_report(BOX_ID, box, "today", NOW)

    assert report.period_label == "2025-04-05"
    assert report.as_of == "2025-04-05T20:55:43+02:00"
    assert (report.solar.kwh, report.solar.source, report.solar.field) == (
        45.6,
        "counter",
        "dc_in.fv_ad",
    )
    assert (report.grid_import.kwh, report.grid_import.field) == (7.6, "ac_in.ac_ad")
    assert (report.grid_export.kwh, report.grid_export.field) == (18.1, "ac_in.ac_pd")
    assert (report.consumption.kwh, report.consumption.field) == (6.9, "ac_out.en_day")
    assert report.net_export_kwh == 10.5  # 18.132 - 7.583 = 10.549
    assert any("backed-up output" in note for note in report.notes)


def test_self_consumption_of_the_sample_is_the_share_of_solar_not_exported(
    box: dict[str, Any],
) -> None:
    report = energy_report(BOX_ID, box, "today", NOW)

    assert report.self_consumption_pct == 60.2  # 1 - 18.132 / 45.61 = 0.60246


def test_import_above_consumption_clamps_self_sufficiency_to_zero_with_a_note(
    box: dict[str, Any],
) -> None:
    report = energy_report(BOX_ID, box, "today", NOW)  # import 7.583 > consumption 6.866

    assert report.self_sufficiency_pct == 0.0
    assert any("import exceeds consumption today" in note for note in report.notes)


def test_export_above_solar_clamps_self_consumption_to_zero_with_a_note(
    box: dict[str, Any],
) -> None:
    box["dc_in"]["fv_ad"] = 1000
    box["ac_in"]["ac_pd"] = 1500

    report = energy_report(BOX_ID, box, "today", NOW)

    assert report.self_consumption_pct == 0.0
    assert any("grid-charged energy" in note for note in report.notes)


def test_zero_solar_gives_no_self_consumption_and_says_why(box: dict[str, Any]) -> None:
    box["dc_in"]["fv_ad"] = 0
    box["ac_in"]["ac_pd"] = 0

    report = energy_report(BOX_ID, box, "today", NOW)

    assert report.solar.kwh == 0.0
    assert report.self_consumption_pct is None
    assert "No solar production yet today; self-consumption is undefined." in report.notes


def test_zero_consumption_gives_no_self_sufficiency_and_says_why(box: dict[str, Any]) -> None:
    box["ac_out"]["en_day"] = 0

    report = energy_report(BOX_ID, box, "today", NOW)

    assert report.self_sufficiency_pct is None
    assert "No consumption recorded today; self-sufficiency is undefined." in report.notes


def test_missing_counters_are_null_figures_not_zero(box: dict[str, Any]) -> None:
    del box["dc_in"], box["ac_in"]

    report = energy_report(BOX_ID, box, "today", NOW)
    dumped = json.loads(report.model_dump_json())

    assert dumped["solar"] == {"kwh": None, "source": None, "field": None}
    assert dumped["grid_import"] == {"kwh": None, "source": None, "field": None}
    assert dumped["net_export_kwh"] is None
    assert dumped["self_consumption_pct"] is None
    assert dumped["self_sufficiency_pct"] is None
    assert dumped["consumption"]["kwh"] == 6.9
    assert any("counter is missing" in note for note in report.notes)


def test_non_numeric_and_infinite_counters_count_as_missing(box: dict[str, Any]) -> None:
    box["dc_in"]["fv_ad"] = "inf"
    box["ac_in"]["ac_pd"] = "n/a"
    box["ac_in"]["ac_ad"] = "7583"

    report = energy_report(BOX_ID, box, "today", NOW)

    assert report.solar.kwh is None
    assert report.grid_export.kwh is None
    assert report.grid_import.kwh == 7.6
    assert report.net_export_kwh is None


def test_month_consumption_is_an_estimate_with_inferred_kwh_units(box: dict[str, Any]) -> None:
    report = energy_report(BOX_ID, box, "this_month", NOW)

    assert report.period_label == "2025-04"
    assert (report.solar.kwh, report.solar.field) == (229.0, "dc_in.fv_am")
    assert (report.grid_import.kwh, report.grid_export.kwh) == (11.0, 123.0)
    assert report.consumption.kwh == 117.0  # 229 + 11 - 123
    assert report.consumption.source == "estimate"
    assert report.consumption.field == "solar + import - export"
    assert report.net_export_kwh == 112.0
    assert report.self_consumption_pct == 46.3  # 106 / 229
    assert report.self_sufficiency_pct == 90.6  # 106 / 117
    assert any("read as kWh" in note and "inferred" in note for note in report.notes)
    assert any("ignoring energy left in the battery" in note for note in report.notes)


def test_year_report_uses_the_year_counters(box: dict[str, Any]) -> None:
    report = energy_report(BOX_ID, box, "this_year", NOW)

    assert report.period_label == "2025"
    assert report.consumption.kwh == 1069.0  # 2385 + 186 - 1502
    assert report.net_export_kwh == 1316.0
    assert report.self_consumption_pct == 37.0  # 883 / 2385 = 0.37023
    assert report.self_sufficiency_pct == 82.6  # 883 / 1069 = 0.82601


def test_month_without_counters_has_no_estimate(box: dict[str, Any]) -> None:
    del box["ac_in"]["ac_am"]

    report = energy_report(BOX_ID, box, "this_month", NOW)

    assert report.consumption.kwh is None
    assert report.consumption.source is None
    assert report.self_sufficiency_pct is None


def test_battery_energy_comes_from_older_firmware_counters(box: dict[str, Any]) -> None:
    box["batt"].update({"bat_apd": 5240, "bat_and": 4130, "bat_am": 64})

    today = energy_report(BOX_ID, box, "today", NOW)
    month = energy_report(BOX_ID, box, "this_month", NOW)

    assert (today.battery_charged.kwh, today.battery_charged.field) == (5.2, "batt.bat_apd")
    assert (today.battery_discharged.kwh, today.battery_discharged.field) == (4.1, "batt.bat_and")
    assert (month.battery_charged.kwh, month.battery_charged.source) == (64.0, "counter")
    assert month.battery_discharged.kwh is None
    assert month.battery_discharged.source is None
    assert not any("battery energy counters" in note for note in today.notes)


def test_current_firmware_has_null_battery_energy_and_says_so(box: dict[str, Any]) -> None:
    report = energy_report(BOX_ID, box, "today", NOW)

    assert report.battery_charged.kwh is None
    assert report.battery_discharged.kwh is None
    assert any("no battery energy counters" in note for note in report.notes)


def test_counters_from_an_earlier_day_are_labelled_with_that_day(box: dict[str, Any]) -> None:
    box["device"]["lastcall"] = "2025-04-04 23:58:00"
    morning = datetime(2025, 4, 5, 8, 0, tzinfo=PORTAL_TZ)

    today = energy_report(BOX_ID, box, "today", morning)
    month = energy_report(BOX_ID, box, "this_month", morning)

    assert today.period_label == "2025-04-04"
    assert any("may be for 2025-04-04, not today" in note for note in today.notes)
    assert month.period_label == "2025-04"
    assert not any("may be for" in note for note in month.notes)


def test_unknown_last_contact_takes_the_period_from_the_clock(box: dict[str, Any]) -> None:
    del box["device"]

    report = energy_report(BOX_ID, box, "today", NOW)

    assert report.as_of is None
    assert report.period_label == "2025-04-05"
    assert any("last contact is unknown" in note for note in report.notes)


@pytest.mark.parametrize("period", ["today", "this_month", "this_year"])
def test_energy_report_of_the_sample_stays_small(box: dict[str, Any], period: Any) -> None:
    assert len(energy_report(BOX_ID, box, period, NOW).model_dump_json()) < 1500


# --- B. Battery outlook -----------------------------------------------------------------


def test_outlook_while_discharging_gives_time_to_reserve(box: dict[str, Any]) -> None:
    outlook = battery_outlook(box, box["actual"])

    assert (outlook.capacity_kwh, outlook.reserve_pct) == (9.6, 20)
    assert outlook.stored_above_reserve_kwh == 6.6  # 9.6 * 69 % = 6.624
    assert outlook.time_to_reserve_min == 851  # 6624 Wh / 467 W = 14.184 h
    assert outlook.time_to_full_min is None


def test_outlook_while_charging_gives_time_to_full(box: dict[str, Any]) -> None:
    live = {"bat_p": 2000, "bat_c": 50}

    outlook = battery_outlook(box, live)

    assert outlook.stored_above_reserve_kwh == 2.9  # 9.6 * 30 % = 2.88
    assert outlook.time_to_full_min == 144  # 4800 Wh / 2000 W = 2.4 h
    assert outlook.time_to_reserve_min is None


@pytest.mark.parametrize("power", [0, 30, -49])
def test_idle_battery_has_no_times(box: dict[str, Any], power: int) -> None:
    outlook = battery_outlook(box, {"bat_p": power, "bat_c": 60})

    assert outlook.time_to_reserve_min is None
    assert outlook.time_to_full_min is None
    assert outlook.stored_above_reserve_kwh == 3.8  # 9.6 * 40 % = 3.84


def test_fifty_watts_is_no_longer_idle(box: dict[str, Any]) -> None:
    outlook = battery_outlook(box, {"bat_p": -50, "bat_c": 21})

    assert outlook.time_to_reserve_min == 115  # 96 Wh / 50 W = 1.92 h


def test_live_data_off_takes_soc_from_batt_and_estimates_no_times(box: dict[str, Any]) -> None:
    outlook = battery_outlook(box, None)

    assert outlook.time_to_reserve_min is None
    assert outlook.time_to_full_min is None
    assert outlook.stored_above_reserve_kwh == 6.6
    assert any("live data is off" in note for note in outlook.notes)


@pytest.mark.parametrize("soc", [20, 15])
def test_discharging_at_or_below_reserve_has_zero_time_to_reserve(
    box: dict[str, Any], soc: int
) -> None:
    outlook = battery_outlook(box, {"bat_p": -300, "bat_c": soc})

    assert outlook.time_to_reserve_min == 0
    assert outlook.stored_above_reserve_kwh == 0.0
    assert "The battery is at or below its 20 % reserve." in outlook.notes


def test_charging_a_full_battery_has_zero_time_to_full(box: dict[str, Any]) -> None:
    outlook = battery_outlook(box, {"bat_p": 120, "bat_c": 100})

    assert outlook.time_to_full_min == 0


def test_unknown_capacity_leaves_energies_and_times_null(box: dict[str, Any]) -> None:
    del box["box_prms"]

    outlook = battery_outlook(box, box["actual"])

    assert outlook.capacity_kwh is None
    assert outlook.stored_above_reserve_kwh is None
    assert outlook.time_to_reserve_min is None
    assert any("battery capacity" in note for note in outlook.notes)


def test_unknown_capacity_at_reserve_still_has_zero_time_to_reserve(box: dict[str, Any]) -> None:
    box["box_prms"]["p_bat"] = 0

    outlook = battery_outlook(box, {"bat_p": -300, "bat_c": 20})

    assert outlook.capacity_kwh is None
    assert outlook.time_to_reserve_min == 0


def test_unknown_reserve_gives_no_time_to_reserve(box: dict[str, Any]) -> None:
    del box["batt_prms"]

    outlook = battery_outlook(box, box["actual"])

    assert outlook.reserve_pct is None
    assert outlook.stored_above_reserve_kwh is None
    assert outlook.time_to_reserve_min is None


def test_installed_pv_power_is_in_kwp(box: dict[str, Any]) -> None:
    assert installed_pv_kwp(box) == 9.6
    del box["box_prms"]["p_fve"]
    assert installed_pv_kwp(box) is None


# --- C. Phases --------------------------------------------------------------------------


def test_phases_of_the_sample_use_live_grid_power(box: dict[str, Any]) -> None:
    phases = phase_report(box, box["actual"])

    assert phases.house_w == [136, 15, 116]
    assert phases.grid_w == [23, -76, 0]  # actual.aci_w*
    assert phases.voltage_v == [235.6, 238.6, 237.1]
    assert phases.frequency_hz == 50.03
    assert phases.busiest == "L1"
    assert phases.note is None


def test_phases_without_live_data_use_the_regular_grid_values(box: dict[str, Any]) -> None:
    phases = phase_report(box, None)

    assert phases.grid_w == [19, -72, 0]  # ac_in.aci_w*


def test_a_phase_near_the_bypass_level_is_called_tight(box: dict[str, Any]) -> None:
    box["ac_out"]["aco_ps"] = 3100

    phases = phase_report(box, box["actual"])

    assert phases.busiest == "L2"
    assert phases.note == (
        "L2 carries 3,100 W of the backed-up load, close to the ~3,300 W per phase where the "
        "box switches to bypass; spread large loads across phases."
    )


def test_exactly_three_kilowatts_is_already_tight(box: dict[str, Any]) -> None:
    box["ac_out"]["aco_pr"] = 3000

    assert (phase_report(box, None).note or "").startswith("L1 carries 3,000 W")


@pytest.mark.parametrize("load", [3300, 3650])
def test_a_phase_at_or_over_the_bypass_level_says_so(box: dict[str, Any], load: int) -> None:
    box["ac_out"]["aco_ps"] = 3100
    box["ac_out"]["aco_pt"] = load

    phases = phase_report(box, box["actual"])

    assert phases.busiest == "L3"
    assert phases.note == (
        f"L3 carries {load:,} W of the backed-up load, at or over the ~3,300 W per phase "
        "where the box switches to bypass; move large loads to other phases."
    )


def test_missing_phase_fields_are_null_and_leave_no_busiest_phase(box: dict[str, Any]) -> None:
    del box["ac_out"]
    del box["ac_in"]["aci_vs"], box["ac_in"]["aci_f"]

    phases = phase_report(box, None)

    assert phases.house_w == [None, None, None]
    assert phases.voltage_v == [235.6, None, 237.1]
    assert phases.frequency_hz is None
    assert phases.busiest is None
    assert phases.note is None


def test_equal_loads_make_the_lower_phase_the_busiest(box: dict[str, Any]) -> None:
    box["ac_out"].update(aco_pr=500, aco_ps=900, aco_pt=900)

    assert phase_report(box, None).busiest == "L2"


# --- Notes are for people -----------------------------------------------------------------

PORTAL_JARGON = re.compile(r"\.php|_prms|\b(ac_out|ac_in|dc_in|batt)\.|\b[a-z]+_[a-z]+\.[a-z_]+")
"""Portal field and endpoint names (ac_out.en_day, box_prms.p_bat, json2.php)."""


@pytest.mark.parametrize("period", ["today", "this_month", "this_year"])
def test_energy_report_notes_name_no_portal_fields(box: dict[str, Any], period: Any) -> None:
    box["batt"] = {}
    report = energy_report(BOX_ID, box, period, NOW)

    assert report.notes
    for note in report.notes:
        assert PORTAL_JARGON.search(note) is None, note
    if period == "today":
        assert report.notes[0] == (
            "Consumption is the box's day counter of its backed-up output; loads wired "
            "before the box are not counted."
        )
        assert report.consumption.field == "ac_out.en_day"  # structured names stay


def test_battery_outlook_notes_name_no_portal_fields(box: dict[str, Any]) -> None:
    del box["box_prms"]["p_bat"]

    outlook = battery_outlook(box, None)

    assert "The box does not report its battery capacity." in outlook.notes
    for note in outlook.notes:
        assert PORTAL_JARGON.search(note) is None, note
