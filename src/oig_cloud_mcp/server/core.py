"""The server's base: `OigServer` (one-sentence argument errors, every write-tool call
audited, lean schemas) and `run_tool` (our errors become `ToolError` sentences)."""

import base64
import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, CallToolResult, Icon, TextContent
from mcp.types import Tool as MCPTool
from pydantic import BaseModel, ValidationError

from ..domain.models import WRITE_TOOLS
from ..errors import OigError
from ..tools.arguments import argument_problems, shown_name, unknown_arguments
from ..tools.catalogue import BY_NAME, full_schema
from .schemas import published_schemas

if TYPE_CHECKING:
    from ..app.writes import Writes

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


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


Scopes = Callable[[], frozenset[str] | None]
"""The OAuth scopes of the caller's token; None when there is no token (stdio)."""
NOT_PERMITTED = (
    "{tool} changes the box, and this connection may only read: its permission to change "
    "settings was not granted. Connect again and tick the box that allows changes on the "
    "consent page; nothing was sent."
)


class OigServer(MCPServer):
    """An MCPServer whose argument errors (tools and prompts) are one sentence, that audits
    every call of a write tool (including ones refused before they reach the tool), whose
    tool schemas are lean, and that offers a remote caller only the tools its token's
    scopes allow."""

    def __init__(
        self,
        *args: Any,
        writes: Callable[[], "Writes"],
        scopes: Scopes = lambda: None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.writes = writes
        self._scopes = scopes
        self._schemas: dict[str, dict[str, Any]] | None = None
        self._tools: list[MCPTool] | None = None

    async def _every_tool(self) -> list[MCPTool]:
        """The tools, with their published (lean) schemas; listed once, for tools are added
        only at build."""
        if self._tools is None:
            schemas = published_schemas()
            self._tools = [
                tool.model_copy(
                    update={
                        "input_schema": schemas[tool.name]["input"],
                        "output_schema": schemas[tool.name]["output"],
                    }
                )
                for tool in await super().list_tools()
            ]
        return self._tools

    def _permitted(self, name: str) -> bool:
        """Whether the caller's token (if any) carries the scope the tool needs."""
        scopes = self._scopes()
        tool = BY_NAME.get(name)
        return scopes is None or tool is None or tool.scope in scopes

    async def list_tools(self) -> list[MCPTool]:
        """The tools this caller may use."""
        return [tool for tool in await self._every_tool() if self._permitted(tool.name)]

    async def _schema(self, name: str) -> dict[str, Any] | None:
        """A registered tool's full argument schema (patterns and lengths included), for the
        sentences about its arguments."""
        if self._schemas is None:
            self._schemas = {t.name: full_schema(t.name) for t in await self._every_tool()}
        return self._schemas.get(name)

    async def _refuse(
        self, name: str, arguments: dict[str, Any], outcome: str, reason: str
    ) -> NoReturn:
        if name in WRITE_TOOLS:
            box_id = arguments.get("box_id")
            await self.writes().note(
                name, box_id if isinstance(box_id, str) else None, arguments, outcome, reason
            )
        raise ToolError(reason)

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context | None = None
    ) -> Any:
        """Render a prompt; an unknown prompt or argument is one sentence (invalid params),
        not the SDK's "Error rendering prompt" with a traceback in the log."""
        prompts = {prompt.name: prompt for prompt in await self.list_prompts()}
        prompt = prompts.get(name)
        if prompt is None:
            raise MCPError(
                INVALID_PARAMS,
                f"No prompt {shown_name(name)!r}; choose one of: {', '.join(prompts)}.",
            )
        takes: dict[str, Any] = {argument.name: {} for argument in prompt.arguments or []}
        known: dict[str, Any] = {"properties": takes}
        unknown = unknown_arguments(known, arguments or {}, what="prompt")
        if unknown is not None:
            raise MCPError(INVALID_PARAMS, unknown)
        return await super().get_prompt(name, arguments, context)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context | None = None
    ) -> Any:
        """Call a tool; bad arguments become one sentence the model can act on."""
        schema = await self._schema(name)
        if schema is not None and not self._permitted(name):
            await self._refuse(name, arguments, "not permitted", NOT_PERMITTED.format(tool=name))
        if schema is None and name in WRITE_TOOLS:
            from ..app.writes import write_disabled  # only when refusing: a read-only start

            await self._refuse(name, arguments, "disabled", write_disabled(name))
        if schema is None:  # the SDK would echo the whole name, however long
            tools = ", ".join(self._schemas or ())
            raise ToolError(f"Unknown tool {shown_name(name)!r}; the tools are: {tools}.")
        unknown = unknown_arguments(schema, arguments) if schema is not None else None
        if schema is not None and unknown is not None:
            await self._refuse(name, arguments, "invalid", unknown)
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError) and schema is not None:
                await self._refuse(
                    name, arguments, "invalid", argument_problems(schema, cause.errors())
                )
            raise ToolError(without_sdk_prefix(name, str(exc))) from cause


def without_sdk_prefix(tool: str, text: str) -> str:
    """A tool error's sentence without the SDK's "Error executing tool NAME: " in front."""
    return text.removeprefix(f"Error executing tool {tool}: ")


SERVER_INFO_EXTRAS_SINCE = "2025-11-25"
"""The protocol version that added `websiteUrl` and `icons` to `serverInfo`."""


def server_icon() -> Icon:
    """The package's 48x48 icon as a data URI (no host has to fetch anything)."""
    png = (resources.files("oig_cloud_mcp.server") / "icon.png").read_bytes()
    data = base64.b64encode(png).decode("ascii")
    return Icon(src=f"data:image/png;base64,{data}", mime_type="image/png", sizes=["48x48"])


SERVER_INFO_STAMP = "io.modelcontextprotocol/serverInfo"


async def trim_server_info(ctx: Any, call_next: Any) -> Any:
    """Middleware: `serverInfo` carries `websiteUrl` and the icon only where it should.

    `initialize` leaves both out below protocol 2025-11-25, which has no such fields. The
    2026 protocols stamp `serverInfo` on every result: the icon (a 2 KB data URI) stays on
    `server/discover` and is dropped from the stamps on all other answers.
    """
    result = await call_next(ctx)
    if not isinstance(result, dict):
        return result
    if ctx.method == "initialize":
        info = result.get("serverInfo")
        if isinstance(info, dict) and result.get("protocolVersion", "") < SERVER_INFO_EXTRAS_SINCE:
            info.pop("websiteUrl", None)
            info.pop("icons", None)
    elif ctx.method != "server/discover":
        meta = result.get("_meta")
        stamp = meta.get(SERVER_INFO_STAMP) if isinstance(meta, dict) else None
        if isinstance(stamp, dict):
            stamp.pop("icons", None)
    return result
