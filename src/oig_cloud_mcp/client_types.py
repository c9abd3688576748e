"""What the client needs from its surroundings, and what an in-process portal sees.

`SessionCache` and `LoginGuard` are the hooks the client calls (implemented by
`session_store` and `security`); `PortalCall`/`PortalReply` let the demo box answer
requests in-process without the network. No httpx here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


class SessionCache(Protocol):
    """Where session cookies outlive the process (see `session_store`)."""

    def load(self, account: str) -> str | None:
        """The stored cookie of `account`, or None."""

    def save(self, account: str, cookie: str) -> None:
        """Remember `cookie` for `account`."""


class LoginGuard(Protocol):
    """Policy around logins (see `security`): whitelist and backoff."""

    def allow(self, account: str) -> None:
        """Raise if `account` may not be used at all."""

    def before_login(self, account: str) -> None:
        """Raise if `account` may not log in now."""

    def login_rejected(self, account: str) -> None:
        """The portal rejected the credentials."""

    def login_succeeded(self, account: str) -> None:
        """The portal accepted the credentials."""


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
    """A `SessionCache` that lives only as long as the process (demo, tests)."""

    def __init__(self) -> None:
        self._cookies: dict[str, str] = {}

    def load(self, account: str) -> str | None:
        """The cookie of `account`, if this process saw one."""
        return self._cookies.get(account)

    def save(self, account: str, cookie: str) -> None:
        """Keep `cookie` for the rest of the process."""
        self._cookies[account] = cookie


class OpenGuard:
    """A `LoginGuard` that allows everything (the demo box has no real account)."""

    def allow(self, account: str) -> None:
        """Every account is allowed."""

    def before_login(self, account: str) -> None:
        """Logins are never paused."""

    def login_rejected(self, account: str) -> None:
        """Rejections are not counted."""

    def login_succeeded(self, account: str) -> None:
        """Nothing to reset."""
