"""What keeps writes safe across processes: the write lock and the preview ledger.

The write lock is an advisory lock on `write.lock` in the state directory, shared by every
process; the ledger, `previews.json`, notes which change each principal was last shown
(a stdio server process, or a remote client's grant) and forgets anything older than the
time a preview stays valid.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

from pydantic import AwareDatetime, Field, RootModel, StringConstraints

from ...domain.base import DEFERRED
from ..ports import ProcessLease
from .files import is_locked, locked_async
from .state_file import StateFile, json_codec

KEEP_PREVIEWS_FOR = timedelta(hours=1)
"""Longer than any preview stays valid; older entries are dropped on the next write."""

Key = Annotated[str, StringConstraints(max_length=400)]


class PreviewsFile(RootModel[dict[Key, dict[Key, AwareDatetime]]]):
    """`previews.json`: principal -> change -> when it was shown."""

    model_config = DEFERRED

    root: dict[Key, dict[Key, AwareDatetime]] = Field(default_factory=dict)


class LocalWriteLock:
    """One write at a time in every process using the state directory."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.asynccontextmanager
    async def hold(self, account: str) -> AsyncIterator[ProcessLease]:
        """Hold the directory's write lock (one directory serves one household)."""
        async with locked_async(self.path):
            yield ProcessLease()

    async def busy(self, account: str) -> bool:
        """Whether a write holds the directory's lock now, in any process."""
        return is_locked(self.path)


class LocalPreviews:
    """The `PreviewLedger` of the state directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = StateFile(path, json_codec(PreviewsFile))

    async def remember(self, principal: str, change: str, at: datetime) -> None:
        """Note the preview, and forget previews too old to matter."""

        def add(value: PreviewsFile) -> PreviewsFile:
            kept = {
                who: fresh
                for who, shown in value.root.items()
                if (fresh := {c: t for c, t in shown.items() if at - t <= KEEP_PREVIEWS_FOR})
            }
            kept.setdefault(principal, {})[change] = at
            return PreviewsFile(kept)

        self.file.update(add)

    async def shown_at(self, principal: str, change: str) -> datetime | None:
        """When `principal` was last shown `change` (None if the file does not exist)."""
        if not (self.path.exists() or self.path.is_symlink()):
            return None
        return self.file.read().root.get(principal, {}).get(change)
