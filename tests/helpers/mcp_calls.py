"""Calling tools on an in-process server the way a host does."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mcp import Client
from mcp.server.mcpserver import MCPServer

from oig_cloud_mcp.app.wiring import build_app
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.server import build_server


async def call(client: Client, tool: str, **arguments: object) -> Any:
    """Call a tool the way a host does."""
    return await client.call_tool(tool, arguments)


def text_of(result: Any) -> str:
    """The text blocks of a tool result, joined."""
    return "".join(getattr(block, "text", "") for block in result.content)


async def answered(client: Client, tool: str, **arguments: Any) -> tuple[Any, str]:
    """Call a tool; its result and the text a model reads."""
    result = await client.call_tool(tool, arguments)
    return result, text_of(result)


def error_text(result: Any) -> str:
    """The text of a tool result that must be an error."""
    assert result.is_error
    return "".join(block.text for block in result.content)


def preview_then_confirm(call: Callable[..., Any], tool: str, **arguments: Any) -> Any:
    """A write the way the README says it goes: the preview the user is shown, then the
    same call with `confirm: true` (the server sends no confirmed change it has not
    previewed). `call(tool, **arguments)` is any client's tool call; when it is async,
    await what this returns. Returns the confirmed call's answer."""
    preview = call(tool, **arguments)
    if not inspect.isawaitable(preview):
        return call(tool, **arguments, confirm=True)

    async def confirm_after_the_preview() -> Any:
        await preview
        return await call(tool, **arguments, confirm=True)

    return confirm_after_the_preview()


def server_at(settings: Settings, now: datetime) -> MCPServer:
    """The server for `settings` with its clock stopped at `now`."""
    return build_server(settings, build_app(settings, now=lambda: now))
