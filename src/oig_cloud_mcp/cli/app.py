"""The typer application behind `oig-cloud-mcp`: every command, flag and help text.

With no subcommand it serves MCP over stdio (what client configurations run), so
nothing here may write to stdout on that path.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .. import __version__
from ..config import Settings, parse_allowed_writes
from ..errors import ConfigurationError, OigError
from . import fail

if TYPE_CHECKING:
    from ..models import Credentials

app = typer.Typer(
    name="oig-cloud-mcp",
    help="MCP server for OIG Cloud (OIG Power Battery Box). With no command: serve MCP on stdio.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    no_args_is_help=False,
)

DemoOption = Annotated[
    bool, typer.Option("--demo", help="Use a built-in simulated box (no login, no network).")
]
WritesOption = Annotated[
    str | None,
    typer.Option(
        "--allow-writes",
        help="Enable write tools: 'all' or a comma list such as set_box_mode,set_grid_delivery.",
    ),
]


class _State:
    settings: Settings | None = None
    debug: bool = False


STATE = _State()


def settings(*, demo: bool = False, allow_writes: str | None = None) -> Settings:
    """The settings from the environment, with command-line flags applied."""
    if STATE.settings is None:
        STATE.settings = Settings.from_env()
    current = STATE.settings
    if demo:
        current = current.with_overrides(demo=True)
    if allow_writes is not None:
        try:
            current = current.with_overrides(allowed_writes=parse_allowed_writes(allow_writes))
        except ConfigurationError as exc:
            raise typer.BadParameter(str(exc), param_hint="--allow-writes") from None
    STATE.settings = current
    return current


def echo(text: str = "") -> None:
    """Print a line for the user."""
    typer.echo(text)


def _version(value: bool) -> None:
    if value:
        echo(f"oig-cloud-mcp {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    demo: DemoOption = False,
    allow_writes: WritesOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Serve MCP over stdio unless a command is given."""
    STATE.debug = debug
    STATE.settings = None
    current = settings(demo=demo, allow_writes=allow_writes)
    if debug:
        STATE.settings = current.with_overrides(log_level="DEBUG")
    if ctx.invoked_subcommand is None:
        _serve()


def _serve() -> None:
    from ..server import serve

    serve(STATE.settings or settings())


@app.command()
def serve(demo: DemoOption = False, allow_writes: WritesOption = None) -> None:
    """Serve MCP over stdio (the same as no command)."""
    settings(demo=demo, allow_writes=allow_writes)
    _serve()


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("OIG Cloud password", hide_input=True)
    if not password:
        raise typer.BadParameter("The password is empty.", param_hint="password")
    return password


async def _verify_login(current: Settings, creds: Credentials) -> list[str]:
    """Log in once against the portal; return the box ids if json.php answers.

    This is the owner's explicit attempt: it is made even while the account is locked
    after rejections, and a success lifts the lock.
    """
    from ..client import OigCloudClient
    from ..credentials import hints
    from ..parsing import box_ids
    from ..security import backoff_file
    from ..session_store import SessionStore, SharedSessions

    sessions = SharedSessions(
        SessionStore(current.session_path), backoff_file(current.backoff_path), hints(current)
    )
    client = OigCloudClient(
        current.base_url, lambda: creds, sessions=sessions, timeout_s=current.timeout_s
    )
    try:
        await client.login(creds, explicit=True)
        try:
            return box_ids(await client.live_stats())
        except OigError as exc:
            typer.echo(f"Warning: logged in, but reading live data failed: {exc}", err=True)
            return []
    finally:
        await client.aclose()


