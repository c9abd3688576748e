"""The audit log of write tools: `audit.jsonl`, one JSON line per call (what a line holds
is `domain.audit`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .state_file import AppendLog


class LocalAudit:
    """The `AuditLog` of the state directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.log = AppendLog(path)

    async def append(self, entry: dict[str, Any]) -> None:
        """Append one line, durably; raises `StateFileError` when it cannot."""
        self.log.append(json.dumps(entry, ensure_ascii=False, default=str))

    async def last(self, count: int) -> list[dict[str, Any]]:
        """The newest `count` readable lines, oldest first (unreadable lines are skipped)."""
        return self.read_last(count)

    def read_last(self, count: int) -> list[dict[str, Any]]:
        """`last`, for `status` (which reads files without an event loop)."""
        if count <= 0:
            return []
        entries = []
        for line in self.log.last_lines(count * 4):
            try:
                entry = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries[-count:]
