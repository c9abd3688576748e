"""Property tests: whatever numbers the portal sends, no answer shows a value that the
plausibility rules (`domain.plausible`) refuse, nothing raises, and a refused value is
always named in a note; whatever text it sends, no control character reaches an answer."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from oig_cloud_mcp.domain.day_profile import day_profile
from oig_cloud_mcp.domain.energy import energy_report
from oig_cloud_mcp.domain.insights import OUTLOOK_HORIZON_MIN
from oig_cloud_mcp.domain.models import SeriesName
from oig_cloud_mcp.domain.notifications import extract_html, parse_notifications
from oig_cloud_mcp.domain.parsing import number, parse_lastcall
from oig_cloud_mcp.domain.plausible import (
    BOX_RULES,
    CONTACT_SKEW,
    HISTORY_RULES,
    MAX_CAPACITY_WH,
    MAX_POWER_W,
    believed_box,
    believed_rows,
)
from oig_cloud_mcp.domain.snapshot import parse_basic_data, parse_box_config
from oig_cloud_mcp.tools.render import basic_data_text, day_profile_text, energy_report_text

from .fake_portal import FakePortal
from .helpers.sample import BOX_ID, NOW, sample_payload

NUMBERS = st.one_of(
    st.integers(min_value=-(10**13), max_value=10**13),
    st.floats(min_value=-1e13, max_value=1e13, allow_nan=False),
    st.sampled_from([-1, 0, 100, 101, 100.0001, -0.0001, 1e12, -1e12, 5e11, 2_000_001]),
)
LASTCALLS = st.one_of(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S")
    ),
    st.sampled_from(["2025-04-05 21:09:00", "2025-04-05 21:12:00", "", "garbage", None]),
)


def in_range(value: float | None, low: float, high: float) -> bool:
    return value is None or low <= value <= high


@settings(max_examples=300, deadline=None)
@given(
    values=st.dictionaries(st.sampled_from(sorted(BOX_RULES)), NUMBERS, max_size=12),
    lastcall=LASTCALLS,
)
def test_no_answer_shows_a_json_php_value_its_rule_refuses(
    values: dict[tuple[str, str], Any], lastcall: str | None
) -> None:
    payload = sample_payload()
    box = payload[BOX_ID]
    for (part, key), value in values.items():
        box.setdefault(part, {})[key] = value
    box["device"]["lastcall"] = lastcall

    believed, notes = believed_box(box, NOW)
    data = parse_basic_data(payload, None, NOW)
    config = parse_box_config(payload, None, NOW)
    reports = [energy_report(BOX_ID, box, period, NOW) for period in ("today", "this_month")]

    for (part, key), rule in BOX_RULES.items():
        kept = number(believed.get(part, {}).get(key))
        assert kept is None or rule.allows(kept)
    refused = any(
        (v := number(value)) is not None and not BOX_RULES[key].allows(v)
        for key, value in values.items()
    )
    assert refused == any("cannot be right" in note for note in notes)
    assert all(note in data.notes for note in notes)
    battery = data.battery
    assert in_range(battery.soc_pct, 0, 100)
    assert in_range(battery.reserve_pct, 0, 100)
    assert in_range(battery.capacity_kwh, 0, MAX_CAPACITY_WH / 1000)
    assert in_range(battery.power_w, -MAX_POWER_W, MAX_POWER_W)
    assert in_range(battery.to_reserve_min, 0, OUTLOOK_HORIZON_MIN)
    assert in_range(battery.to_full_min, 0, OUTLOOK_HORIZON_MIN)
    assert in_range(config.battery_reserve_pct, 0, 100)
    for energy in (data.solar.today_kwh, data.grid.today_import_kwh, data.house.today_kwh):
        assert in_range(energy, 0, MAX_POWER_W * 24 / 1000)
    contact = parse_lastcall(data.last_contact)
    assert contact is None or contact <= NOW + CONTACT_SKEW
    assert data.data_age_s is None or data.data_age_s >= 0
    for report in reports:
        for figure in (report.solar, report.grid_import, report.grid_export, report.consumption):
            assert figure.kwh is None or figure.kwh >= 0
        assert in_range(report.self_consumption_pct, 0, 100)
        assert in_range(report.self_sufficiency_pct, 0, 100)
        assert report.period_label <= "2025-04-05"
        energy_report_text(report)
    basic_data_text(data)


ROWS = st.lists(st.lists(st.one_of(NUMBERS, st.none()), min_size=0, max_size=6), max_size=60)


@settings(max_examples=200, deadline=None)
@given(
    history=st.fixed_dictionaries({name: ROWS for name in ("batt", "fve", "grid", "load")}),
    day=st.sampled_from([date(2025, 4, 4), date(2025, 3, 30), date(2025, 10, 26), NOW.date()]),
)
def test_no_history_value_its_rule_refuses_reaches_the_day_profile(
    history: dict[SeriesName, list[list[Any]]], day: date
) -> None:
    for name, rows in history.items():
        believed, notes = believed_rows(name, rows)
        for row in believed:
            for i, rule in HISTORY_RULES[name].items():
                value = number(row[i]) if i < len(row) else None
                assert value is None or rule.allows(value)
        assert len(notes) <= 1

    payload = {name: {"items": [{"values": row} for row in rows]} for name, rows in history.items()}
    now = NOW if day == NOW.date() else NOW + timedelta(days=300)
    profile = day_profile(day, payload, None, now)

    for hour in profile.hours:
        assert in_range(hour.battery_pct, 0, 100)
        assert in_range(hour.solar_w, -2 * MAX_POWER_W, 2 * MAX_POWER_W)
        assert in_range(hour.house_w, -3 * MAX_POWER_W, 3 * MAX_POWER_W)
    for extreme in (profile.battery_fullest, profile.battery_emptiest):
        assert extreme is None or 0 <= extreme.pct <= 100
    day_profile_text(profile)


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@settings(max_examples=200, deadline=None)
@given(title=st.text(max_size=60), body=st.text(max_size=60))
def test_no_control_character_from_a_notification_reaches_an_answer(title: str, body: str) -> None:
    portal = FakePortal()
    portal.notifications = [
        (3, "28. 6. 2025 | 9:41", BOX_ID, html.escape(title), html.escape(body))
    ]
    fragment = extract_html([[11, "ctrl-notifs", portal.notifications_html(), None]])
    assert fragment is not None

    parsed = [notification for _, notification in parse_notifications(fragment)]

    for notification in parsed:
        assert CONTROL.search(notification.title) is None
        assert CONTROL.search(notification.body.replace("\n", "")) is None
