"""Typed shapes: the credentials we hold and the data our tools return.

Units are in the field names (`_w`, `_kwh`, `_pct`, `_c`, `_s`). Signs follow the
portal: battery power is positive while charging, grid power positive while importing.
A value the portal did not send is `None` (JSON `null`), never 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, get_args

from pydantic import BaseModel, Field

Number = int | float
GridDelivery = Literal["off", "on", "limited"]
Severity = Literal["info", "warning", "error", "critical"]
SeriesName = Literal["batt", "fve", "grid", "load"]
WriteTool = Literal[
    "set_box_mode", "set_grid_delivery", "set_boiler_mode", "set_battery_grid_charging"
]
WRITE_TOOLS: tuple[WriteTool, ...] = get_args(WriteTool)
BOX_ID_PATTERN = r"^[0-9]{1,20}$"
"""A Battery Box id: ASCII digits only (a `\\d` would also let Unicode digits through)."""

BOX_MODES: dict[int, str] = {0: "Home 1", 1: "Home 2", 2: "Home 3", 3: "Home UPS"}
"""`box_prms.mode` codes the portal accepts and reports (spec §6.1)."""

REPORTED_ONLY_MODES: dict[int, str] = {4: "Home 5", 5: "Home 6"}
"""Codes some boxes report but which cannot be set as a base mode (spec §6.1, open question 9)."""


def account_key(email: str) -> str:
    """The form of an e-mail used to key sessions, backoff and the whitelist."""
    return email.strip().casefold()


_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


def is_plausible_email(text: str) -> bool:
    """Whether `text` looks like an e-mail address (one @, no spaces, a dotted domain)."""
    return len(text) <= 254 and _EMAIL.fullmatch(text) is not None


@dataclass(frozen=True)
class Credentials:
    """An OIG Cloud login. The password never shows in `repr` or logs."""

    email: str
    password: str = field(repr=False)
    source: str = "keyring"

    @property
    def account(self) -> str:
        """The account key: the e-mail, case-folded."""
        return account_key(self.email)


class SolarString(BaseModel):
    """One PV string."""

    power_w: Number | None


class Solar(BaseModel):
    """Photovoltaics."""

    power_w: Number | None
    strings: list[SolarString]
    today_kwh: Number | None


class Battery(BaseModel):
    """The battery; `power_w` is + while charging, - while discharging."""

    soc_pct: Number | None
    power_w: Number | None


class Grid(BaseModel):
    """The grid connection; `power_w` is + while importing, - while exporting."""

    power_w: Number | None
    today_import_kwh: Number | None
    today_export_kwh: Number | None
    delivery: GridDelivery | None = Field(description="Export to the grid: off, on or limited.")
    delivery_limit_w: int | None = Field(description="Export limit in W when delivery is limited.")


class House(BaseModel):
    """The house load behind the box."""

    power_w: Number | None
    today_kwh: Number | None


class BoxClimate(BaseModel):
    """Conditions inside the Battery Box."""

    temperature_c: Number | None
    humidity_pct: Number | None


class PendingChange(BaseModel):
    """A write that was sent, tracked until the live data shows it."""

    tool: str
    box_id: str
    requested: str
    requested_at: str
    status: Literal["pending", "outcome_unknown", "applied", "not_applied"] = Field(
        description="pending: accepted, box not there yet; outcome_unknown: sent, no answer "
        "(not re-sent); applied: the box shows it; not_applied: not seen within 60 min."
    )


class BasicData(BaseModel):
    """The live snapshot of one box."""

    box_id: str
    boxes: list[str] = Field(description="Every box id on the account.")
    mode: str | None = Field(description='"Home 1", "Home 2", "Home 3" or "Home UPS".')
    last_contact: str | None = Field(description="When the box last reported (ISO 8601).")
    data_age_s: int | None
    live_data: bool = Field(description='False when "Live data" is off in the OIG app.')
    solar: Solar
    battery: Battery
    grid: Grid
    house: House
    box: BoxClimate
    notes: list[str] = Field(default_factory=list)
    pending_changes: list[PendingChange] = Field(default_factory=list)


class FieldSummary(BaseModel):
    """Statistics of one history value over the requested range."""

    name: str
    unit: str
    min: Number | None
    max: Number | None
    mean: Number | None
    last: Number | None


class Series(BaseModel):
    """One history series from json2.php."""

    series: SeriesName
    sample_count: int = Field(description="Samples the portal returned.")
    fields: list[FieldSummary]
    columns: list[str] = Field(description="Names of the values in each row of `samples`.")
    samples: list[list[Number | None]] = Field(
        description="Rows in portal order, averaged into buckets when there were more."
    )


class ExtendedData(BaseModel):
    """History for a date range."""

    box_id: str
    start_date: str
    end_date: str
    series: list[Series]
    notes: list[str] = Field(default_factory=list)


class Notification(BaseModel):
    """One entry of the portal's notification list."""

    time: str | None
    severity: Severity
    box_id: str | None
    title: str
    body: str


class Notifications(BaseModel):
    """Notifications, newest first."""

    notifications: list[Notification]
    total: int = Field(description="Entries matching the filters before the limit.")
    bypass: Literal["on", "off"] | None = Field(
        description="Automatic bypass state from the latest bypass notice, if any."
    )
    notes: list[str] = Field(default_factory=list)


WriteOutcome = Literal["previewed", "declined", "unchanged", "written"]


class WriteResult(BaseModel):
    """What a write tool did: previewed, declined, found nothing to change, or wrote."""

    tool: str
    box_id: str | None
    outcome: WriteOutcome
    current: str | None = Field(description="The setting as the portal reports it now.")
    requested: str
    effect: str = Field(description="What the change does to the house.")
    message: str
    request: dict[str, object] | None = Field(
        description="The portal request that was (or would be) sent."
    )
