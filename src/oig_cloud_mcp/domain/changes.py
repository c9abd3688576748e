"""Changes sent to a box and tracked until its live data shows them: the rules, pure.

A write is recorded *before* it is sent: an entry in state `sending`. After the send it
becomes `pending` (accepted), `unknown` (no answer) or is removed (refused: nothing
changed). An entry left in `sending` by a process that died mid-write therefore reads as
"outcome unknown", and the same change is not sent again. Unresolved entries become
`applied` when the live data shows the value, or `not_applied` after 60 minutes; all
entries are kept for 24 hours. The state package keeps the list; these functions decide.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, StringConstraints

from .base import Model
from .models import BOX_ID_PATTERN, GridDelivery, PendingChange, WriteToolName
from .parsing import PORTAL_TZ, decode_grid_delivery, number, section

APPLY_DEADLINE = timedelta(minutes=60)
KEEP_FOR = timedelta(hours=24)
UNRESOLVED = ("sending", "pending", "unknown")
StoredStatus = Literal["sending", "pending", "unknown", "applied", "not_applied"]
_SHOWN = {"sending": "outcome_unknown", "unknown": "outcome_unknown"}


class ValueCheck(Model):
    """The live data shows `table.column == value`."""

    table: Annotated[str, StringConstraints(max_length=40)]
    column: Annotated[str, StringConstraints(max_length=40)]
    value: int


class GridCheck(Model):
    """The live data shows this grid-export state and limit."""

    grid: GridDelivery
    limit: int | None = None


Check = ValueCheck | GridCheck


class StoredChange(Model):
    """One tracked change, as the state package keeps it."""

    id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{1,64}$")]
    tool: WriteToolName
    box_id: Annotated[str, StringConstraints(pattern=BOX_ID_PATTERN)]
    requested: Annotated[str, StringConstraints(max_length=200)]
    requested_at: AwareDatetime
    check: Check
    status: StoredStatus


def check_matches(check: Check, box: Mapping[str, Any]) -> bool:
    """Whether a box's live data shows the value a write asked for."""
    if isinstance(check, GridCheck):
        return decode_grid_delivery(box) == (check.grid, check.limit)
    value = number(section(box, check.table).get(check.column))
    return value is not None and value == check.value


def age(entry: StoredChange, now: datetime) -> timedelta:
    """How long ago the change was requested; a time in the future counts as now."""
    return max(now - entry.requested_at, timedelta(0))


def unresolved(
    entries: list[StoredChange], tool: str, box_id: str, now: datetime
) -> StoredChange | None:
    """The newest change of `tool` on `box_id` that was sent and is not resolved yet
    (pending, or outcome unknown, within the 60 minutes), whatever value it asked for."""
    found = None
    for entry in entries:
        mine = (entry.tool, entry.box_id) == (tool, box_id)
        if mine and entry.status in UNRESOLVED and age(entry, now) <= APPLY_DEADLINE:
            found = entry
    return found


def new_change(
    tool: WriteToolName, box_id: str, requested: str, check: Check, now: datetime
) -> StoredChange:
    """A change about to be sent (state `sending`)."""
    return StoredChange(
        id=secrets.token_hex(8),
        tool=tool,
        box_id=box_id,
        requested=requested,
        requested_at=now.replace(microsecond=0),
        check=check,
        status="sending",
    )


def with_intent(entries: list[StoredChange], change: StoredChange) -> list[StoredChange]:
    """`entries` with `change` added; it supersedes unresolved ones of its tool and box."""
    kept = [
        e
        for e in entries
        if not (e.tool == change.tool and e.box_id == change.box_id and e.status in UNRESOLVED)
    ]
    return [*kept, change]


def settled(
    entries: list[StoredChange], change_id: str, status: StoredStatus | None
) -> list[StoredChange]:
    """`entries` after a send: the change's new status, or without it (None: nothing was
    changed)."""
    if status is None:
        return [e for e in entries if e.id != change_id]
    return [e.model_copy(update={"status": status}) if e.id == change_id else e for e in entries]


def reviewed(
    entries: list[StoredChange], box_id: str, box: Mapping[str, Any], now: datetime
) -> list[StoredChange]:
    """`entries` resolved from the live data of `box_id`: applied when it shows the value,
    not applied after the deadline; entries older than a day are dropped."""
    kept = []
    for entry in entries:
        entry_age = age(entry, now)
        if entry_age > KEEP_FOR:
            continue
        if entry.box_id == box_id and entry.status in UNRESOLVED:
            if check_matches(entry.check, box):
                entry = entry.model_copy(update={"status": "applied"})
            elif entry_age > APPLY_DEADLINE:
                entry = entry.model_copy(update={"status": "not_applied"})
        kept.append(entry)
    return kept


def shown(entries: list[StoredChange], box_id: str) -> list[PendingChange]:
    """The changes of `box_id` as get_basic_data lists them."""
    return [
        PendingChange(
            tool=e.tool,
            box_id=e.box_id,
            requested=e.requested,
            requested_at=e.requested_at.astimezone(PORTAL_TZ).isoformat(timespec="seconds"),
            status=_SHOWN.get(e.status, e.status),  # type: ignore[arg-type]
        )
        for e in entries
        if e.box_id == box_id
    ]
