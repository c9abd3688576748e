"""The state directory: every port as private files shared by the processes of one machine.

Files are 0600 in 0700 directories, read without following links, validated, replaced
atomically and changed under advisory locks (`files`, `state_file`); see the README's
"State files" for what each holds and what happens when one is damaged.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...config import Settings
from ...domain.security import BackoffFile
from ...portal.sessions import MemoryLiveCache, MemorySessions, SessionKeeper
from ..ports import State
from .audit import LocalAudit
from .pending import LocalPending
from .records import LocalRecords, grants, local_remote
from .security import backoff_file, whitelist_file
from .sessions import Hints, SessionStore, SharedSessions
from .state_file import StateFile
from .writes import LocalPreviews, LocalWriteLock

if TYPE_CHECKING:
    from ...domain.grants import Grant
    from .demo import DemoFile

__all__ = ["LocalFiles", "demo_file", "local_files", "local_state"]


@dataclass(frozen=True)
class LocalFiles:
    """The files of one state directory, as `status` reports them."""

    sessions: SessionStore
    backoff: StateFile[BackoffFile]
    pending: LocalPending
    audit: LocalAudit
    whitelist: StateFile[str]
    grants: LocalRecords[Grant]


def local_files(settings: Settings) -> LocalFiles:
    """The files of the state directory of `settings` (the demo box keeps its own)."""
    directory = settings.state_dir / "demo" if settings.demo else settings.state_dir
    return LocalFiles(
        sessions=SessionStore(directory / settings.session_path.name),
        backoff=backoff_file(directory / settings.backoff_path.name),
        pending=LocalPending(directory / settings.pending_path.name),
        audit=LocalAudit(directory / settings.audit_path.name),
        whitelist=whitelist_file(settings.whitelist_path),
        grants=LocalRecords(directory / "remote" / "grants.json", lambda: grants().Grant),
    )


def local_state(settings: Settings, hints: Hints) -> State:
    """Every port in the state directory of `settings` (the demo box keeps its own)."""
    files = local_files(settings)
    directory = files.pending.path.parent
    sessions: SessionKeeper = MemorySessions()  # the demo portal takes any login
    if not settings.demo:
        sessions = SharedSessions(
            files.sessions,
            files.backoff,
            hints,
            # many homes: households sign in on the consent page, nobody is listed here
            whitelist=None
            if settings.accounts == "multi"
            else (settings.whitelist_path, settings.whitelisted_by_env),
        )
    previews = LocalPreviews(directory / "previews.json")

    async def forget(account: str, principals: Sequence[str]) -> dict[str, int]:
        from .forget import forget_account

        return await forget_account(files, previews, account, principals)

    return State(
        sessions=sessions,
        cache=MemoryLiveCache(settings.cache_ttl_s, time.monotonic),
        pending=files.pending,
        audit=files.audit,
        write_lock=LocalWriteLock(directory / "write"),
        previews=previews,
        remote=local_remote(directory / "remote"),
        where=f"{'demo box: ' if settings.demo else ''}state directory {directory}",
        forget=forget,
    )


def demo_file(settings: Settings) -> DemoFile:
    """Where the demo box remembers its settings between runs."""
    from .demo import DemoFile

    return DemoFile(settings.state_dir / "demo" / "demo_box.json")
