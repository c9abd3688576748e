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
from ..state import credentials
from ..state.local import LocalFiles, demo_file, local_files, local_state
from ..state.ports import State
from .authorization import Authorization, DocumentFetcher, RemoteSettings, SignInConsent
from .context import App

if TYPE_CHECKING:
    from ..domain.models import Credentials
    from ..portal.client import OigCloudClient

__all__ = [
    "LocalFiles",
    "build_app",
    "build_authorization",
    "build_client",
    "build_remote",
    "build_state",
    "local_files",
    "login_client",
    "remote_settings",
]


def build_state(settings: Settings) -> State:
    """Every state port for `settings`: the state directory (the demo box's own in demo)."""
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


def login_client(settings: Settings, creds: Credentials) -> OigCloudClient:
    """A client for the owner's own `login` with `creds`: the shared sessions and backoff,
    but no whitelist (the login is what adds the account to it)."""
    from ..portal.client import OigCloudClient
    from ..state.local.security import backoff_file
    from ..state.local.sessions import SessionStore, SharedSessions

    sessions = SharedSessions(
        SessionStore(settings.session_path),
        backoff_file(settings.backoff_path),
        credentials.LOGIN_HINTS,
    )

    async def given() -> Credentials:
        return creds

    return OigCloudClient(settings.base_url, given, sessions=sessions, timeout_s=settings.timeout_s)


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
    )


def remote_settings(settings: Settings, *, issuer: str | None = None) -> RemoteSettings:
    """What remote access needs from `settings`; `issuer` defaults to the public URL
    (which raises `ConfigurationError` when it cannot be used)."""
    return RemoteSettings(
        issuer=public_url(settings) if issuer is None else issuer,
        write_allowed=bool(settings.allowed_writes),
        redirect_extra=settings.redirect_uris,
        access_ttl_s=settings.token_ttl_s,
        allowed_accounts=settings.allowed_accounts,
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


def build_remote(settings: Settings, *, issuer: str) -> RemoteParts:
    """Remote access for `settings`: one home (pairing codes) or many (sign-in, sealed
    logins; raises `ConfigurationError` without a usable key file)."""
    state = build_state(settings)
    authorization = build_authorization(settings, state, issuer=issuer)
    if settings.accounts != "multi":
        app = build_app(settings, state=state)
        return RemoteParts(authorization, lambda _: app, None, app.aclose)
    from ..config import ENV_KEY_FILE
    from ..state.vault import KeyRing, Vault
    from .households import Households

    ring = KeyRing.load(settings.key_file, variable=ENV_KEY_FILE)
    households = Households(
        settings, state, Vault(state.remote.vault, ring), lambda: datetime.now(PORTAL_TZ)
    )
    sign_in = SignInConsent(authorization, households.sign_in)
    return RemoteParts(authorization, households.app, sign_in, households.aclose)
