"""Tools registered from the catalogue: one handler per entry, built from its argument model.

A read tool runs its use case and answers with structured content plus its text summary.
A write tool previews unless confirmed, asks the user through elicitation when the client
can (the dialog is the preview), and goes through the app's write use cases. The plan a
dialog showed is resolved once per call (`Asked`) and handed to the tool body too, which
sends nothing if its own plan has become another change since.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    Elicit,
    ElicitationResult,
    MCPServer,
    Resolve,
)
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field, StrictBool

from ..domain.base import Model
from ..errors import OigError
from ..tools.catalogue import READ_TOOLS, WRITE_TOOLS, ReadTool, Tool, WriteTool
from .core import run_tool
from .views import VIEWS

if TYPE_CHECKING:
    from ..app.context import App
    from ..app.writes import Decision
    from ..domain.models import WriteResult
    from ..domain.write_plans import WritePlan

READ_ONLY = ToolAnnotations(read_only_hint=True)  # open world is the default
WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)
Principal = Callable[[], str]
"""Who is calling: the principal whose previews license its confirms (see app.writes)."""
Household = Callable[[], "App"]
"""The household the caller acts for: its use cases, state and portal client."""


class Confirmation(Model):
    """The user's answer to a write preview."""

    confirm: StrictBool = Field(description="Apply this change to the box now?")


class ConfirmArgument(Confirmation):
    """The model's own `confirm` argument, used when the client cannot ask the user."""


@dataclass(frozen=True)
class Asked:
    """Whether the client can ask the user, and the plan to ask about (None if it failed)."""

    can_ask: bool
    plan: WritePlan | None = None


def _parameters(model: type[BaseModel]) -> list[inspect.Parameter]:
    """The tool function's parameters: one per field of the argument model, in order."""
    return [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty if field.is_required() else field.default,
            annotation=Annotated[field.annotation, field],
        )
        for name, field in model.model_fields.items()
    ]


def _function(
    name: str,
    body: Callable[..., Awaitable[Any]],
    parameters: list[inspect.Parameter],
    returns: Any = inspect.Parameter.empty,
) -> Callable[..., Awaitable[Any]]:
    """`body` with the given signature, which is what the SDK reads its schema from."""

    async def function(**kwargs: Any) -> Any:
        return await body(**kwargs)

    function.__name__ = function.__qualname__ = name
    function.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    function.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": returns}
    return function


def _register(
    server: MCPServer, tool: Tool, fn: Callable[..., Any], hints: ToolAnnotations
) -> None:
    # Unstructured to the SDK: deriving an output model and schema per tool would cost
    # start-up what `tools/list` never needs, for the published schemas are derived once,
    # ahead of time (`server.schemas`); `run_tool` dumps the output model itself.
    server.add_tool(
        fn,
        name=tool.name,
        title=tool.title,
        description=tool.description,
        annotations=hints,
        meta=next((view.tool_meta for view in VIEWS if view.name == tool.view), None),
        structured_output=False,
    )


def read_tool_function(household: Household, tool: ReadTool) -> Callable[..., Awaitable[Any]]:
    """A read tool's function: its use case, answered as structured content and text.

    Its signature (the argument model's fields, the output model on its return) is what
    the SDK derives the tool's schemas from."""

    async def body(**kwargs: Any) -> CallToolResult:
        arguments = tool.arguments.model_construct(**kwargs)
        return await run_tool(lambda: tool.run(household().reads, arguments), tool.render)

    returns = Annotated[CallToolResult, tool.output]
    return _function(tool.name, body, _parameters(tool.arguments), returns)


def _decision(answer: ElicitationResult[Confirmation] | None) -> Decision:
    """What the user (or, without elicitation, the model's confirm flag) decided."""
    if not isinstance(answer, AcceptedElicitation):
        return "declined"
    if isinstance(answer.data, ConfirmArgument):
        return "confirmed" if answer.data.confirm else "preview"
    return "accepted" if answer.data.confirm else "declined"


def write_tool_function(
    household: Household, tool: WriteTool, principal: Principal
) -> Callable[..., Awaitable[Any]]:
    """A write tool's function: a preview unless confirmed, a dialog where the client has
    one (its `asked` and `answer` parameters are resolved by the SDK, not the caller)."""
    fields = [p for p in _parameters(tool.arguments) if p.name != "confirm"]

    async def plan(**kwargs: Any) -> WritePlan:
        return await tool.plan(household().writes, tool.arguments.model_construct(**kwargs))

    async def plan_to_ask(ctx: Context, **kwargs: Any) -> Asked:
        """The plan to put to the user, when the client can ask (elicitation)."""
        capabilities = ctx.client_capabilities
        if not (capabilities and capabilities.elicitation):
            return Asked(can_ask=False)
        try:
            return Asked(can_ask=True, plan=await plan(**kwargs))
        except OigError:
            return Asked(can_ask=True)  # the tool body raises the same error

    context = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)
    planner = _function(f"plan_{tool.name}", plan_to_ask, [*fields, context])
    asked = inspect.Parameter(
        "asked", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[Asked, Resolve(planner)]
    )
    confirm = inspect.Parameter("confirm", inspect.Parameter.KEYWORD_ONLY, annotation=bool)

    async def ask_user(asked: Asked, confirm: bool) -> Elicit[Confirmation] | Confirmation:
        """Ask the user about the plan when the client can; else pass `confirm` on."""
        if not asked.can_ask:
            return ConfirmArgument(confirm=confirm)
        if asked.plan is None or asked.plan.unchanged_reason is not None:
            return ConfirmArgument(confirm=False)
        return Elicit(asked.plan.question(), Confirmation)

    asker = _function(f"ask_{tool.name}", ask_user, [asked, confirm])
    answer = inspect.Parameter(
        "answer",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[ElicitationResult[Confirmation], Resolve(asker)],
    )

    async def body(**kwargs: Any) -> CallToolResult:
        shown: Asked = kwargs.pop("asked")
        decided = _decision(kwargs.pop("answer"))
        kwargs.pop("confirm", None)

        async def perform() -> WriteResult:
            return await household().writes.execute(
                await plan(**kwargs), decided, principal=principal(), asked=shown.plan
            )

        return await run_tool(perform, tool.render)

    returns = Annotated[CallToolResult, tool.output]
    parameters = [*_parameters(tool.arguments), asked.replace(default=None), answer]
    return _function(tool.name, body, parameters, returns)


def register_tools(
    server: MCPServer, household: Household, allowed: frozenset[str], principal: Principal
) -> None:
    """Every read tool, and the write tools the owner enabled (the others stay unlisted)."""
    for read in READ_TOOLS:
        _register(server, read, read_tool_function(household, read), READ_ONLY)
    for write in WRITE_TOOLS:
        if write.name in allowed:
            _register(server, write, write_tool_function(household, write, principal), WRITE)
