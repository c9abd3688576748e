"""What a write tool would do: the `WritePlan` built from the live data, and the texts.

A planner checks its arguments first (no request for an impossible change), then reads the
box once and describes the change: what is now, what is asked, what it does to the house,
the portal request that would be sent and what the live data will show once applied.
Nothing here sends anything; `app.writes.Writes` previews, confirms and sends a plan.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from ..errors import InvalidRequestError
from .changes import Check, GridCheck, ValueCheck
from .models import BOX_MODES, MODE_EFFECTS, BoilerMode, WriteToolName
from .parsing import decode_grid_delivery, decode_mode, number, section

BoxReader = Callable[[str | None], Awaitable[tuple[str, Mapping[str, Any]]]]
"""Reads the live data of a box (default: the first): its id and its json.php section."""

APPLY_NOTE = "The box applies changes within about 10 minutes (sometimes up to an hour)."
EXPORT_LEGAL_NOTE = (
    "Exporting to the grid needs your distributor's approval; exporting without it can be "
    "penalised (see https://portal.oigpower.cz/pretoky-sankce.pdf)."
)
MODE_CODES = {name: code for code, name in BOX_MODES.items()}
ONE_BOX_WRITE_NOTE = (
    "The portal's request names no box: OIG Cloud applies it to the box the portal has "
    "selected for the account."
)
GRID_VALUES = {"off": 0, "on": 1, "limited": 2}
EXPORT_LIMIT_W = (1, 9999)
"""The export limits (W) the portal takes with state `limited`."""
GRID_CHARGE_PCT = (20, 100)
"""The targets (%) the portal takes for charging the battery from the grid."""


@dataclass
class WritePlan:
    """One intended write: what is, what is asked, what it does and what would be sent."""

    tool: WriteToolName
    box_id: str
    current: str | None
    requested: str
    effect: str
    script: str
    body: dict[str, Any]
    check: Check
    arguments: dict[str, Any] = field(default_factory=dict)
    already: str | None = None
    """Why the live data already shows the requested value, if it does."""
    unchanged_reason: str | None = None
    """Why nothing is to be sent (set by `WriteService`: `already`, or a repeat)."""
    replaces: str | None = None
    """The sentence saying which unresolved change of this tool and box this one replaces."""

    def question(self) -> str:
        """The confirmation question put to the user."""
        return (
            f"{self.tool} on box {self.box_id}: change "
            f"{self.current or 'unknown'} to {self.requested}?{self.replacing()} "
            f"{self.effect} {APPLY_NOTE}"
        )

    def replacing(self) -> str:
        """The `replaces` sentence with a leading space, or nothing."""
        return f" {self.replaces}" if self.replaces else ""

    def key(self) -> tuple[str, str, str]:
        """What identifies the change: tool, box and requested value."""
        return (self.tool, self.box_id, self.requested)

    def request(self) -> dict[str, object]:
        """The portal request as shown to the user."""
        return {"script": self.script, "body": self.body}


async def plan_box_mode(read_box: BoxReader, mode: str, box_id: str | None) -> WritePlan:
    """Plan `box_prms.mode` = 0..3."""
    if mode not in MODE_CODES:
        raise InvalidRequestError(f"Unknown mode '{mode}'; use one of: {', '.join(MODE_CODES)}.")
    chosen, box = await read_box(box_id)
    code = MODE_CODES[mode]
    current = number(section(box, "box_prms").get("mode"))
    return WritePlan(
        tool="set_box_mode",
        box_id=chosen,
        current=decode_mode(current),
        requested=mode,
        effect=MODE_EFFECTS[mode],
        script="Device.Set.Value.php",
        body={"id_device": chosen, "table": "box_prms", "column": "mode", "value": code},
        check=ValueCheck(table="box_prms", column="mode", value=code),
        already=f"The box is already in {mode}." if current == code else None,
    )


async def plan_grid_delivery(
    read_box: BoxReader, state: str, limit_w: int | None, box_id: str | None
) -> WritePlan:
    """Plan ToGrid.Toggle.php with `p_max_feed_grid` always present."""
    if state not in GRID_VALUES:
        raise InvalidRequestError(f"Unknown state '{state}'; use off, on or limited.")
    if state == "limited" and limit_w is None:
        raise InvalidRequestError(
            "state 'limited' needs limit_w, the export limit in W "
            f"({EXPORT_LIMIT_W[0]}-{EXPORT_LIMIT_W[1]})."
        )
    if state != "limited" and limit_w is not None:
        raise InvalidRequestError("limit_w applies only to state 'limited'; leave it out.")
    low, high = EXPORT_LIMIT_W
    if limit_w is not None and not low <= limit_w <= high:
        raise InvalidRequestError(f"limit_w {limit_w} is out of range; use {low} to {high} W.")
    chosen, box = await read_box(box_id)
    now_state, now_limit = decode_grid_delivery(box)
    label = f"limited to {limit_w} W" if state == "limited" else state
    current = f"limited to {now_limit} W" if now_state == "limited" else now_state
    effect = {
        "off": "Nothing is exported; surplus solar is curtailed once the battery is full.",
        "on": "Surplus solar may be exported without a limit.",
        "limited": f"Export is capped at {limit_w} W.",
    }[state]
    return WritePlan(
        tool="set_grid_delivery",
        box_id=chosen,
        current=current,
        requested=label,
        effect=effect if state == "off" else f"{effect} {EXPORT_LEGAL_NOTE}",
        script="ToGrid.Toggle.php",
        body={"id_device": chosen, "value": GRID_VALUES[state], "p_max_feed_grid": limit_w},
        check=GridCheck(grid=state, limit=limit_w),  # type: ignore[arg-type]
        already=(
            f"Grid export is already {label}."
            if (now_state, now_limit) == (state, limit_w)
            else None
        ),
    )


async def plan_boiler_mode(read_box: BoxReader, mode: str, box_id: str | None) -> WritePlan:
    """Plan `boiler_prms.manual` = 0 (auto) / 1 (manual)."""
    if mode not in get_args(BoilerMode):
        raise InvalidRequestError(f"Unknown boiler mode '{mode}'; use auto or manual.")
    chosen, box = await read_box(box_id)
    if number(section(box, "boiler_prms").get("ison")) in (None, 0) or box.get("boiler") == []:
        raise InvalidRequestError(f"Box {chosen} has no boiler module, so there is nothing to set.")
    value = 1 if mode == "manual" else 0
    current = number(section(box, "boiler_prms").get("manual"))
    return WritePlan(
        tool="set_boiler_mode",
        box_id=chosen,
        current={0: "auto", 1: "manual"}.get(int(current)) if current is not None else None,
        requested=mode,
        effect="The boiler heats at full power regardless of solar or tariff; this "
        "can draw from the grid."
        if value
        else "The box heats the boiler from solar surplus (automatic).",
        script="Device.Set.Value.php",
        body={
            "id_device": chosen,
            "table": "boiler_prms",
            "column": "manual",
            "value": value,
        },
        check=ValueCheck(table="boiler_prms", column="manual", value=value),
        already=f"The boiler is already in {mode} mode." if current == value else None,
    )


async def plan_battery_grid_charging(read_box: BoxReader, target_pct: int | None) -> WritePlan:
    """Plan Battery.Format.Save.php (spec §6.4): charge from the grid to a target, or stop."""
    low, high = GRID_CHARGE_PCT
    if target_pct is not None and not low <= target_pct <= high:
        raise InvalidRequestError(f"target_pct {target_pct} is out of range; use {low} to {high}.")
    chosen, box = await read_box(None)
    current = number(section(box, "box_prms").get("bat_ac"))
    value = target_pct or 0
    return WritePlan(
        tool="set_battery_grid_charging",
        box_id=chosen,
        current=None if current is None else f"target {current} %",
        requested="stop charging from the grid"
        if target_pct is None
        else f"charge from the grid to {target_pct} %",
        effect=(
            "Stops charging the battery from the grid."
            if target_pct is None
            else f"Starts charging the battery from the grid now, up to {target_pct} %; "
            "this buys grid energy."
        )
        + f" {ONE_BOX_WRITE_NOTE}",
        script="Battery.Format.Save.php",
        body={"bat_ac": value},
        check=ValueCheck(table="box_prms", column="bat_ac", value=value),
    )


PLANNERS: dict[str, Callable[..., Awaitable[WritePlan]]] = {
    "set_box_mode": plan_box_mode,
    "set_grid_delivery": plan_grid_delivery,
    "set_boiler_mode": plan_boiler_mode,
    "set_battery_grid_charging": plan_battery_grid_charging,
}
"""Each write tool's planner; `WriteService.plan` calls them with its box reader."""
