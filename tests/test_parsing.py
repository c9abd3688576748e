"""From the real json.php sample and portal HTML to the values a user is told."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from oig_cloud_mcp.domain.history import RowLayout, parse_history
from oig_cloud_mcp.domain.notifications import extract_html, latest_bypass, parse_notifications
from oig_cloud_mcp.domain.parsing import (
    box_ids,
    decode_grid_delivery,
    duration_words,
    number,
)
from oig_cloud_mcp.domain.snapshot import parse_basic_data, parse_box_config
from oig_cloud_mcp.domain.timeline import Span
from oig_cloud_mcp.errors import InvalidRequestError
from oig_cloud_mcp.tools.render import basic_data_text

from .fake_portal import FakePortal
from .helpers.sample import NOW, sample_payload


@pytest.fixture
def sample() -> dict[str, Any]:
    return sample_payload()


def test_sample_snapshot_has_the_documented_names_signs_and_units(sample: dict[str, Any]) -> None:
    data = parse_basic_data(sample, None, NOW)

    assert data.box_id == "2205232120"
    assert data.boxes == ["2205232120"]
    assert data.mode == "Home 1"
    assert data.last_contact == "2025-04-05T20:55:43+02:00"
    assert data.data_age_s == 300
    assert data.live_data is True
    assert data.solar.power_w == 0
    assert [s.power_w for s in data.solar.strings] == [0, 0]
    assert data.solar.today_kwh == 45.61
    assert data.battery.soc_pct == 89
    assert data.battery.power_w == -467  # discharging
    assert data.grid.power_w == 23 - 76 + 0  # net export across phases
    assert data.grid.today_import_kwh == 7.58
    assert data.grid.today_export_kwh == 18.13
    assert data.grid.delivery == "on"
    assert data.grid.delivery_limit_w is None
    assert data.house.power_w == 253
    assert data.house.today_kwh == 6.87
    assert data.box.temperature_c == 24.6
    assert data.box.humidity_pct == 24.5
    assert data.notes == []


def test_live_data_off_falls_back_and_says_so(sample: dict[str, Any]) -> None:
    del sample["2205232120"]["actual"]

    data = parse_basic_data(sample, None, NOW)

    assert data.live_data is False
    assert data.battery.soc_pct == 89  # from batt.bat_c
    assert data.battery.power_w is None  # no non-live source: null, not 0
    assert data.grid.power_w == 19 - 72  # ac_in phases
    assert data.house.power_w == 274  # ac_out
    assert any("Live data" in note for note in data.notes)


def test_missing_fields_are_null_not_zero(sample: dict[str, Any]) -> None:
    box = sample["2205232120"]
    for name in ("dc_in", "box", "ac_out", "device", "invertor_prms", "box_prms"):
        box.pop(name)

    data = parse_basic_data(sample, None, NOW)

    assert data.solar.today_kwh is None
    assert data.box.temperature_c is None
    assert data.house.today_kwh is None
    assert data.last_contact is None
    assert data.data_age_s is None
    assert data.grid.delivery is None
    assert data.mode is None


def test_a_stale_box_is_flagged(sample: dict[str, Any]) -> None:
    later = NOW.replace(hour=23)
    data = parse_basic_data(sample, None, later)
    assert any("last reported 2 h ago" in note for note in data.notes)


def test_unknown_box_id_names_the_boxes_there_are(sample: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequestError, match="2205232120"):
        parse_basic_data(sample, "1111111111", NOW)


def test_second_box_can_be_chosen(sample: dict[str, Any]) -> None:
    sample["2206237016"] = copy.deepcopy(sample["2205232120"])
    sample["2206237016"]["box_prms"]["mode"] = 3
    data = parse_basic_data(sample, "2206237016", NOW)
    assert data.mode == "Home UPS"
    assert data.boxes == ["2205232120", "2206237016"]


@pytest.mark.parametrize(
    ("queen", "to_grid", "limit", "expected"),
    [
        (False, 1, 10000, ("on", None)),
        (False, 1, 5000, ("limited", 5000)),
        (False, 0, 10000, ("off", None)),
        (True, 1, 0, ("on", None)),
        (True, 0, 3000, ("limited", 3000)),
        (True, 0, 0, ("off", None)),
    ],
)
def test_grid_delivery_follows_the_model_tables(
    queen: bool, to_grid: int, limit: int, expected: tuple[str, int | None]
) -> None:
    box = {
        "queen": queen,
        "invertor_prms": {"to_grid": to_grid},
        "invertor_prm1": {"p_max_feed_grid": limit},
    }
    assert decode_grid_delivery(box) == expected


PAST_DAY = Span.of(date(2025, 4, 4), date(2025, 4, 4), NOW)


def test_history_summarises_every_sample_and_averages_rows_of_equal_time() -> None:
    payload = {"items": [{"values": [50 + i, -1.5, 60 + i % 10, 24.0]} for i in range(1440)]}

    series = parse_history("batt", payload, RowLayout.of(PAST_DAY, 24))[0]

    assert (series.sample_count, series.spacing_min) == (1440, 1)
    assert len(series.samples) == 24
    assert series.columns == ["voltage", "current", "soc", "temperature"]
    voltage = series.fields[0]
    assert (voltage.name, voltage.unit, voltage.min, voltage.max, voltage.last) == (
        "voltage",
        "V",
        50,
        1489,
        1489,
    )
    assert (voltage.min_at, voltage.max_at) == ("2025-04-04T00:00", "2025-04-04T23:59")
    assert series.samples[0][0] == 79.5  # the mean of the first hour, 50..109 V
    assert series.samples[23][0] == 1460  # 1430..1489 V, whole above 100


def test_history_skips_the_unused_fve_column_and_tolerates_short_rows() -> None:
    payload = {"items": [{"values": [380.0, 370.0, 9.9, 2000, 1500]}, {"values": [1.0]}, "junk"]}

    series = parse_history("fve", payload, RowLayout.of(PAST_DAY, 24))[0]

    assert series.columns == [
        "string1_voltage",
        "string2_voltage",
        "string1_power",
        "string2_power",
    ]
    assert series.spacing_min == 720  # two samples in a day
    assert series.samples[0] == [380, 370, 2000, 1500]
    assert series.samples[12] == [1, None, None, None]
    assert series.samples[1] == [None, None, None, None]


def test_notifications_parse_time_severity_box_title_and_body() -> None:
    html = extract_html([[11, "ctrl-notifs", FakePortal().notifications_html(), None]])
    assert html is not None

    parsed = [n for _, n in parse_notifications(html)]

    first = parsed[0]
    assert first.time == "2025-06-28T13:05:00+02:00"
    assert first.severity == "info"
    assert first.box_id == "2205232120"
    assert first.title == "Stav baterie"
    assert first.body == "Baterie nabita na 100 %.\nDobrý den."
    assert [n.severity for n in parsed] == ["info", "warning", "error"]
    latest = latest_bypass(parsed)
    assert latest is not None
    assert latest[0] == "on"
    assert latest[1].time == "2025-06-28T09:41:00+02:00"


def test_entity_escaped_notification_html_is_unescaped() -> None:
    escaped = FakePortal().notifications_html().replace("<", "&lt;").replace(">", "&gt;")
    html = extract_html([[11, "ctrl-notifs", escaped, None]])
    assert html is not None
    assert len(parse_notifications(html)) == 3


def test_unexpected_notification_shapes_yield_nothing() -> None:
    assert extract_html({"error": 1}) is None
    assert parse_notifications('<div class="folder-list">  </div>') == []


def test_sample_snapshot_has_the_battery_outlook_installed_solar_and_phases(
    sample: dict[str, Any],
) -> None:
    data = parse_basic_data(sample, None, NOW)

    assert data.solar.installed_kwp == 9.6  # box_prms.p_fve 9600 Wp
    assert data.battery.capacity_kwh == 9.6  # box_prms.p_bat 9600 Wh
    assert data.battery.reserve_pct == 20  # batt_prms.bat_min
    assert data.battery.above_reserve_kwh == 6.6  # 9.6 kWh x (89 - 20) %
    assert (data.battery.to_reserve_min, data.battery.to_full_min) == (851, None)
    assert data.phases.house_w == [136, 15, 116]
    assert data.phases.grid_w == [23, -76, 0]
    assert data.phases.voltage_v == [235.6, 238.6, 237.1]
    assert (data.phases.frequency_hz, data.phases.busiest, data.phases.note) == (50.03, "L1", None)


def test_without_live_data_there_is_no_time_estimate_and_no_extra_note(
    sample: dict[str, Any],
) -> None:
    del sample["2205232120"]["actual"]

    data = parse_basic_data(sample, None, NOW)

    assert (data.battery.to_reserve_min, data.battery.to_full_min) == (None, None)
    assert data.battery.above_reserve_kwh == 6.6
    assert data.phases.grid_w == [19, -72, 0]
    assert len(data.notes) == 1  # only the live data note


def test_missing_sizes_and_phases_are_null(sample: dict[str, Any]) -> None:
    box = sample["2205232120"]
    for name in ("box_prms", "batt_prms", "ac_out"):
        box.pop(name)

    data = parse_basic_data(sample, None, NOW)

    assert data.solar.installed_kwp is None
    assert (data.battery.capacity_kwh, data.battery.reserve_pct) == (None, None)
    assert (data.battery.above_reserve_kwh, data.battery.to_reserve_min) == (None, None)
    assert data.phases.house_w == [None, None, None]
    assert data.phases.busiest is None


@pytest.mark.parametrize(
    ("boiler", "prms", "present", "mode"),
    [
        ([], {"ison": 1, "manual": 0}, False, None),  # no module: [] wins
        ({"p": 0, "w": 0}, {"ison": 0, "manual": 1}, False, None),  # function not used
        ({"p": 0, "w": 0}, {"ison": 1, "manual": 1}, True, "manual"),
        ({"p": 0, "w": 0}, {"ison": 1, "manual": 0}, True, "auto"),
        ({"p": 0, "w": 0}, {}, None, None),  # the portal does not say
    ],
)
def test_box_config_reads_sizes_settings_and_the_boiler(
    sample: dict[str, Any], boiler: Any, prms: dict[str, int], present: bool | None, mode: Any
) -> None:
    box = sample["2205232120"]
    box["boiler"], box["boiler_prms"] = boiler, prms

    config = parse_box_config(sample, None, NOW)

    assert (config.box_id, config.mode, config.grid_delivery) == ("2205232120", "Home 1", "on")
    assert (config.battery_capacity_kwh, config.pv_installed_kwp) == (9.6, 9.6)
    assert config.battery_reserve_pct == 20
    assert (config.boiler_present, config.boiler_mode) == (present, mode)
    assert config.mode_effect is not None
    assert config.mode_effect.startswith("Solar feeds the house first")


# -- numbers, box keys and notifications the portal should never send -----------------------

HOSTILE_NUMBERS = [
    float("nan"),
    float("inf"),
    float("-inf"),
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    10**400,
    -(10**400),
    1e308,
    -1e308,
    1e13,
    "1e13",
    "9" * 100_000,
]


@pytest.mark.parametrize("value", HOSTILE_NUMBERS, ids=lambda v: repr(v)[:20])
def test_non_finite_and_absurd_numbers_read_as_unknown(value: object) -> None:
    assert number(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (-1250, -1250), ("42", 42), ("49.98", 49.98), (1e12, 1e12), ("-3.5", -3.5)],
)
def test_ordinary_numbers_are_read_as_they_are(value: object, expected: float) -> None:
    assert number(value) == expected


def test_a_box_silent_for_long_says_how_many_days(sample: dict[str, Any]) -> None:
    later = NOW.replace(year=2026, month=11, day=20)

    data = parse_basic_data(sample, None, later)

    assert "The box last reported 594 days ago; check that it is online." in data.notes
    text = basic_data_text(data)
    assert "last contact 2025-04-05 20:55." in text  # the age once, in the note
    assert "The box last reported 594 days ago; check that it is online." in text


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "0 s"),
        (119, "119 s"),
        (120, "2 min"),
        (7199, "119 min"),
        (7200, "2 h"),
        (47 * 3600, "47 h"),
        (48 * 3600, "2 days"),
        (595 * 86400 + 5, "595 days"),
    ],
)
def test_durations_are_said_in_s_min_h_or_days(seconds: int, words: str) -> None:
    assert duration_words(seconds) == words


@pytest.mark.parametrize(
    "key", ["abc\x1b[2J", "٣٤٥", "２２０５", "1" * 21, "x" * 100_000, "", "12 ", "12\n", "-1"]
)
def test_only_keys_of_1_to_20_ascii_digits_are_boxes(sample: dict[str, Any], key: str) -> None:
    payload = {key: copy.deepcopy(sample["2205232120"]), **sample}

    assert box_ids(payload) == ["2205232120"]
    data = parse_basic_data(payload, None, NOW)
    assert data.box_id == "2205232120"
    assert data.boxes == ["2205232120"]
    ignored = "OIG Cloud also sent an entry whose key is not a Battery Box id (1 to 20 digits)"
    assert f"{ignored}; ignored." in data.notes


def test_a_notification_box_id_is_ascii_digits_only() -> None:
    fragment = (
        '<div class="folder"><div class="point level-2"></div>'
        '<div class="date">28. 6. 2025 | 13:05</div>'
        '<div class="row-2"><strong>Box #٣٤٥</strong> - Chyba</div>'
        '<div class="body"><p>Text</p></div></div>'
    )

    [(_, notification)] = parse_notifications(fragment)

    assert notification.box_id is None
    assert notification.title == "Chyba"
