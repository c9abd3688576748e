"""OAuth in the tests: the owner's browser on the consent page, the MCP SDK's own OAuth
client, and a client speaking OAuth by hand for the refusals the SDK never provokes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}
        self.names: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name"):
            self.names.append(str(found["name"]))
            self.inputs[str(found["name"])] = found.get("value") or ""


def form_fields(html_text: str) -> _Inputs:
    parser = _Inputs()
    parser.feed(html_text)
    return parser


@dataclass
class Consent:
    """What the browser saw and got on the consent page."""

    page: httpx.Response
    answer: httpx.Response

    @property
    def redirect(self) -> dict[str, str]:
        """The query of the redirect back to the client."""
        location = self.answer.headers.get("location", "")
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class Browser:
    """The owner's browser: follows /authorize to the consent page and submits it."""

    def __init__(self) -> None:
        self.http = httpx.Client(follow_redirects=False, timeout=10)

    def consent(
        self,
        authorize_url: str,
        code: str,
        *,
        write: bool = False,
        action: str = "allow",
        edit: Callable[[dict[str, str]], None] | None = None,
    ) -> Consent:
        """Open the authorize URL, type `code`, and press Allow (or Deny)."""
        first = self.http.get(authorize_url)
        assert first.status_code == 302, first.text
        page = self.http.get(urljoin(authorize_url, first.headers["location"]))
        assert page.status_code == 200, page.text
        fields = form_fields(page.text).inputs
        data = {"request": fields["request"], "csrf": fields["csrf"], "code": code}
        data["action"] = action
        if write:
            data["write"] = "1"
        if edit is not None:
            edit(data)
        answer = self.http.post(urljoin(authorize_url, "/consent"), data=data)
        return Consent(page, answer)

    def close(self) -> None:
        self.http.close()


def oauth_provider(
    url: str,
    browser: Browser,
    code: Callable[[], str],
    *,
    write: bool = False,
    scopes: str | None = None,
    auth_method: str = "none",
    metadata_url: str | None = None,
    redirect_uri: str = "http://127.0.0.1:9/callback",
) -> tuple[Any, Any]:
    """The MCP SDK's OAuthClientProvider with an in-memory store, whose browser step is our
    consent-page driver; returns (provider, storage)."""
    from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, TokenStorage
    from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

    class Storage(TokenStorage):
        def __init__(self) -> None:
            self.tokens: OAuthToken | None = None
            self.client: OAuthClientInformationFull | None = None

        async def get_tokens(self) -> OAuthToken | None:
            return self.tokens

        async def set_tokens(self, tokens: OAuthToken) -> None:
            self.tokens = tokens

        async def get_client_info(self) -> OAuthClientInformationFull | None:
            return self.client

        async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
            self.client = client_info

    captured: dict[str, str] = {}

    async def redirect_handler(authorize_url: str) -> None:
        import anyio

        consent = await anyio.to_thread.run_sync(
            lambda: browser.consent(authorize_url, code(), write=write)
        )
        captured.clear()
        captured.update(consent.redirect)

    async def callback_handler() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(
            code=captured["code"], state=captured.get("state"), iss=captured.get("iss")
        )

    storage = Storage()
    provider = OAuthClientProvider(
        server_url=f"{url}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="Test client",
            redirect_uris=[redirect_uri],  # type: ignore[list-item]
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method=auth_method,  # type: ignore[arg-type]
            scope=scopes,
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
        client_metadata_url=metadata_url,
    )
    return provider, storage


def pkce() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge."""
    import base64
    import hashlib
    import secrets

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


class RawOAuth:
    """A client speaking OAuth by hand, for every refusal the SDK client never provokes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, follow_redirects=False, timeout=10)
        self.redirect = "http://127.0.0.1:9/callback"

    def register(self, **metadata: Any) -> httpx.Response:
        body = {
            "client_name": "Raw client",
            "redirect_uris": [self.redirect],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "scope": "oig:read oig:write",
            **metadata,
        }
        return self.http.post("/register", json=body)

    def client(self, **metadata: Any) -> dict[str, Any]:
        answer = self.register(**metadata)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def authorize_url(self, client_id: str, challenge: str | None, **params: str) -> str:
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": self.redirect,
            "state": "st8",
            "scope": "oig:read",
            **({"code_challenge": challenge, "code_challenge_method": "S256"} if challenge else {}),
            **params,
        }
        return str(httpx.URL(f"{self.url}/authorize", params=query))

    def token(self, **form: str) -> httpx.Response:
        return self.http.post("/token", data=form)

    def code(
        self,
        browser: Browser,
        pairing: str,
        client: dict[str, Any],
        *,
        write: bool = False,
        **params: str,
    ) -> tuple[str, str]:
        """Consent with `pairing` (ticking "allow changes" with `write`); returns (code,
        verifier)."""
        verifier, challenge = pkce()
        url = self.authorize_url(client["client_id"], challenge, **params)
        consent = browser.consent(url, pairing, write=write)
        return consent.redirect["code"], verifier

    def tokens(self, client: dict[str, Any], code: str, verifier: str) -> httpx.Response:
        return self.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=self.redirect,
            client_id=client["client_id"],
            code_verifier=verifier,
        )

    def mcp(
        self,
        access_token: str,
        method: str = "tools/list",
        params: dict[str, Any] | None = None,
        **headers: str,
    ) -> httpx.Response:
        """One JSON-RPC request to /mcp with the bearer."""
        return self.http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}},
            headers={
                "Authorization": f"Bearer {access_token}",
                "Accept": "application/json, text/event-stream",
                "MCP-Protocol-Version": "2025-06-18",
                **headers,
            },
        )

    def close(self) -> None:
        self.http.close()


def call_tool(raw: RawOAuth, access_token: str, name: str, **arguments: Any) -> dict[str, Any]:
    """`tools/call` over raw HTTP; the JSON-RPC result."""
    answer = raw.mcp(access_token, "tools/call", {"name": name, "arguments": arguments})
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["result"])


def grant(raw: RawOAuth, browser: Browser, pairing: str, *, write: bool = False) -> dict[str, str]:
    """Register, consent with `pairing` (asking for write when `write`), exchange the code."""
    client = raw.client()
    scope = "oig:read oig:write" if write else "oig:read"
    code, verifier = raw.code(browser, pairing, client, write=write, scope=scope)
    answer = raw.tokens(client, code, verifier)
    assert answer.status_code == 200, answer.text
    return {**answer.json(), "client_id": client["client_id"]}
