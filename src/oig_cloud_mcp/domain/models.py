"""Typed shapes: the credentials we hold and the data our tools return.

Units are in the field names (`_w`, `_kwh`, `_pct`, `_c`, `_s`). Signs follow the
portal: battery power is positive while charging, grid power positive while importing.
A value the portal did not send is `None` (JSON `null`), never 0.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal, get_args

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from .base import Model

Number = int | float
GridDelivery = Literal["off", "on", "limited"]
Severity = Literal["info", "warning", "error", "critical"]
Phase = Literal["L1", "L2", "L3"]
SeriesName = Literal["batt", "fve", "grid", "load"]
WriteToolName = Literal[
    "set_box_mode", "set_grid_delivery", "set_boiler_mode", "set_battery_grid_charging"
]
WRITE_TOOLS: tuple[WriteToolName, ...] = get_args(WriteToolName)
BOX_ID_PATTERN = r"^[0-9]{1,20}$"
"""A Battery Box id: ASCII digits only (a `\\d` would also let Unicode digits through)."""

BoxMode = Literal["Home 1", "Home 2", "Home 3", "Home UPS"]
"""The modes a box can be set to, in the order of their `box_prms.mode` codes 0..3."""
BOX_MODES: dict[int, str] = dict(enumerate(get_args(BoxMode)))
"""`box_prms.mode` codes the portal accepts and reports (spec §6.1)."""
BoilerMode = Literal["auto", "manual"]

REPORTED_ONLY_MODES: dict[int, str] = {4: "Home 5", 5: "Home 6"}
"""Codes some boxes report but which cannot be set as a base mode (spec §6.1, open question 9)."""

MODE_EFFECTS = {
    "Home 1": "Solar feeds the house first and charges the battery with the surplus; "
    "when solar is short the battery supplies the house.",
    "Home 2": "Solar feeds the house and charges the battery; when solar is short the house "
    "draws from the grid and the battery is kept.",
    "Home 3": "Solar charges the battery first; the house draws from the grid.",
    "Home UPS": "The house runs from the grid and the battery is charged from solar and the "
    "grid so it is full for an outage; this can buy grid energy.",
}
"""What each mode does to the house: write previews and the modes guide."""

MODES_BRIEF = (
    "Home 1: battery covers what solar lacks, then grid; Home 2: battery kept, grid covers "
    "the rest; Home 3: solar charges battery first, house on grid; Home UPS: battery "
    "charged (also from grid) and kept full."
)
"""MODE_EFFECTS in one line, for schema descriptions (paid on every tools/list)."""


def account_key(email: str) -> str:
    """The form of an e-mail used to key sessions, backoff and the whitelist."""
    return email.strip().casefold()


def subject_of(account: str) -> str:
    """The pseudonym a household goes by in grants, keys, audit lines, spans and logs."""
    digest = hashlib.sha256(f"oig-cloud-mcp household\n{account_key(account)}".encode())
    return "h" + digest.hexdigest()[:31]


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


class SolarString(Model):
    """One PV string."""

    power_w: Number | None


class Solar(Model):
    """Photovoltaics."""

    power_w: Number | None
    strings: list[SolarString]
    today_kwh: Number | None
    installed_kwp: float | None


class Battery(Model):
    """The battery; `power_w` is + while charging, - while discharging."""

    soc_pct: Number | None
    power_w: Number | None
    capacity_kwh: float | None
    reserve_pct: Number | None = Field(description="Charge the box keeps for itself.")
    above_reserve_kwh: float | None
    to_reserve_min: int | None = Field(
        description="Straight-line at the current power; null unless discharging >= 50 W."
    )
    to_full_min: int | None = Field(description="Likewise, while charging.")


class Grid(Model):
    """The grid connection; `power_w` is + while importing, - while exporting."""

    power_w: Number | None
    today_import_kwh: Number | None
    today_export_kwh: Number | None
    delivery: GridDelivery | None = Field(description="Export to the grid.")
    delivery_limit_w: int | None = Field(description="When delivery is limited.")


class House(Model):
    """The house load behind the box."""

    power_w: Number | None
    today_kwh: Number | None


class Phases(Model):
    """Per phase, as lists [L1, L2, L3]; grid power is live when live_data is true."""

    house_w: list[int | None] = Field(description="Load on the backed-up output.")
    grid_w: list[int | None]
    voltage_v: list[float | None] = Field(description="Grid voltage.")
    frequency_hz: float | None
    busiest: Phase | None
    note: str | None = Field(description="Set when the busiest phase nears the bypass level.")


class BoxClimate(Model):
    """Conditions inside the Battery Box."""

    temperature_c: Number | None
    humidity_pct: Number | None


class PendingChange(Model):
    """A write that was sent, tracked until the live data shows it."""

    tool: str
    box_id: str
    requested: str
    requested_at: str
    status: Literal["pending", "outcome_unknown", "applied", "not_applied"] = Field(
        description="outcome_unknown: no answer (not re-sent); not_applied: not in 60 min."
    )


class BasicData(Model):
    """The live snapshot of one box."""

    box_id: str
    boxes: list[str] = Field(description="The first 3 box ids of the account.")
    box_count: int
    mode: str | None
    last_contact: str | None
    data_age_s: SkipJsonSchema[int | None]  # last_contact says it
    live_data: bool
    solar: Solar
    battery: Battery
    grid: Grid
    house: House
    phases: Phases
    box: BoxClimate
    notes: list[str] = Field(default_factory=list)
    pending_changes: list[PendingChange] = Field(default_factory=list)


class BoxConfig(Model):
    """Installed sizes and settings of one box."""

    box_id: str
    mode: str | None
    mode_effect: str | None
    battery_capacity_kwh: float | None = Field(description="Installed (box_prms.p_bat, Wh).")
    battery_reserve_pct: Number | None = Field(description="Minimum charge (batt_prms.bat_min).")
    pv_installed_kwp: float | None = Field(description="Installed solar (box_prms.p_fve, Wp).")
    grid_delivery: GridDelivery | None = Field(description="Export to the grid.")
    grid_delivery_limit_w: int | None
    boiler_present: bool | None = Field(description="null when the portal does not say.")
    boiler_mode: BoilerMode | None
    notes: list[str] = Field(default_factory=list)


class FieldSummary(Model):
    """Statistics of one history value over the requested range."""

    name: str
    unit: str
    min: Number | None
    min_at: str | None = Field(description="Inferred time.")
    max: Number | None
    max_at: str | None = Field(description="Inferred time.")
    mean: Number | None
    last: Number | None


class Series(Model):
    """One history series from json2.php."""

    series: SeriesName
    sample_count: int
    spacing_min: int | None = Field(description="Inferred.")
    fields: list[FieldSummary]
    columns: list[str] = Field(description="What each row of samples holds.")
    samples: list[list[Number | None]] = Field(description="Means, a row per row_starts.")


class ExtendedData(Model):
    """History for a date range."""

    box_id: str
    start_date: SkipJsonSchema[str]  # the range asked for, echoed
    end_date: SkipJsonSchema[str]
    row_starts: list[str] = Field(description="Inferred.")
    row_minutes: int | None
    series: list[Series]
    notes: list[str] = Field(default_factory=list)


class Notification(Model):
    """One entry of the portal's notification list."""

    time: str | None
    severity: Severity
    box_id: str | None
    title: str
    body: str


class Notifications(Model):
    """Notifications, newest first."""

    notifications: list[Notification]
    total: int = Field(description="Matches before the limit.")
    bypass: Literal["on", "off"] | None = Field(description="Per the latest bypass notice.")
    bypass_at: str | None = Field(description="When that notice was posted.")
    notes: list[str] = Field(default_factory=list)


WriteOutcome = Literal["previewed", "declined", "unchanged", "written"]


class WriteResult(Model):
    """What a write tool did: previewed, declined, found nothing to change, or wrote.

    The published schema names what a model acts on (the outcome and the message, which
    says everything); the other fields are in every answer all the same.
    """

    tool: SkipJsonSchema[str]
    box_id: SkipJsonSchema[str | None]
    outcome: WriteOutcome
    current: SkipJsonSchema[str | None]
    requested: SkipJsonSchema[str]
    effect: SkipJsonSchema[str]
    message: str
    request: SkipJsonSchema[dict[str, object] | None]
    """The portal request that was (or would be) sent."""
