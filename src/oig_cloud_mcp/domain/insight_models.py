"""Typed shapes of the answers computed in `insights` and `day_profile`: energy totals,
battery outlook and a day's profile (the phases are part of `BasicData` in `models`).

Units are in the field names (`_w`, `_kwh`, `_pct`, `_min`, `_v`, `_hz`). A value the
portal did not send, or that cannot be computed from what it sent, is `None` (JSON
`null`), never a made-up 0. Descriptions end up in published tool schemas: keep them short.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from .base import Model
from .models import Number, SeriesName

Period = Literal["today", "yesterday", "this_month", "last_month", "this_year", "last_year"]
"""The periods `get_energy_report` takes: today, this month and this year have the
portal's counters; the others are estimated from its history."""
ReportPeriod = Period | Literal["range"]
"""A report's period: a `Period`, or `range` for start_date..end_date."""
BatteryState = Literal["charging", "discharging", "idle"]


class EnergyFigure(Model):
    """One energy total and where it came from."""

    kwh: float | None
    source: Literal["counter", "estimate"] | None
    field: str | None


class DailyEnergy(Model):
    """Energy per day, estimated from the history: lists with one entry per date."""

    date: list[str]
    solar_kwh: list[float | None]
    consumption_kwh: list[float | None]
    grid_import_kwh: list[float | None]
    grid_export_kwh: list[float | None]


class EnergyReport(Model):
    """Energy totals of one box for a period."""

    box_id: str
    period: ReportPeriod
    period_label: str
    start_date: str
    end_date: str
    as_of: str | None = Field(description="The box's last report.")
    solar: EnergyFigure
    grid_import: EnergyFigure
    grid_export: EnergyFigure
    consumption: EnergyFigure
    battery_charged: EnergyFigure
    battery_discharged: EnergyFigure
    net_export_kwh: float | None = Field(description="Export minus import.")
    self_consumption_pct: float | None = Field(description="Share of solar used at home.")
    self_sufficiency_pct: float | None = Field(
        description="Share of consumption not bought from the grid."
    )
    days: DailyEnergy | None = Field(default=None, description="With by_day; estimated.")
    notes: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class BatteryOutlook:
    """Energy in the battery and, at the current power, time until reserve or full
    (straight-line; `get_basic_data` carries these in its battery section)."""

    capacity_kwh: float | None
    reserve_pct: Number | None
    stored_above_reserve_kwh: float | None
    time_to_reserve_min: int | None
    time_to_full_min: int | None
    notes: list[str] = field(default_factory=list)


class HourRow(Model):
    """Means over the samples of one hour; null where no sample had a value."""

    hour: int = Field(ge=0, le=23)
    solar_w: int | None
    house_w: int | None
    grid_w: int | None = Field(description="Sign inferred.")
    battery_pct: float | None


class PowerPeak(Model):
    """The hour with the highest mean power."""

    hour: int
    w: int


class BatteryExtreme(Model):
    """The hour with the highest or lowest mean charge."""

    hour: int
    pct: float


class ProfileEnergy(Model):
    """Energy integrated from the samples (power x spacing)."""

    solar_kwh: float | None
    house_kwh: float | None
    grid_import_kwh: float | None
    grid_export_kwh: float | None
    estimated: Literal[True] = True
    basis: str


class EnergyCheck(Model):
    """A day counter against the energy integrated from the samples."""

    counter_kwh: float | None
    integrated_kwh: float | None
    difference_kwh: float | None = Field(description="integrated - counter")
    difference_pct: float | None = Field(description="% of the counter.")


class CrossCheck(Model):
    """Today's counters against today's samples."""

    solar: EnergyCheck
    house: EnergyCheck
    grid_import: EnergyCheck
    grid_export: EnergyCheck


class DayProfile(Model):
    """One day by the hour, from the json2.php history series."""

    box_id: str | None
    date: str
    sample_count: dict[SeriesName, int]
    spacing_min: dict[SeriesName, int] = Field(description="Inferred.")
    hours: list[HourRow]
    peak_solar: PowerPeak | None
    peak_house: PowerPeak | None
    battery_fullest: BatteryExtreme | None
    battery_emptiest: BatteryExtreme | None
    energy: ProfileEnergy
    cross_check: CrossCheck | None = Field(description="Today only.")
    notes: list[str] = Field(default_factory=list)
