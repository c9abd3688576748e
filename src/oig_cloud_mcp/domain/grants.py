"""Remote access: the records of the OAuth authorization server and the rules over them.

Pure: no I/O, the time is passed in. Every secret this server hands out (access and
refresh tokens, authorization codes, client secrets, pairing codes, consent handles) is
random, at least 256 bits where a machine keeps it, and kept only as its SHA-256 digest:
a copy of the state (a backup, a Redis dump) lets nobody in.

    ClientRecord      a registered client (RFC 7591) or a client metadata document (CIMD)
    ConsentRequest    an /authorize waiting for the owner's consent
    CodeRecord        an authorization code, single use, five minutes
    Grant             what the owner consented to: client, scopes, resource, refresh chain
    AccessRecord      an access token of a grant, until it expires
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit

from pydantic import Field

from .base import Model

READ_SCOPE = "oig:read"
WRITE_SCOPE = "oig:write"
SCOPES = (READ_SCOPE, WRITE_SCOPE)
AuthMethod = Literal["none", "client_secret_post", "client_secret_basic"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CONNECTOR_REDIRECTS = (
    "https://claude.ai/api/mcp/auth_callback",
    "https://claude.com/api/mcp/auth_callback",
    "https://chatgpt.com/connector_platform_oauth_redirect",
    "https://chatgpt.com/connector/oauth/",
    "https://vscode.dev/redirect",
    "https://insiders.vscode.dev/redirect",
)
"""Redirect URIs of the connectors people use (a trailing `/` allows anything below it),
besides loopback ones (desktop clients: Claude Code, VS Code, the MCP SDK)."""

PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Letters and digits nobody confuses when typing a code from a terminal (no I/O/0/1/L)."""
PAIRING_LENGTH = 8


def digest(secret: str) -> str:
    """The SHA-256 of a secret, as stored in its place."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def grant_principal(grant_id: str) -> str:
    """Who a grant's client is when it previews and confirms changes (the preview ledger's
    principal)."""
    return f"grant:{grant_id}"


def new_secret(prefix: str) -> str:
    """A fresh 256-bit secret, URL-safe, with a prefix that says what it is."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def new_pairing_code() -> str:
    """A one-time code to type into the consent page: XXXX-XXXX (about 40 bits; five wrong
    tries lock consent, and a code lives ten minutes)."""
    chars = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_LENGTH))
    return f"{chars[:4]}-{chars[4:]}"


S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
"""A PKCE S256 code challenge (RFC 7636 §4.2): the unpadded base64url of a SHA-256, which is
43 characters of that alphabet; the token endpoint compares the verifier's hash with it,
so nothing else could ever match."""


def is_s256_challenge(challenge: str) -> bool:
    """Whether `challenge` has the form of an S256 code challenge."""
    return S256_CHALLENGE.fullmatch(challenge) is not None


def normal_pairing_code(typed: str) -> str:
    """A typed pairing code as it was issued: case, spaces and dashes do not matter."""
    chars = "".join(c for c in typed.upper() if c.isalnum())
    return f"{chars[:4]}-{chars[4:]}"


def _plain_url(uri: str) -> SplitResult | None:
    """`uri` split, unless it has a fragment (RFC 6749 §3.1.2 forbids one in a redirect) or
    a user (`http://evil.test@127.0.0.1/` names another host to the eye, and is no source
    a Content-Security-Policy can name)."""
    if "#" in uri:
        return None
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    return None if "@" in parts.netloc else parts


def is_loopback_redirect(uri: str) -> bool:
    """An http:// redirect to this machine (a desktop client's own listener), without a
    fragment or a user."""
    parts = _plain_url(uri)
    return parts is not None and parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


MAX_DOCUMENT_REDIRECTS = 20
"""More redirect URIs than any client needs: a document listing more is refused."""


def redirect_allowed(uri: str, extra: tuple[str, ...] = ()) -> bool:
    """Whether a client may register `uri` as its redirect: loopback, a known connector's
    callback, or one the owner allowed (`extra`, the same prefix rules)."""
    if is_loopback_redirect(uri):
        return True
    parts = _plain_url(uri)
    if parts is None or parts.scheme != "https":
        return False
    for allowed in (*CONNECTOR_REDIRECTS, *extra):
        if uri == allowed or (allowed.endswith("/") and uri.startswith(allowed)):
            return True
    return False


def same_redirect(registered: str, presented: str) -> bool:
    """Whether `presented` is the registered redirect URI; for loopback, any port (RFC 8252
    §7.3: a desktop client listens on whatever port is free)."""
    if registered == presented:
        return True
    if not (is_loopback_redirect(registered) and is_loopback_redirect(presented)):
        return False
    a, b = urlsplit(registered), urlsplit(presented)
    return (a.hostname, a.path, a.query) == (b.hostname, b.path, b.query)


