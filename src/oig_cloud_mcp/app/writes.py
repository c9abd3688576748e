"""The write use cases: preview, or confirm and send exactly one well-formed write.

Every write tool first builds a `WritePlan` (see `domain.write_plans`) from the live data,
which is what a preview shows and an elicitation asks about. A confirmed plan is sent only
after the same principal was shown the same change (the preview ledger), one at a time per
account across processes (the write lock), recorded before it is sent and settled after.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from ..config import ENV_ALLOW_WRITES
from ..domain.audit import audit_entry
from ..domain.changes import (
    APPLY_DEADLINE,
    StoredChange,
    StoredStatus,
    new_change,
    settled,
    unresolved,
    with_intent,
)
from ..domain.models import WriteResult, WriteToolName
from ..domain.parsing import PORTAL_TZ, select_box
from ..domain.write_plans import APPLY_NOTE, PLANNERS, WritePlan
from ..errors import (
    InvalidRequestError,
    OigError,
    StateFileError,
    WriteNotAllowedError,
    WriteOutcomeUnknownError,
)
from ..portal.failed_writes import RESENT
from .observe import write_counted, write_outcome, write_step

if TYPE_CHECKING:
    from ..state.ports import WriteLease
    from .context import App

log = logging.getLogger(__name__)
Decision = Literal["preview", "confirmed", "accepted", "declined"]
"""preview: no confirm; confirmed: the model's `confirm: true` (sent only after a preview);
accepted: the user accepted the confirmation dialog (elicitation); declined: they did not."""
PREVIEW_VALID_FOR = timedelta(minutes=30)
"""A `confirm: true` is sent only if the same principal previewed the change this recently."""
SHOW_FIRST = (
    "Nothing was sent: a change is first shown to the user as this preview and confirmed "
    "after. Show it to the user, and call again with confirm=true only if they agree."
)
CONFIRM_AFTER = "Call again with confirm=true after the user agrees."
RESENT_DETAIL = "sent again after a new login: the first send met an ended session"
"""The audit line's note on a write accepted on its second send."""


def write_disabled(tool: str) -> str:
    """The one sentence for a write tool the owner has not enabled."""
    return (
        f"{tool} is disabled; the owner can enable it by starting the server with "
        f"--allow-writes {tool} (or {ENV_ALLOW_WRITES}={tool})."
    )


