"""Remote access: the OAuth 2.1 authorization server's use cases, over the state's records.

Transport-free: the server package adapts these to the MCP SDK's provider protocol and
routes. A client registers (RFC 7591) or names itself with a metadata document (CIMD); its
/authorize waits on the consent page until the owner types a pairing code from
`oig-cloud-mcp remote pair`; the code it then gets is exchanged for an access token (24 h)
and a rotating refresh token (`app.tokens`, which `Authorization` extends). Every secret is
kept only as its digest (`domain.grants`).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..domain.grants import (
    READ_SCOPE,
    SCOPES,
    ClientRecord,
    CodeRecord,
    ConsentRequest,
    Lockout,
    digest,
    document_client,
    granted_scopes,
    is_s256_challenge,
    new_pairing_code,
    new_secret,
    normal_pairing_code,
    redirect_allowed,
)
from ..errors import AuthorizationRefusedError, OigError
from ..state.ports import RemoteRecords
from .tokens import CLIENT_UNUSED_S, DOCUMENT_CACHE_S, RemoteSettings, TokenIssuer, Tokens

__all__ = ["Authorization", "DocumentFetcher", "RemoteSettings", "Tokens"]

CODE_TTL_S = 5 * 60
CONSENT_TTL_S = 10 * 60
PAIRING_TTL_S = 10 * 60
WRONG_CODES = 5
CONSENT_LOCK_S = 15 * 60
CONSENT_LOCK = "consent"

DocumentFetcher = Callable[[str], Awaitable[dict[str, Any]]]


def _with_query(uri: str, **params: str | None) -> str:
    """`uri` with `params` added to its query (None values left out)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, value) for key, value in params.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


