"""Energy for periods the portal keeps no counter for, estimated from its history.

json.php counts today, this month and this year only (spec §8). Yesterday, last month,
last year and any range of days are estimated from json2.php's `fve`, `load` and `grid`
series: each power sample times its inferred spacing (`timeline`; the portal sends no
sample times), summed per day. Every such figure is marked an estimate, and the notes say
how it was made and which days had no history. Pure: no I/O, the current time is passed in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..errors import InvalidRequestError
from .day_profile import SAMPLE_POSITIONS, sample_value
from .energy import PERIOD_WORDS, CounterPeriod, no_figure, ratio_notes, share_not
from .insight_models import DailyEnergy, EnergyFigure, EnergyReport, Period, ReportPeriod
from .insights import local_time, round1
from .models import SeriesName
from .parsing import history_rows, parse_lastcall, section
from .plausible import believed_box, believed_rows
from .requests import MAX_RANGE_DAYS, validate_range
from .timeline import Span, history_end, midnight, minutes_between

ENERGY_SERIES: tuple[SeriesName, ...] = ("fve", "load", "grid")
FIGURES = ("solar", "consumption", "grid_import", "grid_export")
_FORMULAS = {
    "solar": "history: fve power x time",
    "consumption": "history: load power x time",
    "grid_import": "history: grid power > 0 x time",
    "grid_export": "history: grid power < 0 x time",
}
DayTotals = dict[str, float | None]
"""kWh per figure of one day; None where its series had no sample that day."""


@dataclass(frozen=True)
class ReportPlan:
    """What an energy report covers and how it is answered."""

    period: ReportPeriod
    first: date
    last: date
    label: str
    counter: CounterPeriod | None
    """The counter period that answers the totals, or None: estimated from the history."""
    by_day: bool
    notes: tuple[str, ...] = ()

    @property
    def needs_history(self) -> bool:
        """Whether the report reads json2.php (estimated totals or daily rows)."""
        return self.counter is None or self.by_day

    def chunks(self) -> list[tuple[date, date]]:
        """The history requests: the whole range, or a month at a time past 31 days."""
        if (self.last - self.first).days < MAX_RANGE_DAYS:
            return [(self.first, self.last)]
        chunks, start = [], self.first
        while start <= self.last:
            after = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
            chunks.append((start, min(after - timedelta(days=1), self.last)))
            start = after
        return chunks


def _month_before(day: date) -> tuple[date, date]:
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def _period_plan(period: Period, today: date, by_day: bool) -> ReportPlan:
    if period == "today":
        return ReportPlan(period, today, today, today.isoformat(), period, by_day)
    if period == "this_month":
        return ReportPlan(period, today.replace(day=1), today, f"{today:%Y-%m}", period, by_day)
    if period == "this_year":
        first = today.replace(month=1, day=1)
        return ReportPlan(period, first, today, f"{today:%Y}", period, by_day)
    if period == "yesterday":
        day = today - timedelta(days=1)
        return ReportPlan(period, day, day, day.isoformat(), None, by_day)
    if period == "last_month":
        first, last = _month_before(today)
        return ReportPlan(period, first, last, f"{first:%Y-%m}", None, by_day)
    year = today.year - 1
    return ReportPlan(period, date(year, 1, 1), date(year, 12, 31), str(year), None, by_day)


def plan_report(
    period: Period,
    start_date: str | None,
    end_date: str | None,
    by_day: bool,
    today: date,
) -> ReportPlan:
    """Check an energy-report request before anything is sent, and say how to answer it.

    A range of days is answered by a counter where one covers exactly that range (today;
    this month from its first day), else estimated from the history.
    """
    if start_date is None and end_date is not None:
        raise InvalidRequestError("end_date needs start_date; give both, or start_date alone.")
    if start_date is None:
        plan = _period_plan(period, today, by_day)
    else:
        if period != "today":
            raise InvalidRequestError(
                f"Give period ({period}) or start_date/end_date, not both; leave one out."
            )
        first, last, notes = validate_range(start_date, end_date or start_date, today)
        label = first.isoformat() if first == last else f"{first}..{last}"
        counter: CounterPeriod | None = None
        if first == last == today:
            counter = "today"
        elif first == today.replace(day=1) and last == today:
            counter, label = "this_month", f"{today:%Y-%m}"
        period_of: ReportPeriod = counter or "range"
        plan = ReportPlan(period_of, first, last, label, counter, by_day, tuple(notes))
    days = (plan.last - plan.first).days + 1
    if by_day and days > MAX_RANGE_DAYS:
        raise InvalidRequestError(
            f"by_day lists at most {MAX_RANGE_DAYS} days and {plan.label} has {days}; ask for "
            "a month (this_month, last_month, or start_date and end_date) at a time."
        )
    return plan


def _series_days(
    name: SeriesName, payload: object, span: Span, days: Sequence[date]
) -> tuple[dict[date, list[float]], list[str]]:
    """Per day, the series' sample values (W) and its spacing, and the plausibility notes."""
    found = history_rows(payload) if isinstance(payload, Mapping) else []
    rows, doubts = believed_rows(name, found)
    spacing = span.spacing(len(rows))
    per_day: dict[date, list[float]] = {}
    if spacing is None:
        return per_day, doubts
    fitting = span.fitting(len(rows), spacing)
    edges = [math.ceil(minutes_between(span.start, midnight(d)) / spacing) for d in days]
    edges.append(fitting)
    positions = SAMPLE_POSITIONS[name]
    for day, begin, end in zip(days, edges, edges[1:], strict=False):
        values = [sample_value(row, positions) for row in rows[begin : min(end, fitting)]]
        present = [v for v in values if v is not None]
        if present:
            per_day[day] = [v * spacing / 60 / 1000 for v in present]  # kWh per sample
    return per_day, doubts


