"""Consent for a server of many homes: each household signs in with its OIG Cloud login.

A public page that checks passwords invites credential stuffing: sign-ins are counted
per client address (ten refused in a row lock that address out for 15 minutes) and per
e-mail (three refused in a row lock it for 10 s, doubling up to 15 minutes), an optional
allowlist keeps strangers out before anything is sent, and an unknown account, a wrong
password and an e-mail not on the allowlist read alike and count alike, so neither the
answer nor the lock tells whether an e-mail is on the list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ..domain.grants import Lockout, digest, granted_scopes
from ..domain.models import account_key
from ..domain.security import FIRST_LOCK_S, FREE_REJECTIONS, MAX_COUNTED_REJECTIONS, MAX_LOCK_S
from ..errors import AuthenticationError, AuthorizationRefusedError, LoginLockedError, OigError
from .authorization import CONSENT_LOCK_S, Authorization
from .households import account_allowed

SignIn = Callable[[str, str], Awaitable[str]]
"""A household's e-mail and password → its subject, after one real portal login."""
WRONG_SIGN_INS = 10
"""Refused sign-ins from one client address before consent is locked for it."""
SIGN_IN_REFUSED = "OIG Cloud did not accept that e-mail and password."
ACCOUNT_COUNT_KEPT_S = 24 * 3600.0
"""An e-mail's refused sign-ins are counted until one succeeds, or for a day after the last."""


def account_lock(email: str) -> str:
    """The key under which an e-mail's refused sign-ins are counted (a digest of it)."""
    return "account:" + digest(account_key(email))[:24]


class SignInConsent:
    """The consent page's sign-in: a household's OIG Cloud login instead of a pairing code."""

    def __init__(self, authorization: Authorization, sign_in: SignIn) -> None:
        self.authorization = authorization
        self._sign_in = sign_in

    async def approve(
        self, handle: str, csrf: str, email: str, password: str, *, address: str, write: bool
    ) -> str:
        """The client's redirect with a code bound to the household that signed in."""
        auth = self.authorization
        request = await auth.checked_request(handle, csrf)
        key = "address:" + digest(address)[:24]
        account = account_lock(email)
        for locked, whose in ((key, "from this address"), (account, "for this account")):
            lockout = await auth.records.lockouts.get(locked)
            if lockout is not None and lockout.locked_until > auth.clock():
                minutes = int((lockout.locked_until - auth.clock()) // 60) + 1
                raise AuthorizationRefusedError(
                    "temporarily_unavailable",
                    f"Too many refused sign-ins {whose}; try again in {minutes} min.",
                )
        try:
            if not account_allowed(email, auth.settings.allowed_accounts):
                raise AuthenticationError(SIGN_IN_REFUSED)
            subject = await self._sign_in(email, password)
        except AuthenticationError:
            await self._refused(key)
            await self._refused_account(account)
            raise AuthorizationRefusedError("access_denied", SIGN_IN_REFUSED) from None
        except LoginLockedError as exc:
            raise AuthorizationRefusedError(
                "temporarily_unavailable",
                f"Too many refused sign-ins for this account; try again in "
                f"{exc.retry_after_s // 60 + 1} min.",
            ) from None
        except OigError:
            raise AuthorizationRefusedError(
                "temporarily_unavailable", "OIG Cloud is not answering; try again later."
            ) from None
        await auth.records.lockouts.delete(key)
        await auth.records.lockouts.delete(account)
        if await auth.records.consents.take(digest(handle)) is None:
            raise AuthorizationRefusedError("invalid_request", "This consent was already given.")
        allowed = auth.settings.write_allowed
        scopes = granted_scopes(request.scopes, write_allowed=allowed, ticked=write)
        return await auth.issue_code(request, scopes, subject)

    async def _refused(self, key: str) -> None:
        now = self.authorization.clock()

        def count(lockout: Lockout | None) -> tuple[Lockout, float]:
            failures = (lockout.failures if lockout else 0) + 1
            locked_until = now + CONSENT_LOCK_S if failures >= WRONG_SIGN_INS else 0.0
            kept = Lockout(failures=0 if locked_until else failures, locked_until=locked_until)
            return kept, now + CONSENT_LOCK_S

        await self.authorization.records.lockouts.update(key, count)

    async def _refused_account(self, key: str) -> None:
        """Count a refused sign-in for an e-mail, whatever refused it (OIG Cloud, or the
        allowlist before anything was sent): the same backoff as the automatic logins."""
        now = self.authorization.clock()

        def count(lockout: Lockout | None) -> tuple[Lockout, float]:
            failures = min((lockout.failures if lockout else 0) + 1, MAX_COUNTED_REJECTIONS)
            locked_until = 0.0
            if failures >= FREE_REJECTIONS:
                doublings = min(failures - FREE_REJECTIONS, 32)
                locked_until = now + min(FIRST_LOCK_S * 2.0**doublings, MAX_LOCK_S)
            kept = Lockout(failures=failures, locked_until=locked_until)
            return kept, now + ACCOUNT_COUNT_KEPT_S

        await self.authorization.records.lockouts.update(key, count)
