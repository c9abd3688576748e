"""Sessions, login backoff, whitelist and the live cache, shared by the replicas.

The semantics are `state.local.sessions.SharedSessions`'s: a renewal holds the account's
lock (here a leased Redis lock, so a replica killed in the middle frees it) while it
re-reads the stored cookie, checks the backoff, logs in at most once and records the
outcome. N replicas finding the same session dead therefore make one login. A backoff
value that does not validate pauses automatic logins (fails closed) until the owner's
own login resets it.

The live cache keeps each account's json.php answer with an expiry of the cache window;
`fetching` is a short lock so that, of several replicas missing the cache at once, one
asks the portal and the others wait and read what it kept.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from redis.asyncio.client import Pipeline

from ...domain.models import account_key
from ...domain.security import BackoffState, LoginBackoff
from ...errors import NotWhitelistedError, StateFileError
from ...portal.sessions import Renewal
from ..local.sessions import Hints, StoredSession
from .connection import Raw, Store, start_writes
from .locks import holding, saving_work

log = logging.getLogger(__name__)

SESSION_KEEP_S = 30 * 24 * 3600
"""A stored cookie is forgotten after this long without a new login (abandoned accounts)."""
BACKOFF_DAMAGED = (
    "The login backoff of {account} in the shared state (Redis at {where}) is damaged, so "
    "automatic logins are paused to protect the account; {hint}"
)


class RedisSessions:
    """The client's `SessionKeeper` over Redis: cookies, backoff and the whitelist."""

    def __init__(
        self,
        store: Store,
        hints: Hints,
        *,
        whitelist_extra: Iterable[str] = (),
        checks_whitelist: bool = True,
        lease_s: float,
        wait_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.hints = hints
        self.fix_hint = hints.rejected
        self.whitelist_key = store.key("whitelist")
        self._extra = frozenset(account_key(e) for e in whitelist_extra if e.strip())
        self._checks_whitelist = checks_whitelist
        self._lease_s = lease_s
        self._wait_s = wait_s
        self._clock = clock

    # -- the whitelist --------------------------------------------------------------

    async def allow(self, account: str) -> None:
        """Refuse accounts that are neither in the whitelist set nor in the extra ones
        (unless the whitelist is not checked: the owner's login, many homes)."""
        if not self._checks_whitelist or account_key(account) in self._extra:
            return
        with self.store.translating():
            listed = await self.store.redis.sismember(self.whitelist_key, account_key(account))
        if not listed:
            raise NotWhitelistedError(
                f"The account {account} is not on the whitelist of the shared state (Redis at "
                f"{self.store.where}); {self.hints.not_listed}"
            )

    async def add_to_whitelist(self, email: str) -> bool:
        """List `email` (case-folded); True if it was not listed before."""
        with self.store.translating():
            return bool(await self.store.redis.sadd(self.whitelist_key, account_key(email)))

    async def remove_from_whitelist(self, email: str) -> bool:
        """Unlist `email`; True if it was listed."""
        with self.store.translating():
            return bool(await self.store.redis.srem(self.whitelist_key, account_key(email)))

    async def whitelisted(self) -> list[str]:
        """The listed accounts, sorted (without the extra ones from settings)."""
        with self.store.translating():
            listed = await self.store.redis.smembers(self.whitelist_key)
        return sorted(str(entry) for entry in listed)

    # -- cookies ----------------------------------------------------------------------

    def _session_key(self, account: str) -> str:
        return self.store.account_key("session", account)

    async def stored_cookie(self, account: str) -> str | None:
        """The stored cookie of `account` (read without the lock)."""
        with self.store.translating():
            raw = await self.store.redis.get(self._session_key(account))
        return _cookie(raw)

    async def saved_at(self, account: str) -> float | None:
        """When the account's session was stored (Unix time), if one is (for `status`)."""
        with self.store.translating():
            raw = await self.store.redis.get(self._session_key(account))
        try:
            return None if raw is None else StoredSession.model_validate_json(raw).saved_at
        except ValidationError:
            return None

    async def backoff(self, account: str) -> LoginBackoff:
        """The account's login backoff as stored (for `status`; damage raises StateFileError)."""
        renewal = _RedisRenewal(self, account_key(account))
        with self.store.translating():
            raw = await self.store.redis.get(renewal._backoff_key)
        return renewal._parse(raw)

    async def forget(self, account: str) -> bool:
        """Forget the account's cookie; True if one was stored."""
        with self.store.translating():
            return bool(await self.store.redis.delete(self._session_key(account)))

    @contextlib.asynccontextmanager
    async def renewal(self, account: str) -> AsyncIterator[Renewal]:
        """Hold the account's session lock, shared by every replica, for one renewal."""
        busy = (
            f"Another server was still logging in to OIG Cloud for {account} after "
            f"{self._wait_s:g} s; try again in a moment."
        )
        key = self.store.account_key("lock:session", account)
        async with holding(self.store, key, lease_s=self._lease_s, wait_s=self._wait_s, busy=busy):
            yield _RedisRenewal(self, account_key(account))


@dataclass
class _RedisRenewal:
    owner: RedisSessions
    account: str

    @property
    def _store(self) -> Store:
        return self.owner.store

    @property
    def _backoff_key(self) -> str:
        return self._store.account_key("backoff", self.account)

    async def stored_cookie(self) -> str | None:
        return await self.owner.stored_cookie(self.account)

    def _parse(self, raw: Raw) -> LoginBackoff:
        states = {}
        if raw is not None:
            try:
                states[self.account] = BackoffState.model_validate_json(raw)
            except ValidationError:
                message = BACKOFF_DAMAGED.format(
                    account=self.account, where=self._store.where, hint=self.owner.hints.locked
                )
                raise StateFileError(message, path=self._backoff_key, kind="damaged") from None
        return LoginBackoff(states, clock=self.owner._clock)

    async def check_may_login(self, *, explicit: bool) -> None:
        with self._store.translating():
            raw = await self._store.redis.get(self._backoff_key)
        try:
            backoff = self._parse(raw)
        except StateFileError:
            if not explicit:
                raise
            with self._store.translating():  # the owner's own attempt: damage starts over
                await self._store.redis.delete(self._backoff_key)
            return
        if not explicit:  # the owner's own attempt is always made (a success resets it)
            backoff.check(self.account, self.owner.hints.locked)

    async def rejected(self) -> None:
        async def count(pipe: Pipeline) -> None:
            backoff = self._parse(await pipe.get(self._backoff_key))
            backoff.rejected(self.account)
            start_writes(pipe)
            pipe.set(self._backoff_key, backoff.states[self.account].model_dump_json())

        await self._store.transaction(count, self._backoff_key)

    async def accepted(self, cookie: str) -> None:
        stored = StoredSession(cookie=cookie, saved_at=self.owner._clock())
        with self._store.translating():
            async with self._store.redis.pipeline(transaction=True) as pipe:
                pipe.set(
                    self.owner._session_key(self.account),
                    stored.model_dump_json(),
                    ex=SESSION_KEEP_S,
                )
                pipe.delete(self._backoff_key)
                await pipe.execute()


def _cookie(raw: Raw) -> str | None:
    """The cookie of a stored session value; a damaged one counts as none (one login)."""
    if raw is None:
        return None
    try:
        return StoredSession.model_validate_json(raw).cookie
    except ValidationError:
        log.warning("A stored session in the shared state is damaged; logging in again")
        return None


class RedisLiveCache:
    """The `LiveCache` in Redis: each account's json.php answer for the cache window."""

    def __init__(self, store: Store, ttl_s: float, *, fetch_lease_s: float) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.fetch_lease_s = fetch_lease_s

    def _key(self, account: str) -> str:
        return self.store.account_key("live", account)

    async def get(self, account: str) -> dict[str, Any] | None:
        """The answer kept less than `ttl_s` ago (Redis expires it), else None."""
        with self.store.translating():
            raw = await self.store.redis.get(self._key(account))
        if raw is None:
            return None
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError):
            return None
        return payload if isinstance(payload, dict) else None

    async def put(self, account: str, payload: dict[str, Any]) -> None:
        """Keep `payload` for the cache window (nothing is kept for a window of 0)."""
        if self.ttl_s <= 0:
            return
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        with self.store.translating():
            await self.store.redis.set(self._key(account), text, px=max(1, int(self.ttl_s * 1000)))

    async def forget(self, account: str) -> None:
        """Drop the account's answer."""
        with self.store.translating():
            await self.store.redis.delete(self._key(account))

    @contextlib.asynccontextmanager
    async def fetching(self, account: str) -> AsyncIterator[None]:
        """One replica asks the portal; the others wait here, then find its answer kept.

        With a cache window of 0 nothing is kept to share, so nobody waits.
        """
        if self.ttl_s <= 0:
            yield
            return
        key = self.store.account_key("lock:live", account)
        async with saving_work(self.store, key, lease_s=self.fetch_lease_s):
            yield
