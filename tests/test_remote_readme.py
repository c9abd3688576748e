"""The README's remote-access recipes, run for real.

The Caddyfile of "Use it from anywhere" is read from the README and served by a real
Caddy as the TLS reverse proxy in front of the installed command: only the public name,
the ports and the certificate authority differ (Caddy's own local CA instead of Let's
Encrypt, trusted by the client for this test). The MCP SDK's own OAuth client then goes
all the way through it: discovery, registration, the consent page with a pairing code,
tokens, a refresh and tool calls, as claude.ai would. Without `caddy` the test is
skipped, unless `OIG_REQUIRE_CADDY=1` (CI), where that is a failure. The README's
systemd unit is checked with `systemd-analyze verify` where systemd is installed.
"""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from .fake_portal import BOX_ID, FakePortal
from .helpers.caddy import TlsBrowser, caddy_proxy, find_caddy
from .helpers.commands import command
from .helpers.oauth import oauth_provider
from .helpers.remote import pairing_code, served
from .helpers.threaded import free_port

pytestmark = pytest.mark.e2e

README = Path(__file__).parents[1] / "README.md"
PUBLIC_NAME = "battery.example.com"
"""The README's placeholder for the owner's domain."""
UPSTREAM = "127.0.0.1:8000"
"""Where the README's recipes expect `serve --http` (its default address)."""


def readme_block(language: str) -> str:
    """The one fenced block of `language` in the README."""
    blocks = re.findall(rf"^```{language}\n(.*?)^```$", README.read_text(), re.M | re.S)
    assert len(blocks) == 1, f"the README should hold exactly one ```{language} block"
    return str(blocks[0])


def caddyfile(https_port: int, upstream_port: int, storage: Path) -> str:
    """The README's Caddyfile for this test: its site on `localhost:<https_port>` with
    Caddy's local CA, proxying to the server on `upstream_port`, and Caddy kept to itself
    (no admin endpoint, no trust-store changes, loopback only, its own storage)."""
    site = readme_block("caddyfile")
    assert PUBLIC_NAME in site, site
    assert UPSTREAM in site, site
    site = site.replace(PUBLIC_NAME, f"localhost:{https_port}")
    site = site.replace(UPSTREAM, f"127.0.0.1:{upstream_port}")
    options = f"""{{
\tadmin off
\tlocal_certs
\tskip_install_trust
\tauto_https disable_redirects
\tdefault_bind 127.0.0.1
\tstorage file_system {storage}
}}

"""
    return options + site


def test_the_readme_caddyfile_carries_the_whole_oauth_flow_and_tool_calls_over_tls(
    env: dict[str, str], portal: FakePortal, tmp_path: Path, mode: str
) -> None:
    caddy = find_caddy()
    port, https_port = free_port(), free_port()
    public = f"https://localhost:{https_port}"
    config = caddyfile(https_port, port, tmp_path / "caddy" / "storage")

    async def connect(trust: ssl.SSLContext, browser: TlsBrowser) -> dict[str, Any]:
        provider, storage = oauth_provider(public, browser, lambda: pairing_code(env))
        async with (
            httpx2.AsyncClient(auth=provider, timeout=30, verify=trust) as http,
            Client(streamable_http_client(f"{public}/mcp", http_client=http), mode=mode) as mcp,  # type: ignore[arg-type]
        ):
            tools = [tool.name for tool in (await mcp.list_tools()).tools]
            first = storage.tokens.access_token
            provider.context.token_expiry_time = time.time() - 1  # the access token ran out
            answer = await mcp.call_tool("get_basic_data", {})
            async with httpx2.AsyncClient(verify=trust) as plain:
                resource = (
                    await plain.get(f"{public}/.well-known/oauth-protected-resource/mcp")
                ).json()
                server = (
                    await plain.get(f"{public}/.well-known/oauth-authorization-server")
                ).json()
            return {
                "tools": tools,
                "answer": answer,
                "client": storage.client,
                "tokens": storage.tokens,
                "refreshed": storage.tokens.access_token != first,
                "resource": resource,
                "server": server,
            }

    with (
        served(env, "--public-url", public, port=port),
        caddy_proxy(caddy, config, tmp_path / "caddy", public) as trust,
    ):
        browser = TlsBrowser(trust)
        try:
            seen = anyio.run(connect, trust, browser)
        finally:
            browser.close()

    assert seen["resource"]["resource"] == f"{public}/mcp"
    assert seen["resource"]["authorization_servers"] == [public]
    assert seen["server"]["issuer"] == public
    assert seen["server"]["registration_endpoint"] == f"{public}/register"
    assert seen["client"].client_id  # registered through the proxy (RFC 7591)
    [consent] = browser.seen
    assert "Secure" in consent.page.headers["set-cookie"]  # https: the consent cookie is Secure
    assert consent.redirect["iss"] == public
    assert seen["tokens"].scope == "oig:read"
    assert seen["refreshed"]  # the refresh went through the proxy too
    assert "get_basic_data" in seen["tools"]
    assert not seen["answer"].is_error, seen["answer"].content
    assert seen["answer"].structured_content["box_id"] == BOX_ID
    assert not any("Bearer" in r.headers.get("authorization", "") for r in portal.log)


def test_the_readme_caddyfile_is_what_the_test_serves(tmp_path: Path) -> None:
    """The test changes only the placeholders: the site block is the README's."""
    config = caddyfile(8443, 8001, tmp_path)
    site = config.split("\n\n", 1)[1]
    expected = readme_block("caddyfile").replace(PUBLIC_NAME, "localhost:8443")
    assert site == expected.replace(UPSTREAM, "127.0.0.1:8001")


def test_the_readme_systemd_unit_is_valid(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("no systemd-analyze: the README's systemd unit is not checked")
    unit = readme_block("ini")
    start = re.search(r"^ExecStart=(\S+) (.*)$", unit, re.M)
    assert start is not None, unit
    assert start.group(2) == f"serve --http --public-url https://{PUBLIC_NAME}"
    installed = command()[0]  # the installed console script (an absolute path)
    environment = tmp_path / "oig-cloud-mcp.env"
    environment.write_text("OIG_CLOUD_MCP_LOG_LEVEL=INFO\n")
    unit = unit.replace(start.group(1), installed).replace(
        "/etc/oig-cloud-mcp.env", str(environment)
    )
    path = tmp_path / "oig-cloud-mcp.service"
    path.write_text(unit)
    done = subprocess.run(
        [analyze, "verify", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # unknown keys are only warned about
