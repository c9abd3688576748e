"""The arguments of each tool, as pydantic models built from the domain's own types.

Registration publishes these as input schemas; strict types mean `confirm` is `true` or
`false` (never `"yes"` or 1), `limit_w` an integer, and a box id ASCII digits only. The
bounds and choices come from the domain, so the schema and the rule are the same numbers.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StrictBool, StrictInt, StrictStr

from ..domain.base import Model
from ..domain.insight_models import Period
from ..domain.models import (
    BOX_ID_PATTERN,
    BoilerMode,
    BoxMode,
    GridDelivery,
    SeriesName,
    Severity,
)
from ..domain.requests import DayWord
from ..domain.write_plans import EXPORT_LIMIT_W, GRID_CHARGE_PCT

# What box_id, dates and confirm mean is said once, in the server's instructions.
BoxId = Annotated[StrictStr | None, Field(pattern=BOX_ID_PATTERN)]
IsoDate = Annotated[
    StrictStr, Field(json_schema_extra={"format": "date"}, min_length=10, max_length=10)
]
Confirm = StrictBool


class Arguments(Model):
    """A tool's arguments; unknown names are refused before anything is sent."""

    model_config = ConfigDict(extra="forbid")


class BoxArguments(Arguments):
    """One box of the account."""

    box_id: BoxId = None


class EnergyReportArguments(Arguments):
    """A period, or a range of days, of one box."""

    period: Period = "today"
    start_date: Annotated[IsoDate | None, Field(description="Instead of period; <= 31 days.")] = (
        None
    )
    end_date: Annotated[IsoDate | None, Field(description="Default start_date.")] = None
    by_day: Annotated[StrictBool, Field(description="Each day too (estimated).")] = False
    box_id: BoxId = None


class DayProfileArguments(Arguments):
    """One day of one box."""

    date: DayWord | IsoDate = "today"
    box_id: BoxId = None


class ExtendedDataArguments(Arguments):
    """A date range of one box's history."""

    start_date: IsoDate
    end_date: IsoDate
    series: Annotated[list[SeriesName] | None, Field(description="fve = solar; default all.")] = (
        None
    )
    box_id: BoxId = None
    max_samples: Annotated[StrictInt, Field(ge=1, le=96, description="After averaging.")] = 24


class NotificationsArguments(Arguments):
    """Which notifications."""

    limit: Annotated[StrictInt, Field(ge=1, le=100, description="How many, newest first.")] = 20
    min_severity: Annotated[Severity | None, Field(description="This severity and worse.")] = None
    box_id: BoxId = None


class BoxModeArguments(Arguments):
    """The mode to switch to."""

    mode: BoxMode
    confirm: Confirm = False
    box_id: BoxId = None


class GridDeliveryArguments(Arguments):
    """The export state and limit."""

    state: GridDelivery
    limit_w: Annotated[
        StrictInt | None,
        Field(
            ge=EXPORT_LIMIT_W[0],
            le=EXPORT_LIMIT_W[1],
            description="Export limit in W; only for limited.",
        ),
    ] = None
    confirm: Confirm = False
    box_id: BoxId = None


class BoilerModeArguments(Arguments):
    """The boiler mode."""

    mode: BoilerMode
    confirm: Confirm = False
    box_id: BoxId = None


class GridChargingArguments(Arguments):
    """The charge target (the portal's request names no box)."""

    target_pct: Annotated[
        StrictInt | None,
        Field(
            ge=GRID_CHARGE_PCT[0],
            le=GRID_CHARGE_PCT[1],
            description="null stops it.",
        ),
    ]
    confirm: Confirm = False