class Authorization(TokenIssuer):
    """The authorization server of one home, over the state's remote records: clients and
    the owner's consent here, codes exchanged for tokens in `TokenIssuer`."""

    def __init__(
        self,
        records: RemoteRecords,
        settings: RemoteSettings,
        *,
        fetch_document: DocumentFetcher | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(records, settings, clock=clock)
        self._fetch = fetch_document

    @property
    def fetches(self) -> bool:
        """Whether clients may name themselves with a metadata document (CIMD)."""
        return self._fetch is not None

    # -- clients --------------------------------------------------------------------

    async def register(self, client: ClientRecord) -> None:
        """Keep a dynamically registered client; redirects off the allowlist are refused."""
        for uri in client.redirect_uris:
            if not redirect_allowed(uri, self.settings.redirect_extra):
                raise AuthorizationRefusedError(
                    "invalid_redirect_uri",
                    f"Redirect URI {uri[:200]} is not allowed on this server: only loopback "
                    "addresses and known connectors' callbacks are, unless the owner adds it.",
                )
        await self.records.clients.put(client.client_id, client, self.clock() + CLIENT_UNUSED_S)

    async def client(self, client_id: str) -> ClientRecord | None:
        """A registered client, or the client an https:// id names (its metadata document,
        fetched safely and cached for an hour); None when there is none."""
        known = await self.records.clients.get(client_id)
        if known is not None or not client_id.startswith("https://") or self._fetch is None:
            return known
        try:
            document = await self._fetch(client_id)
        except OigError:
            return None
        record = document_client(client_id, document, self.clock())
        if record is not None:
            await self.records.clients.put(client_id, record, self.clock() + DOCUMENT_CACHE_S)
        return record

    # -- consent --------------------------------------------------------------------

    async def request_consent(
        self,
        client: ClientRecord,
        *,
        redirect_uri: str,
        explicit: bool,
        state: str | None,
        scopes: list[str] | None,
        code_challenge: str,
        resource: str | None,
    ) -> str:
        """Keep an /authorize until the owner decides; returns the consent page's handle."""
        if not is_s256_challenge(code_challenge):
            raise AuthorizationRefusedError(
                "invalid_request",
                "code_challenge must be an S256 challenge: 43 characters of base64url (RFC 7636).",
            )
        wanted = resource.rstrip("/") if resource else self.settings.resource
        if wanted != self.settings.resource:
            raise AuthorizationRefusedError(
                "invalid_target", f"This server issues tokens only for {self.settings.resource}."
            )
        handle = secrets.token_urlsafe(32)
        request = ConsentRequest(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            redirect_uri_provided_explicitly=explicit,
            state=state,
            scopes=[s for s in (scopes or [READ_SCOPE]) if s in SCOPES] or [READ_SCOPE],
            code_challenge=code_challenge,
            resource=self.settings.resource,
            csrf_hash="",
            created_at=self.clock(),
        )
        await self.records.consents.put(digest(handle), request, self.clock() + CONSENT_TTL_S)
        return handle

    async def consent(self, handle: str) -> tuple[ConsentRequest, ClientRecord] | None:
        """The waiting request behind a consent page's handle, and its client."""
        request = await self.records.consents.get(digest(handle))
        if request is None:
            return None
        client = await self.client(request.client_id)
        return None if client is None else (request, client)

    async def new_form(self, handle: str) -> str:
        """A fresh anti-forgery token for the consent form of `handle` (the form carries it,
        and so does a cookie the page sets: a forged POST has neither)."""
        token = secrets.token_urlsafe(32)

        def bind(request: ConsentRequest | None) -> tuple[ConsentRequest | None, float]:
            if request is None:
                return None, 0.0
            kept = request.model_copy(update={"csrf_hash": digest(token)})
            return kept, request.created_at + CONSENT_TTL_S

        await self.records.consents.update(digest(handle), bind)
        return token

    async def _reserve_try(self) -> None:
        """Count a pairing-code try before its code is checked, in one atomic update of the
        lock's record, or refuse it while consent is locked: however many tries arrive at
        once, at most `WRONG_CODES` codes are checked. The try that reaches it locks consent
        for 15 minutes."""
        now = self.clock()
        goes_on = False

        def reserve(lockout: Lockout | None) -> tuple[Lockout, float]:
            nonlocal goes_on  # set again on every run: the last run is the one kept
            goes_on = lockout is None or lockout.locked_until <= now
            if lockout is not None and not goes_on:
                return lockout, lockout.locked_until
            failures = (lockout.failures if lockout else 0) + 1
            locked_until = now + CONSENT_LOCK_S if failures >= WRONG_CODES else 0.0
            return Lockout(failures=failures, locked_until=locked_until), now + CONSENT_LOCK_S

        kept = await self.records.lockouts.update(CONSENT_LOCK, reserve)
        if not goes_on:
            wait = max(0.0, (kept.locked_until if kept is not None else now) - now)
            raise AuthorizationRefusedError(
                "temporarily_unavailable",
                f"Too many wrong pairing codes: consent is locked for {int(wait // 60) + 1} "
                f"min. Then run `{self.settings.pair_command}` for a new code.",
            )

    async def _give_back_try(self) -> None:
        """Uncount a try whose code was right (below `WRONG_CODES` the lock goes too); the
        wrong codes before it still count until their record expires."""
        now = self.clock()

        def give_back(lockout: Lockout | None) -> tuple[Lockout | None, float]:
            if lockout is None or lockout.failures <= 1:
                return None, 0.0
            failures = lockout.failures - 1
            locked_until = lockout.locked_until if failures >= WRONG_CODES else 0.0
            return Lockout(failures=failures, locked_until=locked_until), now + CONSENT_LOCK_S

        await self.records.lockouts.update(CONSENT_LOCK, give_back)

    async def approve(self, handle: str, csrf: str, pairing_code: str, *, write: bool) -> str:
        """The owner's consent with a pairing code: the client's redirect with a code.

        Refusals raise `AuthorizationRefusedError`: `invalid_request` (no such request, or a
        forged form), `access_denied` (a wrong, used or expired code),
        `temporarily_unavailable` (consent locked after `WRONG_CODES` wrong codes).
        """
        request = await self.checked_request(handle, csrf)
        await self._reserve_try()
        if not await self.records.pairing.take(digest(normal_pairing_code(pairing_code))):
            raise AuthorizationRefusedError(
                "access_denied",
                "That pairing code is wrong, used or expired; run "
                f"`{self.settings.pair_command}` on the server for a new one.",
            )
        await self._give_back_try()
        if await self.records.consents.take(digest(handle)) is None:
            raise AuthorizationRefusedError("invalid_request", "This consent was already given.")
        scopes = granted_scopes(
            request.scopes, write_allowed=self.settings.write_allowed, ticked=write
        )
        return await self.issue_code(request, scopes)

    async def deny(self, handle: str, csrf: str) -> str:
        """The owner said no: the client's redirect with `access_denied`."""
        request = await self.checked_request(handle, csrf)
        await self.records.consents.delete(digest(handle))
        return _with_query(
            request.redirect_uri,
            error="access_denied",
            error_description="The owner did not allow access.",
            state=request.state,
            iss=self.settings.issuer,
        )

    async def checked_request(self, handle: str, csrf: str) -> ConsentRequest:
        """The waiting request of a consent form that really came from its page."""
        request = await self.records.consents.get(digest(handle))
        if request is None:
            raise AuthorizationRefusedError(
                "invalid_request", "This consent page has expired; start connecting again."
            )
        if not request.csrf_hash or not secrets.compare_digest(request.csrf_hash, digest(csrf)):
            raise AuthorizationRefusedError(
                "invalid_request", "This form was not sent from this server's consent page."
            )
        return request

    async def issue_code(
        self, request: ConsentRequest, scopes: list[str], subject: str = "owner"
    ) -> str:
        """The client's redirect with a fresh code for what was granted."""
        now = self.clock()
        code = new_secret("oig_ac")
        record = CodeRecord(
            client_id=request.client_id,
            grant_id=secrets.token_hex(16),
            subject=subject,
            scopes=scopes,
            code_challenge=request.code_challenge,
            redirect_uri=request.redirect_uri,
            redirect_uri_provided_explicitly=request.redirect_uri_provided_explicitly,
            resource=request.resource,
            expires_at=now + CODE_TTL_S,
        )
        await self.records.codes.put(digest(code), record, now + CODE_TTL_S)
        return _with_query(
            request.redirect_uri, code=code, state=request.state, iss=self.settings.issuer
        )

    # -- the owner ------------------------------------------------------------------

    async def pair(self) -> str:
        """A new one-time pairing code (ten minutes)."""
        code = new_pairing_code()
        await self.records.pairing.put(digest(code), True, self.clock() + PAIRING_TTL_S)
        return code
