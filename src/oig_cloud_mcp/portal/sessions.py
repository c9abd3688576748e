"""What the client needs from its surroundings, and what an in-process portal sees.

`SessionKeeper` is the client's one hook for sessions and login policy (implemented by
`session_store.SharedSessions` over the state directory); `PortalCall`/`PortalReply` let
the demo box answer requests in-process without the network. No httpx here.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol


class Renewal(Protocol):
    """One account's stored session and login backoff, held under a cross-process lock."""

    def stored_cookie(self) -> str | None:
        """The cookie stored now (re-read under the lock)."""

    def check_may_login(self, *, explicit: bool) -> None:
        """Raise while logins are paused; `explicit` is the owner's own `login` command."""

    def rejected(self) -> None:
        """The portal rejected the credentials: count it."""

    def accepted(self, cookie: str) -> None:
        """The portal accepted the credentials: store the cookie, reset the count."""


class SessionKeeper(Protocol):
    """Sessions and login policy of the accounts this client may use."""

    fix_hint: str
    """What the user should do about rejected credentials (depends on where they come from)."""

    def allow(self, account: str) -> None:
        """Raise if `account` may not be used at all (the whitelist)."""

    def stored_cookie(self, account: str) -> str | None:
        """The stored cookie of `account`, read without the lock."""

    def renewal(self, account: str) -> AbstractAsyncContextManager[Renewal]:
        """Hold the account's session lock (across processes) for one renewal."""


@dataclass
class PortalCall:
    """A request as an in-process portal (the demo box) sees it."""

    method: str
    path: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass
class PortalReply:
    """An in-process portal's answer."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


PortalHandler = Callable[[PortalCall], Awaitable[PortalReply]]


class MemorySessions:
    """A `SessionKeeper` that lives only as long as the process and allows every login."""

    fix_hint = "check the e-mail and password."

    def __init__(self) -> None:
        self._cookies: dict[str, str] = {}

    def allow(self, account: str) -> None:
        """Every account is allowed."""

    def stored_cookie(self, account: str) -> str | None:
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

    def stored_cookie(self) -> str | None:
        return self.cookies.get(self.account)

    def check_may_login(self, *, explicit: bool) -> None:
        """Logins are never paused."""

    def rejected(self) -> None:
        """Rejections are not counted."""

    def accepted(self, cookie: str) -> None:
        self.cookies[self.account] = cookie
