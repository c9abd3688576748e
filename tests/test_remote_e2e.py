"""Remote mode end to end: the installed command serves HTTP, and the MCP SDK's own OAuth
client finds the authorization server, registers, gets the owner's consent (a pairing code
typed into the consent page), exchanges the code and calls tools, as claude.ai would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from .fake_portal import BOX_ID, FakePortal
from .helpers.oauth import Browser, oauth_provider
from .helpers.remote import CODE, ServedCommand, pairing_code, served

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser() -> Iterator[Browser]:
    owner = Browser()
    yield owner
    owner.close()


async def connect_and(
    server: ServedCommand,
    env: dict[str, str],
    browser: Browser,
    mode: str,
    work: Any,
    **options: Any,
) -> Any:
    """Connect the SDK's client with OAuth (consenting with a fresh pairing code), then run
    `work(client, storage, provider)`."""
    provider, storage = oauth_provider(server.url, browser, lambda: pairing_code(env), **options)
    async with (
        httpx2.AsyncClient(auth=provider, timeout=30) as http,
        Client(streamable_http_client(f"{server.url}/mcp", http_client=http), mode=mode) as client,  # type: ignore[arg-type]
    ):
        return await work(client, storage, provider)


def test_the_sdk_client_reads_the_box_after_consent_and_after_a_refresh(
    env: dict[str, str], portal: FakePortal, browser: Browser, mode: str
) -> None:
    async def work(client: Client, storage: Any, provider: Any) -> dict[str, Any]:
        tools = [tool.name for tool in (await client.list_tools()).tools]
        first = await client.call_tool("get_basic_data", {})
        access = storage.tokens.access_token
        provider.context.token_expiry_time = time.time() - 1  # the access token ran out
        second = await client.call_tool("get_basic_data", {})
        return {
            "tools": tools,
            "first": first,
            "second": second,
            "refreshed": storage.tokens.access_token != access,
            "scope": storage.tokens.scope,
            "client": storage.client,
        }

    with served(env) as server:
        seen = anyio.run(connect_and, server, env, browser, mode, work)

    assert seen["tools"][0] == "get_basic_data"
    assert not any(name.startswith("set_") for name in seen["tools"])
    for answer in (seen["first"], seen["second"]):
        assert not answer.is_error, answer.content
        assert answer.structured_content["box_id"] == BOX_ID
    assert seen["refreshed"]
    assert seen["scope"] == "oig:read"
    assert seen["client"].token_endpoint_auth_method == "none"
    assert not any("Bearer" in r.headers.get("authorization", "") for r in portal.log)


def test_the_pairing_code_is_alone_on_stdout(env: dict[str, str]) -> None:
    code = pairing_code(env)
    assert CODE.fullmatch(code), code


def test_the_mcp_app_views_are_served_to_http_clients_too(
    env: dict[str, str], portal: FakePortal, browser: Browser
) -> None:
    async def work(client: Client, storage: Any, provider: Any) -> dict[str, Any]:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        bound = (tools["get_basic_data"].meta or {}).get("ui", {}).get("resourceUri")
        view = await client.read_resource(bound)
        return {"uri": bound, "view": view}

    with served(env) as server:
        seen = anyio.run(connect_and, server, env, browser, "legacy", work)

    (content,) = seen["view"].contents
    assert seen["uri"] == "ui://oig-cloud/energy-flow.html"
    assert content.mime_type == "text/html;profile=mcp-app"
    assert "<html" in content.text
