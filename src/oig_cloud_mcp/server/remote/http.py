"""The HTTP server: the SDK's Streamable HTTP app behind its OAuth 2.1 authorization server.

Stateless and JSON: any process serving the same state answers any request, and tunnels
and proxies need nothing special. Around the SDK's app: our authorization metadata (public
clients, CIMD, RFC 9207 `iss`, both scopes), the consent page, a health check (do this
replica and its state answer), a Host check on every route (421) and an Origin check
(403), a 503 when the state cannot be used (`outages`), a one-line access log without
query strings or headers, and a telemetry span per request (`traced`).
"""

from __future__ import annotations

import base64
import binascii
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from mcp.server.auth.handlers.metadata import MetadataHandler, ProtectedResourceMetadataHandler
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.routes import build_metadata, cors_middleware
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.auth import ProtectedResourceMetadata
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...app.wiring import RemoteParts
from ...config import Settings
from ...domain.grants import READ_SCOPE, SCOPES, grant_principal
from ...errors import ServeError
from .. import Callers, build_server
from .consent import Page, decide_consent, show_consent
from .outages import StateOutage
from .provider import OigProvider, presented_secret
from .traced import Traced

log = logging.getLogger(__name__)

CONNECTOR_ORIGINS = (
    "https://claude.ai",
    "https://claude.com",
    "https://chatgpt.com",
    "https://vscode.dev",
    "https://insiders.vscode.dev",
)
"""Browser origins of the connectors people use; the owner may add more."""
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class Remote:
    """Everything the HTTP server is built from."""

    settings: Settings
    parts: RemoteParts
    issuer: str

    @property
    def secure(self) -> bool:
        """Whether clients reach it over https."""
        return self.issuer.startswith("https://")


def _principal() -> str:
    token = get_access_token()
    grant = (token.claims or {}).get("grant") if token is not None else None
    return grant_principal(str(grant)) if grant else grant_principal("none")


def _subject() -> str:
    token = get_access_token()
    return token.subject if token is not None and token.subject else "owner"


def _scopes() -> frozenset[str] | None:
    token = get_access_token()
    return None if token is None else frozenset(token.scopes)


def allowed_hosts(issuer: str) -> list[str]:
    """Host header values this server answers to: the public URL's and loopback."""
    public = urlsplit(issuer)
    hosts = [public.netloc, f"{public.hostname}:*"] if public.hostname else []
    if public.hostname and public.port is None:
        hosts.append(public.hostname)
    return [*dict.fromkeys([*hosts, *(f"{h}:*" for h in LOOPBACK_HOSTS), *LOOPBACK_HOSTS])]


def allowed_origins(issuer: str, extra: tuple[str, ...]) -> list[str]:
    """Origin header values accepted: the public URL's, loopback, connectors, the owner's."""
    public = urlsplit(issuer)
    loopback = [f"http://{h}:*" for h in LOOPBACK_HOSTS]
    return [f"{public.scheme}://{public.netloc}", *loopback, *CONNECTOR_ORIGINS, *extra]


def _matches(value: str, allowed: list[str]) -> bool:
    """Exact, or `base:*` for any port (as the SDK's transport security matches)."""
    for pattern in allowed:
        if value == pattern or (pattern.endswith(":*") and value.startswith(pattern[:-1])):
            return True
    return False


