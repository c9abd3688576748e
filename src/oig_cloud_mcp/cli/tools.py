"""`tools` and `call`: the MCP tools as the server offers them, called in-process."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from ..config import Settings
from ..domain.models import WRITE_TOOLS
from ..errors import ArgumentError, ConfigurationError
from . import USAGE, error, interrupt
from .base import (
    PROG,
    DebugOption,
    DemoOption,
    WritesOption,
    app,
    echo,
    json_text,
    settings,
    warn,
)

if TYPE_CHECKING:
    from ..server.local import LocalServer, ToolInfo

WIDTH = 88


def _server(current: Settings) -> LocalServer:
    from ..server.local import LocalServer

    return LocalServer(current)


def _listed(server: LocalServer) -> dict[str, ToolInfo]:
    return interrupt.run(server.tools())


def _every_tool(current: Settings) -> dict[str, ToolInfo]:
    """Every tool the server has, the write tools included whether enabled or not."""
    return _listed(_server(current.with_overrides(allowed_writes=frozenset(WRITE_TOOLS))))


def _is_enabled(current: Settings, name: str) -> bool:
    return name not in WRITE_TOOLS or name in current.allowed_writes


def _kind(tool: ToolInfo) -> str:
    return "read" if tool.read_only else "write"


def _not_enabled(name: str) -> NoReturn:
    from ..app.writes import write_disabled

    error(write_disabled(name), USAGE)


def _unknown_tool(name: str | None, current: Settings, offered: Iterable[str]) -> NoReturn:
    off = [tool for tool in WRITE_TOOLS if not _is_enabled(current, tool)]
    text = f"No tool {name!r}" if name else "Missing TOOL"
    more = f" (write tools, with --allow-writes: {', '.join(off)})" if off else ""
    choices = [tool for tool in offered if _is_enabled(current, tool)]
    error(f"{text}; choose one of: {', '.join(choices)}{more}.", USAGE)


def _tool_detail(tool: ToolInfo, current: Settings) -> list[str]:
    from ..tools.arguments import argument_lines, example

    state = "" if _is_enabled(current, tool.name) else "; off, enable it with --allow-writes"
    lines = [f"{tool.name} ({_kind(tool)}{state}): {tool.title}"]
    lines += textwrap.wrap(tool.description, WIDTH)
    lines += ["", "Arguments (KEY=VALUE):"]
    args = argument_lines(tool.input_schema, descriptions=True, width=WIDTH - 2)
    lines += [f"  {line}" for line in args] or ["  none"]
    sample = example(tool.name, tool.input_schema)
    if not _is_enabled(current, tool.name):
        sample += f" --allow-writes {tool.name}"
    lines += ["", "Example:", f"  {sample}"]
    return lines


@app.command("tools", short_help="List the MCP tools with their arguments, or show one tool.")
def list_tools(
    tool: Annotated[str | None, typer.Argument(metavar="TOOL", hidden=True)] = None,
    demo: DemoOption = False,
    allow_writes: WritesOption = None,
    debug: DebugOption = False,
) -> None:
    """List the MCP tools the server offers, each argument with what it accepts.

    With TOOL (a tool's name): its description, and each argument's type, range, allowed
    values, default and description.
    """
    from ..tools.arguments import argument_lines

    current = settings(demo=demo, allow_writes=allow_writes)
    tools = _every_tool(current)
    if tool is not None:
        if tool not in tools:
            _unknown_tool(tool, current, tools)
        echo("\n".join(_tool_detail(tools[tool], current)))
        return
    off: list[str] = []
    for spec in tools.values():
        if not _is_enabled(current, spec.name):
            off.append(spec.name)
            continue
        echo(f"{spec.name} ({_kind(spec)}): {spec.title}")
        for line in argument_lines(spec.input_schema) or ["no arguments"]:
            echo(f"    {line}")
    if off:
        echo(f"Write tools, off (enable with --allow-writes): {', '.join(off)}")
    echo(f"Details of one tool: {PROG} tools TOOL")


CALL_HELP = f"""Call one tool through the real MCP server, in-process, and print its result.

TOOL is a tool's name (see `{PROG} tools`). Its arguments are KEY=VALUE words, read by
the tool's input schema: numbers and true/false as such, lists separated by commas (a
JSON list works too), null for "none". Enum values ignore case and spaces (mode=home3 is
"Home 3"). Prints the tool's text summary; with --json only its structured result, as
JSON (for scripts: nothing else goes to stdout). Exits 1 if the tool reports an error, 2
if TOOL or an argument cannot be used.

