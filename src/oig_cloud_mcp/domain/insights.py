"""Answers, not numbers: the battery outlook and phase balance, and the small helpers
the other answers share (energy totals are in `energy`, the day profile in `day_profile`).

Pure functions over one box of a json.php payload (`payload[box_id]`). No I/O, the current
time is passed in. What the portal did not send stays `None`; nothing is infinite or NaN.
kWh and % have one decimal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .insight_models import BatteryOutlook, BatteryState
from .models import Number, Phase, Phases
from .parsing import PORTAL_TZ, number, section

OUTLOOK_HORIZON_MIN = 14 * 24 * 60
"""A straight-line time longer than two weeks means nothing (solar and load change daily)
and is not given; it also keeps every clock time far from the end of the calendar."""
LONG_WAIT_NOTES = {
    "reserve": "At this power the battery would take more than two weeks to reach its "
    "reserve; no time is given.",
    "full": "At this power the battery would take more than two weeks to fill; no time is given.",
}

IDLE_W = 50
"""Battery power (W) below which the battery counts as idle. Standby and measuring noise
is a few tens of W; a time estimate at such a power would run to days and mean nothing."""

# Home Assistant's OIG integration (Muriel2Horak/oig_cloud, ai_eval/detector.py) treats about
# 3,000 W on one backed-up phase as tight and about 3,300 W as where the box switches to bypass.
PHASE_TIGHT_W = 3000
PHASE_BYPASS_W = 3300


def get_field(box: Mapping[str, Any], path: str) -> Number | None:
    """The finite number at `section.field` of a box, else None."""
    name, key = path.split(".")
    return number(section(box, name).get(key))


def round1(value: float | None) -> float | None:
    """Rounded to one decimal; None stays None."""
    # `+ 0.0` turns -0.0 into 0.0, so JSON never shows "-0.0"
    return None if value is None else round(value, 1) + 0.0


def watts(value: float | None) -> int | None:
    """Rounded to whole watts; None stays None."""
    return None if value is None else round(value)


def local_time(moment: datetime) -> datetime:
    """`moment` in portal time; a naive time is taken as portal time already."""
    return (
        moment.replace(tzinfo=PORTAL_TZ) if moment.tzinfo is None else moment.astimezone(PORTAL_TZ)
    )


# --- A. Battery outlook -----------------------------------------------------------------


def _battery_state(power_w: float | None) -> BatteryState | None:
    if power_w is None:
        return None
    if abs(power_w) < IDLE_W:
        return "idle"
    return "charging" if power_w > 0 else "discharging"


def _minutes(kwh: float | None, power_w: float) -> int | None:
    """Minutes to move `kwh` at `power_w`; None beyond the two-week horizon."""
    if kwh is None:
        return None
    minutes = kwh * 1000 / abs(power_w) * 60
    return round(minutes) if math.isfinite(minutes) and minutes <= OUTLOOK_HORIZON_MIN else None


def battery_outlook(box: Mapping[str, Any], live: Mapping[str, Any] | None) -> BatteryOutlook:
    """Energy above the reserve, and straight-line times to reserve or full.

    `live` is the box's `actual` block, or None when live data is off (power unknown).
    """
    capacity_wh = get_field(box, "box_prms.p_bat")
    capacity = capacity_wh / 1000 if capacity_wh is not None and capacity_wh > 0 else None
    reserve = get_field(box, "batt_prms.bat_min")
    soc = number(live.get("bat_c")) if live is not None else None
    soc = soc if soc is not None else get_field(box, "batt.bat_c")
    power = number(live.get("bat_p")) if live is not None else None
    state = _battery_state(power)

    stored = to_full = None
    if capacity is not None and soc is not None:
        to_full = capacity * max(100 - soc, 0) / 100
        if reserve is not None:
            stored = capacity * max(soc - reserve, 0) / 100
    at_reserve = soc is not None and reserve is not None and soc <= reserve
    to_reserve_min = to_full_min = None
    notes: list[str] = []
    if state == "discharging" and power is not None:
        to_reserve_min = 0 if at_reserve else _minutes(stored, power)
        if to_reserve_min is None and stored is not None:
            notes.append(LONG_WAIT_NOTES["reserve"])
    if state == "charging" and power is not None:
        to_full_min = 0 if soc is not None and soc >= 100 else _minutes(to_full, power)
        if to_full_min is None and to_full is not None:
            notes.append(LONG_WAIT_NOTES["full"])

    if live is None:
        notes.append("Battery power is unknown while live data is off, so no times are estimated.")
    if capacity is None:
        notes.append("The box does not report its battery capacity.")
    if at_reserve:
        notes.append(f"The battery is at or below its {reserve} % reserve.")
    return BatteryOutlook(
        capacity_kwh=round1(capacity),
        reserve_pct=reserve,
        stored_above_reserve_kwh=round1(stored),
        time_to_reserve_min=to_reserve_min,
        time_to_full_min=to_full_min,
        notes=notes,
    )


# --- B. Phases --------------------------------------------------------------------------

_PHASE_FIELDS: tuple[tuple[Phase, str, str, str], ...] = (
    ("L1", "aco_pr", "aci_wr", "aci_vr"),
    ("L2", "aco_ps", "aci_ws", "aci_vs"),
    ("L3", "aco_pt", "aci_wt", "aci_vt"),
)


def _phase_note(phase: Phase, house_w: int) -> str | None:
    if house_w >= PHASE_BYPASS_W:
        return (
            f"{phase} carries {house_w:,} W of the backed-up load, at or over the "
            f"~{PHASE_BYPASS_W:,} W per phase where the box switches to bypass; "
            "move large loads to other phases."
        )
    if house_w >= PHASE_TIGHT_W:
        return (
            f"{phase} carries {house_w:,} W of the backed-up load, close to the "
            f"~{PHASE_BYPASS_W:,} W per phase where the box switches to bypass; "
            "spread large loads across phases."
        )
    return None


def phase_report(box: Mapping[str, Any], live: Mapping[str, Any] | None) -> Phases:
    """Backed-up load, grid power and voltage per phase, and the busiest phase.

    Grid power is live (`actual`) when `live` is given, else the box's last regular value.
    """
    ac_out, ac_in = section(box, "ac_out"), section(box, "ac_in")
    grid = live if live is not None else ac_in
    house = [watts(number(ac_out.get(load))) for _, load, _, _ in _PHASE_FIELDS]
    loads = [
        (w, phase) for w, (phase, *_) in zip(house, _PHASE_FIELDS, strict=True) if w is not None
    ]
    # max() keeps the first of equal loads, so ties go to the lower phase
    busiest = max(loads, key=lambda pair: pair[0], default=None)
    frequency = number(ac_in.get("aci_f"))
    return Phases(
        house_w=house,
        grid_w=[watts(number(grid.get(power))) for _, _, power, _ in _PHASE_FIELDS],
        voltage_v=[round1(number(ac_in.get(volts))) for _, _, _, volts in _PHASE_FIELDS],
        frequency_hz=None if frequency is None else round(frequency, 2),
        busiest=None if busiest is None else busiest[1],
        note=None if busiest is None else _phase_note(busiest[1], busiest[0]),
    )
