"""Locks shared by the replicas: redis-py's `Lock` under a lease, kept alive while held,
and the write lock's fencing token.

A lock is a key holding its holder's random token with an expiry (the lease), so a
replica that dies holding it (killed, cut off) frees it when the lease runs out. While a
live holder keeps it, a background task renews the lease every third of it; a holder
that cannot renew in time (stalled, cut off from Redis) counts the lock as lost.

The write lock also hands out a fencing token: `INCR prefix:fence:write:<account>` right
after the lock is taken, so every holder has a number no earlier holder has. A write's
intent is kept only if, atomically with keeping it, the lock key still holds this
holder's token and the fence still holds its number (`RedisPending.update(fence=...)`);
`check()` asks the same on its own. A holder that lost its lease can therefore never
record an intent (nor, through it, supersede the new holder's), and since nothing is sent
without a recorded intent, it sends nothing either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from redis.asyncio.lock import Lock
from redis.exceptions import LockError, LockNotOwnedError, RedisError

from ...errors import StateUnavailableError
from .connection import Raw, Store

log = logging.getLogger(__name__)

DEFAULT_LEASE_S = 10.0
"""How long a lock outlives a holder that stopped renewing it (killed, cut off)."""
POLL_S = 0.02
"""How often a waiting replica asks whether the lock is free."""
WRITE_LOCK_LOST = (
    "This server lost the write lock of the account in the shared state (Redis at {where}) "
    "to another server while it waited, so nothing was sent; try again in a moment."
)


@dataclass
class Held:
    """A lock this task holds: redis-py's lock, its key, its token, and whether its lease
    was lost."""

    lock: Lock
    key: str
    token: str
    lost: bool = False


async def _acquire(store: Store, key: str, lease_s: float, wait_s: float) -> Held | None:
    """Take the lock `key` under a lease, waiting up to `wait_s`; None if still taken."""
    token = secrets.token_hex(16)
    lock = Lock(
        store.redis,
        key,
        timeout=lease_s,
        sleep=POLL_S,
        blocking_timeout=wait_s,
        thread_local=False,
    )
    with store.translating():
        return Held(lock, key, token) if await lock.acquire(token=token) else None


@contextlib.asynccontextmanager
async def holding(
    store: Store, key: str, *, lease_s: float, wait_s: float, busy: str
) -> AsyncIterator[Held]:
    """Hold the lock `key`, renewing its lease while held; after `wait_s` without it,
    raise `StateUnavailableError(busy)`."""
    held = await _acquire(store, key, lease_s, wait_s)
    if held is None:
        raise StateUnavailableError(busy, where=store.where)
    keeper = asyncio.create_task(_renew(held, lease_s))
    try:
        yield held
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        await _release(held)


@contextlib.asynccontextmanager
async def saving_work(store: Store, key: str, *, lease_s: float) -> AsyncIterator[None]:
    """Hold the lock `key` if it frees up within its lease, else go on without it: a lock
    that only spares the portal a duplicate request (its lease is not renewed)."""
    held = await _acquire(store, key, lease_s, lease_s)
    if held is None:
        log.info("The lock %s was still taken after %g s; going on without it", key, lease_s)
    try:
        yield
    finally:
        if held is not None:
            await _release(held)


async def _renew(held: Held, lease_s: float) -> None:
    """Renew the lease every third of it; give the lock up as lost when it is owned by
    another holder, or when no renewal succeeded for a whole lease."""
    renewed_at = time.monotonic()
    while True:
        await asyncio.sleep(lease_s / 3)
        try:
            await held.lock.reacquire()
            renewed_at = time.monotonic()
        except LockNotOwnedError:
            held.lost = True
        except (RedisError, OSError) as exc:  # cut off for now: try again until the lease ends
            held.lost = time.monotonic() - renewed_at >= lease_s
            log.debug("Could not renew the lock %s: %r", held.key, exc)
        if held.lost:
            log.warning("The lock %s was lost (its lease ran out)", held.key)
            return


async def _release(held: Held) -> None:
    """Let the lock go; one whose lease ran out or that Redis cannot reach now simply
    expires (the outcome of what was done under it matters more than this)."""
    try:
        await held.lock.release()
    except LockError:
        log.warning("The lock %s had expired before it was released", held.key)
    except (RedisError, OSError) as exc:
        log.warning("Could not release the lock %s (it expires by itself): %r", held.key, exc)


@dataclass
class RedisWriteLease:
    """The write lock as its holder sees it: the lock's token and its fencing number."""

    store: Store
    held: Held
    fence_key: str
    fence: int

    async def check(self) -> None:
        """Raise `StateUnavailableError` unless the lock and the fence are still this
        holder's."""
        with self.store.translating():
            now = await self.store.redis.mget(self.held.key, self.fence_key)
        self.verify(now)

    def verify(self, values: list[Raw]) -> None:
        """Raise unless `values` (the lock key's and the fence's, read together) are ours."""
        if self.held.lost or values != [self.held.token, str(self.fence)]:
            raise self.store.unavailable(WRITE_LOCK_LOST)


class RedisWriteLock:
    """One write at a time per account across every replica, leased and fenced."""

    def __init__(self, store: Store, *, lease_s: float, wait_s: float) -> None:
        self.store = store
        self.lease_s = lease_s
        self.wait_s = wait_s

    @contextlib.asynccontextmanager
    async def hold(self, account: str) -> AsyncIterator[RedisWriteLease]:
        """Hold the account's write lock; yields its lease with a fresh fencing number."""
        busy = (
            f"Another change for this account was still being sent after {self.wait_s:g} s, "
            "so nothing was sent; try again in a moment."
        )
        key = self.store.account_key("lock:write", account)
        async with holding(
            self.store, key, lease_s=self.lease_s, wait_s=self.wait_s, busy=busy
        ) as held:
            fence_key = self.store.account_key("fence:write", account)
            with self.store.translating():
                fence = int(await self.store.redis.incr(fence_key))
            yield RedisWriteLease(self.store, held, fence_key, fence)

    async def busy(self, account: str) -> bool:
        """Whether some replica holds the account's write lock now (its lease unexpired)."""
        key = self.store.account_key("lock:write", account)
        with self.store.translating():
            return bool(await self.store.redis.exists(key))
