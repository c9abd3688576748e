"""Forgetting one account in the state directory: its session cookie, login backoff,
pending changes and the previews of its grants (the live cache is in memory only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...domain.models import account_key
from ...domain.security import BackoffFile

if TYPE_CHECKING:
    from . import LocalFiles
    from .pending import PendingFile
    from .writes import LocalPreviews, PreviewsFile


async def forget_account(
    files: LocalFiles, previews: LocalPreviews, account: str, principals: Sequence[str]
) -> dict[str, int]:
    """Delete what the state directory keeps for `account` and `principals`; how many of
    each kind were deleted (session, backoff, pending, previews)."""
    key = account_key(account)
    counted = {"session": int(files.sessions.clear(key)), "backoff": 0, "pending": 0}

    def unlock(value: BackoffFile) -> BackoffFile:
        counted["backoff"] = int(value.root.pop(key, None) is not None)
        return value

    if files.backoff.path.exists():
        files.backoff.update(unlock)
    if files.pending.path.exists():

        def drop(value: PendingFile) -> PendingFile:
            kept = [e for e in value.root if e.account != key]
            counted["pending"] = len(value.root) - len(kept)
            value.root = kept
            return value

        files.pending.file.update(drop)
    counted["previews"] = 0
    if previews.path.exists():

        def unsee(value: PreviewsFile) -> PreviewsFile:
            counted["previews"] = sum(value.root.pop(p, None) is not None for p in principals)
            return value

        previews.file.update(unsee)
    return counted
