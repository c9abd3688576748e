"""Write actions: preview, or confirm and send exactly one well-formed write.

Every write tool first builds a `WritePlan` (see `write_plans`) from the live data, which
is what a preview shows and an elicitation asks about. A confirmed plan is sent only after
a matching preview, one at a time across processes, recorded before it is sent and settled
after.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from ..domain.models import WriteResult, WriteTool
from ..domain.parsing import PORTAL_TZ, select_box
from ..domain.write_plans import (
    APPLY_NOTE,
    PLANNERS,
    WritePlan,
)
from ..errors import (
    InvalidRequestError,
    OigError,
    StateFileError,
    WriteNotAllowedError,
    WriteOutcomeUnknownError,
)
from ..state.local.files import locked_async
from ..state.local.pending import (
    APPLY_DEADLINE,
    AuditLog,
    PendingChanges,
    StoredChange,
    StoredStatus,
)

if TYPE_CHECKING:
    from .reads import OigService

log = logging.getLogger(__name__)
Decision = Literal["preview", "confirmed", "accepted", "declined"]
"""preview: no confirm; confirmed: the model's `confirm: true` (sent only after a preview);
accepted: the user accepted the confirmation dialog (elicitation); declined: they did not."""
PREVIEW_VALID_FOR = timedelta(minutes=30)
"""A `confirm: true` is sent only if this process previewed the same change this recently."""
SHOW_FIRST = (
    "Nothing was sent: a change is first shown to the user as this preview and confirmed "
    "after. Show it to the user, and call again with confirm=true only if they agree."
)


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
        self._previewed: dict[tuple[str, str, str], datetime] = {}

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
        planner = PLANNERS[tool]
        try:
            planned = await planner(self._box, **arguments)
        except InvalidRequestError as exc:
            box_id = arguments.get("box_id")
            self.audit.note(tool, box_id, arguments, "invalid", str(exc))
            raise
        planned.arguments = dict(arguments)
        try:
            return self._finish(planned)
        except StateFileError as exc:
            raise StateFileError(f"Nothing was sent: {exc}", path=exc.path, kind=exc.kind) from exc

    def _finish(self, plan: WritePlan) -> WritePlan:
        """Decide whether there is anything to send, given the changes not resolved yet."""
        self._decide(plan, self.service.now())
        return plan

    def _decide(self, plan: WritePlan, now: datetime) -> None:
        """Set `unchanged_reason` and `replaces` from the live value and the pending changes.

        The same change still unresolved is not sent again. Another value still unresolved
        is replaced, even by the value the box shows now: that one undoes it.
        """
        other = self.pending.unresolved(plan.tool, plan.box_id, now)
        plan.replaces = None
        if other is None:
            plan.unchanged_reason = plan.already
        elif other.requested == plan.requested:
            plan.unchanged_reason = _repeat_reason(other)
        else:
            plan.unchanged_reason = None
            plan.replaces = _replaces(other)

    async def execute(
        self, plan: WritePlan, decision: Decision, *, asked: WritePlan | None = None
    ) -> WriteResult:
        """Preview, decline, or perform the plan's single write.

        `asked` is the plan the user's accepted dialog showed (decision "accepted").
        """
        if plan.unchanged_reason is not None:
            self.audit.note(plan.tool, plan.box_id, plan.arguments, "unchanged")
            return _result(plan, "unchanged", f"{plan.unchanged_reason} Nothing was written.")
        if decision == "preview":
            return self._preview(plan, "Call again with confirm=true after the user agrees.")
        if decision == "declined":
            self.audit.note(plan.tool, plan.box_id, plan.arguments, "declined")
            return _result(plan, "declined", "The user declined; nothing was written.")
        if decision == "confirmed" and not self._was_previewed(plan):
            return self._preview(plan, SHOW_FIRST, detail="confirm=true without a preview")
        if decision == "accepted":
            self._check_asked(plan, asked)
        async with self._lock, locked_async(self._lock_path):
            return await self._send_once(plan)

    def _preview(self, plan: WritePlan, ending: str, detail: str = "") -> WriteResult:
        """Show the plan, and remember that this process showed it (see `_was_previewed`)."""
        now = self.service.now()
        self._previewed = {
            key: when for key, when in self._previewed.items() if now - when <= PREVIEW_VALID_FOR
        }
        self._previewed[plan.key()] = now
        self.audit.note(plan.tool, plan.box_id, plan.arguments, "previewed", detail)
        return _result(
            plan,
            "previewed",
            (
                f"Preview only, nothing was changed: {plan.current or 'unknown'} -> "
                f"{plan.requested} on box {plan.box_id}.{plan.replacing()} {plan.effect} "
                f"{APPLY_NOTE} {ending}"
            ),
        )

    def _was_previewed(self, plan: WritePlan) -> bool:
        """Whether this process previewed the same change in the last 30 minutes."""
        shown = self._previewed.get(plan.key())
        return shown is not None and timedelta(0) <= self.service.now() - shown <= PREVIEW_VALID_FOR

    def _check_asked(self, plan: WritePlan, asked: WritePlan | None) -> None:
        """The user accepted a dialog about `asked`: send nothing if this plan is another."""
        if asked is not None and asked.key() == plan.key():
            return
        what = "nothing" if asked is None else f"{asked.requested} on box {asked.box_id}"
        reason = (
            f"The user confirmed {what}, but this call would now send {plan.requested} on box "
            f"{plan.box_id}, so nothing was written; ask again."
        )
        self.audit.note(plan.tool, plan.box_id, plan.arguments, "invalid", reason)
        raise InvalidRequestError(reason)

    async def _send_once(self, plan: WritePlan) -> WriteResult:
        """Under the write lock: decide again, record the intent, send one request, settle."""
        self._decide(plan, self.service.now())
        if plan.unchanged_reason is not None:
            self.audit.note(plan.tool, plan.box_id, plan.arguments, "unchanged")
            return _result(plan, "unchanged", f"{plan.unchanged_reason} Nothing was written.")
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
                f"{plan.requested} for box {plan.box_id}.{plan.replacing()} {APPLY_NOTE} "
                "get_basic_data lists it under pending_changes until the live data shows "
                f"it.{problem}"
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


def _sent_at(change: StoredChange) -> str:
    return f"{change.requested_at.astimezone(PORTAL_TZ):%H:%M}"


def _repeat_reason(same: StoredChange) -> str:
    """Why the same change, sent and not resolved yet, is not sent again."""
    if same.status == "pending":
        return f"{same.requested} was already sent at {_sent_at(same)} and is pending. {APPLY_NOTE}"
    retry = (same.requested_at.astimezone(PORTAL_TZ) + APPLY_DEADLINE).strftime("%H:%M")
    return (
        f"{same.requested} was already sent at {_sent_at(same)} but its outcome is unknown (no "
        "answer came back), so it is not sent again until the box shows it or "
        f"{retry} passes; check get_basic_data."
    )


def _replaces(other: StoredChange) -> str:
    """The sentence saying that a change replaces another one not resolved yet."""
    state = (
        "which the box has not applied yet"
        if other.status == "pending"
        else "whose outcome is unknown (no answer came back)"
    )
    return f"It replaces the change to {other.requested} sent at {_sent_at(other)}, {state}."


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
