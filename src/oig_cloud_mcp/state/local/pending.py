"""Pending changes and the audit log of write tools, both in the user state directory.

A write is recorded *before* it is sent: a pending entry in state `sending` and an audit
line, both fsynced. After the send the entry becomes `pending` (accepted), `unknown` (no
answer) or is removed (refused: nothing changed). An entry left in `sending` by a process
that died mid-write therefore reads as "outcome unknown", and the same change is not sent
again. Unresolved entries become `applied` when the live data shows the value, or
`not_applied` after 60 minutes; all entries are kept for 24 hours.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, RootModel, StringConstraints

from ...domain.models import BOX_ID_PATTERN, GridDelivery, PendingChange, WriteTool
from ...domain.parsing import PORTAL_TZ, decode_grid_delivery, number, section
from ...errors import StateFileError
from .files import MAX_BYTES, append_private, read_private, read_tail
from .state_file import StateFile, json_codec

log = logging.getLogger(__name__)

APPLY_DEADLINE = timedelta(minutes=60)
KEEP_FOR = timedelta(hours=24)
UNRESOLVED = ("sending", "pending", "unknown")
StoredStatus = Literal["sending", "pending", "unknown", "applied", "not_applied"]
_SHOWN = {"sending": "outcome_unknown", "unknown": "outcome_unknown"}


class ValueCheck(BaseModel):
    """The live data shows `table.column == value`."""

    table: Annotated[str, StringConstraints(max_length=40)]
    column: Annotated[str, StringConstraints(max_length=40)]
    value: int


class GridCheck(BaseModel):
    """The live data shows this grid-export state and limit."""

    grid: GridDelivery
    limit: int | None = None


Check = ValueCheck | GridCheck


class StoredChange(BaseModel):
    """One entry of `pending_changes.json`."""

    id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{1,64}$")]
    tool: WriteTool
    box_id: Annotated[str, StringConstraints(pattern=BOX_ID_PATTERN)]
    requested: Annotated[str, StringConstraints(max_length=200)]
    requested_at: AwareDatetime
    check: Check
    status: StoredStatus


class PendingFile(RootModel[list[StoredChange]]):
    """`pending_changes.json`."""

    root: list[StoredChange] = Field(default_factory=list)


def check_matches(check: Check, box: Mapping[str, Any]) -> bool:
    """Whether a box's live data shows the value a write asked for."""
    if isinstance(check, GridCheck):
        return decode_grid_delivery(box) == (check.grid, check.limit)
    value = number(section(box, check.table).get(check.column))
    return value is not None and value == check.value


def _age(entry: StoredChange, now: datetime) -> timedelta:
    """How long ago the change was requested; a time in the future counts as now."""
    return max(now - entry.requested_at, timedelta(0))


class PendingChanges:
    """The pending-changes file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = StateFile(path, json_codec(PendingFile))

    def unresolved(self, tool: str, box_id: str, now: datetime) -> StoredChange | None:
        """The newest change of `tool` on `box_id` that was sent and is not resolved yet
        (pending, or outcome unknown, within the 60 minutes), whatever value it asked for."""
        found = None
        for entry in self.file.read().root:
            mine = (entry.tool, entry.box_id) == (tool, box_id)
            if mine and entry.status in UNRESOLVED and _age(entry, now) <= APPLY_DEADLINE:
                found = entry
        return found

    def record_intent(
        self, tool: WriteTool, box_id: str, requested: str, check: Check, now: datetime
    ) -> str:
        """Durably record a write about to be sent; it supersedes older ones of the tool."""
        change = StoredChange(
            id=secrets.token_hex(8),
            tool=tool,
            box_id=box_id,
            requested=requested,
            requested_at=now.replace(microsecond=0),
            check=check,
            status="sending",
        )

        def add(value: PendingFile) -> PendingFile:
            kept = [
                e
                for e in value.root
                if not (e.tool == tool and e.box_id == box_id and e.status in UNRESOLVED)
            ]
            return PendingFile([*kept, change])

        self.file.update(add)
        return change.id

    def settle(self, change_id: str, status: StoredStatus | None) -> None:
        """After the send: set the entry's status, or remove it (None: nothing was changed)."""

        def apply(value: PendingFile) -> PendingFile:
            if status is None:
                return PendingFile([e for e in value.root if e.id != change_id])
            for entry in value.root:
                if entry.id == change_id:
                    entry.status = status
            return value

        self.file.update(apply)

    def review(self, box_id: str, box: Mapping[str, Any], now: datetime) -> list[PendingChange]:
        """Resolve the entries of `box_id` from its live data and return them."""
        with self.file.transaction() as tx:
            kept, changed = [], False
            for entry in tx.value.root:
                age = _age(entry, now)
                if age > KEEP_FOR:
                    changed = True
                    continue
                if entry.box_id == box_id and entry.status in UNRESOLVED:
                    if check_matches(entry.check, box):
                        entry.status, changed = "applied", True
                    elif age > APPLY_DEADLINE:
                        entry.status, changed = "not_applied", True
                kept.append(entry)
            if changed:
                tx.value = PendingFile(kept)
                tx.save()
        return [
            PendingChange(
                tool=e.tool,
                box_id=e.box_id,
                requested=e.requested,
                requested_at=e.requested_at.astimezone(PORTAL_TZ).isoformat(timespec="seconds"),
                status=_SHOWN.get(e.status, e.status),  # type: ignore[arg-type]
            )
            for e in kept
            if e.box_id == box_id
        ]


