"""The one composition root: Settings → state, portal client and use cases.

The server, the command line, `status` and the extension's build script all get what they
need here; nothing else builds a state object or a client from settings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..config import Settings, public_url
from ..domain.parsing import PORTAL_TZ
from ..state import credentials, shared_state, shared_whitelist
from ..state.local import LocalFiles, demo_file, local_files, local_state
from ..state.ports import State
from .context import App

if TYPE_CHECKING:
    from ..domain.models import Credentials
    from ..portal.client import OigCloudClient
    from ..portal.sessions import SessionKeeper
    from .authorization import Authorization, DocumentFetcher, RemoteSettings
    from .sign_in import SignInConsent

__all__ = [
    "LocalFiles",
    "build_app",
    "build_authorization",
    "build_client",
    "build_remote",
    "build_state",
    "local_files",
    "owner_login",
    "remote_settings",
]


def build_state(settings: Settings) -> State:
    """Every state port for `settings`: the Redis that `--state` names, else the state
    directory (the demo box's own in demo, which never uses Redis)."""
    if settings.state_url and not settings.demo:
        return shared_state(settings, credentials.hints(settings))
    return local_state(settings, credentials.hints(settings))


def build_client(settings: Settings, state: State) -> OigCloudClient:
    """The portal client for `settings`: the demo portal, or OIG Cloud with our guards."""
    from ..portal.client import OigCloudClient

    if settings.demo:
        from ..portal.demo import DEMO_CREDENTIALS, DemoPortal

        async def demo_login() -> Credentials:
            return DEMO_CREDENTIALS

        return OigCloudClient(
            "http://demo.invalid/",
            demo_login,
            sessions=state.sessions,
            cache=state.cache,
            handler=DemoPortal(demo_file(settings)),
        )

    async def login() -> Credentials:
        return credentials.resolve_credentials(settings)

    return OigCloudClient(
        settings.base_url,
        login,
        account=lambda: credentials.current_account(settings),
        sessions=state.sessions,
        cache=state.cache,
        timeout_s=settings.timeout_s,
    )


@dataclass
class OwnerLogin:
    """The owner's own `login`: a client that logs in with the typed login through the
    shared sessions and backoff but no whitelist check, and the whitelist it then joins."""

    client: OigCloudClient
    whitelist: Callable[[str], Awaitable[bool]]
    """List an e-mail (True if it was not listed before)."""
    whitelist_where: str
    aclose: Callable[[], Awaitable[None]]


def owner_login(settings: Settings, creds: Credentials) -> OwnerLogin:
    """What `login` needs for `creds`: on the shared state when `--state` names Redis,
    else the state directory."""
    from ..portal.client import OigCloudClient

    async def given() -> Credentials:
        return creds

    def client(sessions: SessionKeeper) -> OigCloudClient:
        return OigCloudClient(
            settings.base_url, given, sessions=sessions, timeout_s=settings.timeout_s
        )

    if settings.state_url:
        shared = shared_whitelist(settings, credentials.LOGIN_HINTS)
        on_redis = client(shared.state.sessions)

        async def close_both() -> None:
            try:
                await on_redis.aclose()
            finally:
                await shared.state.aclose()

        return OwnerLogin(on_redis, shared.add, shared.state.where, close_both)
    from ..state.local.security import add_to_whitelist, backoff_file
    from ..state.local.sessions import SessionStore, SharedSessions

    local = client(
        SharedSessions(
            SessionStore(settings.session_path),
            backoff_file(settings.backoff_path),
            credentials.LOGIN_HINTS,
        )
    )

    async def listed(email: str) -> bool:
        return add_to_whitelist(settings.whitelist_path, email)

    return OwnerLogin(local, listed, str(settings.whitelist_path), local.aclose)


def build_app(
    settings: Settings,
    *,
    now: Callable[[], datetime] | None = None,
    client: OigCloudClient | None = None,
    state: State | None = None,
) -> App:
    """The use cases for `settings`; tests may inject a clock, a client or the state."""
    chosen = state or build_state(settings)
    return App(
        settings,
        chosen,
        now or (lambda: datetime.now(PORTAL_TZ)),
        (lambda: client) if client is not None else (lambda: build_client(settings, chosen)),
        owns_state=state is None,
    )


def remote_settings(settings: Settings, *, issuer: str | None = None) -> RemoteSettings:
    """What remote access needs from `settings`; `issuer` defaults to the public URL
    (which raises `ConfigurationError` when it cannot be used)."""
    from .authorization import RemoteSettings

    return RemoteSettings(
        issuer=public_url(settings) if issuer is None else issuer,
        write_allowed=bool(settings.allowed_writes),
        redirect_extra=settings.redirect_uris,
        access_ttl_s=settings.token_ttl_s,
        allowed_accounts=settings.allowed_accounts,
        pair_command=f"oig-cloud-mcp {'--demo ' if settings.demo else ''}remote pair",
    )


def build_authorization(
    settings: Settings,
    state: State,
    *,
    issuer: str | None = None,
    fetch_document: DocumentFetcher | None = None,
) -> Authorization:
    """The authorization server of remote access over `state`'s records; clients may name
    themselves with a metadata document, fetched by the portal package's safe fetcher."""
    from .authorization import Authorization

    async def fetch(url: str) -> dict[str, Any]:
        from ..portal.documents import fetch_client_document

        return await fetch_client_document(url)

    return Authorization(
        state.remote,
        remote_settings(settings, issuer=issuer),
        fetch_document=fetch_document or fetch,
    )


@dataclass
class RemoteParts:
    """What the HTTP server is built from: the authorization server, the use cases of the
    household a token is for, and — serving many homes — the sign-in consent."""

    authorization: Authorization
    household: Callable[[str], App]
    """A token's subject → the use cases of its household."""
    sign_in: SignInConsent | None
    aclose: Callable[[], Awaitable[None]]
    ping: Callable[[], Awaitable[None]]
    """Raise `StateUnavailableError` unless the shared state answers (the health check)."""


def build_remote(settings: Settings, *, issuer: str) -> RemoteParts:
    """Remote access for `settings`: one home (pairing codes) or many (sign-in, sealed
    logins; raises `ConfigurationError` without a usable key file)."""
    state = build_state(settings)
    authorization = build_authorization(settings, state, issuer=issuer)
    if settings.accounts != "multi":
        app = build_app(settings, state=state)
        return RemoteParts(
            authorization, lambda _: app, None, _closing(app.aclose, state), state.ping
        )
    from ..config import ENV_KEY_FILE
    from ..state.vault import KeyRing, Vault
    from .households import Households
    from .sign_in import SignInConsent

    ring = KeyRing.load(settings.key_file, variable=ENV_KEY_FILE)
    households = Households(
        settings, state, Vault(state.remote.vault, ring), lambda: datetime.now(PORTAL_TZ)
    )
    sign_in = SignInConsent(authorization, households.sign_in)
    return RemoteParts(
        authorization, households.app, sign_in, _closing(households.aclose, state), state.ping
    )


def _closing(first: Callable[[], Awaitable[None]], state: State) -> Callable[[], Awaitable[None]]:
    """`first`, then the state's connections, whatever `first` raised."""

    async def close() -> None:
        try:
            await first()
        finally:
            await state.aclose()

    return close
