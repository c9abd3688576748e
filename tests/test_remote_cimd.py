"""Clients that name themselves with a metadata document (CIMD), as Claude Code and ChatGPT
do: the SDK's own client connects with an https:// client id; a document that lies, is too
big, slow or redirects lets nobody in."""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.portal.addresses import LOOPBACK_ALLOWED_FOR_TESTS
from oig_cloud_mcp.portal.documents import fetch_client_document

from .fake_portal import BOX_ID, FakePortal
from .helpers.https_servers import TestCA, https_server
from .helpers.oauth import Browser, RawOAuth, oauth_provider, pkce
from .helpers.remote import InProcess, in_process

HOST = "client.test"
CALLBACK = "http://127.0.0.1:9/callback"
ODD_REDIRECTS = {
    "/fragment.json": CALLBACK + "#frag",
    "/user.json": "http://evil.test@127.0.0.1:9/callback",
    "/https-user.json": "https://evil.test@client.test/callback",
}
"""Documents listing a redirect with a fragment or a user (RFC 6749 §3.1.2 forbids the
first; the second names another host to the eye), by path."""


class Documents:
    """A client's web site serving its metadata documents, some of them dishonest."""

    def __init__(self) -> None:
        self.port = 0
        self.fetched: list[str] = []

    def url(self, path: str) -> str:
        return f"https://{HOST}:{self.port}{path}"

    def app(self) -> Starlette:
        async def honest(request: Request) -> Response:
            self.fetched.append(request.url.path)
            return JSONResponse(
                {
                    "client_id": self.url(request.url.path),
                    "client_name": "Document client",
                    "redirect_uris": [CALLBACK],
                    "token_endpoint_auth_method": "none",
                }
            )

        async def liar(request: Request) -> Response:
            return JSONResponse(
                {"client_id": "https://claude.ai/oauth/client.json", "redirect_uris": [CALLBACK]}
            )

        async def odd_redirect(request: Request) -> Response:
            redirect = ODD_REDIRECTS[request.url.path]
            return JSONResponse(
                {"client_id": self.url(request.url.path), "redirect_uris": [redirect]}
            )

        async def huge(request: Request) -> Response:
            return JSONResponse({"client_id": self.url("/huge"), "pad": "x" * 10_000})

        async def slow(request: Request) -> Response:
            await asyncio.sleep(5)
            return JSONResponse({})

        async def moved(request: Request) -> Response:
            return RedirectResponse(self.url("/client.json"), 302)

        return Starlette(
            routes=[
                Route("/client.json", honest),
                Route("/liar.json", liar),
                Route("/fragment.json", odd_redirect),
                Route("/user.json", odd_redirect),
                Route("/https-user.json", odd_redirect),
                Route("/huge", huge),
                Route("/slow", slow),
                Route("/moved", moved),
            ]
        )


@pytest.fixture
def documents(tmp_path: Path) -> Iterator[tuple[Documents, TestCA]]:
    ca = TestCA(tmp_path)
    site = Documents()
    with https_server(site.app(), ca.issue(HOST)) as port:
        site.port = port
        yield site, ca


@pytest.fixture
def remote(
    settings: Settings, portal: FakePortal, documents: tuple[Documents, TestCA]
) -> Iterator[InProcess]:
    _, ca = documents

    async def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    fetch = functools.partial(
        fetch_client_document,
        policy=LOOPBACK_ALLOWED_FOR_TESTS,  # the test's "internet" is this machine
        resolver=resolve,
        ssl_context=ca.ssl_context(),
        timeout_s=1.0,
    )
    with in_process(settings, fetch_document=fetch) as server:
        yield server


@pytest.fixture
def browser() -> Iterator[Browser]:
    owner = Browser()
    yield owner
    owner.close()


def test_the_sdk_client_connects_with_a_metadata_document_and_registers_nothing(
    remote: InProcess, documents: tuple[Documents, TestCA], browser: Browser
) -> None:
    site, _ = documents
    metadata = site.url("/client.json")

    async def work() -> Any:
        provider, storage = oauth_provider(
            remote.url, browser, remote.pair, metadata_url=metadata, redirect_uri=CALLBACK
        )
        async with (
            httpx2.AsyncClient(auth=provider, timeout=30) as http,
            Client(streamable_http_client(f"{remote.url}/mcp", http_client=http)) as client,
        ):
            answer = await client.call_tool("get_basic_data", {})
        return answer, storage

    answer, storage = anyio.run(work)

    assert not answer.is_error
    assert answer.structured_content["box_id"] == BOX_ID
    assert storage.client.client_id == metadata
    assert site.fetched == ["/client.json"]  # fetched once, then kept


def test_the_metadata_says_clients_may_name_themselves(remote: InProcess) -> None:
    raw = RawOAuth(remote.url)
    metadata = raw.http.get("/.well-known/oauth-authorization-server").json()
    raw.close()

    assert metadata["client_id_metadata_document_supported"] is True


@pytest.mark.parametrize("path", ["/liar.json", "/huge", "/slow", "/moved", "/missing"])
def test_a_document_that_lies_is_too_big_slow_or_elsewhere_lets_nobody_in(
    remote: InProcess, documents: tuple[Documents, TestCA], path: str
) -> None:
    site, _ = documents
    raw = RawOAuth(remote.url)
    raw.redirect = CALLBACK
    _, challenge = pkce()
    started = time.monotonic()

    answer = raw.http.get(raw.authorize_url(site.url(path), challenge))
    raw.close()

    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert json.loads(answer.text)["error"] in ("invalid_request", "unauthorized_client")
    assert time.monotonic() - started < 3  # the slow one is cut off at its deadline


@pytest.mark.parametrize("path", list(ODD_REDIRECTS))
def test_a_document_with_a_redirect_with_a_fragment_or_a_user_lets_nobody_in(
    remote: InProcess, documents: tuple[Documents, TestCA], path: str
) -> None:
    site, _ = documents
    raw = RawOAuth(remote.url)
    raw.redirect = ODD_REDIRECTS[path]  # the very redirect it lists
    _, challenge = pkce()

    answer = raw.http.get(raw.authorize_url(site.url(path), challenge))
    raw.close()

    assert answer.status_code == 400
    assert "location" not in answer.headers
