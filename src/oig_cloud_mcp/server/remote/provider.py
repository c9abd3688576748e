"""The MCP SDK's authorization-server provider, over the app's `Authorization`.

The SDK's routes do what the protocol says (PKCE S256, redirect matching, client
authentication, token responses); this adapter only translates between the SDK's models
and ours, and our refusals into the SDK's errors. Client secrets are kept as digests: the
SDK compares a presented secret with the client record's, so a record carries the secret
only for the request that presented the right one (`presented_secret`).
"""

from __future__ import annotations

import contextvars
import hmac
import secrets
import time
from typing import Any

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    RegistrationError,
    TokenError,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl

from ...app.authorization import Authorization
from ...domain.grants import ClientRecord, digest, same_redirect
from ...errors import AuthorizationRefusedError

presented_secret: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "presented_secret", default=None
)
"""(client id, secret) a /token or /revoke request presented (see `routes.SecretReader`)."""


class OigClient(OAuthClientInformationFull):
    """A client as the SDK sees it; a loopback redirect matches on any port (RFC 8252)."""

    def validate_redirect_uri(self, redirect_uri: AnyUrl | None) -> AnyUrl:
        """The redirect to use: the one asked for, if registered (loopback: any port)."""
        if redirect_uri is not None:
            for registered in self.redirect_uris or []:
                if same_redirect(str(registered), str(redirect_uri)):
                    return redirect_uri
        return super().validate_redirect_uri(redirect_uri)


def _sdk_client(record: ClientRecord) -> OigClient:
    secret: str | None = None
    if record.secret_hash is not None:
        presented = presented_secret.get() or ("", "")
        right = hmac.compare_digest(digest(presented[1]), record.secret_hash)
        # A wrong secret meets a fresh random one, which nothing a client sends equals.
        mine = presented[0] == record.client_id and right
        secret = presented[1] if mine else secrets.token_hex(32)
    return OigClient(
        client_id=record.client_id,
        client_secret=secret,
        client_id_issued_at=int(record.created_at),
        redirect_uris=record.redirect_uris,  # type: ignore[arg-type]
        grant_types=record.grant_types,
        token_endpoint_auth_method=record.auth_method,
        scope=record.scope,
        client_name=record.name,
    )


class OigProvider:
    """`OAuthAuthorizationServerProvider` for one home."""

    def __init__(self, authorization: Authorization, consent_url: str) -> None:
        self.authorization = authorization
        self.consent_url = consent_url

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        """A registered client, or the one an https:// client id's document describes."""
        record = await self.authorization.client(client_id)
        return None if record is None else _sdk_client(record)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        """Keep a new client (only its secret's digest); redirects must be allowed ones."""
        now = time.time()
        secret = client_info.client_secret
        record = ClientRecord(
            client_id=client_info.client_id or "",
            name=(client_info.client_name or "")[:200] or None,
            redirect_uris=[str(uri) for uri in client_info.redirect_uris or []],
            grant_types=list(client_info.grant_types),
            scope=client_info.scope or "oig:read",
            auth_method=client_info.token_endpoint_auth_method or "none",  # type: ignore[arg-type]
            secret_hash=None if secret is None else digest(secret),
            created_at=now,
            last_used_at=now,
        )
        try:
            await self.authorization.register(record)
        except AuthorizationRefusedError as exc:
            raise RegistrationError(exc.code, str(exc)) from exc  # type: ignore[arg-type]

    async def authorize(
        self, client: OAuthClientInformationFull, params: AuthorizationParams
    ) -> str:
        """Send the browser to the consent page."""
        record = await self.authorization.client(client.client_id or "")
        if record is None:
            raise AuthorizeError("unauthorized_client", "Unknown client.")
        try:
            handle = await self.authorization.request_consent(
                record,
                redirect_uri=str(params.redirect_uri),
                explicit=params.redirect_uri_provided_explicitly,
                state=params.state,
                scopes=params.scopes,
                code_challenge=params.code_challenge,
                resource=params.resource,
            )
        except AuthorizationRefusedError as exc:
            raise AuthorizeError(exc.code, str(exc)) from exc  # type: ignore[arg-type]
        return f"{self.consent_url}?request={handle}"

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        """The code's record, for the SDK's checks (PKCE, redirect, expiry)."""
        record = await self.authorization.code(client.client_id or "", authorization_code)
        if record is None:
            return None
        return AuthorizationCode(
            code=authorization_code,
            scopes=record.scopes,
            expires_at=record.expires_at,
            client_id=record.client_id,
            code_challenge=record.code_challenge,
            redirect_uri=AnyUrl(record.redirect_uri),
            redirect_uri_provided_explicitly=record.redirect_uri_provided_explicitly,
            resource=record.resource,
            subject=record.subject,
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        """Tokens for the code (which is then used up)."""
        try:
            tokens = await self.authorization.exchange_code(
                client.client_id or "", authorization_code.code
            )
        except AuthorizationRefusedError as exc:
            raise TokenError(exc.code, str(exc)) from exc  # type: ignore[arg-type]
        return _token(tokens.access_token, tokens.refresh_token, tokens.expires_in, tokens.scopes)

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> RefreshToken | None:
        """The refresh token's grant, for the SDK's checks."""
        grant = await self.authorization.refresh_grant(client.client_id or "", refresh_token)
        if grant is None:
            return None
        return RefreshToken(
            token=refresh_token,
            client_id=grant.client_id,
            scopes=grant.scopes,
            resource=grant.resource,
            subject=grant.subject,
        )

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        """New tokens; the refresh token rotates (reuse of a retired one revokes the grant)."""
        try:
            tokens = await self.authorization.exchange_refresh(
                client.client_id or "", refresh_token.token, scopes
            )
        except AuthorizationRefusedError as exc:
            raise TokenError(exc.code, str(exc)) from exc  # type: ignore[arg-type]
        return _token(tokens.access_token, tokens.refresh_token, tokens.expires_in, tokens.scopes)

    async def load_access_token(self, token: str) -> AccessToken | None:
        """The bearer's record while valid; the grant id rides along as a claim."""
        record = await self.authorization.access(token)
        if record is None:
            return None
        return AccessToken(
            token=token,
            client_id=record.client_id,
            scopes=record.scopes,
            expires_at=int(record.expires_at),
            resource=record.resource,
            subject=record.subject,
            claims={"grant": record.grant_id},
        )

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        """End an access token, or a refresh token's whole grant."""
        await self.authorization.revoke(token.token)

    async def exchange_identity_assertion(self, client: Any, params: Any) -> OAuthToken:
        """Not supported (no identity assertions)."""
        raise TokenError("unsupported_grant_type", "Identity assertions are not supported.")


def _token(access: str, refresh: str, expires_in: int, scopes: list[str]) -> OAuthToken:
    return OAuthToken(
        access_token=access,
        token_type="Bearer",  # noqa: S106 - the token type, not a password
        expires_in=expires_in,
        scope=" ".join(scopes),
        refresh_token=refresh,
    )
