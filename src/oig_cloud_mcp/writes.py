"""Write actions: plan, preview or confirm, then exactly one well-formed write.

Every write tool first builds a `WritePlan` from the current live data (no write),
which is what a preview shows and an elicitation asks about. Only a confirmed plan
is sent, one at a time across processes, and recorded as a pending change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from .errors import (
    InvalidRequestError,
    OigError,
    StateFileError,
    WriteNotAllowedError,
    WriteOutcomeUnknownError,
)
from .models import BOX_MODES, MODE_EFFECTS, WriteResult, WriteTool
from .parsing import PORTAL_TZ, decode_grid_delivery, decode_mode, number, section, select_box
from .pending import (
    APPLY_DEADLINE,
    AuditLog,
    Check,
    GridCheck,
    PendingChanges,
    StoredStatus,
    ValueCheck,
)
from .private_io import locked_async

if TYPE_CHECKING:
    from .service import OigService

log = logging.getLogger(__name__)
Decision = Literal["preview", "confirmed", "declined"]
APPLY_NOTE = "The box applies changes within about 10 minutes (sometimes up to an hour)."
EXPORT_LEGAL_NOTE = (
    "Exporting to the grid needs your distributor's approval; exporting without it can be "
    "penalised (see https://portal.oigpower.cz/pretoky-sankce.pdf)."
)
MODE_CODES = {name: code for code, name in BOX_MODES.items()}
GRID_VALUES = {"off": 0, "on": 1, "limited": 2}


@dataclass
class WritePlan:
    """One intended write: what is, what is asked, what it does and what would be sent."""

    tool: WriteTool
    box_id: str
    current: str | None
    requested: str
    effect: str
    script: str
    body: dict[str, Any]
    check: Check
    arguments: dict[str, Any] = field(default_factory=dict)
    unchanged_reason: str | None = None

    def question(self) -> str:
        """The confirmation question put to the user."""
        return (
            f"{self.tool} on box {self.box_id}: change "
            f"{self.current or 'unknown'} to {self.requested}? {self.effect} {APPLY_NOTE}"
        )

    def request(self) -> dict[str, object]:
        """The portal request as shown to the user."""
        return {"script": self.script, "body": self.body}


class WriteService:
    """Plans and performs the four write actions for one `OigService`."""

    def __init__(self, service: OigService) -> None:
        self.service = service
        settings = service.settings
        self.pending = PendingChanges(settings.pending_path)
        self.audit = AuditLog(settings.audit_path, service.now)
        self._lock = asyncio.Lock()
        self._lock_path = settings.state_dir / "write"
        self._allowed = settings.allowed_writes
        self._form = settings.write_encoding == "form"
        self._portal = "The demo box" if settings.demo else "OIG Cloud"

    def _require_enabled(self, tool: str, arguments: Mapping[str, Any]) -> None:
        if tool not in self._allowed:
            self.audit.note(tool, None, arguments, "disabled")
            raise WriteNotAllowedError(
                f"{tool} is disabled; the owner can enable it by starting the server with "
                f"--allow-writes {tool} (or OIG_CLOUD_MCP_ALLOW_WRITES)."
            )

    async def _box(self, box_id: str | None) -> tuple[str, Mapping[str, Any]]:
        return select_box(await self.service.client.live_stats(), box_id)

    async def plan(self, tool: WriteTool, **arguments: Any) -> WritePlan:
        """The plan of one write tool call; refusals are audited as disabled or invalid."""
        self._require_enabled(tool, arguments)
        planners: dict[str, Callable[..., Awaitable[WritePlan]]] = {
            "set_box_mode": self._plan_box_mode,
            "set_grid_delivery": self._plan_grid_delivery,
            "set_boiler_mode": self._plan_boiler_mode,
            "set_battery_grid_charging": self._plan_battery_grid_charging,
        }
        planner = planners[tool]
        try:
            planned = await planner(**arguments)
        except InvalidRequestError as exc:
            box_id = arguments.get("box_id")
            self.audit.note(tool, box_id, arguments, "invalid", str(exc))
            raise
        planned.arguments = dict(arguments)
        try:
            return self._finish(planned)
        except StateFileError as exc:
            raise StateFileError(f"Nothing was sent: {exc}", path=exc.path, kind=exc.kind) from exc

    async def _plan_box_mode(self, mode: str, box_id: str | None) -> WritePlan:
        """Plan `box_prms.mode` = 0..3."""
        if mode not in MODE_CODES:
            raise InvalidRequestError(
                f"Unknown mode '{mode}'; use one of: {', '.join(MODE_CODES)}."
            )
        chosen, box = await self._box(box_id)
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
            unchanged_reason=f"The box is already in {mode}." if current == code else None,
        )

    async def _plan_grid_delivery(
        self, state: str, limit_w: int | None, box_id: str | None
    ) -> WritePlan:
        """Plan ToGrid.Toggle.php with `p_max_feed_grid` always present."""
        if state not in GRID_VALUES:
            raise InvalidRequestError(f"Unknown state '{state}'; use off, on or limited.")
        if state == "limited" and limit_w is None:
            raise InvalidRequestError(
                "state 'limited' needs limit_w, the export limit in W (1-9999)."
            )
        if state != "limited" and limit_w is not None:
            raise InvalidRequestError("limit_w applies only to state 'limited'; leave it out.")
        if limit_w is not None and not 1 <= limit_w <= 9999:
            raise InvalidRequestError(f"limit_w {limit_w} is out of range; use 1 to 9999 W.")
        chosen, box = await self._box(box_id)
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
            unchanged_reason=(
                f"Grid export is already {label}."
                if (now_state, now_limit) == (state, limit_w)
                else None
            ),
        )

    async def _plan_boiler_mode(self, mode: str, box_id: str | None) -> WritePlan:
        """Plan `boiler_prms.manual` = 0 (auto) / 1 (manual)."""
        if mode not in ("auto", "manual"):
            raise InvalidRequestError(f"Unknown boiler mode '{mode}'; use auto or manual.")
        chosen, box = await self._box(box_id)
        if number(section(box, "boiler_prms").get("ison")) in (None, 0) or box.get("boiler") == []:
            raise InvalidRequestError(
                f"Box {chosen} has no boiler module, so there is nothing to set."
            )
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
            unchanged_reason=f"The boiler is already in {mode} mode." if current == value else None,
        )

    async def _plan_battery_grid_charging(self, target_pct: int | None) -> WritePlan:
        """Plan Battery.Format.Save.php (spec §6.4): charge from the grid to a target, or stop."""
        if target_pct is not None and not 20 <= target_pct <= 100:
            raise InvalidRequestError(f"target_pct {target_pct} is out of range; use 20 to 100.")
        chosen, box = await self._box(None)
        current = number(section(box, "box_prms").get("bat_ac"))
        value = target_pct or 0
        return WritePlan(
            tool="set_battery_grid_charging",
            box_id=chosen,
            current=None if current is None else f"target {current} %",
            requested="stop charging from the grid"
            if target_pct is None
            else f"charge from the grid to {target_pct} %",
            effect="Stops charging the battery from the grid."
            if target_pct is None
            else f"Starts charging the battery from the grid now, up to {target_pct} %; this "
            "buys grid energy.",
            script="Battery.Format.Save.php",
            body={"bat_ac": value},
            check=ValueCheck(table="box_prms", column="bat_ac", value=value),
        )

    def _finish(self, plan: WritePlan) -> WritePlan:
        """Treat a change that was already sent and is not resolved yet as unchanged."""
        if plan.unchanged_reason is None:
            plan.unchanged_reason = self._repeat_reason(plan, self.service.now())
        return plan

    def _repeat_reason(self, plan: WritePlan, now: datetime) -> str | None:
        same = self.pending.unresolved(plan.tool, plan.box_id, plan.requested, now)
        if same is None:
            return None
        sent = same.requested_at.astimezone(PORTAL_TZ)
        if same.status == "pending":
            return f"{plan.requested} was already sent at {sent:%H:%M} and is pending. {APPLY_NOTE}"
        retry = (sent + APPLY_DEADLINE).strftime("%H:%M")
        return (
            f"{plan.requested} was already sent at {sent:%H:%M} but its outcome is unknown (no "
            "answer came back), so it is not sent again until the box shows it or "
            f"{retry} passes; check get_basic_data."
        )

    async def execute(self, plan: WritePlan, decision: Decision) -> WriteResult:
        """Preview, decline, or perform the plan's single write."""
        if plan.unchanged_reason is not None:
            self.audit.note(plan.tool, plan.box_id, plan.arguments, "unchanged")
            return _result(plan, "unchanged", f"{plan.unchanged_reason} Nothing was written.")
        if decision == "preview":
            self.audit.note(plan.tool, plan.box_id, plan.arguments, "previewed")
            return _result(
                plan,
                "previewed",
                (
                    f"Preview only, nothing was changed: {plan.current or 'unknown'} -> "
                    f"{plan.requested} on box {plan.box_id}. {plan.effect} {APPLY_NOTE} "
                    "Call again with confirm=true after the user agrees."
                ),
            )
        if decision == "declined":
            self.audit.note(plan.tool, plan.box_id, plan.arguments, "declined")
            return _result(plan, "declined", "The user declined; nothing was written.")
        async with self._lock, locked_async(self._lock_path):
            return await self._send_once(plan)

    async def _send_once(self, plan: WritePlan) -> WriteResult:
        """Under the write lock: decide again, record the intent, send one request, settle."""
        repeat = self._repeat_reason(plan, self.service.now())
        if repeat is not None:
            self.audit.note(plan.tool, plan.box_id, plan.arguments, "unchanged")
            return _result(plan, "unchanged", f"{repeat} Nothing was written.")
        change_id = self._record_intent(plan)
        try:
            reply = await self.service.client.write(plan.script, plan.body, form=self._form)
        except WriteOutcomeUnknownError:
            # Kept as unresolved: if the portal did take it, get_basic_data will show it
            # applied, and a repeat of the same request is not sent meanwhile.
            self._settle(plan, change_id, "unknown", "unknown")
            raise
        except OigError as exc:
            self._settle(plan, change_id, None, "rejected", str(exc))
            raise
        problem = self._settle(plan, change_id, "pending", "written", reply)
        return _result(
            plan,
            "written",
            (
                f"{self._portal} accepted the change {plan.current or 'unknown'} -> "
                f"{plan.requested} for box {plan.box_id}. {APPLY_NOTE} get_basic_data lists it "
                f"under pending_changes until the live data shows it.{problem}"
            ),
        )

    def _record_intent(self, plan: WritePlan) -> str:
        """Pending entry and audit line, durably, before anything is sent."""
        change_id: str | None = None
        try:
            change_id = self.pending.record_intent(
                plan.tool, plan.box_id, plan.requested, plan.check, self.service.now()
            )
            self.audit.record(plan.tool, plan.box_id, plan.arguments, "sending")
        except StateFileError as exc:
            if change_id is not None:
                with contextlib.suppress(OigError):
                    self.pending.settle(change_id, None)
            raise StateFileError(
                f"Nothing was sent: the change could not be recorded first. {exc}",
                path=exc.path,
                kind=exc.kind,
            ) from exc
        return change_id

    def _settle(
        self,
        plan: WritePlan,
        change_id: str,
        status: StoredStatus | None,
        outcome: str,
        detail: str = "",
    ) -> str:
        """Record what happened to a sent write; a failure here is reported, never raised."""
        problems = []
        records: list[Callable[[], None]] = [
            lambda: self.pending.settle(change_id, status),
            lambda: self.audit.record(plan.tool, plan.box_id, plan.arguments, outcome, detail),
        ]
        for record in records:
            try:
                record()
            except OigError as exc:
                log.error("Could not record the outcome of %s: %s", plan.tool, exc)
                problems.append(str(exc))
        if not problems:
            return ""
        return (
            f" (Its record could not be updated: {' '.join(problems)} Until then it is listed "
            "as outcome unknown, which keeps it from being sent twice.)"
        )


def _result(plan: WritePlan, outcome: Any, message: str) -> WriteResult:
    return WriteResult(
        tool=plan.tool,
        box_id=plan.box_id,
        outcome=outcome,
        current=plan.current,
        requested=plan.requested,
        effect=plan.effect,
        message=message,
        request=plan.request(),
    )
