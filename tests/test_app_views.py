"""The MCP App views as resources: listed and read with the app MIME type and `_meta.ui`,
bound to their tools, self-contained (no external URL, no network API) and read lazily.

The wiring into a server is the same as `server.py` does, on a throwaway `MCPServer`, so
these tests do not depend on the real server's tools.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.server import build_server
from oig_cloud_mcp.server.views import (
    APP_MIME_TYPE,
    DAY_CURVES_URI,
    ENERGY_FLOW_URI,
    VIEWS,
    ViewSpec,
    tool_meta,
)

pytestmark = pytest.mark.anyio
UI_META = {"ui": {"csp": {"connectDomains": [], "resourceDomains": []}, "prefersBorder": True}}
MAX_BYTES = 100_000


@pytest.fixture(params=["legacy", "auto"])
async def client(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Client]:
    """The real server on the demo box."""
    demo = Settings(demo=True, state_dir=tmp_path)
    async with Client(build_server(demo), mode=request.param) as connected:
        yield connected


def dump(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(by_alias=True, mode="json", exclude_none=True)
    return data


async def test_views_are_listed_with_the_app_mime_type_and_no_network(client: Client) -> None:
    listed = {
        r.uri: dump(r)
        for r in (await client.list_resources()).resources
        if str(r.uri).startswith("ui://")
    }

    assert set(listed) == {ENERGY_FLOW_URI, DAY_CURVES_URI}
    for entry in listed.values():
        assert entry["mimeType"] == "text/html;profile=mcp-app"
        assert entry["_meta"] == UI_META
        assert "domain" not in entry["_meta"]["ui"]
        assert entry["title"]
        assert entry["description"]


async def test_reading_a_view_gives_its_html_with_the_same_metadata(client: Client) -> None:
    for view in VIEWS:
        contents = (await client.read_resource(view.uri)).contents

        assert len(contents) == 1
        item = dump(contents[0])
        assert item["mimeType"] == APP_MIME_TYPE
        assert item["_meta"] == UI_META
        assert item["text"] == view.read()
        assert item["text"].startswith("<!doctype html>")


async def test_bound_tools_carry_the_resource_uri(client: Client) -> None:
    tools = {t.name: dump(t) for t in (await client.list_tools()).tools}

    assert tools["get_basic_data"]["_meta"] == {"ui": {"resourceUri": ENERGY_FLOW_URI}}
    assert tools["get_day_profile"]["_meta"] == {"ui": {"resourceUri": DAY_CURVES_URI}}
    assert tool_meta("get_notifications") is None


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_view_is_small_and_loads_nothing_from_outside(view: ViewSpec) -> None:
    html = view.read()
    lowered = html.lower()

    assert len(html.encode()) < MAX_BYTES
    assert not re.search(r"\b(https?|wss?|ftp|file):", lowered)
    assert not re.search(r"(?<![:\w/])//[\w-]+(\.[\w-]+)+", lowered)  # protocol-relative host
    assert "@import" not in lowered
    assert not re.search(r"\bsrc\s*=", lowered)
    assert re.findall(r"\bhref\s*=\s*['\"]?([^'\"\s>]*)", lowered) == []
    assert all(u.startswith("#") for u in re.findall(r"url\(\s*['\"]?([^'\")]*)", lowered))
    for network_api in ("fetch(", "xmlhttprequest", "websocket", "eventsource", "sendbeacon"):
        assert network_api not in lowered
    for needs_unsafe_eval in ("eval(", "new function", 'settimeout("', 'setinterval("'):
        assert needs_unsafe_eval not in lowered
    # the bridge of the stable spec: handshake, notifications, sizes, errors
    for part in (
        '"ui/initialize"',
        'protocolVersion: "2026-01-26"',
        'availableDisplayModes: ["inline"]',
        '"ui/notifications/initialized"',
        '"ui/notifications/tool-input"',
        '"ui/notifications/tool-result"',
        '"ui/notifications/tool-cancelled"',
        '"ui/notifications/host-context-changed"',
        '"ui/notifications/size-changed"',
        '"ui/resource-teardown"',
        "event.source !== window.parent",
        "-32601",
    ):
        assert part in html
    assert "100vh" not in html


LAZY_PROBE = """
import sys
from pathlib import Path
opened = []
sys.addaudithook(lambda event, args: event == "open"
                 and Path(str(args[0])).parent.match("oig_cloud_mcp/server/ui")
                 and opened.append(Path(str(args[0])).name))
import tempfile
import anyio
from mcp import Client
from oig_cloud_mcp.server.views import ENERGY_FLOW_URI
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.server import build_server

async def main():
    demo = Settings(demo=True, state_dir=Path(tempfile.mkdtemp()))
    async with Client(build_server(demo)) as client:
        await client.list_resources()
        await client.list_tools()
        print("before read:", len(opened))
        await client.read_resource(ENERGY_FLOW_URI)
        print("after read:", len(opened), *sorted(opened))

anyio.run(main)
"""


def test_html_is_read_only_when_a_host_asks_for_it() -> None:
    out = subprocess.run(
        [sys.executable, "-c", LAZY_PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[1],
        check=True,
    ).stdout

    assert "before read: 0" in out
    assert "after read: 4 base.css bridge.js energy_flow.html helpers.js" in out


SHARED = ("base.css", "bridge.js", "helpers.js")


def stripped(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines())


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_shared_parts_are_inlined_into_one_document(view: ViewSpec) -> None:
    html = view.read()
    ui = resources.files("oig_cloud_mcp.server") / "ui"

    assert "@inline" not in html
    assert len(re.findall(r"<style\b", html)) == 1
    assert len(re.findall(r"<script\b", html)) == 1
    for name in SHARED:
        assert stripped((ui / name).read_text("utf-8")) in stripped(html)


async def test_non_app_clients_get_the_same_answer_from_a_bound_tool(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    answer = await client.call_tool("get_basic_data", {})

    unbound = [name for name in tools if name not in {"get_basic_data", "get_day_profile"}]
    assert all(tools[name].meta is None for name in unbound)
    assert answer.structured_content is not None
    text = getattr(answer.content[0], "text", "")
    assert text.startswith("Box 2400000001")  # the usual text summary
