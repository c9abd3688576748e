"""Consent for a server of many homes: each household signs in with its OIG Cloud login.

A public page that checks passwords invites credential stuffing: sign-ins are counted
per client address (ten refused in a row lock that address out for 15 minutes) and per
account (the portal login's own backoff), an optional allowlist keeps strangers out
before anything is sent, and an unknown account reads exactly like a wrong password.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ..domain.grants import Lockout, digest, granted_scopes
from ..errors import AuthenticationError, AuthorizationRefusedError, LoginLockedError, OigError
from .authorization import CONSENT_LOCK_S, Authorization
from .households import account_allowed

SignIn = Callable[[str, str], Awaitable[str]]
"""A household's e-mail and password → its subject, after one real portal login."""
WRONG_SIGN_INS = 10
"""Refused sign-ins from one client address before consent is locked for it."""
SIGN_IN_REFUSED = "OIG Cloud did not accept that e-mail and password."


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
        lockout = await auth.records.lockouts.get(key)
        if lockout is not None and lockout.locked_until > auth.clock():
            minutes = int((lockout.locked_until - auth.clock()) // 60) + 1
            raise AuthorizationRefusedError(
                "temporarily_unavailable",
                f"Too many refused sign-ins from this address; try again in {minutes} min.",
            )
        try:
            if not account_allowed(email, auth.settings.allowed_accounts):
                raise AuthenticationError(SIGN_IN_REFUSED)
            subject = await self._sign_in(email, password)
        except AuthenticationError:
            await self._refused(key)
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