class Guard:
    """Host and Origin checks on every route, and the access log (the outermost layer but
    for the telemetry's span, `traced`)."""

    def __init__(self, app: ASGIApp, hosts: list[str], origins: list[str]) -> None:
        self.app, self.hosts, self.origins = app, hosts, origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a foreign Host (421) or Origin (403); log one line per request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        started, status = time.monotonic(), [0]

        async def sent(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        origin = headers.get("origin")
        if not _matches(headers.get("host", ""), self.hosts):
            response: Response | None = PlainTextResponse("Misdirected request", 421)
        elif origin is not None and not _matches(origin, self.origins):
            response = PlainTextResponse("Origin not allowed", 403)
        else:
            response = None
        if response is not None:
            await response(scope, receive, sent)
        else:
            await self.app(scope, receive, sent)
        elapsed = (time.monotonic() - started) * 1000
        log.info("%s %s %s %.0f ms", scope["method"], scope["path"], status[0], elapsed)


def _read_secret(app: ASGIApp, *, revoke: bool) -> ASGIApp:
    """/token and /revoke: note the client secret a request presents (see
    `provider.presented_secret`); a public client's /revoke without `client_secret` gets an
    empty one (the SDK requires the field, python-sdk #3508)."""

    async def reader(scope: Scope, receive: Receive, send: Send) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > 64 * 1024:
                await PlainTextResponse("Request too large", 413)(scope, receive, send)
                return
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        secret = form.get("client_secret")
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        if header.startswith("Basic "):
            try:
                pair = base64.b64decode(header[6:]).decode("utf-8")
                secret = unquote(pair.partition(":")[2])
            except (binascii.Error, UnicodeDecodeError):
                secret = None
        if revoke and "client_secret" not in form:
            body += b"&client_secret=" if body else b"client_secret="
        token = presented_secret.set((form.get("client_id", ""), secret or ""))

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            await app(scope, replay, send)
        finally:
            presented_secret.reset(token)

    return reader


def _with_iss(app: ASGIApp, issuer: str) -> ASGIApp:
    """/authorize: the SDK's own error redirects carry `iss` too (RFC 9207), as ours do."""

    async def stamped(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_stamped(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (302, 303):
                message = dict(message)
                message["headers"] = [
                    (k, _add_iss(v.decode("latin-1"), issuer).encode("latin-1"))
                    if k.lower() == b"location"
                    else (k, v)
                    for k, v in message["headers"]
                ]
            await send(message)

        await app(scope, receive, send_stamped)

    return stamped


def _add_iss(location: str, issuer: str) -> str:
    parts = urlsplit(location)
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = {name for name, _ in query}
    if "error" not in names or "iss" in names or location.startswith(issuer):
        return location
    return urlunsplit(parts._replace(query=urlencode([*query, ("iss", issuer)])))


REGISTRATION = ClientRegistrationOptions(
    enabled=True, valid_scopes=list(SCOPES), default_scopes=[READ_SCOPE]
)
REVOCATION = RevocationOptions(enabled=True)


def _metadata_routes(auth: AuthSettings, issuer: str, cimd: bool) -> list[Route]:
    """Our authorization-server and protected-resource metadata (the SDK's, extended)."""
    methods = ["none", "client_secret_post", "client_secret_basic"]
    metadata = build_metadata(auth.issuer_url, None, REGISTRATION, REVOCATION).model_copy(
        update={
            "token_endpoint_auth_methods_supported": methods,
            "revocation_endpoint_auth_methods_supported": methods,
            "client_id_metadata_document_supported": cimd,
            "authorization_response_iss_parameter_supported": True,
            "scopes_supported": list(SCOPES),
        }
    )
    resource = ProtectedResourceMetadata(
        resource=f"{issuer}/mcp",  # type: ignore[arg-type]
        authorization_servers=[issuer],  # type: ignore[list-item]
        scopes_supported=list(SCOPES),
        resource_name="OIG Cloud",
    )
    both = ["GET", "OPTIONS"]
    return [
        Route(
            "/.well-known/oauth-authorization-server",
            cors_middleware(MetadataHandler(metadata).handle, both),
            methods=both,
        ),
        Route(
            "/.well-known/oauth-protected-resource/mcp",
            cors_middleware(ProtectedResourceMetadataHandler(resource).handle, both),
            methods=both,
        ),
    ]


def _page_routes(page: Page, ping: Callable[[], Awaitable[None]]) -> list[Route]:
    async def consent(request: Request) -> Response:
        if request.method == "POST":
            return await decide_consent(page, request)
        return await show_consent(page, request)

    async def health(request: Request) -> Response:
        await ping()  # a state that does not answer: 503 (see `outages`)
        return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})

    return [
        Route("/consent", consent, methods=["GET", "POST"]),
        Route("/health", health, methods=["GET"]),
    ]


def build_http_app(remote: Remote, *, cimd: bool) -> ASGIApp:
    """The whole HTTP application for one home."""
    issuer = remote.issuer
    auth = AuthSettings(
        issuer_url=issuer,  # type: ignore[arg-type]  # a str: no trailing slash (python-sdk #1919)
        resource_server_url=f"{issuer}/mcp",  # type: ignore[arg-type]
        required_scopes=[READ_SCOPE],
        validate_token_resource=True,
        client_registration_options=REGISTRATION,
        revocation_options=REVOCATION,
    )
    parts = remote.parts
    provider = OigProvider(parts.authorization, f"{issuer}/consent")
    callers = Callers(
        principal=_principal,
        household=lambda: parts.household(_subject()),
        scopes=_scopes,
        provider=provider,
        auth=auth,
        aclose=parts.aclose,
    )
    server = build_server(remote.settings, callers=callers)
    hosts = allowed_hosts(issuer)
    origins = allowed_origins(issuer, remote.settings.origins)
    starlette: Starlette = server.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
        ),
        host=remote.settings.http_host,
    )
    starlette.router.redirect_slashes = False  # /mcp/ is not /mcp: 404, not a redirect
    for route in starlette.router.routes:
        path = getattr(route, "path", "")
        if path in ("/token", "/revoke") and isinstance(route, Route):
            route.app = _read_secret(route.app, revoke=path == "/revoke")
        elif path == "/authorize" and isinstance(route, Route):
            route.app = _with_iss(route.app, issuer)
    page = Page(
        parts.authorization,
        remote.secure,
        bool(remote.settings.allowed_writes),
        parts.sign_in,
        remote.settings.trusted_proxies,
    )
    routes = [*_metadata_routes(auth, issuer, cimd), *_page_routes(page, parts.ping)]
    starlette.router.routes[0:0] = routes
    starlette.add_middleware(StateOutage)  # inside the SDK's error handler, around its auth
    served = frozenset(getattr(route, "path", "") for route in starlette.router.routes)
    return Traced(Guard(starlette, hosts, origins), served - {""})


def listen(settings: Settings) -> socket.socket:
    """The listening socket for `settings` (bound before anything is announced, so a busy
    port is one clear sentence, not a traceback)."""
    family = socket.AF_INET6 if ":" in settings.http_host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio switches Nagle off (TCP_NODELAY) only on connections of
    # a socket that says it is TCP; with Nagle on, each answer waits ~40 ms for an ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.http_host, settings.http_port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ServeError(
            f"Cannot listen on {settings.http_host}:{settings.http_port} "
            f"({exc.strerror or exc}); choose another --port or --host."
        ) from None
    sock.setblocking(False)
    return sock


async def serve(app: ASGIApp, settings: Settings, sock: socket.socket) -> None:
    """Serve until SIGINT/SIGTERM; in-flight requests finish first (up to 30 s)."""
    import uvicorn

    config = uvicorn.Config(
        app,
        access_log=False,  # `Guard` logs each request without its query or headers
        log_config=None,  # our stderr handler, with secrets blanked
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=30,
    )
    await uvicorn.Server(config).serve(sockets=[sock])
