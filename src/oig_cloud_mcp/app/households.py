"""Many homes on one server: each household's use cases, built on first use.

A household goes by its subject (a pseudonym of its OIG Cloud e-mail, `state.vault`):
its client logs in with the login sealed in the vault and keys its cookie, cache, backoff,
pending changes and audit by the subject, so nothing of one household is ever used for
another, and no e-mail appears in the shared state's keys. Every household's client
shares one HTTP connection pool.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..domain.models import Credentials, account_key, is_plausible_email, subject_of
from ..errors import CredentialsNotFoundError
from ..portal.sessions import Renewal, SessionKeeper
from ..state.ports import AuditLog, State
from ..state.vault import Vault
from .context import App

if TYPE_CHECKING:
    from ..portal.client import OigCloudClient
    from ..portal.pool import Pool

KEPT_APPS = 1000
"""Households whose apps a process keeps ready (least recently used ones are rebuilt)."""
NOT_CONNECTED = (
    "This household's OIG Cloud login is no longer kept on the server; connect the client "
    "again and sign in on the consent page."
)


def account_allowed(email: str, allowed: tuple[str, ...]) -> bool:
    """Whether `email` may sign in: anyone without a list; else listed, or in a listed
    @domain."""
    key = account_key(email)
    if not allowed:
        return True
    domain = "@" + key.rpartition("@")[2]
    return key in allowed or domain in allowed


class SignInSessions:
    """The shared sessions as a sign-in on the consent page uses them: no backoff of the
    automatic logins is checked or counted (the consent page counts its refusals), and an
    accepted login is stored as the household's session, which lifts that backoff."""

    def __init__(self, sessions: SessionKeeper) -> None:
        self._sessions = sessions
        self.fix_hint = sessions.fix_hint

    async def allow(self, account: str) -> None:
        """As the shared sessions allow it."""
        await self._sessions.allow(account)

    async def stored_cookie(self, account: str) -> str | None:
        """The household's stored cookie."""
        return await self._sessions.stored_cookie(account)

    @contextlib.asynccontextmanager
    async def renewal(self, account: str) -> AsyncIterator[Renewal]:
        """The household's renewal under its shared lock, without the backoff."""
        async with self._sessions.renewal(account) as renewal:
            yield _SignInRenewal(renewal)


@dataclass(frozen=True)
class _SignInRenewal:
    held: Renewal

    async def stored_cookie(self) -> str | None:
        return await self.held.stored_cookie()

    async def check_may_login(self, *, explicit: bool) -> None:
        """Always: the consent page's own counter decides whether a sign-in is tried."""

    async def rejected(self) -> None:
        """Counted by the consent page, not as a rejection of the sealed login."""

    async def accepted(self, cookie: str) -> None:
        await self.held.accepted(cookie)


@dataclass(frozen=True)
class HouseholdAudit:
    """The server's audit log as one household writes and reads it: each line it appends
    says which household it was for (its subject, never its e-mail)."""

    log: AuditLog
    subject: str

    async def append(self, entry: dict[str, Any]) -> None:
        """Append `entry` with the household's subject."""
        await self.log.append({**entry, "household": self.subject})

    async def last(self, count: int) -> list[dict[str, Any]]:
        """This household's lines among the newest `count`, oldest first."""
        return [e for e in await self.log.last(count) if e.get("household") == self.subject]


class Households:
    """The apps of the households this server serves."""

    def __init__(
        self,
        settings: Settings,
        state: State,
        vault: Vault,
        now: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.state = state
        self.vault = vault
        self._now = now
        self._apps: OrderedDict[str, App] = OrderedDict()
        self._pool: Pool | None = None

    def app(self, subject: str) -> App:
        """The household's use cases (built, or taken from the recently used ones)."""
        found = self._apps.get(subject)
        if found is None:
            own = replace(self.state, audit=HouseholdAudit(self.state.audit, subject))
            found = App(self.settings, own, self._now, lambda: self._client(subject))
            self._apps[subject] = found
            while len(self._apps) > KEPT_APPS:
                self._apps.popitem(last=False)  # its client shares the pool: nothing to close
        self._apps.move_to_end(subject)
        return found

    def _http(self) -> Pool:
        if self._pool is None:
            from ..portal.pool import portal_pool

            self._pool = portal_pool(self.settings.base_url, timeout_s=self.settings.timeout_s)
        return self._pool

    def vault_login(self, subject: str) -> Callable[[], Awaitable[Credentials]]:
        """The household's sealed login, opened when the client logs in."""

        async def login() -> Credentials:
            found = await self.vault.login(subject)
            if found is None:
                raise CredentialsNotFoundError(NOT_CONNECTED)
            return found

        return login

    def _client(self, subject: str) -> OigCloudClient:
        from ..portal.client import OigCloudClient

        return OigCloudClient(
            self.settings.base_url,
            self.vault_login(subject),
            account=lambda: subject,
            sessions=self.state.sessions,
            cache=self.state.cache,
            timeout_s=self.settings.timeout_s,
            http=self._http(),
        )

    async def sign_in(self, email: str, password: str) -> str:
        """Check a household's login with one real portal login and keep it sealed;
        returns the household's subject. Refusals raise the client's errors
        (`AuthenticationError`, …).

        The consent page counts refused sign-ins itself (`sign_in.SignInConsent`), so this
        login neither waits for nor counts in the backoff of the automatic logins: an old
        sealed password the portal kept rejecting does not lock out the new one, and a
        stranger typing wrong passwords does not pause the household's own logins. Its
        session is kept for the household, and its success lifts that backoff."""
        credentials = Credentials(email.strip(), password, source="consent")
        if not is_plausible_email(credentials.email):
            from ..errors import AuthenticationError

            raise AuthenticationError("OIG Cloud did not accept that e-mail and password.")
        from ..portal.client import OigCloudClient

        subject = subject_of(credentials.email)
        checking = OigCloudClient(
            self.settings.base_url,
            self.vault_login(subject),
            account=lambda: subject,
            sessions=SignInSessions(self.state.sessions),
            timeout_s=self.settings.timeout_s,
            http=self._http(),
        )
        await checking.login(credentials, account=subject)
        await self.vault.keep(credentials)
        return subject

    async def forget(self, subject: str) -> None:
        """Remove a household: its login, and its app from this process."""
        await self.vault.forget(subject)
        self._apps.pop(subject, None)

    async def aclose(self) -> None:
        """Close the shared connection pool."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.aclose()
