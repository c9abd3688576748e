"""What the client needs from its surroundings: sessions, login policy and the live cache.

`SessionKeeper` is the client's one hook for sessions and login policy (the state package
implements it over the state directory, and in memory); `LiveCache` keeps the last
json.php answer of each account for the cache window. Both are keyed by account (the
case-folded e-mail), so one client never uses another account's cookie or data. The
in-memory versions here serve a process that shares nothing (the demo box, tests).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol


class Renewal(Protocol):
    """One account's stored session and login backoff, held under a cross-process lock."""

    async def stored_cookie(self) -> str | None:
        """The cookie stored now (re-read under the lock)."""

    async def check_may_login(self, *, explicit: bool) -> None:
        """Raise while logins are paused; `explicit` is the owner's own `login` command."""

    async def rejected(self) -> None:
        """The portal rejected the credentials: count it."""

    async def accepted(self, cookie: str) -> None:
        """The portal accepted the credentials: store the cookie, reset the count."""


class SessionKeeper(Protocol):
    """Sessions and login policy of the accounts this client may use."""

    fix_hint: str
    """What the user should do about rejected credentials (depends on where they come from)."""

    async def allow(self, account: str) -> None:
        """Raise if `account` may not be used at all (the whitelist)."""

    async def stored_cookie(self, account: str) -> str | None:
        """The stored cookie of `account`, read without the lock."""

    def renewal(self, account: str) -> AbstractAsyncContextManager[Renewal]:
        """Hold the account's session lock (across processes) for one renewal."""


class LiveCache(Protocol):
    """The last json.php answer of each account, reused for the cache window."""

    async def get(self, account: str) -> dict[str, Any] | None:
        """The cached answer while it is fresh, else None."""

    async def put(self, account: str, payload: dict[str, Any]) -> None:
        """Keep `payload` as the account's answer from now on."""

    async def forget(self, account: str) -> None:
        """Drop the account's answer, so the next read asks the portal."""

    def fetching(self, account: str) -> AbstractAsyncContextManager[None]:
        """Held while one reader asks the portal (shared caches make the others wait)."""


class MemorySessions:
    """A `SessionKeeper` that lives only as long as the process and allows every login."""

    fix_hint = "check the e-mail and password."

    def __init__(self) -> None:
        self._cookies: dict[str, str] = {}

    async def allow(self, account: str) -> None:
        """Every account is allowed."""

    async def stored_cookie(self, account: str) -> str | None:
        """The cookie of `account`, if this process saw one."""
        return self._cookies.get(account)

    @contextlib.asynccontextmanager
    async def renewal(self, account: str) -> AsyncIterator[Renewal]:
        """No other process shares this memory, so no lock is needed."""
        yield _MemoryRenewal(self._cookies, account)


@dataclass
class _MemoryRenewal:
    cookies: dict[str, str]
    account: str

    async def stored_cookie(self) -> str | None:
        return self.cookies.get(self.account)

    async def check_may_login(self, *, explicit: bool) -> None:
        """Logins are never paused."""

    async def rejected(self) -> None:
        """Rejections are not counted."""

    async def accepted(self, cookie: str) -> None:
        self.cookies[self.account] = cookie


class MemoryLiveCache:
    """A `LiveCache` in this process's memory, on its own clock."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._answers: dict[str, tuple[float, dict[str, Any]]] = {}

    async def get(self, account: str) -> dict[str, Any] | None:
        """The answer kept less than `ttl_s` ago."""
        kept = self._answers.get(account)
        if kept is None or self._clock() - kept[0] >= self.ttl_s:
            return None
        return kept[1]

    async def put(self, account: str, payload: dict[str, Any]) -> None:
        """Keep `payload` from now on."""
        self._answers[account] = (self._clock(), payload)

    async def forget(self, account: str) -> None:
        """Drop the account's answer."""
        self._answers.pop(account, None)

    def fetching(self, account: str) -> AbstractAsyncContextManager[None]:
        """Nothing to wait for: readers in this process already share one request."""
        return contextlib.nullcontext()
