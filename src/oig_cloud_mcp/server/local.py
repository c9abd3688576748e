"""The real MCP server called in-process, for the command line's `tools` and `call`.

Plain data out (`ToolInfo`, `ToolAnswer`), so the command line needs no MCP types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp import Client

from ..config import Settings
from ..errors import sole_exception
from ..tools.catalogue import full_schema
from . import build_server, configure_logging
from .core import without_sdk_prefix


@dataclass(frozen=True)
class ToolInfo:
    """What the command line shows of a tool."""

    name: str
    title: str
    description: str
    read_only: bool
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class ToolAnswer:
    """A tool's answer: its text summary, structured content and error flag."""

    text: str
    structured: Any
    is_error: bool


class LocalServer:
    """One server built from `settings`, its tools listed and called without a transport."""

    def __init__(self, settings: Settings) -> None:
        configure_logging(settings.log_level, settings.log_format)
        self._server = build_server(settings)

    async def tools(self) -> dict[str, ToolInfo]:
        """The tools the server lists, by name."""
        return {
            tool.name: ToolInfo(
                name=tool.name,
                title=tool.title or "",
                description=tool.description or "",
                read_only=bool(tool.annotations and tool.annotations.read_only_hint),
                input_schema=full_schema(tool.name),
            )
            for tool in await self._server.list_tools()
        }

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolAnswer:
        """Call one tool through an in-process MCP client, as a host would."""
        try:
            async with Client(self._server, mode="legacy") as client:
                result = await client.call_tool(name, arguments)
        except BaseExceptionGroup as group:  # the client's task group wraps what went wrong
            raise sole_exception(group) from None
        text = "\n".join(getattr(block, "text", "") for block in result.content)
        if result.is_error:
            text = without_sdk_prefix(name, text)
        return ToolAnswer(text, result.structured_content, bool(result.is_error))
