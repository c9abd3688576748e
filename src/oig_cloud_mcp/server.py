"""The MCP server: thin tools over `OigService`. The only module that imports `mcp`.

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

from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    Elicit,
    ElicitationResult,
    MCPServer,
    Resolve,
)
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, StrictBool, StrictInt, StrictStr, ValidationError

from . import __version__
from .arguments import argument_problems, unknown_arguments
from .config import Settings
from .errors import OigError
from .models import (
    BOX_ID_PATTERN,
    WRITE_TOOLS,
    BasicData,
    ExtendedData,
    Notifications,
    SeriesName,
    Severity,
    WriteResult,
)
from .render import basic_data_text, extended_data_text, notifications_text
from .service import OigService

if TYPE_CHECKING:
    from .pending import AuditLog
    from .writes import Decision, WritePlan, WriteService

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
WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)
Confirm = Annotated[
    StrictBool,
    Field(description="Leave false to get a preview; true only after the user agreed to it."),
]
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
- get_basic_data: the live snapshot (battery %, solar, grid, house, mode, today's energy). \
Start here for "how full is my battery?" or "am I exporting?".
- get_extended_data: history for up to 31 days (battery, solar, grid, load series).
- get_notifications: the box's event log (warnings, errors, bypass).
Signs: battery.power_w is + while charging and - while discharging; grid.power_w is + \
while importing and - while exporting. Units are in field names (_w, _kwh, _pct). \
null means the portal did not report the value; it is never a hidden zero. \
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


class Confirmation(BaseModel):
    """The user's answer to a write preview."""

    confirm: bool = Field(description="Apply this change to the box now?")


class ConfirmArgument(Confirmation):
    """The model's own `confirm` argument, used when the client cannot ask the user."""


async def ask_user(
    ctx: Context, confirm: bool, plan: Callable[[], Awaitable["WritePlan"]]
) -> Elicit[Confirmation] | Confirmation:
    """Ask the user through elicitation when the client can; else pass `confirm` on."""
    capabilities = ctx.client_capabilities
    if not (capabilities and capabilities.elicitation):
        return ConfirmArgument(confirm=confirm)
    try:
        planned = await plan()
    except OigError:
        return ConfirmArgument(confirm=False)  # the tool body raises the same error
    if planned.unchanged_reason is not None:
        return ConfirmArgument(confirm=False)
    return Elicit(planned.question(), Confirmation)


def decision(answer: ElicitationResult[Confirmation] | None) -> "Decision":
    """What the user (or, without elicitation, the model's confirm flag) decided."""
    if not isinstance(answer, AcceptedElicitation):
        return "declined"
    if isinstance(answer.data, ConfirmArgument):
        return "confirmed" if answer.data.confirm else "preview"
    return "confirmed" if answer.data.confirm else "declined"


