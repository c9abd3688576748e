"""One day by the hour from json2.php's four history series, with peaks, battery extremes,
energy integrated from the samples and, for today, a cross-check with the day counters.

Pure: no I/O, the current time is passed in. json2.php sends no sample times, so the
spacing is inferred from the sample count (and said so in the notes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .insight_models import (
    BatteryExtreme,
    CrossCheck,
    DayProfile,
    EnergyCheck,
    HourRow,
    PowerPeak,
    ProfileEnergy,
)
from .insights import get_field, local_time, round1, watts
from .models import Number, SeriesName
from .parsing import history_rows, number, parse_lastcall, section
from .plausible import believed_box, believed_rows
from .timeline import DAY_SPACINGS_MIN, Span, clock_change_note, history_end

SERIES: tuple[SeriesName, ...] = ("fve", "load", "grid", "batt")

SAMPLE_POSITIONS: dict[SeriesName, tuple[int, ...]] = {
    "fve": (3, 4),  # solar W: string 1 + string 2
    "load": (0, 1, 2),  # house W: L1 + L2 + L3
    "grid": (1,),  # grid W, + import / - export (sign inferred)
    "batt": (2,),  # battery %
}
"""Positions summed into one value per json2.php row (spec §5.2)."""
_DAY_CHECKS = (
    ("solar", "dc_in.fv_ad"),
    ("house", "ac_out.en_day"),
    ("grid_import", "ac_in.ac_ad"),
    ("grid_export", "ac_in.ac_pd"),
)
PROFILE_BASIS = "Samples x inferred spacing; samples without a value add nothing."


@dataclass
class _Placed:
    """One series' samples laid out over the day."""

    count: int = 0
    spacing_min: int | None = None
    dropped: int = 0
    valued: int = 0
    sums: list[float] = field(default_factory=lambda: [0.0] * 24)
    counts: list[int] = field(default_factory=lambda: [0] * 24)
    total: float = 0.0
    positive: float = 0.0
    negative: float = 0.0

    def mean(self, hour: int) -> float | None:
        """The mean value of the samples in `hour`."""
        return self.sums[hour] / self.counts[hour] if self.counts[hour] else None

    def kwh(self, watt_samples: float) -> float | None:
        """Energy of a sum of W samples at this series' spacing."""
        if not self.valued or self.spacing_min is None:
            return None
        return watt_samples * self.spacing_min / 60 / 1000


def sample_value(row: Sequence[Any], positions: tuple[int, ...]) -> float | None:
    """The sum of a row's values at `positions`; None if any of them is missing."""
    total = 0.0
    for i in positions:
        value = number(row[i]) if i < len(row) else None
        if value is None:
            return None
        total += value
    return total


def _place(name: SeriesName, payload: object, span: Span) -> tuple[_Placed, list[str]]:
    """Row i starts i x spacing after midnight in real time (spacing = span / rows,
    snapped); its wall-clock hour is where it counts. Also the plausibility notes."""
    found = history_rows(payload) if isinstance(payload, Mapping) else []
    rows, doubts = believed_rows(name, found)
    placed = _Placed(count=len(rows))
    spacing = placed.spacing_min = span.spacing(len(rows), DAY_SPACINGS_MIN)
    if spacing is None:
        return placed, doubts
    fitting = span.fitting(len(rows), spacing)
    placed.dropped = len(rows) - fitting
    positions = SAMPLE_POSITIONS[name]
    for i, row in enumerate(rows[:fitting]):
        value = sample_value(row, positions)
        if value is None:
            continue
        hour = span.sample_start(spacing, i).hour
        placed.sums[hour] += value
        placed.counts[hour] += 1
        placed.valued += 1
        placed.total += value
        placed.positive += max(value, 0.0)
        placed.negative += max(-value, 0.0)
    return placed, doubts


def _hour_row(hour: int, placed: Mapping[SeriesName, _Placed], has_begun: bool) -> HourRow:
    if not has_begun:
        return HourRow(hour=hour, solar_w=None, house_w=None, grid_w=None, battery_pct=None)
    return HourRow(
        hour=hour,
        solar_w=watts(placed["fve"].mean(hour)),
        house_w=watts(placed["load"].mean(hour)),
        grid_w=watts(placed["grid"].mean(hour)),
        battery_pct=round1(placed["batt"].mean(hour)),
    )


def _peak(rows: Sequence[HourRow], pick: Callable[[HourRow], int | None]) -> PowerPeak | None:
    """The hour with the highest positive mean power; ties go to the earlier hour."""
    values = [(watts, row.hour) for row in rows if (watts := pick(row)) is not None]
    best = max(values, key=lambda pair: pair[0], default=None)
    return None if best is None or best[0] <= 0 else PowerPeak(hour=best[1], w=best[0])


def _battery_extremes(
    rows: Sequence[HourRow],
) -> tuple[BatteryExtreme | None, BatteryExtreme | None]:
    values = [(pct, row.hour) for row in rows if (pct := row.battery_pct) is not None]
    if not values:
        return None, None
    high = max(values, key=lambda pair: pair[0])  # ties go to the earlier hour
    low = min(values, key=lambda pair: pair[0])
    return BatteryExtreme(hour=high[1], pct=high[0]), BatteryExtreme(hour=low[1], pct=low[0])


MIN_COUNTER_FOR_PCT_KWH = 0.05
"""Below this a day counter is too small for a percentage difference to mean anything."""


