"""The write tools of the MCP server (registered only when the owner enabled them).

Part of the server layer: each write previews unless confirmed, asks the user through
elicitation when the client can, and goes through `WriteService`. The plan a dialog
showed is resolved once per call (`Asked`) and handed to the tool body too, which sends
nothing if its own plan has become another change since.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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

from ..domain.models import MODES_BRIEF, WriteResult
from ..errors import OigError
from .core import BoxId, run_tool

if TYPE_CHECKING:
    from ..app.writes import Decision, Writes
    from ..domain.write_plans import WritePlan

WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)
Confirm = Annotated[
    StrictBool,
    Field(description="Leave false to get a preview; true only after the user agreed to it."),
]


class Confirmation(BaseModel):
    """The user's answer to a write preview."""

    confirm: StrictBool = Field(description="Apply this change to the box now?")


class ConfirmArgument(Confirmation):
    """The model's own `confirm` argument, used when the client cannot ask the user."""


@dataclass(frozen=True)
class Asked:
    """Whether the client can ask the user, and the plan to ask about (None if it failed)."""

    can_ask: bool
    plan: "WritePlan | None" = None


async def plan_to_ask(ctx: Context, plan: Callable[[], Awaitable["WritePlan"]]) -> Asked:
    """The plan to put to the user, when the client can ask (elicitation)."""
    capabilities = ctx.client_capabilities
    if not (capabilities and capabilities.elicitation):
        return Asked(can_ask=False)
    try:
        return Asked(can_ask=True, plan=await plan())
    except OigError:
        return Asked(can_ask=True)  # the tool body raises the same error


def ask_user(asked: Asked, confirm: bool) -> Elicit[Confirmation] | Confirmation:
    """Ask the user about the plan when the client can; else pass `confirm` on."""
    if not asked.can_ask:
        return ConfirmArgument(confirm=confirm)
    if asked.plan is None or asked.plan.unchanged_reason is not None:
        return ConfirmArgument(confirm=False)
    return Elicit(asked.plan.question(), Confirmation)


def decision(answer: ElicitationResult[Confirmation] | None) -> "Decision":
    """What the user (or, without elicitation, the model's confirm flag) decided."""
    if not isinstance(answer, AcceptedElicitation):
        return "declined"
    if isinstance(answer.data, ConfirmArgument):
        return "confirmed" if answer.data.confirm else "preview"
    return "accepted" if answer.data.confirm else "declined"


def write_text(result: WriteResult) -> str:
    """The write tool's summary is its message."""
    return result.message