\b
Examples:
  {PROG} call get_basic_data
  {PROG} call get_extended_data start_date=2025-06-01 end_date=2025-06-07 series=batt,grid
  {PROG} call get_notifications limit=5 min_severity=warning --json
  {PROG} call set_box_mode mode="Home 3" --allow-writes set_box_mode
  {PROG} call --help get_extended_data
"""


@app.command(
    help=CALL_HELP,
    short_help="Call one tool through the real MCP server and print its result.",
    context_settings={"help_option_names": []},  # --help TOOL is handled below
)
def call(
    ctx: typer.Context,
    tool: Annotated[str | None, typer.Argument(metavar="TOOL", hidden=True)] = None,
    args: Annotated[list[str] | None, typer.Argument(metavar="KEY=VALUE", hidden=True)] = None,
    demo: DemoOption = False,
    allow_writes: WritesOption = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the structured result as JSON instead of the summary."),
    ] = False,
    debug: DebugOption = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="With confirm=true: send the change without asking (scripts)."),
    ] = False,
    show_help: Annotated[
        bool,
        typer.Option("--help", "-h", help="Show this message (with TOOL: its arguments) and exit."),
    ] = False,
) -> None:
    """Call one tool through the real MCP server, in-process, and print its result."""
    from ..tools.arguments import parse_pairs

    if show_help:
        _help(ctx, tool, demo, allow_writes)
    current = settings(demo=demo, allow_writes=allow_writes)
    if tool in WRITE_TOOLS and not _is_enabled(current, tool):
        _not_enabled(tool)
    server = _server(current)
    tools = _listed(server)
    if tool is None or tool not in tools:
        _unknown_tool(tool, current, tools)
    try:
        arguments = parse_pairs(tool, tools[tool].input_schema, args or [])
    except ArgumentError as exc:
        error(f"{exc} See `{PROG} call --help {tool}`.", USAGE)
    if tool in WRITE_TOOLS and arguments.get("confirm") is True:
        _preview_and_ask(server, tool, arguments, yes=yes, show=warn if as_json else echo)
    answer = interrupt.run(server.call(tool, arguments))
    if answer.is_error:
        error(answer.text)
    echo(json_text(answer.structured) if as_json else answer.text)


def _preview_and_ask(
    server: LocalServer,
    tool: str,
    arguments: dict[str, Any],
    *,
    yes: bool,
    show: Callable[[str], None],
) -> None:
    """A change is previewed before it is sent, from the terminal too: `show` the preview
    (on stderr with --json, whose stdout is for the script), then send only after the
    owner says yes (or passed --yes)."""
    if not yes and not sys.stdin.isatty():
        error(
            "confirm=true shows the change and asks before sending it; run it in a terminal, "
            "or add --yes to send it without asking.",
            USAGE,
        )
    preview = interrupt.run(server.call(tool, {**arguments, "confirm": False}))
    if preview.is_error:
        error(preview.text)
    from ..app.writes import CONFIRM_AFTER

    outcome = preview.structured.get("outcome") if isinstance(preview.structured, dict) else None
    if outcome != "previewed":
        return  # unchanged: the confirmed call says so and sends nothing
    show(preview.text.removesuffix(CONFIRM_AFTER).rstrip())  # the model's cue, not the person's
    if not yes and not typer.confirm("Send this change to the box?", default=False):
        error("Nothing was changed.")


def _help(ctx: typer.Context, tool: str | None, demo: bool, allow_writes: str | None) -> NoReturn:
    """`call --help [TOOL]`: the command's help, then TOOL's arguments; help works even
    when an environment variable is invalid (the command itself would say so)."""
    echo(ctx.get_help())
    if tool is not None:
        try:
            current = settings(demo=demo, allow_writes=allow_writes)
        except ConfigurationError:
            current = Settings()
        tools = _every_tool(current)
        if tool not in tools:
            _unknown_tool(tool, current, tools)
        echo()
        echo("\n".join(_tool_detail(tools[tool], current)))
    raise typer.Exit()