def _check(counter_wh: Number | None, integrated_kwh: float | None) -> EnergyCheck:
    counter = None if counter_wh is None else counter_wh / 1000
    diff = None if counter is None or integrated_kwh is None else integrated_kwh - counter
    pct = None
    if diff is not None and counter is not None and abs(counter) >= MIN_COUNTER_FOR_PCT_KWH:
        pct = diff / counter * 100
    return EnergyCheck(
        counter_kwh=round1(counter),
        integrated_kwh=round1(integrated_kwh),
        difference_kwh=round1(diff),
        difference_pct=round1(pct),
    )


def _dropped_note(placed: Mapping[SeriesName, _Placed]) -> str | None:
    dropped = {name: p.dropped for name, p in placed.items() if p.dropped}
    if not dropped:
        return None
    counts = set(dropped.values())
    if len(dropped) == 1:
        [(name, count)] = dropped.items()
        return f"{count} samples of {name} fell after midnight at that spacing and were left out."
    if len(dropped) == sum(1 for p in placed.values() if p.count) and len(counts) == 1:
        return (
            f"{counts.pop()} samples of each series fell after midnight at that spacing and "
            "were left out."
        )
    detail = ", ".join(f"{name} {count}" for name, count in dropped.items())
    return f"Samples fell after midnight at that spacing and were left out: {detail}."


def _profile_notes(placed: Mapping[SeriesName, _Placed], span: str) -> list[str]:
    spacings = {name: p.spacing_min for name, p in placed.items() if p.spacing_min is not None}
    if not spacings:
        return ["OIG Cloud's history has no samples for this day."]
    if len(set(spacings.values())) == 1:
        detail = f"{next(iter(spacings.values()))} min"
    else:
        detail = ", ".join(f"{name} {minutes} min" for name, minutes in spacings.items())
    notes = [
        f"Sample spacing inferred from the sample count over {span}: {detail} "
        "(OIG Cloud's history has no sample times, so the times are inferred)."
    ]
    dropped = _dropped_note(placed)
    return [*notes, dropped] if dropped else notes


def _stale_counters(day: date, box: Mapping[str, Any]) -> str | None:
    """Why the box's day counters cannot be compared with `day`, or None if they can."""
    contact = parse_lastcall(section(box, "device").get("lastcall"))
    if contact is None or local_time(contact).date() == day:
        return None
    return (
        f"The box last reported on {local_time(contact).date().isoformat()}, so its day "
        "counters are not for this day; no cross-check."
    )


def day_profile(
    day: date,
    history: Mapping[SeriesName, Mapping[str, Any]],
    box: Mapping[str, Any] | None,
    now: datetime,
    *,
    box_id: str | None = None,
) -> DayProfile:
    """One day by the hour from the json2.php `fve`, `load`, `grid` and `batt` series.

    Sample times are inferred from the sample count. For today, a given `box` adds a
    cross-check of the integrated energy against the box's day counters.
    """
    local_now = local_time(now)
    today = local_now.date()
    span = Span.of(day, day, history_end(box, now, day))
    if day < today:
        words = "the whole day"
    elif day == today:
        words = f"the {span.minutes / 60:.1f} h elapsed today"
    else:
        words = "a day that has not started"
    placed: dict[SeriesName, _Placed] = {}
    doubts: list[str] = []
    for name in SERIES:
        placed[name], doubted = _place(name, history.get(name), span)
        doubts += doubted
    last_hour = 23 if day < today else local_now.hour if day == today else -1
    hours = [_hour_row(hour, placed, hour <= last_hour) for hour in range(24)]

    fve, load, grid = placed["fve"], placed["load"], placed["grid"]
    integrated = {
        "solar": fve.kwh(fve.total),
        "house": load.kwh(load.total),
        "grid_import": grid.kwh(grid.positive),
        "grid_export": grid.kwh(grid.negative),
    }
    notes = _profile_notes(placed, words)
    clock = clock_change_note(day)
    notes += [clock] if clock else []
    notes += doubts
    checks = None
    if day == today and box is not None:
        box, doubted = believed_box(box, now)
        notes += doubted
        stale = _stale_counters(day, box)
        if stale is None:
            checks = {n: _check(get_field(box, path), integrated[n]) for n, path in _DAY_CHECKS}
        else:
            notes.append(stale)
    fullest, emptiest = _battery_extremes(hours)
    return DayProfile(
        box_id=box_id,
        date=day.isoformat(),
        sample_count={name: p.count for name, p in placed.items()},
        spacing_min={name: p.spacing_min for name, p in placed.items() if p.spacing_min},
        hours=hours,
        peak_solar=_peak(hours, lambda row: row.solar_w),
        peak_house=_peak(hours, lambda row: row.house_w),
        battery_fullest=fullest,
        battery_emptiest=emptiest,
        energy=ProfileEnergy(
            solar_kwh=round1(integrated["solar"]),
            house_kwh=round1(integrated["house"]),
            grid_import_kwh=round1(integrated["grid_import"]),
            grid_export_kwh=round1(integrated["grid_export"]),
            basis=PROFILE_BASIS,
        ),
        cross_check=None
        if checks is None
        else CrossCheck(
            solar=checks["solar"],
            house=checks["house"],
            grid_import=checks["grid_import"],
            grid_export=checks["grid_export"],
        ),
        notes=notes,
    )
