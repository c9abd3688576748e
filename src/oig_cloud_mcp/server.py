"""The MCP server: thin tools over `OigService`. The only module that imports `mcp`.

Each tool returns structured content (validated against its model, published as
`outputSchema`) plus a short text summary. Every failure reaches the model as a
`ToolError` with one sentence that says what to do.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from . import __version__
from .config import Settings
from .errors import OigError
from .models import BasicData, ExtendedData, Notifications, SeriesName, Severity
from .render import basic_data_text, extended_data_text, notifications_text
from .service import OigService

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

BoxId = Annotated[
    str | None,
    Field(
        description="Battery Box id; omit for the first box on the account.", pattern=r"^\d{1,20}$"
    ),
]
IsoDate = Annotated[
    str,
    Field(
        description="A day as YYYY-MM-DD (Prague time).",
        json_schema_extra={"format": "date"},
        min_length=10,
        max_length=10,
    ),
]
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=True)

INSTRUCTIONS = """\
Reads a home solar + battery system (OIG Power Battery Box) from OIG Cloud.
- get_basic_data: the live snapshot (battery %, solar, grid, house, mode, today's energy). \
Start here for "how full is my battery?" or "am I exporting?".
- get_extended_data: history for up to 31 days (battery, solar, grid, load series).
- get_notifications: the box's event log (warnings, errors, bypass).
Signs: battery.power_w is + while charging and - while discharging; grid.power_w is + \
while importing and - while exporting. Units are in field names (_w, _kwh, _pct). \
null means the portal did not report the value; it is never a hidden zero. \
live_data=false means 'Live data' is off in the OIG app and values are not live.
{writes}"""


def configure_logging(level: str = "WARNING") -> None:
    """Plain log lines on stderr (before MCPServer can install its own handler)."""
    root = logging.getLogger()
    if not any(getattr(h, "_oig", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._oig = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level if level in logging.getLevelNamesMapping() else "WARNING")


async def run_tool(call: Callable[[], Awaitable[M]], render: Callable[[M], str]) -> CallToolResult:
    """Run a service call; our errors become ToolError sentences, results get a summary."""
    try:
        result = await call()
    except OigError as exc:
        raise ToolError(str(exc)) from exc
    except Exception as exc:
        log.exception("Unexpected error in a tool")
        raise ToolError(
            f"oig-cloud-mcp hit an unexpected error ({type(exc).__name__}); the server log "
            "(stderr) has the details. Please report it."
        ) from exc
    return CallToolResult(
        content=[TextContent(type="text", text=render(result))],
        structured_content=result.model_dump(mode="json"),
    )


def build_server(settings: Settings, service: OigService | None = None) -> MCPServer:
    """The MCP server for `settings` (a service may be injected for tests)."""
    oig = service or OigService(settings)

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            await oig.aclose()

    writes = "Write tools are disabled; the owner can enable them (see the README)."
    server = MCPServer(
        "oig-cloud",
        title="OIG Cloud" + (" (demo box)" if settings.demo else ""),
        instructions=INSTRUCTIONS.format(writes=writes),
        version=__version__,
        lifespan=lifespan,
        log_level="WARNING",
    )

    @server.tool(title="Live data of a Battery Box", annotations=READ_ONLY)
    async def get_basic_data(box_id: BoxId = None) -> Annotated[CallToolResult, BasicData]:
        """Live snapshot of one box: battery, solar, grid, house, mode and today's energy."""
        return await run_tool(lambda: oig.basic_data(box_id), basic_data_text)

    @server.tool(title="History of a Battery Box", annotations=READ_ONLY)
    async def get_extended_data(
        start_date: IsoDate,
        end_date: IsoDate,
        series: Annotated[
            list[SeriesName] | None,
            Field(description="Any of batt, fve (solar), grid, load; default all four."),
        ] = None,
        box_id: BoxId = None,
        max_samples: Annotated[
            int, Field(ge=1, le=96, description="Rows per series after averaging.")
        ] = 24,
    ) -> Annotated[CallToolResult, ExtendedData]:
        """History from start_date to end_date (at most 31 days): summaries and averaged samples."""
        return await run_tool(
            lambda: oig.extended_data(start_date, end_date, series, box_id, max_samples),
            extended_data_text,
        )

    @server.tool(title="Notifications from OIG Cloud", annotations=READ_ONLY)
    async def get_notifications(
        limit: Annotated[int, Field(ge=1, le=100, description="How many, newest first.")] = 20,
        min_severity: Annotated[
            Literal["info", "warning", "error", "critical"] | None,
            Field(description="Only this severity and worse."),
        ] = None,
        box_id: BoxId = None,
    ) -> Annotated[CallToolResult, Notifications]:
        """The box's notifications (events, warnings, bypass), newest first."""
        severity: Severity | None = min_severity
        return await run_tool(
            lambda: oig.notifications(limit, severity, box_id), notifications_text
        )

    return server


def serve(settings: Settings) -> None:
    """Serve MCP over stdio until the client disconnects."""
    configure_logging(settings.log_level)
    build_server(settings).run("stdio")
