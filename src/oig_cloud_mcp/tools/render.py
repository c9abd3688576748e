"""Short plain-text renderings of tool results.

Clients show the model this text next to the structured data, so it reads like a
summary a person would give, not a second copy of the JSON.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from ..domain.insight_models import (
    DailyEnergy,
    DayProfile,
    EnergyCheck,
    EnergyFigure,
    EnergyReport,
)
from ..domain.models import (
    BasicData,
    Battery,
    ExtendedData,
    FieldSummary,
    Notifications,
    Number,
    PendingChange,
    Phases,
)
from ..domain.parsing import duration_words


def _g(value: float, *, sign: bool = False) -> str:
    """A number as people write it: `:g`, but 1234567 rather than 1.23457e+06."""
    text = f"{value:+g}" if sign else f"{value:g}"
    if "e+" in text:
        text = f"{value:+.0f}" if sign else f"{value:.0f}"
    return text


def _n(value: Number | None, unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "unknown"
    text = _g(value) if isinstance(value, float) else str(value)
    return f"{text} {unit}"


def _flow(value: Number | None, positive: str, negative: str) -> str:
    if value is None:
        return "unknown"
    if value == 0:
        return "idle (0 W)"
    return f"{positive if value > 0 else negative} {_n(abs(value), 'W')}"


def _age(seconds: int | None) -> str:
    return "" if seconds is None else f" ({duration_words(seconds)} ago)"


def _minute(iso: str | None) -> str:
    """An ISO 8601 time as `2025-04-05 20:55` (the answer's own time zone)."""
    if iso is None:
        return "unknown"
    try:
        return f"{datetime.fromisoformat(iso):%Y-%m-%d %H:%M}"
    except ValueError:
        return iso


_CHANGED = {
    "set_box_mode": "mode to ",
    "set_grid_delivery": "grid export ",
    "set_boiler_mode": "boiler mode ",
    "set_battery_grid_charging": "battery: ",
}
_OUTCOMES = {
    "pending": "accepted, not applied yet",
    "outcome_unknown": "outcome unknown (not sent again)",
    "applied": "applied (the box shows it)",
    "not_applied": "not applied within 60 min",
}


def _change(change: PendingChange) -> str:
    """`mode to Home 3 at 20:40, applied (the box shows it)`."""
    try:
        at = f" at {datetime.fromisoformat(change.requested_at):%H:%M}"
    except ValueError:
        at = ""
    what = _CHANGED.get(change.tool, "")
    return f"{what}{change.requested}{at}, {_OUTCOMES[change.status]}"


def _boxes_line(data: BasicData) -> str:
    if data.box_count <= 1:
        return ""
    more = data.box_count - len(data.boxes)
    return f"Boxes: {', '.join(data.boxes)}" + (f" and {more} more." if more > 0 else ".")


def _lines(lines: Iterable[str]) -> str:
    return "\n".join(line for line in lines if line)


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def _battery_line(b: Battery) -> str:
    power = "power unknown" if b.power_w is None else _flow(b.power_w, "charging", "discharging")
    line = f"Battery {_n(b.soc_pct, '%')}, {power}"
    if b.reserve_pct is not None and b.above_reserve_kwh is not None:
        line += f"; {_n(b.above_reserve_kwh, 'kWh')} above the {_n(b.reserve_pct, '%')} reserve"
    elif b.reserve_pct is not None:
        line += f"; reserve {_n(b.reserve_pct, '%')}"
    if b.to_reserve_min == 0:
        line += ", reached"
    elif b.to_reserve_min is not None:
        line += f", reached in ~{_duration(b.to_reserve_min)}"
    if b.to_full_min is not None:
        line += f"; full in ~{_duration(b.to_full_min)}"
    return line + "."


def _triple(values: list[int | None] | list[float | None]) -> str:
    return "/".join("?" if v is None else _g(v) for v in values)


def _phases_line(p: Phases) -> str:
    if not any(v is not None for v in [*p.house_w, *p.grid_w, *p.voltage_v]):
        return ""
    hz = f", {_n(p.frequency_hz, 'Hz')}" if p.frequency_hz is not None else ""
    return (
        f"Phases L1/L2/L3: house {_triple(p.house_w)} W, grid {_triple(p.grid_w)} W, "
        f"{_triple(p.voltage_v)} V{hz}."
    )


def basic_data_text(data: BasicData) -> str:
    """Summary of a live snapshot."""
    from ..domain.snapshot import STALE_AFTER  # loaded by the read that made `data`

    g, s, b, h = data.grid, data.solar, data.battery, data.house
    age = data.data_age_s
    if age is not None and age > STALE_AFTER.total_seconds():
        age = None  # a note says how long ago, and what to do
    export: str = g.delivery or "unknown"
    if g.delivery == "limited":
        export += f" to {_n(g.delivery_limit_w, 'W')}"
    strings = installed = ""
    if any(x.power_w for x in s.strings):  # at night "of 9.6 kWp (strings 0 W/0 W)" says nothing
        strings = f" (strings {'/'.join(_n(x.power_w, 'W') for x in s.strings)})"
        installed = f" of {_n(s.installed_kwp, 'kWp')}" if s.installed_kwp is not None else ""
    pending = "; ".join(_change(p) for p in data.pending_changes)
    return _lines(
        [
            f"Box {data.box_id}: mode {data.mode or 'unknown'}, last contact "
            f"{_minute(data.last_contact)}{_age(age)}.",
            f"Solar {_n(s.power_w, 'W')}{installed}{strings}, today {_n(s.today_kwh, 'kWh')}.",
            _battery_line(b),
            f"Grid {_flow(g.power_w, 'importing', 'exporting')}; today imported "
            f"{_n(g.today_import_kwh, 'kWh')}, exported {_n(g.today_export_kwh, 'kWh')}; "
            f"export {export}.",
            f"House {_n(h.power_w, 'W')}, today {_n(h.today_kwh, 'kWh')}. Box "
            f"{_n(data.box.temperature_c, '°C')}, {_n(data.box.humidity_pct, '%')} humidity.",
            _phases_line(data.phases),
            data.phases.note or "",
            f"Changes sent: {pending}." if pending else "",
            _boxes_line(data),
            *data.notes,
        ]
    )


def _cell(value: float | None) -> str:
    return "-" if value is None else _g(value)


def _sum_of(row: list[Number | None], positions: list[int]) -> float | None:
    values = [row[i] for i in positions]
    return None if not values or any(v is None for v in values) else sum(v or 0 for v in values)


_HISTORY_COLUMNS: dict[str, tuple[str, tuple[str, ...], int]] = {
    "batt": ("battery %", ("soc",), 1),
    "fve": ("solar W", ("string1_power", "string2_power"), 0),
    "grid": ("grid W", ("power",), 0),
    "load": ("house W", ("l1_power", "l2_power", "l3_power"), 0),
}
"""The value each series shows in the history table: its name, the columns summed, the
decimals."""


def _history_table(data: ExtendedData) -> list[str]:
    """The rows as a table labelled with their (inferred) start times."""
    shown = [s for s in data.series if s.samples]
    if not data.row_starts or not shown:
        return []
    names = [_HISTORY_COLUMNS[s.series] for s in shown]
    lines = ["Rows (start, inferred; means): " + ", ".join(name for name, _, _ in names) + ":"]
    with_date = data.start_date != data.end_date
    for i, start in enumerate(data.row_starts):
        cells = []
        for series, (_, columns, decimals) in zip(shown, names, strict=True):
            positions = [series.columns.index(c) for c in columns if c in series.columns]
            value = _sum_of(series.samples[i], positions) if i < len(series.samples) else None
            cells.append(_cell(None if value is None else round(value, decimals)))
        if any(cell != "-" for cell in cells):
            label = datetime.fromisoformat(start)
            lines.append(f"{label:{'%m-%d %H:%M' if with_date else '%H:%M'}} {' '.join(cells)}")
    return lines


def _at(iso: str | None) -> str:
    return "" if iso is None else f" ({datetime.fromisoformat(iso):%m-%d %H:%M})"


def _field_line(f: FieldSummary) -> str:
    if f.min is None or f.max is None:
        return f"{f.name} unknown"
    if f.min == f.max:
        return f"{f.name} {_n(f.min, f.unit)}"
    return (
        f"{f.name} {_n(f.min, f.unit)}{_at(f.min_at)}..{_n(f.max, f.unit)}{_at(f.max_at)}, "
        f"mean {_n(f.mean, f.unit)}"
    )


def extended_data_text(data: ExtendedData) -> str:
    """Summary of a history range: one line per series (extremes with their times), then
    the rows by time."""
    lines = [f"History of box {data.box_id}, {data.start_date} to {data.end_date}:"]
    for series in data.series:
        stats = "; ".join(_field_line(f) for f in series.fields)
        lines.append(f"{series.series}: {series.sample_count} samples; {stats}.")
    return _lines([*lines, *_history_table(data), *data.notes])


def notifications_text(data: Notifications) -> str:
    """One line per notification."""
    lines = [
        f"{n.time or 'unknown time'} [{n.severity}] box {n.box_id or '?'}: {n.title}"
        + (f" - {n.body}" if n.body and n.body != n.title else "")
        for n in data.notifications
    ]
    header = f"{len(data.notifications)} of {data.total} notifications, newest first."
    bypass = ""
    if data.bypass:
        notice = f", per the notice of {_minute(data.bypass_at)}" if data.bypass_at else ""
        bypass = f"Automatic bypass: {data.bypass}{notice}."
    return _lines([header, bypass, *lines, *data.notes])


_PERIODS = {
    "today": "Today",
    "yesterday": "Yesterday",
    "this_month": "This month",
    "last_month": "Last month",
    "this_year": "This year",
    "last_year": "Last year",
    "range": "Days",
}


def _kwh(figure: EnergyFigure) -> str:
    if figure.kwh is None:
        return "unknown"
    return f"{_g(figure.kwh)} kWh" + (" (estimated)" if figure.source == "estimate" else "")


def _pct(value: float | None) -> str:
    return "unknown" if value is None or not math.isfinite(value) else f"{_g(value)} %"


def energy_report_text(data: EnergyReport) -> str:
    """Energy totals in one line, then the notes."""
    net = data.net_export_kwh
    balance = "unknown" if net is None else f"{_g(net, sign=net > 0)} kWh"
    battery = ""
    if data.battery_charged.kwh is not None or data.battery_discharged.kwh is not None:
        battery = (
            f" Battery charged {_kwh(data.battery_charged)}, discharged "
            f"{_kwh(data.battery_discharged)}."
        )
    return _lines(
        [
            f"{_PERIODS[data.period]} ({data.period_label}), box {data.box_id}: solar "
            f"{_kwh(data.solar)}, imported {_kwh(data.grid_import)}, exported "
            f"{_kwh(data.grid_export)}, consumption {_kwh(data.consumption)}; self-consumption "
            f"{_pct(data.self_consumption_pct)}, self-sufficiency "
            f"{_pct(data.self_sufficiency_pct)}; net export {balance} (+ = exported more than "
            "imported)." + battery,
            *_days_table(data.days),
            *data.notes,
        ]
    )


def _days_table(days: DailyEnergy | None) -> list[str]:
    """One line per day: `04-01 12.3 7.5 9.1 18.1`."""
    if days is None or not days.date:
        return []
    columns = zip(
        days.date,
        days.solar_kwh,
        days.consumption_kwh,
        days.grid_import_kwh,
        days.grid_export_kwh,
        strict=True,
    )
    rows = [f"{day[5:]} " + " ".join(_cell(value) for value in values) for day, *values in columns]
    return ["By day (estimated): solar, consumption, import, export in kWh:", *rows]


def _check(name: str, check: EnergyCheck) -> str:
    """`name +0.4 kWh (+3.1 %)`, or "" when there is no difference worth a word."""
    if check.difference_kwh is None or abs(check.difference_kwh) < 0.1:
        return ""
    pct = f" ({_g(check.difference_pct, sign=True)} %)" if check.difference_pct is not None else ""
    return f"{name} {_g(check.difference_kwh, sign=True)} kWh{pct}"


def _checks_line(data: DayProfile) -> str:
    c = data.cross_check
    if c is None:
        return ""
    pairs = (
        ("solar", c.solar),
        ("house", c.house),
        ("import", c.grid_import),
        ("export", c.grid_export),
    )
    compared = [check for _, check in pairs if check.difference_kwh is not None]
    found = [text for name, check in pairs if (text := _check(name, check))]
    if found:
        return "Samples minus today's counters: " + ", ".join(found) + "."
    return "Samples match today's counters within 0.1 kWh." if compared else ""


def day_profile_text(data: DayProfile) -> str:
    """Peaks, battery extremes and estimated energy of a day, then the notes."""
    parts = [f"Day {data.date}, box {data.box_id or '?'}:"]
    if data.peak_solar:
        parts.append(f"solar peak {data.peak_solar.w} W at {data.peak_solar.hour}:00;")
    if data.peak_house:
        parts.append(f"house peak {data.peak_house.w} W at {data.peak_house.hour}:00;")
    high, low = data.battery_fullest, data.battery_emptiest
    if high and low:
        parts.append(
            f"battery fullest {_g(high.pct)} % at {high.hour}:00, emptiest {_g(low.pct)} % at "
            f"{low.hour}:00;"
        )
    e = data.energy
    parts.append(
        f"estimated solar {_n(e.solar_kwh, 'kWh')}, house {_n(e.house_kwh, 'kWh')}, "
        f"import {_n(e.grid_import_kwh, 'kWh')}, export {_n(e.grid_export_kwh, 'kWh')}."
    )
    return _lines([" ".join(parts), *_hour_table(data), _checks_line(data), *data.notes])


def _hour_table(data: DayProfile) -> list[str]:
    """One line per hour that has samples: `13:00 7489 179 -2977 90.1`."""
    rows = [
        f"{h.hour:02d}:00 {_cell(h.solar_w)} {_cell(h.house_w)} {_cell(h.grid_w)} "
        f"{_cell(h.battery_pct)}"
        for h in data.hours
        if (h.solar_w, h.house_w, h.grid_w, h.battery_pct) != (None, None, None, None)
    ]
    header = "Hourly means: solar W, house W, grid W (+ import), battery %:"
    return [header, *rows] if rows else []
