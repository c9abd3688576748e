"""Remote access: the tokens of the OAuth 2.1 authorization server, over the state's records.

A code the owner's consent produced is exchanged once for a grant: an access token (24 h
by default) and a rotating refresh token whose reuse revokes the grant; a grant and its
client live while they are used. `Authorization` extends this with clients and consent.
Every secret is kept only as its digest (`domain.grants`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..domain.grants import (
    AccessRecord,
    ClientRecord,
    CodeRecord,
    Grant,
    RefreshChain,
    digest,
    new_secret,
    refresh_use,
    rotated,
)
from ..errors import AuthorizationRefusedError
from ..state.ports import RemoteRecords
from .observe import GRANTS

GRANT_UNUSED_S = 30 * 24 * 3600
"""A grant nobody used for 30 days ends; every use moves the date."""
CLIENT_UNUSED_S = 30 * 24 * 3600
"""A registered client that obtains nothing for 30 days is forgotten (claude.ai registers
a fresh client for every connection)."""
DOCUMENT_CACHE_S = 3600
"""How long a fetched client metadata document is trusted before it is fetched again."""
TOUCH_EVERY_S = 3600
"""A grant's last use is written at most this often (not on every request)."""


@dataclass(frozen=True)
class Tokens:
    """What a token request answers."""

    access_token: str
    refresh_token: str
    expires_in: int
    scopes: list[str]


@dataclass(frozen=True)
class RemoteSettings:
    """What remote access needs to know about this server."""

    issuer: str
    """The public URL, exactly as clients compare it (no trailing slash)."""
    write_allowed: bool
    """Whether any write tool is enabled on this server (only then is oig:write offered)."""
    redirect_extra: tuple[str, ...] = ()
    access_ttl_s: float = 24 * 3600
    allowed_accounts: tuple[str, ...] = ()
    """Serving many homes: e-mails or @domains that may sign in (empty: anyone)."""
    pair_command: str = "oig-cloud-mcp remote pair"
    """What the owner runs for a pairing code of this server's state (the demo box's own)."""

    @property
    def resource(self) -> str:
        """The MCP endpoint tokens are bound to (RFC 8707)."""
        return f"{self.issuer}/mcp"