class Writes:
    """Plans and performs the write actions of one household."""

    def __init__(self, app: App) -> None:
        self.app = app
        settings = app.settings
        self._allowed = settings.allowed_writes
        self._form = settings.write_encoding == "form"
        self._portal = "The demo box" if settings.demo else "OIG Cloud"

    # -- the audit log ------------------------------------------------------------------

    async def record(
        self,
        tool: str,
        box_id: str | None,
        arguments: Mapping[str, Any],
        outcome: str,
        detail: str = "",
    ) -> None:
        """Append one audit line, durably; raises `StateFileError` when it cannot."""
        if outcome != "sending":  # the intent: its outcome follows
            write_counted(tool, outcome)
        entry = audit_entry(self.app.now(), tool, box_id, arguments, outcome, detail)
        await self.app.state.audit.append(entry)

    async def note(
        self,
        tool: str,
        box_id: str | None,
        arguments: Mapping[str, Any],
        outcome: str,
        detail: str = "",
    ) -> None:
        """Append one audit line when possible; a failure is logged, not raised."""
        try:
            await self.record(tool, box_id, arguments, outcome, detail)
        except StateFileError as exc:
            log.warning("Could not write the audit log: %s", exc)

    # -- planning -----------------------------------------------------------------------

    async def require_enabled(self, tool: str, arguments: Mapping[str, Any]) -> None:
        """Refuse (and audit) a write tool the owner has not enabled."""
        if tool not in self._allowed:
            await self.note(tool, None, arguments, "disabled")
            raise WriteNotAllowedError(write_disabled(tool))

    async def _box(self, box_id: str | None) -> tuple[str, Mapping[str, Any]]:
        return select_box(await self.app.client.live_stats(), box_id)

    async def plan(self, tool: WriteToolName, **arguments: Any) -> WritePlan:
        """The plan of one write tool call; refusals are audited as disabled or invalid."""
        await self.require_enabled(tool, arguments)
        planner = PLANNERS[tool]
        try:
            planned = await planner(self._box, **arguments)
        except InvalidRequestError as exc:
            box_id = arguments.get("box_id")
            await self.note(tool, box_id, arguments, "invalid", str(exc))
            raise
        planned.arguments = dict(arguments)
        try:
            await self._decide(planned, self.app.now())
        except StateFileError as exc:
            raise StateFileError(f"Nothing was sent: {exc}", path=exc.path, kind=exc.kind) from exc
        return planned

    async def _account(self) -> str:
        return await self.app.client.account()

    async def _decide(self, plan: WritePlan, now: datetime, *, holding: bool = False) -> None:
        """Set `unchanged_reason` and `replaces` from the live value and the pending changes.

        The same change still unresolved is not sent again. Another value still unresolved
        is replaced, even by the value the box shows now: that one undoes it. `holding`:
        the caller holds the write lock, so no other write can be in flight.
        """
        account = await self._account()
        entries = await self.app.state.pending.changes(account)
        other = unresolved(entries, plan.tool, plan.box_id, now)
        plan.replaces = None
        # `sending` with the write lock held: in flight now; with it free: its process died
        in_flight = (
            other is not None
            and other.status == "sending"
            and not holding
            and await self.app.state.write_lock.busy(account)
        )
        if other is None:
            plan.unchanged_reason = plan.already
        elif other.requested == plan.requested:
            plan.unchanged_reason = _repeat_reason(other, in_flight=in_flight)
        else:
            plan.unchanged_reason = None
            plan.replaces = _replaces(other, in_flight=in_flight)

    # -- deciding and sending -----------------------------------------------------------

    async def execute(
        self,
        plan: WritePlan,
        decision: Decision,
        *,
        principal: str,
        asked: WritePlan | None = None,
    ) -> WriteResult:
        """Preview, decline, or perform the plan's single write for `principal`.

        `asked` is the plan the user's accepted dialog showed (decision "accepted").
        """
        if plan.unchanged_reason is not None:
            await self.note(plan.tool, plan.box_id, plan.arguments, "unchanged")
            return _result(plan, "unchanged", f"{plan.unchanged_reason} Nothing was written.")
        if decision == "preview":
            return await self._preview(plan, principal, CONFIRM_AFTER)
        if decision == "declined":
            await self.note(plan.tool, plan.box_id, plan.arguments, "declined")
            return _result(plan, "declined", "The user declined; nothing was written.")
        if decision == "confirmed" and not await self._was_previewed(plan, principal):
            return await self._preview(
                plan, principal, SHOW_FIRST, detail="confirm=true without a preview"
            )
        if decision == "accepted":
            await self._check_asked(plan, asked)
        async with self.app.state.write_lock.hold(await self._account()) as lease:
            return await self._send_once(plan, lease)

    async def _preview(
        self, plan: WritePlan, principal: str, ending: str, detail: str = ""
    ) -> WriteResult:
        """Show the plan, and note that `principal` was shown it (see `_was_previewed`)."""
        await self.app.state.previews.remember(principal, _change_key(plan), self.app.now())
        await self.note(plan.tool, plan.box_id, plan.arguments, "previewed", detail)
        return _result(
            plan,
            "previewed",
            (
                f"Preview only, nothing was changed: {plan.current or 'unknown'} -> "
                f"{plan.requested} on box {plan.box_id}.{plan.replacing()} {plan.effect} "
                f"{APPLY_NOTE} {ending}"
            ),
        )

    async def _was_previewed(self, plan: WritePlan, principal: str) -> bool:
        """Whether `principal` was shown the same change in the last 30 minutes."""
        shown = await self.app.state.previews.shown_at(principal, _change_key(plan))
        return shown is not None and timedelta(0) <= self.app.now() - shown <= PREVIEW_VALID_FOR

    async def _check_asked(self, plan: WritePlan, asked: WritePlan | None) -> None:
        """The user accepted a dialog about `asked`: send nothing if this plan is another."""
        if asked is not None and asked.key() == plan.key():
            return
        what = "nothing" if asked is None else f"{asked.requested} on box {asked.box_id}"
        reason = (
            f"The user confirmed {what}, but this call would now send {plan.requested} on box "
            f"{plan.box_id}, so nothing was written; ask again."
        )
        await self.note(plan.tool, plan.box_id, plan.arguments, "invalid", reason)
        raise InvalidRequestError(reason)

    async def _send_once(self, plan: WritePlan, lease: WriteLease) -> WriteResult:
        """Under the write lock: decide again, record the intent, send one request, settle."""
        await self._decide(plan, self.app.now(), holding=True)
        if plan.unchanged_reason is not None:
            await self.note(plan.tool, plan.box_id, plan.arguments, "unchanged")
            return _result(plan, "unchanged", f"{plan.unchanged_reason} Nothing was written.")
        with write_step("oig.write.intent", plan.tool):
            change_id = await self._record_intent(plan, lease)
        try:
            with write_step("oig.write.send", plan.tool):
                reply = await self.app.client.write(plan.script, plan.body, form=self._form)
        except WriteOutcomeUnknownError:
            # Kept as unresolved: if the portal did take it, get_basic_data will show it
            # applied, and a repeat of the same request is not sent meanwhile.
            await self._settle(plan, change_id, "unknown", "unknown")
            raise
        except OigError as exc:
            await self._settle(plan, change_id, None, "rejected", str(exc))
            raise
        detail = f"{reply.message} ({RESENT_DETAIL})" if reply.resent else reply.message
        problem = await self._settle(plan, change_id, "pending", "written", detail)
        return _result(
            plan,
            "written",
            (
                f"{self._portal} accepted the change {plan.current or 'unknown'} -> "
                f"{plan.requested} for box {plan.box_id}.{' ' + RESENT if reply.resent else ''}"
                f"{plan.replacing()} {APPLY_NOTE} get_basic_data lists it under "
                f"pending_changes until the live data shows it.{problem}"
            ),
        )

    async def _record_intent(self, plan: WritePlan, lease: WriteLease) -> str:
        """Pending entry and audit line, durably, before anything is sent; the entry is kept
        only while this call still holds the write lock (`lease`, the fence)."""
        account = await self._account()
        change = new_change(plan.tool, plan.box_id, plan.requested, plan.check, self.app.now())
        recorded = False
        try:
            await self.app.state.pending.update(
                account, lambda e: with_intent(e, change), fence=lease
            )
            recorded = True
            await self.record(plan.tool, plan.box_id, plan.arguments, "sending")
        except StateFileError as exc:
            if recorded:
                with contextlib.suppress(OigError):
                    await self.app.state.pending.update(
                        account, lambda e: settled(e, change.id, None)
                    )
            raise StateFileError(
                f"Nothing was sent: the change could not be recorded first. {exc}",
                path=exc.path,
                kind=exc.kind,
            ) from exc
        return change.id

    async def _settle(
        self,
        plan: WritePlan,
        change_id: str,
        status: StoredStatus | None,
        outcome: str,
        detail: str = "",
    ) -> str:
        """Record what happened to a sent write; a failure here is reported, never raised."""
        with write_step("oig.write.outcome", plan.tool):
            write_outcome(outcome)
            return await self._settled(plan, change_id, status, outcome, detail)

    async def _settled(
        self,
        plan: WritePlan,
        change_id: str,
        status: StoredStatus | None,
        outcome: str,
        detail: str,
    ) -> str:
        account = await self._account()
        problems = []
        records: list[Callable[[], Awaitable[Any]]] = [
            lambda: self.app.state.pending.update(account, lambda e: settled(e, change_id, status)),
            lambda: self.record(plan.tool, plan.box_id, plan.arguments, outcome, detail),
        ]
        for record in records:
            try:
                await record()
            except OigError as exc:
                log.error("Could not record the outcome of %s: %s", plan.tool, exc)
                problems.append(str(exc))
        if not problems:
            return ""
        return (
            f" (Its record could not be updated: {' '.join(problems)} Until then it is listed "
            "as outcome unknown, which keeps it from being sent twice.)"
        )