AUDIT_TEXT_CHARS = 200
"""Each text in an audit line (argument value, box id) is cut to this many characters,
so every line stays whole, valid JSON however much a caller sends."""
AUDIT_NAME_CHARS = 40
AUDIT_ARGUMENTS = 10
"""At most this many arguments are recorded per line (the rest are counted)."""
AUDIT_DETAIL_CHARS = 600
TAIL_BYTES = 65536
"""How much of a log grown past `MAX_BYTES` `last()` reads, from its end."""


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _audited_value(value: object) -> object:
    """`value` as an audit line keeps it: small JSON scalars as they are, anything else as
    text of at most `AUDIT_TEXT_CHARS` characters."""
    if isinstance(value, str):
        return _cut(value, AUDIT_TEXT_CHARS)
    small_int = isinstance(value, int) and abs(value) < 10**15  # bool included
    if value is None or small_int or (isinstance(value, float) and math.isfinite(value)):
        return value
    try:
        text = json.dumps(_sketch(value), ensure_ascii=False, default=str)
    except ValueError:  # an integer of more than 4300 digits
        text = f"{type(value).__name__} too large to record"
    return _cut(text, AUDIT_TEXT_CHARS)


def _sketch(value: object, depth: int = 3) -> object:
    """Enough of a nested value to fill `AUDIT_TEXT_CHARS`: a few items, short strings,
    a few levels; serialising it costs little whatever the value's size."""
    if isinstance(value, str):
        return _cut(value, AUDIT_TEXT_CHARS)
    if isinstance(value, list | tuple | dict) and depth == 0:
        return "…"
    if isinstance(value, list | tuple):
        return [_sketch(item, depth - 1) for item in value[:AUDIT_ARGUMENTS]]
    if isinstance(value, dict):
        items = itertools.islice(value.items(), AUDIT_ARGUMENTS)
        return {_cut(str(k), AUDIT_NAME_CHARS): _sketch(v, depth - 1) for k, v in items}
    return value


def audited_arguments(arguments: Mapping[str, Any]) -> dict[str, object]:
    """The arguments as an audit line records them: names and values cut to size."""
    kept: dict[str, object] = {}
    for name, value in itertools.islice(arguments.items(), AUDIT_ARGUMENTS):
        kept[_cut(str(name), AUDIT_NAME_CHARS)] = _audited_value(value)
    if len(arguments) > AUDIT_ARGUMENTS:
        kept["…"] = f"{len(arguments) - AUDIT_ARGUMENTS} more arguments"
    return kept


class AuditLog:
    """Append-only JSON lines: time, tool, box, arguments, outcome; every line is whole
    JSON (values are cut to size before they are written)."""

    def __init__(
        self, path: Path, now: Callable[[], datetime] = lambda: datetime.now(PORTAL_TZ)
    ) -> None:
        self.path = path
        self._now = now

    def record(
        self,
        tool: str,
        box_id: str | None,
        arguments: Mapping[str, Any],
        outcome: str,
        detail: str = "",
    ) -> None:
        """Append one entry, durably; raises `StateFileError` when it cannot."""
        entry = {
            "time": self._now().isoformat(timespec="seconds"),
            "tool": _cut(tool, AUDIT_NAME_CHARS),
            "box_id": None if box_id is None else _cut(box_id, AUDIT_TEXT_CHARS),
            "arguments": audited_arguments(arguments),
            "outcome": outcome,
        }
        if detail:
            entry["detail"] = _cut(detail, AUDIT_DETAIL_CHARS)
        append_private(self.path, json.dumps(entry, ensure_ascii=False, default=str))

    def note(
        self,
        tool: str,
        box_id: str | None,
        arguments: Mapping[str, Any],
        outcome: str,
        detail: str = "",
    ) -> None:
        """Append one entry when possible; a failure is logged, not raised."""
        try:
            self.record(tool, box_id, arguments, outcome, detail)
        except StateFileError as exc:
            log.warning("Could not write the audit log: %s", exc)

    def last(self, count: int = 5) -> list[dict[str, Any]]:
        """The newest `count` readable entries, oldest first (raises if the log is unreadable)."""
        data = read_private(self.path) if self._small() else self._tail()
        entries = []
        for line in (data or b"").decode("utf-8", "replace").splitlines()[-count * 4 :]:
            try:
                entry = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries[-count:]

    def _small(self) -> bool:
        try:
            return self.path.lstat().st_size <= MAX_BYTES
        except OSError:
            return True  # let read_private say what is wrong

    def _tail(self) -> bytes:
        """The whole lines in the last `TAIL_BYTES` of the log; a log that cannot be read
        raises `StateFileError` naming it."""
        data = read_tail(self.path, TAIL_BYTES) or b""
        return data.split(b"\n", 1)[-1]