@app.command()
def login(
    email: Annotated[str | None, typer.Option("--email", help="The OIG Cloud e-mail.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Check your OIG Cloud login and store it in the OS keyring."""
    from .. import credentials as store
    from ..models import Credentials
    from ..security import add_to_whitelist

    current = settings()
    store.ensure_keyring_usable()  # before asking for anything or touching the portal
    address = (email or typer.prompt("OIG Cloud e-mail")).strip()
    creds = Credentials(address, _read_password(password_stdin), source="keyring")
    boxes = asyncio.run(_verify_login(current, creds))
    store.store_password(creds.email, creds.password)
    store.remember_account(current, creds.email)
    added = add_to_whitelist(current.whitelist_path, creds.email)
    echo(f"Logged in to OIG Cloud as {creds.email}.")
    if boxes:
        echo(f"Battery Box(es): {', '.join(boxes)}")
    echo(f"Password stored in the OS keyring ({store.keyring_backend_name()}).")
    echo(f"Account remembered in {current.account_path}")
    echo(f"Whitelist {'updated' if added else 'already lists it'}: {current.whitelist_path}")
    echo(f"Session cache: {current.session_path}")
    if current.has_env_credentials:
        echo("Note: OIG_CLOUD_EMAIL and OIG_CLOUD_PASSWORD are set and take precedence.")


@app.command()
def logout() -> None:
    """Remove the stored password, the cached session and the remembered account."""
    from .. import credentials as store
    from ..session_store import SessionStore

    current = settings()
    email = store.remembered_account(current)
    removed: list[str] = []
    absent: list[str] = []
    if email is not None:
        try:
            had_password = store.stored_password(email) is not None
            store.delete_password(email)
            (removed if had_password else absent).append(f"the password of {email} (OS keyring)")
        except OigError as exc:
            typer.echo(f"Warning: {exc}", err=True)
    else:
        absent.append("a stored password")
    cleared = SessionStore(current.session_path).clear()
    (removed if cleared else absent).append(f"the cached session ({current.session_path})")
    forgot = store.forget_account(current)
    (removed if forgot else absent).append(f"the remembered account ({current.account_path})")
    if removed:
        echo("Removed " + "; ".join(removed) + ".")
    if absent:
        echo("Nothing to remove for " + "; ".join(absent) + ".")


@app.command()
def status(
    check: Annotated[bool, typer.Option("--check", help="Also read live data once.")] = False,
) -> None:
    """Show the account, where credentials and state live, and any lockout."""
    from ..status import status_lines

    current = settings()
    for line in status_lines(current):
        echo(line)
    if check:
        from ..render import basic_data_text
        from ..service import OigService

        async def read() -> str:
            service = OigService(current)
            try:
                return basic_data_text(await service.basic_data())
            finally:
                await service.aclose()

        echo("Live check:")
        echo(asyncio.run(read()))


async def _with_client(current: Settings, use: Any) -> Any:
    from mcp import Client

    from ..server import build_server, configure_logging

    configure_logging(current.log_level)
    async with Client(build_server(current), mode="legacy") as client:
        return await use(client)


@app.command("tools")
def list_tools(demo: DemoOption = False, allow_writes: WritesOption = None) -> None:
    """List the MCP tools the server offers."""
    current = settings(demo=demo, allow_writes=allow_writes)

    async def use(client: Any) -> Any:
        return (await client.list_tools()).tools

    for tool in asyncio.run(_with_client(current, use)):
        kind = "read" if tool.annotations and tool.annotations.read_only_hint else "write"
        args = ", ".join(tool.input_schema.get("properties", {}))
        echo(f"{tool.name} ({kind}): {tool.title or ''}\n    args: {args or '-'}")


def _parse_arguments(pairs: list[str], schema: dict[str, Any]) -> dict[str, Any]:
    """`key=value` pairs as tool arguments: strings stay strings, the rest is read as JSON."""
    props = schema.get("properties", {})
    arguments: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"'{pair}' is not key=value.", param_hint="ARGS")
        declared = props.get(key, {})
        types = {declared.get("type")} | {t.get("type") for t in declared.get("anyOf", [])}
        if types & {"string"} and not types & {"array", "integer", "number", "boolean"}:
            arguments[key] = raw
            continue
        try:
            arguments[key] = json.loads(raw)
        except ValueError:
            arguments[key] = raw
    return arguments


@app.command()
def call(
    tool: Annotated[str, typer.Argument(help="Tool name, e.g. get_basic_data.")],
    args: Annotated[list[str] | None, typer.Argument(help="Arguments as key=value.")] = None,
    demo: DemoOption = False,
    allow_writes: WritesOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only the structured result.")
    ] = False,
) -> None:
    """Call one tool through the real MCP server, in-process, and print its result."""
    current = settings(demo=demo, allow_writes=allow_writes)

    async def use(client: Any) -> Any:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        if tool not in tools:
            return list(tools)  # reported outside the client's task group
        arguments = _parse_arguments(args or [], tools[tool].input_schema)
        return await client.call_tool(tool, arguments)

    result = asyncio.run(_with_client(current, use))
    if isinstance(result, list):
        raise typer.BadParameter(
            f"No tool '{tool}'; available: {', '.join(result)}.", param_hint="TOOL"
        )
    text = "\n".join(getattr(block, "text", "") for block in result.content)
    if result.is_error:
        typer.echo(text.removeprefix(f"Error executing tool {tool}: "), err=True)
        raise typer.Exit(1)
    if not as_json:
        echo(text)
        echo()
    echo(json.dumps(result.structured_content, indent=2, ensure_ascii=False))


def run() -> None:
    """Run the typer CLI; errors become one line on stderr and a non-zero exit code."""
    try:
        app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(1)
    except (Exception, KeyboardInterrupt) as exc:
        # typer's usage errors (click's, vendored or not) carry a message and an exit code
        usage = getattr(exc, "format_message", None)
        code = getattr(exc, "exit_code", None)
        if callable(usage) and isinstance(code, int):
            typer.echo(f"Error: {usage()} (see --help)", err=True)
            sys.exit(code)
        fail(exc, debug=STATE.debug)