def _change_key(plan: WritePlan) -> str:
    """The preview ledger's name of a change: tool, box and requested value."""
    return "\n".join(plan.key())


def _sent_at(change: StoredChange) -> str:
    return f"{change.requested_at.astimezone(PORTAL_TZ):%H:%M}"


def _repeat_reason(same: StoredChange, *, in_flight: bool = False) -> str:
    """Why the same change, sent and not resolved yet, is not sent again."""
    if same.status == "pending":
        return f"{same.requested} was already sent at {_sent_at(same)} and is pending. {APPLY_NOTE}"
    if in_flight:
        return (
            f"{same.requested} is being sent now (since {_sent_at(same)}, by another call), "
            "so it is not sent twice; check get_basic_data in a minute for OIG Cloud's answer."
        )
    retry = (same.requested_at.astimezone(PORTAL_TZ) + APPLY_DEADLINE).strftime("%H:%M")
    return (
        f"{same.requested} was already sent at {_sent_at(same)} but its outcome is unknown (no "
        "answer came back), so it is not sent again until the box shows it or "
        f"{retry} passes; check get_basic_data."
    )


def _replaces(other: StoredChange, *, in_flight: bool = False) -> str:
    """The sentence saying that a change replaces another one not resolved yet."""
    if other.status == "pending":
        state = "which the box has not applied yet"
    elif in_flight:
        state = "which is being sent now (this one goes after it)"
    else:
        state = "whose outcome is unknown (no answer came back)"
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
