"""Sessions shared by every server process: the cookie file and the renewal lock.

`session.json` holds one PHPSESSID per account (never a password), validated on every
read. `SharedSessions` is the client's `SessionKeeper`: a renewal holds the session
file's lock across processes while it re-reads the stored cookie, checks the login
backoff, logs in at most once, and records the outcome.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, FiniteFloat, StringConstraints

from ...domain.base import Model
from ...domain.models import account_key
from ...domain.security import BackoffFile, LoginBackoff
from ...errors import StateFileError
from ...portal.sessions import Renewal
from .files import locked_async
from .security import NOT_LISTED_HINT, check_whitelisted
from .state_file import StateFile, json_codec

Cookie = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9,-]{1,256}$")]


class StoredSession(Model):
    """One account's cookie and when it was stored (Unix time)."""

    cookie: Cookie
    saved_at: FiniteFloat = Field(ge=0)


class SessionsFile(Model):
    """`session.json`."""

    sessions: dict[str, StoredSession] = Field(default_factory=dict)


class SessionStore:
    """The session-cookie file, keyed by account (the case-folded e-mail)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.file = StateFile(path, json_codec(SessionsFile))
        self._clock = clock

    def load(self, account: str) -> str | None:
        """The stored cookie for `account`, or None."""
        entry = self.file.read().sessions.get(account)
        return entry.cookie if entry else None

    def saved_at(self, account: str) -> float | None:
        """When the cookie for `account` was stored (Unix time), or None."""
        entry = self.file.read().sessions.get(account)
        return min(entry.saved_at, self._clock()) if entry else None

    def save_held(self, account: str, cookie: str) -> None:
        """Store `cookie` for `account` while the caller holds the file's lock."""
        value = self.file.read_held()
        value.sessions[account] = StoredSession(cookie=cookie, saved_at=self._clock())
        self.file.write_held(value)

    def clear(self, account: str | None = None) -> bool:
        """Forget one account's cookie, or all of them; True if something was removed."""
        if not self.path.exists():
            return False
        with self.file.transaction() as tx:
            before = len(tx.value.sessions)
            if account is None:
                tx.value.sessions.clear()
            else:
                tx.value.sessions.pop(account, None)
            tx.save()
            return len(tx.value.sessions) != before


@dataclass(frozen=True)
class Hints:
    """What to tell the user, which depends on where the password comes from."""

    rejected: str
    """After a rejected login."""
    locked: str
    """While logins are paused."""
    not_listed: str = NOT_LISTED_HINT
    """For an account missing from the whitelist."""


class SharedSessions:
    """Sessions, whitelist and backoff of the state directory, for the client."""

    def __init__(
        self,
        store: SessionStore,
        backoff: StateFile[BackoffFile],
        hints: Hints,
        *,
        whitelist: tuple[Path, Iterable[str]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.backoff = backoff
        self.hints = hints
        self.fix_hint = hints.rejected
        self._whitelist = whitelist
        self._clock = clock

    async def allow(self, account: str) -> None:
        """Refuse accounts missing from the whitelist (when one is checked)."""
        if self._whitelist is not None:
            check_whitelisted(
                self._whitelist[0], self._whitelist[1], account, self.hints.not_listed
            )

    async def stored_cookie(self, account: str) -> str | None:
        """The stored cookie of `account` (read without the lock)."""
        return self.store.load(account_key(account))

    @contextlib.asynccontextmanager
    async def renewal(self, account: str) -> AsyncIterator[Renewal]:
        """Hold `session.json`'s lock, shared by every process, for one renewal."""
        async with locked_async(self.store.path):
            yield _SharedRenewal(self, account_key(account))


@dataclass
class _SharedRenewal:
    owner: SharedSessions
    account: str

    async def stored_cookie(self) -> str | None:
        entry = self.owner.store.file.read_held().sessions.get(self.account)
        return entry.cookie if entry else None

    def _backoff(self) -> LoginBackoff:
        try:
            states = self.owner.backoff.read().root
        except StateFileError as exc:
            if exc.kind == "damaged":
                raise
            raise StateFileError(
                f"Logins are paused to protect the account: {exc}", path=exc.path
            ) from None
        return LoginBackoff(states, clock=self.owner._clock)

    async def check_may_login(self, *, explicit: bool) -> None:
        if explicit:
            self.owner.backoff.reset()  # the owner's own attempt: a damaged file starts over
            return
        self._backoff().check(self.account, self.owner.hints.locked)

    def _update_backoff(self, change: Callable[[LoginBackoff], None]) -> None:
        def apply(value: BackoffFile) -> BackoffFile:
            backoff = LoginBackoff(value.root, clock=self.owner._clock)
            change(backoff)
            return BackoffFile(backoff.states)

        self.owner.backoff.update(apply)

    async def rejected(self) -> None:
        self._update_backoff(lambda backoff: backoff.rejected(self.account))

    async def accepted(self, cookie: str) -> None:
        self.owner.store.save_held(self.account, cookie)
        if self.account in self._backoff().states:
            self._update_backoff(lambda backoff: backoff.succeeded(self.account))
