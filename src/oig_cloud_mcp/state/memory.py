"""Every state port in this process's memory: for tests, and for what no other process
needs to see. Nothing survives the process, and nothing is shared with another one."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from ..portal.sessions import MemoryLiveCache, MemorySessions
from .ports import Changes, ProcessLease, RemoteRecords, State, WriteLease

R = TypeVar("R")


class MemoryPending:
    """Tracked changes per account."""

    def __init__(self) -> None:
        self.lists: dict[str, Changes] = {}

    async def changes(self, account: str) -> Changes:
        """The account's tracked changes."""
        return list(self.lists.get(account, []))

    async def update(
        self,
        account: str,
        change: Callable[[Changes], Changes],
        *,
        fence: WriteLease | None = None,
    ) -> Changes:
        """Change the account's list (one event loop: nothing interleaves)."""
        if fence is not None:
            await fence.check()
        self.lists[account] = change(list(self.lists.get(account, [])))
        return list(self.lists[account])


class MemoryAudit:
    """Audit lines in a list."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    async def append(self, entry: dict[str, Any]) -> None:
        """Keep one line."""
        self.entries.append(entry)

    async def last(self, count: int) -> list[dict[str, Any]]:
        """The newest `count` lines."""
        return self.entries[-count:] if count > 0 else []


class MemoryWriteLock:
    """An asyncio lock per account."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def hold(self, account: str) -> AsyncIterator[ProcessLease]:
        """Hold the account's lock."""
        async with self._locks.setdefault(account, asyncio.Lock()):
            yield ProcessLease()

    async def busy(self, account: str) -> bool:
        """Whether the account's lock is held now."""
        lock = self._locks.get(account)
        return lock is not None and lock.locked()


class MemoryPreviews:
    """Previews shown, per principal."""

    def __init__(self) -> None:
        self.shown: dict[tuple[str, str], datetime] = {}

    async def remember(self, principal: str, change: str, at: datetime) -> None:
        """Note the preview."""
        self.shown[(principal, change)] = at

    async def shown_at(self, principal: str, change: str) -> datetime | None:
        """When `principal` was shown `change`."""
        return self.shown.get((principal, change))


def memory_state(cache_ttl_s: float = 20.0, clock: Callable[[], float] = time.monotonic) -> State:
    """Every port in memory."""
    return State(
        sessions=MemorySessions(),
        cache=MemoryLiveCache(cache_ttl_s, clock),
        pending=MemoryPending(),
        audit=MemoryAudit(),
        write_lock=MemoryWriteLock(),
        previews=MemoryPreviews(),
        remote=memory_remote(),
        where="memory (this process only)",
    )


class MemoryRecords(Generic[R]):
    """`Records` in a dict, on a clock."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.items: dict[str, tuple[R, float]] = {}
        self._clock = clock

    def _live(self, key: str) -> R | None:
        kept = self.items.get(key)
        if kept is None or kept[1] <= self._clock():
            self.items.pop(key, None)
            return None
        return kept[0]

    async def get(self, key: str) -> R | None:
        """The record, unless missing or expired."""
        return self._live(key)

    async def put(self, key: str, value: R, expires_at: float) -> None:
        """Keep the record."""
        self.items[key] = (value, expires_at)

    async def take(self, key: str) -> R | None:
        """Read and delete."""
        value = self._live(key)
        self.items.pop(key, None)
        return value

    async def delete(self, key: str) -> None:
        """Forget the record."""
        self.items.pop(key, None)

    async def update(
        self, key: str, change: Callable[[R | None], tuple[R | None, float]]
    ) -> R | None:
        """Replace the record (one event loop: nothing interleaves)."""
        value, expires_at = change(self._live(key))
        if value is None:
            self.items.pop(key, None)
        else:
            self.items[key] = (value, expires_at)
        return value

    async def values(self) -> list[tuple[str, R]]:
        """Every live record."""
        return [(key, value) for key in list(self.items) if (value := self._live(key)) is not None]


def memory_remote(clock: Callable[[], float] = time.time) -> RemoteRecords:
    """Remote-access records in memory."""
    return RemoteRecords(
        clients=MemoryRecords(clock),
        consents=MemoryRecords(clock),
        codes=MemoryRecords(clock),
        grants=MemoryRecords(clock),
        access=MemoryRecords(clock),
        refresh=MemoryRecords(clock),
        pairing=MemoryRecords(clock),
        lockouts=MemoryRecords(clock),
        vault=MemoryRecords(clock),
    )