def register_write_tools(
    server: MCPServer, writes: "Writes", allowed: frozenset[str], principal: str
) -> None:
    """Add the write tools the owner enabled; the others stay absent from tools/list."""

    async def perform(plan: Awaitable["WritePlan"], answer: Any, asked: Asked) -> WriteResult:
        return await writes.execute(
            await plan, decision(answer), principal=principal, asked=asked.plan
        )

    if "set_box_mode" in allowed:

        async def plan_box_mode(mode: str, box_id: str | None, ctx: Context) -> Asked:
            return await plan_to_ask(
                ctx, lambda: writes.plan("set_box_mode", mode=mode, box_id=box_id)
            )

        async def ask_box_mode(
            asked: Annotated[Asked, Resolve(plan_box_mode)], confirm: bool
        ) -> Elicit[Confirmation] | Confirmation:
            return ask_user(asked, confirm)

        @server.tool(title="Set the box mode", annotations=WRITE)
        async def set_box_mode(
            mode: Annotated[
                Literal["Home 1", "Home 2", "Home 3", "Home UPS"], Field(description=MODES_BRIEF)
            ],
            confirm: Confirm = False,
            box_id: BoxId = None,
            asked: Annotated[Asked, Resolve(plan_box_mode)] = None,  # type: ignore[assignment]
            answer: Annotated[ElicitationResult[Confirmation], Resolve(ask_box_mode)] = None,  # type: ignore[assignment]
        ) -> Annotated[CallToolResult, WriteResult]:
            """Switch the box's operating mode (previews unless confirmed)."""
            return await run_tool(
                lambda: perform(
                    writes.plan("set_box_mode", mode=mode, box_id=box_id), answer, asked
                ),
                write_text,
            )

    if "set_grid_delivery" in allowed:

        async def plan_grid(
            state: str, limit_w: int | None, box_id: str | None, ctx: Context
        ) -> Asked:
            return await plan_to_ask(
                ctx,
                lambda: writes.plan(
                    "set_grid_delivery", state=state, limit_w=limit_w, box_id=box_id
                ),
            )

        async def ask_grid(
            asked: Annotated[Asked, Resolve(plan_grid)], confirm: bool
        ) -> Elicit[Confirmation] | Confirmation:
            return ask_user(asked, confirm)

        @server.tool(title="Set export to the grid", annotations=WRITE)
        async def set_grid_delivery(
            state: Literal["off", "on", "limited"],
            limit_w: Annotated[
                StrictInt | None,
                Field(ge=1, le=9999, description="Export limit in W; only for limited."),
            ] = None,
            confirm: Confirm = False,
            box_id: BoxId = None,
            asked: Annotated[Asked, Resolve(plan_grid)] = None,  # type: ignore[assignment]
            answer: Annotated[ElicitationResult[Confirmation], Resolve(ask_grid)] = None,  # type: ignore[assignment]
        ) -> Annotated[CallToolResult, WriteResult]:
            """Turn export to the grid off, on, or on with a limit (previews unless confirmed)."""
            return await run_tool(
                lambda: perform(
                    writes.plan("set_grid_delivery", state=state, limit_w=limit_w, box_id=box_id),
                    answer,
                    asked,
                ),
                write_text,
            )

    if "set_boiler_mode" in allowed:

        async def plan_boiler(mode: str, box_id: str | None, ctx: Context) -> Asked:
            return await plan_to_ask(
                ctx, lambda: writes.plan("set_boiler_mode", mode=mode, box_id=box_id)
            )

        async def ask_boiler(
            asked: Annotated[Asked, Resolve(plan_boiler)], confirm: bool
        ) -> Elicit[Confirmation] | Confirmation:
            return ask_user(asked, confirm)

        @server.tool(title="Set the boiler mode", annotations=WRITE)
        async def set_boiler_mode(
            mode: Literal["auto", "manual"],
            confirm: Confirm = False,
            box_id: BoxId = None,
            asked: Annotated[Asked, Resolve(plan_boiler)] = None,  # type: ignore[assignment]
            answer: Annotated[ElicitationResult[Confirmation], Resolve(ask_boiler)] = None,  # type: ignore[assignment]
        ) -> Annotated[CallToolResult, WriteResult]:
            """Heat the boiler automatically from surplus, or manually at full power."""
            return await run_tool(
                lambda: perform(
                    writes.plan("set_boiler_mode", mode=mode, box_id=box_id), answer, asked
                ),
                write_text,
            )

    if "set_battery_grid_charging" in allowed:

        async def plan_charging(target_pct: int | None, ctx: Context) -> Asked:
            return await plan_to_ask(
                ctx, lambda: writes.plan("set_battery_grid_charging", target_pct=target_pct)
            )

        async def ask_charging(
            asked: Annotated[Asked, Resolve(plan_charging)], confirm: bool
        ) -> Elicit[Confirmation] | Confirmation:
            return ask_user(asked, confirm)

        @server.tool(title="Charge the battery from the grid", annotations=WRITE)
        async def set_battery_grid_charging(
            target_pct: Annotated[
                StrictInt | None,
                Field(ge=20, le=100, description="Charge to this %; null stops grid charging."),
            ],
            confirm: Confirm = False,
            asked: Annotated[Asked, Resolve(plan_charging)] = None,  # type: ignore[assignment]
            answer: Annotated[ElicitationResult[Confirmation], Resolve(ask_charging)] = None,  # type: ignore[assignment]
        ) -> Annotated[CallToolResult, WriteResult]:
            """Start charging the battery from the grid up to a target, or stop it."""
            return await run_tool(
                lambda: perform(
                    writes.plan("set_battery_grid_charging", target_pct=target_pct), answer, asked
                ),
                write_text,
            )
