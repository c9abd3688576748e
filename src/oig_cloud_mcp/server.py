"""The MCP server: thin tools over `OigService`. With `server_writes` (the write tools)
and `server_prompts` (prompts and resources), the only code that imports `mcp`.

Each tool returns structured content (validated against its model, published as
`outputSchema`) plus a short text summary. Every failure reaches the model as a
`ToolError` with one sentence that says what to do.
"""

import logging
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from mcp.types import Tool as MCPTool
from pydantic import BaseModel, Field, StrictInt, StrictStr, ValidationError

from . import __version__
from .arguments import argument_problems, unknown_arguments
from .config import Settings
from .errors import OigError
from .insight_models import DayProfile, EnergyReport, Period
from .models import (
    BOX_ID_PATTERN,
    WRITE_TOOLS,
    BasicData,
    ExtendedData,
    Notifications,
    SeriesName,
    Severity,
)
from .render import (
    basic_data_text,
    day_profile_text,
    energy_report_text,
    extended_data_text,
    notifications_text,
)
from .service import OigService

if TYPE_CHECKING:
    from .pending import AuditLog

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

BoxId = Annotated[
    StrictStr | None,
    Field(
        description="Battery Box id; omit for the first box on the account.", pattern=BOX_ID_PATTERN
    ),
]
IsoDate = Annotated[
    StrictStr,
    Field(
        description="A day as YYYY-MM-DD (Prague time).",
        json_schema_extra={"format": "date"},
        min_length=10,
        max_length=10,
    ),
]
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=True)
WRITES_ON = (
    "Write tools enabled: {names}. They change a real house: call them without confirm first, "
    "show the preview to the user, and call again with confirm=true only after the user "
    "agrees. OIG Cloud accepting a change does not mean the box applied it: boxes apply "
    "changes within about 10 minutes (up to an hour); get_basic_data lists pending_changes."
)
WRITES_OFF = "Write tools are disabled; the owner can enable them (see the README)."
WRITES_DISABLED = (
    "{tool} is disabled; the owner can enable it by starting the server with "
    "--allow-writes {tool} (or OIG_CLOUD_MCP_ALLOW_WRITES={tool})."
)

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


_SECRETS = (
    (re.compile(r"(PHPSESSID=)[^;,\s'\"]+"), r"\1<redacted>"),
    (
        re.compile(r"((?:^|[\s'\"(\[])cookie['\"]?\s*[:,=]\s*b?['\"]?)[^'\"\n]*", re.I),
        r"\1<redacted>",
    ),
    (re.compile(r"(['\"]password['\"]\s*:\s*)(['\"]).*?(?<!\\)\2", re.I), r"\1\2<redacted>\2"),
)


class RedactSecrets(logging.Filter):
    """Blanks session cookies and passwords in every log line, whoever logs it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with secrets blanked; never drops a record."""
        text = record.getMessage()
        redacted = text
        for pattern, replacement in _SECRETS:
            redacted = pattern.sub(replacement, redacted)
        if redacted != text:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str = "WARNING") -> None:
    """Plain, redacted log lines on stderr (before MCPServer can install its own handler).

    httpcore's DEBUG level is a wire trace that includes response headers (Set-Cookie),
    so it never goes below INFO, whatever level the user asks for.
    """
    root = logging.getLogger()
    if not any(getattr(h, "_oig", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactSecrets())
        handler._oig = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level if level in logging.getLevelNamesMapping() else "WARNING")
    for noisy in ("httpcore", "hpack"):
        logging.getLogger(noisy).setLevel(max(root.level, logging.INFO))


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


_KEEP_AS_IS = frozenset({"default", "const", "enum", "examples"})
_NAMED = frozenset({"properties", "$defs", "patternProperties"})


def _type_union(options: Any) -> list[str] | None:
    """The types of an `anyOf` made only of bare `{"type": ...}` options, else None."""
    if not isinstance(options, list) or not all(
        isinstance(o, dict) and set(o) == {"type"} and isinstance(o["type"], str) for o in options
    ):
        return None
    types = [o["type"] for o in options]
    return [t for t in types if not (t == "integer" and "number" in types)]


def lean_schema(node: Any, *, merge_types: bool = False) -> Any:
    """A JSON schema without pydantic's generated `title`s ("Solar W" for solar_w), which
    repeat the property names; with `merge_types`, `anyOf` lists of bare types become one
    `type` list (`["number", "null"]`). Both keep every tools/list shorter."""
    if isinstance(node, list):
        return [lean_schema(item, merge_types=merge_types) for item in node]
    if not isinstance(node, dict):
        return node
    lean: dict[str, Any] = {}
    for key, value in node.items():
        union = _type_union(value) if merge_types and key == "anyOf" else None
        if key == "title" and isinstance(value, str):
            continue
        if union is not None:
            lean["type"] = union[0] if len(union) == 1 else union
        elif key in _NAMED and isinstance(value, dict):
            lean[key] = {n: lean_schema(sub, merge_types=merge_types) for n, sub in value.items()}
        else:
            lean[key] = value if key in _KEEP_AS_IS else lean_schema(value, merge_types=merge_types)
    return lean


