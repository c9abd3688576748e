"""The typer application, the global flags and the settings every command reads.

Settings are read from the environment when a command first needs them, so `--help`
works whatever the environment holds. With no command the root serves MCP on stdio,
so nothing here may write to stdout on that path.
"""

from __future__ import annotations

import json
import re
from typing import Annotated

import typer

from .. import __version__
from ..config import ENV_STATE, Settings, parse_allowed_writes, parse_state_url
from ..errors import ArgumentError
from . import serve_stdio, shown

PROG = "oig-cloud-mcp"

HELP = f"""MCP server for OIG Cloud (OIG Power Battery Box).

With no command it serves MCP on stdio: that is what an MCP client's configuration runs.
Start with `{PROG} login`, then `{PROG} call get_basic_data`; `{PROG} COMMAND -h` explains
each command.

Exit codes: 0 success, 1 the operation failed (tool error, portal, account), 2 usage
error (command line or environment variable), 130 interrupted (Ctrl+C), 143 terminated.
"""

app = typer.Typer(
    name=PROG,
    help=HELP,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    no_args_is_help=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)

DemoOption = Annotated[
    bool, typer.Option("--demo", help="Use a built-in simulated box (no login, no network).")
]
WritesOption = Annotated[
    str | None,
    typer.Option(
        "--allow-writes",
        metavar="TOOLS",
        help="Enable write tools: all, or a comma-separated list such as "
        "set_box_mode,set_grid_delivery.",
        show_default=False,
    ),
]

DEBUG_HELP = "Show tracebacks and debug logs on stderr."


class _State:
    demo = False
    allow_writes: str | None = None
    debug = False
    state_url: str | None = None
    settings: Settings | None = None


STATE = _State()


def _debug_flag(value: bool) -> None:
    """`--debug` after a command: the same as before it."""
    if value:
        STATE.debug = True
        if STATE.settings is not None:
            STATE.settings = STATE.settings.with_overrides(log_level="DEBUG")


DebugOption = Annotated[bool, typer.Option("--debug", callback=_debug_flag, help=DEBUG_HELP)]

STATE_HELP = (
    "Keep state on the Redis at URL (redis://HOST:PORT/DB, rediss:// for TLS), shared by "
    f"the replicas of a hosted server; default: the state directory ({ENV_STATE})."
)


def _state_flag(value: str | None) -> str | None:
    """`--state URL` before or after a command."""
    if value is not None:
        STATE.state_url = value
        STATE.settings = None  # read again, with the flag applied
    return value


StateOption = Annotated[
    str | None,
    typer.Option(
        "--state", metavar="URL", callback=_state_flag, help=STATE_HELP, show_default=False
    ),
]


def settings(*, demo: bool = False, allow_writes: str | None = None) -> Settings:
    """The environment's settings with the command-line flags applied (read once).

    A variable or flag that cannot be used raises `ConfigurationError` (exit 2).
    """
    if STATE.settings is None:
        current = Settings.from_env()
        if STATE.debug:
            current = current.with_overrides(log_level="DEBUG")
        STATE.settings = current
    current = STATE.settings
    if STATE.state_url is not None:
        current = current.with_overrides(
            state_url=parse_state_url(STATE.state_url, source="--state")
        )
    if demo or STATE.demo:
        current = current.with_overrides(demo=True)
    flag = allow_writes if allow_writes is not None else STATE.allow_writes
    if flag is not None:
        writes = parse_allowed_writes(flag, source="--allow-writes")
        current = current.with_overrides(allowed_writes=writes)
    STATE.settings = current
    return current


def echo(text: str = "") -> None:
    """Print a line for the user (control characters escaped, see `shown`)."""
    typer.echo(shown(text))


def warn(text: str) -> None:
    """Print a line on stderr (control characters escaped, see `shown`)."""
    typer.echo(shown(text), err=True)


def json_text(value: object) -> str:
    """`value` as indented JSON for the terminal: non-ASCII text stays readable, and DEL
    and C1 controls (which json.dumps leaves raw then) are written as \\u escapes too."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


_RAW_IN_JSON = re.compile(r"[\x7f-\x9f]")


def _version(value: bool) -> None:
    if value:
        echo(f"{PROG} {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    demo: DemoOption = False,
    allow_writes: WritesOption = None,
    debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
    state: StateOption = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Record the global flags; with no command, serve MCP on stdio."""
    STATE.demo, STATE.allow_writes, STATE.debug, STATE.settings = demo, allow_writes, debug, None
    STATE.state_url = state
    if ctx.invoked_subcommand is None:
        serve_stdio(settings())


@app.command(short_help="Serve MCP over stdio (the same as no command), or over HTTP.")
def serve(
    demo: DemoOption = False,
    allow_writes: WritesOption = None,
    http: Annotated[
        bool,
        typer.Option("--http", help="Serve Streamable HTTP with OAuth (remote access) instead."),
    ] = False,
    host: Annotated[
        str | None,
        typer.Option(
            "--host", metavar="HOST", help="With --http: the address to listen on (127.0.0.1)."
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port", metavar="PORT", min=1, max=65535, help="With --http: the port (8000)."
        ),
    ] = None,
    public: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            metavar="URL",
            help="With --http: the https:// address clients use (a tunnel's or proxy's).",
        ),
    ] = None,
    accounts: Annotated[
        str | None,
        typer.Option(
            "--accounts",
            metavar="single|multi",
            help="With --http: one home (pairing codes) or many (households sign in).",
        ),
    ] = None,
    state: StateOption = None,
    debug: DebugOption = False,
) -> None:
    """Serve MCP over stdio (the same as no command): what MCP clients run.

    With --http: Streamable HTTP at /mcp with OAuth 2.1, for claude.ai, the phone and
    ChatGPT (see `oig-cloud-mcp remote --help`).
    """
    current = settings(demo=demo, allow_writes=allow_writes)
    if accounts is not None and accounts not in ("single", "multi"):
        raise ArgumentError(f"--accounts must be single or multi, not {accounts!r}.")
    given = {"http_host": host, "http_port": port, "public_url": public, "accounts": accounts}
    flags = {name: value for name, value in given.items() if value is not None}
    if not http:
        if flags:
            raise ArgumentError("--host, --port, --public-url and --accounts go with --http.")
        serve_stdio(current)
        return
    from .remote import serve_http

    serve_http(current.with_overrides(**flags))