Chunk = tuple[date, date, Mapping[SeriesName, Any]]
"""One history request's days (first, last) and its `fve`, `load` and `grid` answers."""


def daily_energy(
    chunks: Sequence[Chunk], box: Mapping[str, Any], now: datetime
) -> tuple[dict[date, DayTotals], list[str]]:
    """Energy per day from the history requests of a report, and the notes on values left
    out (the first per series: a year of damaged history is one note per series, not 12).
    The samples end at the box's last contact."""
    totals: dict[date, DayTotals] = {}
    notes: dict[SeriesName, str] = {}
    believed = believed_box(box, now)[0]
    for first, last, history in chunks:
        span = Span.of(first, last, history_end(believed, now, first))
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        totals.update({day: dict.fromkeys(FIGURES) for day in days})
        for name in ENERGY_SERIES:
            per_day, doubts = _series_days(name, history.get(name), span, days)
            if doubts:
                notes.setdefault(name, doubts[0])
            for day, kwh in per_day.items():
                if name == "grid":
                    totals[day]["grid_import"] = sum(v for v in kwh if v > 0)
                    totals[day]["grid_export"] = -sum(v for v in kwh if v < 0)
                else:
                    totals[day]["solar" if name == "fve" else "consumption"] = sum(kwh)
    return totals, list(notes.values())


def daily_rows(totals: Mapping[date, DayTotals]) -> DailyEnergy:
    """The `days` of a report: one entry per date, kWh with one decimal."""
    ordered = sorted(totals)
    return DailyEnergy(
        date=[day.isoformat() for day in ordered],
        solar_kwh=[round1(totals[day]["solar"]) for day in ordered],
        consumption_kwh=[round1(totals[day]["consumption"]) for day in ordered],
        grid_import_kwh=[round1(totals[day]["grid_import"]) for day in ordered],
        grid_export_kwh=[round1(totals[day]["grid_export"]) for day in ordered],
    )


def _sum(totals: Mapping[date, DayTotals], figure: str) -> float | None:
    values = [day[figure] for day in totals.values() if day[figure] is not None]
    return sum(v for v in values if v is not None) if values else None


def _coverage_note(totals: Mapping[date, DayTotals]) -> str | None:
    empty = sorted(
        day for day, figures in totals.items() if all(v is None for v in figures.values())
    )
    if not empty:
        return None
    if len(empty) == len(totals):
        return "OIG Cloud returned no history for this period."
    listed = ", ".join(day.isoformat() for day in empty[:3])
    more = f" and {len(empty) - 3} more" if len(empty) > 3 else ""
    return (
        f"OIG Cloud's history has nothing for {len(empty)} of {len(totals)} days ({listed}"
        f"{more}); the totals cover the other days only."
    )


def estimated_report(
    box_id: str,
    box: Mapping[str, Any],
    plan: ReportPlan,
    totals: Mapping[date, DayTotals],
    notes: Sequence[str],
    now: datetime,
) -> EnergyReport:
    """An energy report whose totals are estimated from the history (no counter covers
    the period)."""
    box, doubts = believed_box(box, now)
    kwh = {figure: _sum(totals, figure) for figure in FIGURES}
    figures = {
        figure: no_figure()
        if value is None
        else EnergyFigure(kwh=round1(value), source="estimate", field=_FORMULAS[figure])
        for figure, value in kwh.items()
    }
    what = f"{plan.first}..{plan.last}" if plan.period == "range" else PERIOD_WORDS[plan.period]
    all_notes = [
        *plan.notes,
        *doubts,
        f"OIG Cloud keeps counters for today, this month and this year only, so {what} is "
        "estimated from its history: power samples x their spacing, inferred from the "
        "count (the history has no sample times). Expect a few % off what counters show; "
        "battery energy is not estimated.",
        *notes,
    ]
    coverage = _coverage_note(totals)
    all_notes += [coverage] if coverage else []
    sc_pct, sc_why = share_not(kwh["grid_export"], kwh["solar"])
    ss_pct, ss_why = share_not(kwh["grid_import"], kwh["consumption"])
    all_notes += ratio_notes(plan.period, sc_why, ss_why)
    contact = parse_lastcall(section(box, "device").get("lastcall"))
    bought, sold = kwh["grid_import"], kwh["grid_export"]
    return EnergyReport(
        box_id=box_id,
        period=plan.period,
        period_label=plan.label,
        start_date=plan.first.isoformat(),
        end_date=plan.last.isoformat(),
        as_of=None if contact is None else local_time(contact).isoformat(),
        solar=figures["solar"],
        grid_import=figures["grid_import"],
        grid_export=figures["grid_export"],
        consumption=figures["consumption"],
        battery_charged=no_figure(),
        battery_discharged=no_figure(),
        net_export_kwh=None if bought is None or sold is None else round1(sold - bought),
        self_consumption_pct=sc_pct,
        self_sufficiency_pct=ss_pct,
        days=daily_rows(totals) if plan.by_day else None,
        notes=all_notes,
    )


BY_DAY_NOTE = (
    "The daily rows are estimated from OIG Cloud's history (power samples x their inferred "
    "spacing); the totals are its counters, so the rows need not add up to them exactly."
)
