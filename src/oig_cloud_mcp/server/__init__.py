"""The MCP server: thin tools over `OigService`. This package is the only code that
imports `mcp`: `core` (the server class and shared argument types), `write_tools`,
`prompts` (prompts and resources), `apps` (the MCP App views) and `logs`.

Each tool returns structured content (validated against its model, published as
`outputSchema`) plus a short text summary. Every failure reaches the model as a
`ToolError` with one sentence that says what to do.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult
from pydantic import Field, StrictInt

from .. import HOMEPAGE, __version__
from ..app.context import App
from ..app.wiring import build_app
from ..config import Settings
from ..domain.insight_models import DayProfile, EnergyReport, Period
from ..domain.models import BasicData, ExtendedData, Notifications, SeriesName, Severity
from ..tools.render import (
    basic_data_text,
    day_profile_text,
    energy_report_text,
    extended_data_text,
    notifications_text,
)
from .apps import register_views
from .core import (
    READ_ONLY,
    BoxId,
    IsoDate,
    OigServer,
    run_tool,
    server_icon,
    trim_server_info,
)
from .logs import RedactSecrets, configure_logging
from .views import tool_meta

__all__ = ["OigServer", "RedactSecrets", "build_server", "configure_logging"]

WRITES_ON = (
    "Write tools enabled: {names}. They change a real house: call them without confirm first, "
    "show the preview to the user, and call again with confirm=true only after the user "
    "agrees (a confirm without that preview only returns the preview). OIG Cloud accepting a "
    "change does not mean the box applied it: boxes apply changes within about 10 minutes "
    "(up to an hour); get_basic_data lists pending_changes."
)
WRITES_OFF = "Write tools are disabled; the owner can enable them (see the README)."
INSTRUCTIONS = """\
Reads a home solar + battery system (OIG Power Battery Box) from OIG Cloud.
- get_basic_data: the live snapshot (battery %, energy above the reserve and time to \
reserve or full, solar, grid, house, per-phase loads, mode, today's energy). Start here for \
"how full is my battery?", "how long will it last?" or "am I exporting?".
- get_energy_report: solar, import, export, consumption, self-consumption and \
self-sufficiency for today, this month or this year.
- get_day_profile: one day by the hour (solar, house, grid, battery %), peaks and lows.
- get_extended_data: raw history summaries for up to 31 days.
- get_notifications: the box's event log (warnings, errors, bypass).
Signs: battery power is + while charging and - while discharging; grid power is + \
while importing and - while exporting. Units are in field names (_w, _kwh, _pct, _min). \
null means the portal did not report the value (or it cannot be computed); never a hidden \
zero. A figure with source "estimate" or estimated=true is computed, not a portal counter. \
live_data=false means 'Live data' is off in the OIG app and values are not live.
{writes}"""


def build_server(settings: Settings, app: App | None = None) -> MCPServer:
    """The MCP server for `settings` (the use cases may be injected for tests)."""
    oig = app or build_app(settings)
    reads = oig.reads

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            await oig.aclose()

    allowed = settings.allowed_writes
    names = ", ".join(sorted(allowed))
    server = OigServer(
        "oig-cloud",
        writes=oig.writes,
        title="OIG Cloud" + (" (demo box)" if settings.demo else ""),
        instructions=INSTRUCTIONS.format(
            writes=WRITES_ON.format(names=names) if allowed else WRITES_OFF
        ),
        version=__version__,
        website_url=HOMEPAGE,
        icons=[server_icon()],
        middleware=[trim_server_info],
        lifespan=lifespan,
        log_level="WARNING",
    )

    @server.tool(
        title="Live data of a Battery Box", annotations=READ_ONLY, meta=tool_meta("get_basic_data")
    )
    async def get_basic_data(box_id: BoxId = None) -> Annotated[CallToolResult, BasicData]:
        """Live snapshot of one box: battery, solar, grid, house, mode and today's energy."""
        return await run_tool(lambda: reads.basic_data(box_id), basic_data_text)

    @server.tool(title="Energy report", annotations=READ_ONLY)
    async def get_energy_report(
        period: Annotated[Period, Field(description="today, this_month or this_year.")] = "today",
        box_id: BoxId = None,
    ) -> Annotated[CallToolResult, EnergyReport]:
        """Solar, grid import/export, consumption, self-consumption and self-sufficiency."""
        return await run_tool(lambda: reads.energy_report(period, box_id), energy_report_text)

    @server.tool(
        title="A day by the hour", annotations=READ_ONLY, meta=tool_meta("get_day_profile")
    )
    async def get_day_profile(
        date: IsoDate, box_id: BoxId = None
    ) -> Annotated[CallToolResult, DayProfile]:
        """One day (today or earlier) by the hour: solar, house, grid, battery %, peaks."""
        return await run_tool(lambda: reads.day_profile(date, box_id), day_profile_text)

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
            StrictInt, Field(ge=1, le=96, description="Rows per series after averaging.")
        ] = 24,
    ) -> Annotated[CallToolResult, ExtendedData]:
        """History from start_date to end_date (at most 31 days): summaries and averaged samples."""
        return await run_tool(
            lambda: reads.extended_data(start_date, end_date, series, box_id, max_samples),
            extended_data_text,
        )

    @server.tool(title="Notifications from OIG Cloud", annotations=READ_ONLY)
    async def get_notifications(
        limit: Annotated[
            StrictInt, Field(ge=1, le=100, description="How many, newest first.")
        ] = 20,
        min_severity: Annotated[
            Literal["info", "warning", "error", "critical"] | None,
            Field(description="Only this severity and worse."),
        ] = None,
        box_id: BoxId = None,
    ) -> Annotated[CallToolResult, Notifications]:
        """The box's notifications (events, warnings, bypass), newest first."""
        severity: Severity | None = min_severity
        return await run_tool(
            lambda: reads.notifications(limit, severity, box_id), notifications_text
        )

    if allowed:
        from .write_tools import register_write_tools

        # Over stdio the principal is this server (one per process): its previews license
        # its confirms, and another server's do not.
        register_write_tools(server, oig.writes, allowed, f"server:{uuid.uuid4().hex}")
    from .prompts import register_prompts, register_resources

    register_prompts(server, allowed)
    register_resources(server, reads)
    register_views(server)
    return server
