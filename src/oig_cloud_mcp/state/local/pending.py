"""Changes sent and not yet seen applied, in `pending_changes.json` (the rules are
`domain.changes`). Every change is read, changed and written under the file's lock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import Field, RootModel

from ...domain.base import DEFERRED
from ...domain.changes import StoredChange
from ..ports import Changes, WriteLease
from .state_file import StateFile, json_codec


class FileChange(StoredChange):
    """A change as the file keeps it: with its account (entries written before accounts
    were recorded have none and belong to whichever account the directory serves)."""

    account: str | None = None


class PendingFile(RootModel[list[FileChange]]):
    """`pending_changes.json`."""

    model_config = DEFERRED

    root: list[FileChange] = Field(default_factory=list)


def _mine(entry: FileChange, account: str) -> bool:
    return entry.account in (None, account)


class LocalPending:
    """The `PendingStore` of the state directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = StateFile(path, json_codec(PendingFile))

    async def changes(self, account: str) -> Changes:
        """The account's tracked changes (none when the file does not exist)."""
        if not (self.path.exists() or self.path.is_symlink()):
            return []
        return [_plain(e) for e in self.file.read().root if _mine(e, account)]

    async def update(
        self,
        account: str,
        change: Callable[[Changes], Changes],
        *,
        fence: WriteLease | None = None,
    ) -> Changes:
        """Read, change and write the account's changes under the file's lock."""
        if fence is not None:
            await fence.check()
        result: Changes = []

        def apply(value: PendingFile) -> PendingFile:
            nonlocal result
            others = [e for e in value.root if not _mine(e, account)]
            result = change([_plain(e) for e in value.root if _mine(e, account)])
            kept = [FileChange(**e.model_dump(), account=account) for e in result]
            return PendingFile([*others, *kept])

        self.file.update(apply)
        return result


def _plain(entry: FileChange) -> StoredChange:
    return StoredChange.model_validate(entry.model_dump(exclude={"account"}))
