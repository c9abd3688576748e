"""Pending changes and the audit log of write tools, both in the user state directory.

A pending change is a write the portal accepted; it stays `pending` until the live data
shows the new value (`applied`) or 60 minutes pass (`not_applied`). The audit log is
JSON lines, 0600, and records arguments and outcomes, never secrets.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .models import PendingChange
from .parsing import PORTAL_TZ, decode_grid_delivery, number, section
from .private_files import append_private, locked, read_json, write_json

APPLY_DEADLINE = timedelta(minutes=60)
KEEP_FOR = timedelta(hours=24)

Check = dict[str, Any]
"""What the live data must show: {"table", "column", "value"} or {"grid": state, "limit": w}."""


def check_matches(check: Check, box: Mapping[str, Any]) -> bool:
    """Whether a box's live data shows the value a write asked for."""
    if "grid" in check:
        return decode_grid_delivery(box) == (check["grid"], check.get("limit"))
    value = number(section(box, str(check["table"])).get(str(check["column"])))
    return value is not None and value == check["value"]


class PendingChanges:
    """The pending-changes file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _entries(self) -> list[dict[str, Any]]:
        data = read_json(self.path)
        return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []

    def add(self, tool: str, box_id: str, requested: str, check: Check, now: datetime) -> None:
        """Record an accepted write; it supersedes a still-pending one of the same tool and box."""
        entry = {
            "tool": tool,
            "box_id": box_id,
            "requested": requested,
            "requested_at": now.isoformat(timespec="seconds"),
            "check": check,
            "status": "pending",
        }
        with locked(self.path):
            kept = [
                e
                for e in self._entries()
                if not (e.get("tool") == tool and e.get("box_id") == box_id)
                or e.get("status") != "pending"
            ]
            write_json(self.path, [*kept, entry])

    def review(self, box_id: str, box: Mapping[str, Any], now: datetime) -> list[PendingChange]:
        """Update the statuses for `box_id` from its live data and return its changes."""
        with locked(self.path):
            entries = self._entries()
            kept, changed = [], False
            for entry in entries:
                try:
                    when = datetime.fromisoformat(str(entry["requested_at"]))
                except (KeyError, ValueError):
                    changed = True
                    continue
                if now - when > KEEP_FOR:
                    changed = True
                    continue
                if entry.get("box_id") == box_id and entry.get("status") == "pending":
                    status = _status(entry, box, now - when)
                    changed = changed or status != "pending"
                    entry["status"] = status
                kept.append(entry)
            if changed:
                write_json(self.path, kept)
        return [
            PendingChange(
                tool=e["tool"],
                box_id=e["box_id"],
                requested=e["requested"],
                requested_at=e["requested_at"],
                status=e["status"],
            )
            for e in kept
            if e.get("box_id") == box_id
        ]


def _status(entry: Mapping[str, Any], box: Mapping[str, Any], age: timedelta) -> str:
    check = entry.get("check")
    if isinstance(check, dict) and check_matches(check, box):
        return "applied"
    return "not_applied" if age > APPLY_DEADLINE else "pending"


class AuditLog:
    """Append-only JSON lines: time, tool, box, arguments, outcome."""

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
        """Append one entry."""
        entry = {
            "time": self._now().isoformat(timespec="seconds"),
            "tool": tool,
            "box_id": box_id,
            "arguments": dict(arguments),
            "outcome": outcome,
        }
        if detail:
            entry["detail"] = detail
        append_private(self.path, json.dumps(entry, ensure_ascii=False, default=str))

    def last(self, count: int = 5) -> list[dict[str, Any]]:
        """The newest `count` entries, oldest first."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        entries = []
        for line in lines[-count:]:
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
        return entries
