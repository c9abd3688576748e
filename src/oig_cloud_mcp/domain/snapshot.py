"""The live snapshot of one box (`get_basic_data`) from a json.php payload.

Pure: no I/O, the current time is passed in. Built from `parsing`'s readings of the
portal's fields and `insights`' battery outlook and phases; what the portal did not send
is `None`, never 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from .insights import LONG_WAIT_NOTES, battery_outlook, phase_report
from .models import (
    MODE_EFFECTS,
    BasicData,
    Battery,
    BoxClimate,
    BoxConfig,
    Grid,
    House,
    Number,
    Solar,
    SolarString,
)
from .parsing import (
    BOXES_LISTED,
    boiler_present,
    box_ids,
    decode_grid_delivery,
    decode_mode,
    duration_words,
    ignored_entries,
    installed_kwh,
    installed_pv_kwp,
    number,
    parse_lastcall,
    section,
    select_box,
)
from .plausible import believed_box

STALE_AFTER = timedelta(minutes=15)
LIVE_DATA_OFF_NOTE = (
    "Live data is off in the OIG app, so these are the box's last regular values and "
    "battery power is unknown; turn on 'Live data' (Živá data) in the OIG app for live values."
)


def _ignored_note(count: int) -> str:
    what = "an entry whose key is" if count == 1 else f"{count} entries whose keys are"
    return f"OIG Cloud also sent {what} not a Battery Box id (1 to 20 digits); ignored."


def _kwh(wh: Number | None) -> Number | None:
    return None if wh is None else round(wh / 1000, 2)


def _sum(values: Sequence[Number | None]) -> Number | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _phases(data: Mapping[str, Any]) -> Number | None:
    return _sum([number(data.get(key)) for key in ("aci_wr", "aci_ws", "aci_wt")])


def _solar(box: Mapping[str, Any], live: Mapping[str, Any] | None) -> Solar:
    source = live if live is not None else section(box, "dc_in")
    strings = [number(source.get(key)) for key in ("fv_p1", "fv_p2")]
    return Solar(
        power_w=_sum(strings),
        strings=[SolarString(power_w=power) for power in strings],
        today_kwh=_kwh(number(section(box, "dc_in").get("fv_ad"))),
        installed_kwp=installed_pv_kwp(box),
    )


def _battery(box: Mapping[str, Any], live: Mapping[str, Any] | None, notes: list[str]) -> Battery:
    soc = number(live.get("bat_c")) if live is not None else None
    if soc is None:
        soc = number(section(box, "batt").get("bat_c"))
    power = number(live.get("bat_p")) if live is not None else None
    outlook = battery_outlook(box, live)
    notes += [note for note in outlook.notes if note in LONG_WAIT_NOTES.values()]
    return Battery(
        soc_pct=soc,
        power_w=power,
        capacity_kwh=outlook.capacity_kwh,
        reserve_pct=outlook.reserve_pct,
        above_reserve_kwh=outlook.stored_above_reserve_kwh,
        to_reserve_min=outlook.time_to_reserve_min,
        to_full_min=outlook.time_to_full_min,
    )


def _grid(box: Mapping[str, Any], live: Mapping[str, Any] | None) -> Grid:
    ac_in = section(box, "ac_in")
    delivery, limit = decode_grid_delivery(box)
    return Grid(
        power_w=_phases(live if live is not None else ac_in),
        today_import_kwh=_kwh(number(ac_in.get("ac_ad"))),
        today_export_kwh=_kwh(number(ac_in.get("ac_pd"))),
        delivery=delivery,
        delivery_limit_w=limit,
    )


def _house(box: Mapping[str, Any], live: Mapping[str, Any] | None) -> House:
    ac_out = section(box, "ac_out")
    power = number(live.get("aco_p")) if live is not None else None
    if power is None:
        power = number(ac_out.get("aco_p"))
    return House(power_w=power, today_kwh=_kwh(number(ac_out.get("en_day"))))


def parse_basic_data(payload: Mapping[str, Any], box_id: str | None, now: datetime) -> BasicData:
    """The live snapshot of one box from a json.php payload."""
    chosen, raw = select_box(payload, box_id)
    box, doubts = believed_box(raw, now)
    live = box.get("actual") if isinstance(box.get("actual"), Mapping) else None
    notes = [] if live is not None else [LIVE_DATA_OFF_NOTE]
    notes += doubts
    contact = parse_lastcall(section(box, "device").get("lastcall"))
    age = None if contact is None else max(0, int((now - contact).total_seconds()))
    if age is not None and age > STALE_AFTER.total_seconds():
        notes.append(f"The box last reported {duration_words(age)} ago; check that it is online.")
    code = number(section(box, "box_prms").get("mode"))
    mode = decode_mode(code)
    if code is not None and mode is None:
        notes.append(f"The box reports an unknown mode code {code}.")
    if ignored := ignored_entries(payload):
        notes.append(_ignored_note(ignored))
    boxes = box_ids(payload)
    climate = section(box, "box")
    battery = _battery(box, live, notes)
    return BasicData(
        box_id=chosen,
        boxes=boxes[:BOXES_LISTED],
        box_count=len(boxes),
        mode=mode,
        last_contact=None if contact is None else contact.isoformat(),
        data_age_s=age,
        live_data=live is not None,
        solar=_solar(box, live),
        battery=battery,
        grid=_grid(box, live),
        house=_house(box, live),
        phases=phase_report(box, live),
        box=BoxClimate(
            temperature_c=number(climate.get("temp")), humidity_pct=number(climate.get("humid"))
        ),
        notes=notes,
    )


def parse_box_config(payload: Mapping[str, Any], box_id: str | None, now: datetime) -> BoxConfig:
    """Installed sizes and settings of one box from a json.php payload."""
    chosen, raw = select_box(payload, box_id)
    box, doubts = believed_box(raw, now)
    mode = decode_mode(number(section(box, "box_prms").get("mode")))
    delivery, limit = decode_grid_delivery(box)
    has_boiler = boiler_present(box)
    manual = number(section(box, "boiler_prms").get("manual"))
    return BoxConfig(
        box_id=chosen,
        mode=mode,
        mode_effect=MODE_EFFECTS.get(mode or ""),
        battery_capacity_kwh=installed_kwh(box, "p_bat"),
        battery_reserve_pct=number(section(box, "batt_prms").get("bat_min")),
        pv_installed_kwp=installed_pv_kwp(box),
        grid_delivery=delivery,
        grid_delivery_limit_w=limit,
        boiler_present=has_boiler,
        boiler_mode=None if not has_boiler or manual is None else "manual" if manual else "auto",
        notes=doubts,
    )