class TokenIssuer:
    """The token side of one home's authorization server: codes exchanged for grants,
    refresh tokens rotated, access tokens checked, grants listed and revoked."""

    def __init__(
        self,
        records: RemoteRecords,
        settings: RemoteSettings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.records = records
        self.settings = settings
        self.clock = clock

    async def code(self, client_id: str, code: str) -> CodeRecord | None:
        """An unexpired, unused code of this client."""
        record = await self.records.codes.get(digest(code))
        return record if record is not None and record.client_id == client_id else None

    async def exchange_code(self, client_id: str, code: str) -> Tokens:
        """The tokens for a code (taken: a second exchange finds nothing)."""
        record = await self.records.codes.take(digest(code))
        if record is None or record.client_id != client_id:
            raise AuthorizationRefusedError("invalid_grant", "The code is unknown or was used.")
        now = self.clock()
        refresh = new_secret("oig_rt")
        grant = Grant(
            id=record.grant_id,
            client_id=client_id,
            subject=record.subject,
            scopes=record.scopes,
            resource=record.resource,
            created_at=now,
            last_used_at=now,
            refresh=RefreshChain(current=digest(refresh)),
        )
        await self.records.grants.put(grant.id, grant, now + GRANT_UNUSED_S)
        GRANTS.changed()
        await self.records.refresh.put(digest(refresh), grant.id, now + GRANT_UNUSED_S)
        await self._touch_client(client_id)
        return await self._tokens(grant, refresh)

    async def _tokens(self, grant: Grant, refresh: str) -> Tokens:
        now = self.clock()
        access = new_secret("oig_at")
        ttl = self.settings.access_ttl_s
        record = AccessRecord(
            grant_id=grant.id,
            subject=grant.subject,
            client_id=grant.client_id,
            scopes=grant.scopes,
            resource=grant.resource,
            expires_at=now + ttl,
        )
        await self.records.access.put(digest(access), record, now + ttl)
        return Tokens(access, refresh, int(ttl), grant.scopes)

    async def refresh_grant(self, client_id: str, token: str) -> Grant | None:
        """The grant a refresh token of this client belongs to (retired tokens included:
        their reuse is caught by `exchange_refresh`)."""
        grant_id = await self.records.refresh.get(digest(token))
        grant = None if grant_id is None else await self.records.grants.get(grant_id)
        return grant if grant is not None and grant.client_id == client_id else None

    async def exchange_refresh(self, client_id: str, token: str, scopes: list[str]) -> Tokens:
        """New tokens for a refresh token; the refresh token rotates. A retired token used
        again means it was stolen: the whole grant is revoked."""
        presented, successor = digest(token), new_secret("oig_rt")
        now = self.clock()
        outcome: list[str] = []

        def rotate(grant: Grant | None) -> tuple[Grant | None, float]:
            outcome.clear()  # a shared store may run this again on a newer grant
            if grant is None or grant.client_id != client_id:
                outcome.append("unknown")
                return grant, now + GRANT_UNUSED_S
            use = refresh_use(grant.refresh, presented)
            outcome.append(use)
            if use == "reuse":
                return None, 0.0
            if use == "unknown":
                return grant, grant.last_used_at + GRANT_UNUSED_S
            kept = grant.model_copy(
                update={
                    "refresh": rotated(grant.refresh, presented, digest(successor)),
                    "scopes": [s for s in grant.scopes if s in scopes] or grant.scopes,
                    "last_used_at": now,
                }
            )
            return kept, now + GRANT_UNUSED_S

        grant_id = await self.records.refresh.get(presented)
        grant = None if grant_id is None else await self.records.grants.update(grant_id, rotate)
        if outcome == ["reuse"] and grant_id is not None:
            await self._forget_grant(grant_id)
            raise AuthorizationRefusedError(
                "invalid_grant", "This refresh token was used before; the grant is revoked."
            )
        if grant is None or outcome != ["rotate"]:
            raise AuthorizationRefusedError("invalid_grant", "The refresh token is unknown.")
        await self.records.refresh.put(digest(successor), grant.id, now + GRANT_UNUSED_S)
        return await self._tokens(grant, successor)

    async def access(self, token: str) -> AccessRecord | None:
        """The access token's record while it and its grant are valid; a grant's last use
        is noted (at most hourly)."""
        record = await self.records.access.get(digest(token))
        if record is None:
            return None
        grant = await self.records.grants.get(record.grant_id)
        if grant is None:
            return None
        now = self.clock()
        if now - grant.last_used_at > TOUCH_EVERY_S:
            await self._touch_grant(grant.id)
        if GRANTS.due(now):  # for telemetry's gauge of active grants
            GRANTS.counted(len(await self.records.grants.values()), now)
        return record

    async def _touch_grant(self, grant_id: str) -> None:
        now = self.clock()

        def touch(grant: Grant | None) -> tuple[Grant | None, float]:
            if grant is None:
                return None, 0.0
            return grant.model_copy(update={"last_used_at": now}), now + GRANT_UNUSED_S

        await self.records.grants.update(grant_id, touch)

    async def _touch_client(self, client_id: str) -> None:
        now = self.clock()

        def touch(client: ClientRecord | None) -> tuple[ClientRecord | None, float]:
            if client is None:
                return None, 0.0
            expires = now + (DOCUMENT_CACHE_S if client.kind == "document" else CLIENT_UNUSED_S)
            return client.model_copy(update={"last_used_at": now}), expires

        await self.records.clients.update(client_id, touch)

    async def revoke(self, token: str) -> None:
        """RFC 7009: an access token ends; a refresh token ends its whole grant."""
        key = digest(token)
        if await self.records.access.take(key) is not None:
            return
        grant_id = await self.records.refresh.get(key)
        if grant_id is not None:
            await self._forget_grant(grant_id)

    async def _forget_grant(self, grant_id: str) -> None:
        """End a grant: its access tokens stop at their next use (their grant is gone)."""
        await self.records.grants.delete(grant_id)
        GRANTS.changed()

    async def grants(self) -> list[tuple[Grant, ClientRecord | None]]:
        """Every live grant and its client, oldest first."""
        found = sorted((grant for _, grant in await self.records.grants.values()), key=_created)
        return [(grant, await self.records.clients.get(grant.client_id)) for grant in found]

    async def revoke_client(self, client_id: str | None) -> int:
        """End every grant of a client (of every client with None); returns how many."""
        ended = 0
        for grant_id, grant in await self.records.grants.values():
            if client_id is None or grant.client_id == client_id:
                await self._forget_grant(grant_id)
                ended += 1
        return ended


def _created(grant: Grant) -> float:
    return grant.created_at
