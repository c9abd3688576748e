"""Pending changes, the audit log and the preview ledger in the shared Redis.

Pending changes: one JSON list per account, changed by optimistic transactions (WATCH,
read, MULTI/EXEC; run again when another replica changed it meanwhile); a write's intent
is fenced by the write lock (see `locks`). The audit log: one stream for the deployment,
one JSON line per entry, trimmed to about `AUDIT_KEEP` entries. The preview ledger: one
hash per principal (change -> when it was shown) that expires an hour after the last
preview, like the local ledger forgets previews older than that.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from redis.asyncio.client import Pipeline

from ...domain.changes import KEEP_FOR, StoredChange
from ..local.writes import KEEP_PREVIEWS_FOR
from ..ports import Changes, WriteLease
from .connection import Raw, Store, start_writes
from .locks import RedisWriteLease

log = logging.getLogger(__name__)

CHANGES: TypeAdapter[list[StoredChange]] = TypeAdapter(list[StoredChange])
PENDING_KEEP_S = int(2 * KEEP_FOR.total_seconds())
"""A list nobody changed for this long holds nothing worth keeping (entries live a day)."""
DAMAGED_KEEP_S = 7 * 24 * 3600
"""A damaged list is kept aside this long, for whoever looks into it."""
AUDIT_KEEP = 100_000
"""About this many audit entries are kept (older ones are trimmed)."""


class RedisPending:
    """The `PendingStore` in Redis: `prefix:pending:<account>`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _key(self, account: str) -> str:
        return self.store.account_key("pending", account)

    async def changes(self, account: str) -> Changes:
        """The account's tracked changes (a damaged list reads as none, like a damaged
        file is moved aside)."""
        with self.store.translating():
            raw = await self.store.redis.get(self._key(account))
        return _changes(raw)[0]

    async def update(
        self,
        account: str,
        change: Callable[[Changes], Changes],
        *,
        fence: WriteLease | None = None,
    ) -> Changes:
        """Read, change and write the account's list in one optimistic transaction; with a
        Redis write lease as `fence`, the same transaction checks the lock and its fencing
        number, so a holder that lost the lock changes nothing."""
        key = self._key(account)
        watched = [key]
        if isinstance(fence, RedisWriteLease):
            watched += [fence.held.key, fence.fence_key]
        elif fence is not None:
            await fence.check()

        async def attempt(pipe: Pipeline) -> Changes:
            raw, *lock = await pipe.mget(watched)  # one round trip, fenced or not
            if isinstance(fence, RedisWriteLease):
                fence.verify(lock)
            entries, damaged = _changes(raw)
            result = change(entries)
            start_writes(pipe)
            if damaged and raw is not None:
                pipe.set(f"{key}:damaged", raw, ex=DAMAGED_KEEP_S)
            if result:
                pipe.set(key, CHANGES.dump_json(result).decode(), ex=PENDING_KEEP_S)
            else:
                pipe.delete(key)
            return result

        return await self.store.transaction(attempt, *watched)


def _changes(raw: Raw) -> tuple[Changes, bool]:
    """The list in `raw`, and whether `raw` was damaged (then the list is empty)."""
    if raw is None:
        return [], False
    try:
        return CHANGES.validate_json(raw), False
    except ValidationError:
        log.warning("The pending changes in the shared state are damaged; starting a new list")
        return [], True


class RedisAudit:
    """The `AuditLog` in Redis: the stream `prefix:audit`, one JSON line per entry."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.key = store.key("audit")

    async def append(self, entry: dict[str, Any]) -> None:
        """Add one entry; raises `StateUnavailableError` when Redis does not take it."""
        line = json.dumps(entry, ensure_ascii=False, default=str)
        with self.store.translating():
            await self.store.redis.xadd(
                self.key, {"entry": line}, maxlen=AUDIT_KEEP, approximate=True
            )

    async def last(self, count: int) -> list[dict[str, Any]]:
        """The newest `count` readable entries, oldest first."""
        if count <= 0:
            return []
        with self.store.translating():
            newest = await self.store.redis.xrevrange(self.key, count=count)
        entries = []
        for _, fields in reversed(newest or []):
            try:
                entry = json.loads((fields or {}).get("entry", ""))
            except (ValueError, RecursionError):
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries


class RedisPreviews:
    """The `PreviewLedger` in Redis: a hash per principal, `prefix:previews:<digest>`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def key(self, principal: str) -> str:
        """The principal's hash of previews."""
        digest = hashlib.sha256(principal.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self.store.key("previews", digest)

    async def remember(self, principal: str, change: str, at: datetime) -> None:
        """Note the preview; the principal's hash expires an hour after its last one."""
        key = self.key(principal)
        with self.store.translating():
            async with self.store.redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, change, at.isoformat())
                pipe.expire(key, int(KEEP_PREVIEWS_FOR.total_seconds()))
                await pipe.execute()

    async def shown_at(self, principal: str, change: str) -> datetime | None:
        """When `principal` was last shown `change`, if it was (and the note is readable)."""
        with self.store.translating():
            raw = await self.store.redis.hget(self.key(principal), change)
        if raw is None:
            return None
        try:
            shown = datetime.fromisoformat(raw if isinstance(raw, str) else raw.decode())
        except ValueError:
            return None
        return shown if shown.tzinfo is not None else None
