"""Consent for a server of many homes: each household signs in with its OIG Cloud login.

A public page that checks passwords invites credential stuffing: sign-ins are counted,
before they are sent, per client address (ten refused, each within 15 minutes of the last,
lock that address out for 15 minutes; signing in does not lift it) and per e-mail (three
refused in a row lock it for 10 s, doubling up to 15 minutes), an optional
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


Counted = tuple[Lockout, float, bool]
"""A try counted (or refused) on a lock's record: the new record, its expiry, and whether
the try may go on."""


def address_try(lockout: Lockout | None, now: float) -> Counted:
    """Count a try from a client address; refused while it is locked. The try that reaches
    `WRONG_SIGN_INS` locks the address for 15 minutes (the record then expires with it)."""
    if lockout is not None and (lockout.failures >= WRONG_SIGN_INS or lockout.locked_until > now):
        return lockout, lockout.locked_until, False
    failures = (lockout.failures if lockout else 0) + 1
    locked_until = now + CONSENT_LOCK_S if failures >= WRONG_SIGN_INS else 0.0
    return Lockout(failures=failures, locked_until=locked_until), now + CONSENT_LOCK_S, True


def account_try(lockout: Lockout | None, now: float) -> Counted:
    """Count a try for an e-mail; refused while it is locked. From the `FREE_REJECTIONS`th
    try on, each locks the e-mail for 10 s, doubling up to 15 minutes (the same backoff as
    the automatic logins); the count is kept a day after the last try."""
    kept = now + ACCOUNT_COUNT_KEPT_S
    if lockout is not None and lockout.locked_until > now:
        return lockout, kept, False
    failures = min((lockout.failures if lockout else 0) + 1, MAX_COUNTED_REJECTIONS)
    locked_until = 0.0
    if failures >= FREE_REJECTIONS:
        doublings = min(failures - FREE_REJECTIONS, 32)
        locked_until = now + min(FIRST_LOCK_S * 2.0**doublings, MAX_LOCK_S)
    return Lockout(failures=failures, locked_until=locked_until), kept, True


def uncounted(
    lockout: Lockout | None, limit: int, expires_at: float
) -> tuple[Lockout | None, float]:
    """A lock's record without one counted try (it was not a refused sign-in): below
    `limit` the lock goes too."""
    if lockout is None or lockout.failures <= 1:
        return None, 0.0
    failures = lockout.failures - 1
    locked_until = lockout.locked_until if failures >= limit else 0.0
    return Lockout(failures=failures, locked_until=locked_until), expires_at


class SignInConsent:
    """The consent page's sign-in: a household's OIG Cloud login instead of a pairing code.

    Each try is counted before it is sent to OIG Cloud, in one atomic update of its locks'
    records, so however many arrive at once, no more tries reach OIG Cloud than the locks
    allow. A try that OIG Cloud did not answer is uncounted again; a successful one clears
    its e-mail's count and uncounts itself from its address (whose count of refusals only
    expires: an account of one's own that signs in does not lift it).
    """

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
        await self._count(key, address_try, "from this address")
        try:
            await self._count(account, account_try, "for this account")
        except AuthorizationRefusedError:
            await self._uncount(key, WRONG_SIGN_INS, CONSENT_LOCK_S)
            raise
        try:
            if not account_allowed(email, auth.settings.allowed_accounts):
                raise AuthenticationError(SIGN_IN_REFUSED)
            subject = await self._sign_in(email, password)
        except AuthenticationError:
            raise AuthorizationRefusedError("access_denied", SIGN_IN_REFUSED) from None
        except OigError as exc:
            await self._uncount(key, WRONG_SIGN_INS, CONSENT_LOCK_S)
            await self._uncount(account, FREE_REJECTIONS, ACCOUNT_COUNT_KEPT_S)
            if isinstance(exc, LoginLockedError):
                raise AuthorizationRefusedError(
                    "temporarily_unavailable",
                    f"Too many refused sign-ins for this account; try again in "
                    f"{exc.retry_after_s // 60 + 1} min.",
                ) from None
            raise AuthorizationRefusedError(
                "temporarily_unavailable", "OIG Cloud is not answering; try again later."
            ) from None
        await auth.records.lockouts.delete(account)
        await self._uncount(key, WRONG_SIGN_INS, CONSENT_LOCK_S)
        if await auth.records.consents.take(digest(handle)) is None:
            raise AuthorizationRefusedError("invalid_request", "This consent was already given.")
        allowed = auth.settings.write_allowed
        scopes = granted_scopes(request.scopes, write_allowed=allowed, ticked=write)
        return await auth.issue_code(request, scopes, subject)

    async def _count(
        self, key: str, count: Callable[[Lockout | None, float], Counted], whose: str
    ) -> None:
        """Count a try under `key`, or refuse it while that lock holds."""
        now = self.authorization.clock()
        goes_on = False

        def change(lockout: Lockout | None) -> tuple[Lockout, float]:
            nonlocal goes_on  # set again on every run: the last run is the one kept
            kept, expires_at, goes_on = count(lockout, now)
            return kept, expires_at

        kept = await self.authorization.records.lockouts.update(key, change)
        if not goes_on:
            until = kept.locked_until if kept is not None else now
            raise AuthorizationRefusedError(
                "temporarily_unavailable",
                f"Too many refused sign-ins {whose}; try again in "
                f"{int(max(until - now, 0.0) // 60) + 1} min.",
            )

    async def _uncount(self, key: str, limit: int, kept_s: float) -> None:
        """Take back one try counted under `key` (it was not refused by OIG Cloud)."""
        now = self.authorization.clock()
        await self.authorization.records.lockouts.update(
            key, lambda lockout: uncounted(lockout, limit, now + kept_s)
        )