class OigServer(MCPServer):
    """An MCPServer whose argument errors are one sentence, and that audits every call
    of a write tool, including ones refused before they reach the tool."""

    def __init__(self, *args: Any, audit: "AuditLog", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audit = audit
        self._schemas: dict[str, dict[str, Any]] | None = None

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


def write_text(result: WriteResult) -> str:
    """The write tool's summary is its message."""
    return result.message


def register_write_tools(
    server: MCPServer, writes: "WriteService", allowed: frozenset[str]
) -> None:
    """Add the write tools the owner enabled; the others stay absent from tools/list."""

    async def perform(plan: Awaitable["WritePlan"], answer: Any) -> WriteResult:
        return await writes.execute(await plan, decision(answer))

    if "set_box_mode" in allowed:

        async def ask_box_mode(
            mode: str, confirm: bool, box_id: str | None, ctx: Context
        ) -> Elicit[Confirmation] | Confirmation:
            return await ask_user(
                ctx, confirm, lambda: writes.plan("set_box_mode", mode=mode, box_id=box_id)
            )

        @server.tool(title="Set the box mode", annotations=WRITE)
        async def set_box_mode(
            mode: Literal["Home 1", "Home 2", "Home 3", "Home UPS"],
            confirm: Confirm = False,
            box_id: BoxId = None,
            answer: Annotated[ElicitationResult[Confirmation], Resolve(ask_box_mode)] = None,  # type: ignore[assignment]
        ) -> Annotated[CallToolResult, WriteResult]:
            """Switch the box's operating mode (previews unless confirmed)."""
            return await run_tool(
                lambda: perform(writes.plan("set_box_mode", mode=mode, box_id=box_id), answer),
                write_text,
            )

    if "set_grid_delivery" in allowed:

        async def ask_grid(
            state: str, limit_w: int | None, confirm: bool, box_id: str | None, ctx: Context
        ) -> Elicit[Confirmation] | Confirmation:
            return await ask_user(
                ctx,
                confirm,
                lambda: writes.plan(
                    "set_grid_delivery", state=state, limit_w=limit_w, box_id=box_id
                ),
            )

        @server.tool(title="Set export to the grid", annotations=WRITE)
        async def set_grid_delivery(
            state: Literal["off", "on", "limited"],
            limit_w: Annotated[
                StrictInt | None,
                Field(ge=1, le=9999, description="Export limit in W; only for limited."),
            ] = None,
            confirm: Confirm = False,
            box_id: BoxId = None,
            answer: Annotated[ElicitationResult[Confirmation], Resolve(ask_grid)] = None,  # type: ignore[assignment]
        ) -> Annotated[CallToolResult, WriteResult]:
            """Turn export to the grid off, on, or on with a limit (previews unless confirmed)."""
            return await run_tool(
                lambda: perform(
                    writes.plan("set_grid_delivery", state=state, limit_w=limit_w, box_id=box_id),
                    answer,
                ),
                write_text,
            )

    if "set_boiler_mode" in allowed:

        async def ask_boiler(
            mode: str, confirm: bool, box_id: str | None, ctx: Context
        ) -> Elicit[Confirmation] | Confirmation:
            return await ask_user(
                ctx, confirm, lambda: writes.plan("set_boiler_mode", mode=mode, box_id=box_id)
            )

        @server.tool(title="Set the boiler mode", annotations=WRITE)
        async def set_boiler_mode(
            mode: Literal["auto", "manual"],
            confirm: Confirm = False,
            box_id: BoxId = None,
            answer: Annotated[ElicitationResult[Confirmation], Resolve(ask_boiler)] = None,  # type: ignore[assignment]
        ) -> Annotated[CallToolResult, WriteResult]:
            """Heat the boiler automatically from surplus, or manually at full power."""
            return await run_tool(
                lambda: perform(writes.plan("set_boiler_mode", mode=mode, box_id=box_id), answer),
                write_text,
            )

    if "set_battery_grid_charging" in allowed:

        async def ask_charging(
            target_pct: int | None, confirm: bool, ctx: Context
        ) -> Elicit[Confirmation] | Confirmation:
            return await ask_user(
                ctx,
                confirm,
                lambda: writes.plan("set_battery_grid_charging", target_pct=target_pct),
            )

        @server.tool(title="Charge the battery from the grid", annotations=WRITE)
        async def set_battery_grid_charging(
            target_pct: Annotated[
                StrictInt | None,
                Field(ge=20, le=100, description="Charge to this %; null stops grid charging."),
            ],
            confirm: Confirm = False,
            answer: Annotated[ElicitationResult[Confirmation], Resolve(ask_charging)] = None,  # type: ignore[assignment]
        ) -> Annotated[CallToolResult, WriteResult]:
            """Start charging the battery from the grid up to a target, or stop it."""
            return await run_tool(
                lambda: perform(
                    writes.plan("set_battery_grid_charging", target_pct=target_pct), answer
                ),
                write_text,
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
        from .writes import WriteService

        writes = WriteService(oig)
        writes.audit = server.audit
        register_write_tools(server, writes, allowed)
    return server


def serve(settings: Settings) -> None:
    """Serve MCP over stdio until the client disconnects."""
    configure_logging(settings.log_level)
    build_server(settings).run("stdio")