def granted_scopes(asked: list[str] | None, *, write_allowed: bool, ticked: bool) -> list[str]:
    """What a consent grants: read always; write only when the server allows writes, the
    client asked for it, and the owner ticked it."""
    wants_write = write_allowed and WRITE_SCOPE in (asked or []) and ticked
    return [READ_SCOPE, WRITE_SCOPE] if wants_write else [READ_SCOPE]


class ClientRecord(Model):
    """A client that may ask for consent."""

    client_id: str = Field(max_length=2000)
    name: str | None = Field(default=None, max_length=200)
    redirect_uris: list[str] = Field(max_length=20)
    grant_types: list[str] = Field(default_factory=lambda: ["authorization_code", "refresh_token"])
    scope: str = " ".join(SCOPES)
    auth_method: AuthMethod = "none"
    secret_hash: str | None = None
    kind: Literal["registered", "document"] = "registered"
    created_at: float
    last_used_at: float


class ConsentRequest(Model):
    """An /authorize waiting for the owner's consent on the consent page."""

    client_id: str
    redirect_uri: str
    redirect_uri_provided_explicitly: bool
    state: str | None = None
    scopes: list[str]
    code_challenge: str
    resource: str
    csrf_hash: str
    created_at: float


class CodeRecord(Model):
    """An authorization code (kept by its digest): single use, short-lived."""

    client_id: str
    grant_id: str
    subject: str = "owner"
    scopes: list[str]
    code_challenge: str
    redirect_uri: str
    redirect_uri_provided_explicitly: bool
    resource: str
    expires_at: float


class RefreshChain(Model):
    """A grant's refresh tokens (digests): the newest, the one before it (still valid until
    the newest is used, for a client that lost an answer), and retired ones whose reuse
    means a stolen token: the whole grant is revoked then."""

    current: str
    previous: str | None = None
    retired: list[str] = Field(default_factory=list, max_length=20)


class Grant(Model):
    """What the owner consented to: a client, its scopes and the resource, until revoked or
    unused for too long."""

    id: str
    client_id: str
    subject: str
    scopes: list[str]
    resource: str
    created_at: float
    last_used_at: float
    refresh: RefreshChain


class AccessRecord(Model):
    """An access token of a grant (kept by its digest)."""

    grant_id: str
    subject: str = "owner"
    client_id: str
    scopes: list[str]
    resource: str
    expires_at: float


class Lockout(Model):
    """Wrong pairing codes in a row, and until when consent is locked after too many."""

    failures: int = Field(default=0, ge=0, le=1000)
    locked_until: float = 0.0


RefreshUse = Literal["rotate", "reuse", "unknown"]


def refresh_use(chain: RefreshChain, presented: str) -> RefreshUse:
    """What presenting the refresh token with digest `presented` is: a valid use that rotates
    the chain (the newest, or the one before it), the reuse of a retired token, or unknown."""
    if presented in (chain.current, chain.previous):
        return "rotate"
    return "reuse" if presented in chain.retired else "unknown"


def rotated(chain: RefreshChain, presented: str, successor: str) -> RefreshChain:
    """The chain after `presented` was exchanged for `successor`: the presented token stays
    valid until the successor is used; older ones retire."""
    retired = [*chain.retired]
    for old in (chain.previous, chain.current):
        if old is not None and old != presented:
            retired.append(old)
    return RefreshChain(current=successor, previous=presented, retired=retired[-20:])


def document_client(client_id: str, document: Mapping[str, Any], now: float) -> ClientRecord | None:
    """The client a metadata document (CIMD) describes, if it names itself by `client_id`,
    authenticates with nothing, and lists 1-20 redirects that are https or a loopback
    listener; else None."""
    redirects = document.get("redirect_uris")
    method = document.get("token_endpoint_auth_method", "none")
    name = document.get("client_name")
    if document.get("client_id") != client_id or method != "none":
        return None
    if not isinstance(redirects, list) or not redirects or len(redirects) > MAX_DOCUMENT_REDIRECTS:
        return None
    if not all(isinstance(uri, str) and _secure_redirect(uri) for uri in redirects):
        return None
    return ClientRecord(
        client_id=client_id,
        name=name[:200] if isinstance(name, str) else None,
        redirect_uris=redirects,
        kind="document",
        created_at=now,
        last_used_at=now,
    )


def _secure_redirect(uri: str) -> bool:
    """A document's redirect: https, or a loopback http listener; without a fragment or a
    user."""
    parts = _plain_url(uri)
    return (parts is not None and parts.scheme == "https") or is_loopback_redirect(uri)
