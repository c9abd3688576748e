"""Energy totals of one box: what `get_energy_report` answers from the portal's counters,
and the ratios and notes every energy report shares.

json.php has counters for today (Wh), this month and this year (kWh, inferred, spec §8 and
§13 q11) and nothing else; other periods are estimated from the history in
`energy_history`. Pure: no I/O, the current time is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from .insight_models import EnergyFigure, EnergyReport
from .insights import get_field, local_time, round1
from .parsing import parse_lastcall, section
from .plausible import believed_box

CounterPeriod = Literal["today", "this_month", "this_year"]
COUNTER_PERIODS: tuple[CounterPeriod, ...] = ("today", "this_month", "this_year")

PERIOD_WORDS: dict[str, str] = {
    "today": "today",
    "yesterday": "yesterday",
    "this_month": "this month",
    "last_month": "last month",
    "this_year": "this year",
    "last_year": "last year",
    "range": "in these days",
}
"""How notes name each period ("No solar production yet today")."""
# The portal counter behind each figure: (today, this month, this year); None where the
# portal has none. Day counters are Wh, month/year counters kWh (inferred, spec §13 q11).
_COUNTERS: dict[str, tuple[str | None, str | None, str | None]] = {
    "solar": ("dc_in.fv_ad", "dc_in.fv_am", "dc_in.fv_ay"),
    "grid_import": ("ac_in.ac_ad", "ac_in.ac_am", "ac_in.ac_ay"),
    "grid_export": ("ac_in.ac_pd", "ac_in.ac_pm", "ac_in.ac_py"),
    "consumption": ("ac_out.en_day", None, None),
    "battery_charged": ("batt.bat_apd", "batt.bat_am", "batt.bat_ay"),
    "battery_discharged": ("batt.bat_and", None, None),
}
_PERIOD_INDEX: dict[CounterPeriod, int] = {"today": 0, "this_month": 1, "this_year": 2}


def no_figure() -> EnergyFigure:
    """A figure the portal did not give and nothing could estimate."""
    return EnergyFigure(kwh=None, source=None, field=None)


def _period_label(period: CounterPeriod, day: date) -> str:
    if period == "today":
        return day.isoformat()
    return f"{day:%Y-%m}" if period == "this_month" else f"{day:%Y}"


def share_not(part: float | None, whole: float | None) -> tuple[float | None, str | None]:
    """(1 - part/whole)·100 clamped into 0..100, plus why it is None or clamped."""
    if part is None or whole is None:
        return None, "missing"
    if whole <= 0:
        return None, "zero"
    pct = (1 - part / whole) * 100
    if pct < 0:
        return 0.0, "below"
    if pct > 100:
        return 100.0, "above"
    return round1(pct), None


def ratio_notes(period: str, consumption_why: str | None, sufficiency_why: str | None) -> list[str]:
    """Why self-consumption or self-sufficiency is undefined or clamped, if it is."""
    word = PERIOD_WORDS[period]
    counted = period in COUNTER_PERIODS
    yet, kind = ("yet ", "counter") if counted else ("", "estimate")
    texts = {
        ("sc", "missing"): f"Self-consumption is unknown: a solar or export {kind} is missing.",
        ("sc", "zero"): f"No solar production {yet}{word}; self-consumption is undefined.",
        ("sc", "below"): f"Export exceeds solar production {word} (the battery can export "
        "grid-charged energy); self-consumption is shown as 0 %.",
        ("sc", "above"): f"The {kind}s give self-consumption above 100 %; shown as 100 %.",
        ("ss", "missing"): f"Self-sufficiency is unknown: a consumption or import {kind} is "
        "missing.",
        ("ss", "zero"): f"No consumption recorded {word}; self-sufficiency is undefined.",
        ("ss", "below"): f"Grid import exceeds consumption {word} (grid charging of the "
        "battery, or loads outside the box's output); self-sufficiency is shown as 0 %.",
        ("ss", "above"): f"The {kind}s give self-sufficiency above 100 %; shown as 100 %.",
    }
    whys = (("sc", consumption_why), ("ss", sufficiency_why))
    return [texts[(ratio, why)] for ratio, why in whys if why is not None]


def _consumption(
    period: CounterPeriod, raw: Mapping[str, float | None], paths: Mapping[str, str | None]
) -> tuple[float | None, EnergyFigure, str | None]:
    """Consumption in kWh, its figure, and a note about how it was obtained."""
    if period == "today":
        kwh = raw["consumption"]
        if kwh is None:
            return None, no_figure(), None
        note = (
            "Consumption is the box's day counter of its backed-up output; "
            "loads wired before the box are not counted."
        )
        figure = EnergyFigure(kwh=round1(kwh), source="counter", field=paths["consumption"])
        return kwh, figure, note
    solar, bought, sold = raw["solar"], raw["grid_import"], raw["grid_export"]
    if solar is None or bought is None or sold is None or solar + bought - sold < 0:
        return None, no_figure(), None
    kwh = solar + bought - sold
    note = (
        "The portal has no month/year consumption counter; consumption is estimated as "
        "solar + import - export, ignoring energy left in the battery and losses."
    )
    figure = EnergyFigure(kwh=round1(kwh), source="estimate", field="solar + import - export")
    return kwh, figure, note


def _stale_note(period: CounterPeriod, box_day: date, today: date) -> str | None:
    if box_day >= today or _period_label(period, box_day) == _period_label(period, today):
        return None
    return (
        f"The box last reported on {box_day.isoformat()}, so these counters may be for "
        f"{_period_label(period, box_day)}, not {PERIOD_WORDS[period]}."
    )


def energy_report(
    box_id: str, box: Mapping[str, Any], period: CounterPeriod, now: datetime
) -> EnergyReport:
    """Energy totals of one box for its day, month or year, with self-consumption and
    self-sufficiency.

    The period is the box's own (from `device.lastcall`), falling back to `now`.
    """
    box, doubts = believed_box(box, now)
    divisor = 1000 if period == "today" else 1
    paths = {name: columns[_PERIOD_INDEX[period]] for name, columns in _COUNTERS.items()}
    raw: dict[str, float | None] = {}
    figures: dict[str, EnergyFigure] = {}
    for name, path in paths.items():
        value = None if path is None else get_field(box, path)
        raw[name] = None if value is None else value / divisor
        figures[name] = (
            no_figure()
            if value is None
            else EnergyFigure(kwh=round1(raw[name]), source="counter", field=path)
        )
    notes: list[str] = list(doubts)
    if period != "today" and any(
        raw[n] is not None for n in ("solar", "grid_import", "grid_export")
    ):
        notes.append(
            "Month and year counters are read as kWh; the portal does not state "
            "the unit (inferred from their size)."
        )
    consumption, figures["consumption"], how = _consumption(period, raw, paths)
    notes += [how] if how else []
    if figures["battery_charged"].kwh is None and figures["battery_discharged"].kwh is None:
        notes.append("This box sends no battery energy counters (dropped by the portal in 2024).")

    sc_pct, sc_why = share_not(raw["grid_export"], raw["solar"])
    ss_pct, ss_why = share_not(raw["grid_import"], consumption)
    notes += ratio_notes(period, sc_why, ss_why)

    contact = parse_lastcall(section(box, "device").get("lastcall"))
    today = local_time(now).date()
    box_day = today if contact is None else local_time(contact).date()
    if contact is None:
        notes.append("The box's last contact is unknown; the period is taken from the clock.")
    stale = _stale_note(period, box_day, today)
    notes += [stale] if stale else []

    bought, sold = raw["grid_import"], raw["grid_export"]
    first = {"today": box_day, "this_month": box_day.replace(day=1)}.get(
        period, box_day.replace(month=1, day=1)
    )
    return EnergyReport(
        box_id=box_id,
        period=period,
        period_label=_period_label(period, box_day),
        start_date=first.isoformat(),
        end_date=box_day.isoformat(),
        as_of=None if contact is None else local_time(contact).isoformat(),
        solar=figures["solar"],
        grid_import=figures["grid_import"],
        grid_export=figures["grid_export"],
        consumption=figures["consumption"],
        battery_charged=figures["battery_charged"],
        battery_discharged=figures["battery_discharged"],
        net_export_kwh=None if bought is None or sold is None else round1(sold - bought),
        self_consumption_pct=sc_pct,
        self_sufficiency_pct=ss_pct,
        notes=notes,
    )