class OigServer(MCPServer):
    """An MCPServer whose argument errors are one sentence, that audits every call of a
    write tool (including ones refused before they reach the tool), and whose tool
    schemas carry no generated titles."""

    def __init__(self, *args: Any, audit: "AuditLog", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audit = audit
        self._schemas: dict[str, dict[str, Any]] | None = None
        self._tools: list[MCPTool] | None = None

    async def list_tools(self) -> list[MCPTool]:
        """The tools, with lean schemas (computed once: tools are added only at build)."""
        if self._tools is None:
            self._tools = [
                tool.model_copy(
                    update={
                        "input_schema": lean_schema(tool.input_schema),
                        # input schemas keep anyOf: `arguments` reads them for messages
                        "output_schema": lean_schema(tool.output_schema, merge_types=True),
                    }
                )
                for tool in await super().list_tools()
            ]
        return self._tools

    async def _schema(self, name: str) -> dict[str, Any] | None:
        if self._schemas is None:
            self._schemas = {tool.name: tool.input_schema for tool in await self.list_tools()}
        return self._schemas.get(name)

    def _refuse(self, name: str, arguments: dict[str, Any], outcome: str, reason: str) -> None:
        if name in WRITE_TOOLS:
            box_id = arguments.get("box_id")
            self.audit.note(
                name, box_id if isinstance(box_id, str) else None, arguments, outcome, reason
            )
        raise ToolError(reason)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context | None = None
    ) -> Any:
        """Call a tool; bad arguments become one sentence the model can act on."""
        schema = await self._schema(name)
        if schema is None and name in WRITE_TOOLS:
            self._refuse(name, arguments, "disabled", WRITES_DISABLED.format(tool=name))
        unknown = unknown_arguments(schema, arguments) if schema is not None else None
        if schema is not None and unknown is not None:
            self._refuse(name, arguments, "invalid", unknown)
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError) and schema is not None:
                self._refuse(name, arguments, "invalid", argument_problems(schema, cause.errors()))
            raise ToolError(str(exc).removeprefix(f"Error executing tool {name}: ")) from cause


def build_server(settings: Settings, service: OigService | None = None) -> MCPServer:
    """The MCP server for `settings` (a service may be injected for tests)."""
    oig = service or OigService(settings)

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            await oig.aclose()

    allowed = settings.allowed_writes
    names = ", ".join(sorted(allowed))
    from .pending import AuditLog

    server = OigServer(
        "oig-cloud",
        audit=AuditLog(oig.settings.audit_path, oig.now),
        title="OIG Cloud" + (" (demo box)" if settings.demo else ""),
        instructions=INSTRUCTIONS.format(
            writes=WRITES_ON.format(names=names) if allowed else WRITES_OFF
        ),
        version=__version__,
        lifespan=lifespan,
        log_level="WARNING",
    )

    @server.tool(title="Live data of a Battery Box", annotations=READ_ONLY)
    async def get_basic_data(box_id: BoxId = None) -> Annotated[CallToolResult, BasicData]:
        """Live snapshot of one box: battery, solar, grid, house, mode and today's energy."""
        return await run_tool(lambda: oig.basic_data(box_id), basic_data_text)

    @server.tool(title="Energy report", annotations=READ_ONLY)
    async def get_energy_report(
        period: Annotated[Period, Field(description="today, this_month or this_year.")] = "today",
        box_id: BoxId = None,
    ) -> Annotated[CallToolResult, EnergyReport]:
        """Solar, grid import/export, consumption, self-consumption and self-sufficiency."""
        return await run_tool(lambda: oig.energy_report(period, box_id), energy_report_text)

    @server.tool(title="A day by the hour", annotations=READ_ONLY)
    async def get_day_profile(
        date: IsoDate, box_id: BoxId = None
    ) -> Annotated[CallToolResult, DayProfile]:
        """One day (today or earlier) by the hour: solar, house, grid, battery %, peaks."""
        return await run_tool(lambda: oig.day_profile(date, box_id), day_profile_text)

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
            lambda: oig.extended_data(start_date, end_date, series, box_id, max_samples),
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
            lambda: oig.notifications(limit, severity, box_id), notifications_text
        )

    if allowed:
        from .server_writes import register_write_tools
        from .writes import WriteService

        writes = WriteService(oig)
        writes.audit = server.audit
        register_write_tools(server, writes, allowed)
    from .server_prompts import register_prompts, register_resources

    register_prompts(server, allowed)
    register_resources(server, oig)
    return server


def serve(settings: Settings) -> None:
    """Serve MCP over stdio until the client disconnects."""
    configure_logging(settings.log_level)
    build_server(settings).run("stdio")
