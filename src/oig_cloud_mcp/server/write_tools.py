"""The write tools of the MCP server (registered only when the owner enabled them).

Part of the server layer: each write previews unless confirmed, asks the user through
elicitation when the client can, and goes through `WriteService`.
"""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    Elicit,
    ElicitationResult,
    MCPServer,
    Resolve,
)
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field, StrictBool, StrictInt

from ..errors import OigError
from ..models import MODES_BRIEF, WriteResult
from .core import BoxId, run_tool

if TYPE_CHECKING:
    from ..writes import Decision, WritePlan, WriteService

WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)
Confirm = Annotated[
    StrictBool,
    Field(description="Leave false to get a preview; true only after the user agreed to it."),
]


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
            mode: Annotated[
                Literal["Home 1", "Home 2", "Home 3", "Home UPS"], Field(description=MODES_BRIEF)
            ],
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
