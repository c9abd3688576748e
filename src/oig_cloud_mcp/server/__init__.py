"""The MCP server: the catalogue's tools over the app's use cases. This package is the only
code that imports `mcp`: `core` (the server class, errors), `registration` (tools from
the catalogue), `schemas` (their published schemas, derived ahead of time), `prompts`
(prompts and resources), `views` (the MCP App views), `logs` and `local` (the server
called in-process by the command line).

Each tool returns structured content (its output model, published as `outputSchema`) plus
a short text summary. Every failure reaches the model as a
`ToolError` with one sentence that says what to do.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import MCPServer

from .. import HOMEPAGE, __version__
from ..config import Settings
from ..domain.models import MODES_BRIEF
from .core import OigServer, Scopes, server_icon, trim_server_info
from .logs import RedactSecrets, configure_logging
from .registration import register_tools
from .views import register_views

if TYPE_CHECKING:
    from ..app.context import App

__all__ = ["Callers", "OigServer", "RedactSecrets", "build_server", "configure_logging"]

WRITES_ON = (
    "Write tools enabled: {names}. They change a real house: call them without confirm first, "
    "show the preview to the user, and call again with confirm=true only after the user "
    "agrees (a confirm without that preview only returns the preview). OIG Cloud accepting a "
    "change does not mean the box applied it: boxes apply changes within about 10 minutes "
    "(up to an hour); get_basic_data lists pending_changes."
)
WRITES_OFF = "Write tools are disabled; the owner can enable them (see the README)."
INSTRUCTIONS = """\
Reads a home solar + battery system (OIG Power Battery Box) from OIG Cloud; each tool \
says what it answers. box_id: a Battery Box id; leave it out for the first box on the \
account. Dates are YYYY-MM-DD and times ISO 8601, Prague time; last_contact is when the \
box last reported. Signs: battery power is + while charging and \
- while discharging; grid power is + while importing and - while exporting. Units are in \
field names (_w, _kwh, _pct, _min). null means the portal did not report the value (or it \
cannot be computed); never a hidden zero. A figure with source "estimate" or \
estimated=true is computed, not a portal counter. live_data=false means 'Live data' is \
off in the OIG app and values are not live. Modes: {modes}
{writes}"""


@dataclass(frozen=True)
class Callers:
    """Who calls the server: over stdio one principal with no token; over HTTP the OAuth
    provider and settings, the token's principal and its scopes (see `server.remote`)."""

    principal: Callable[[], str]
    """Whose previews license whose confirms (see `app.writes`)."""
    household: Callable[[], App] | None = None
    """The household a call acts for (many homes: the token's); default the server's app."""
    scopes: Scopes = lambda: None
    provider: Any = None
    auth: Any = None
    aclose: Callable[[], Awaitable[None]] | None = None
    """What to close when the server stops (with `household`: its clients' pool)."""


async def _nothing() -> None:
    """Nothing to close."""


def _one_app(
    settings: Settings, app: App | None
) -> tuple[Callable[[], App], Callable[[], Awaitable[None]]]:
    """The server's one app (for every call), built when a call first needs it, and what
    closes it: answering `initialize` and `tools/list` needs none of it."""

    def household() -> App:
        nonlocal app
        if app is None:
            from ..app.wiring import build_app

            app = build_app(settings)
        return app

    async def close() -> None:
        if app is not None:
            await app.aclose()

    if settings.state_url and not settings.demo:
        household()  # a shared state that cannot work (no Redis client) stops the start
    return household, close


def build_server(
    settings: Settings, app: App | None = None, *, callers: Callers | None = None
) -> MCPServer:
    """The MCP server for `settings` (the use cases may be injected for tests)."""
    if callers is None:
        # Over stdio the principal is this server (one per process): its previews license
        # its confirms, and another server's do not.
        own = f"server:{uuid.uuid4().hex}"
        callers = Callers(principal=lambda: own)
    if callers.household is None:
        household, close = _one_app(settings, app)
    else:
        household, close = callers.household, callers.aclose or _nothing

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            await close()

    allowed = settings.allowed_writes
    names = ", ".join(sorted(allowed))
    middleware: list[Any] = [trim_server_info]
    if settings.telemetry.metrics:  # else there is no reader, and start-up skips the import
        from .observe import measure_operations

        middleware.append(measure_operations)
    server = OigServer(
        "oig-cloud",
        writes=lambda: household().writes,
        scopes=callers.scopes,
        auth_server_provider=callers.provider,
        auth=callers.auth,
        title="OIG Cloud" + (" (demo box)" if settings.demo else ""),
        instructions=INSTRUCTIONS.format(
            modes=MODES_BRIEF, writes=WRITES_ON.format(names=names) if allowed else WRITES_OFF
        ),
        version=__version__,
        website_url=HOMEPAGE,
        icons=[server_icon()],
        middleware=middleware,
        lifespan=lifespan,
        log_level="WARNING",
    )
    register_tools(server, household, allowed, callers.principal)
    from .prompts import register_prompts, register_resources

    register_prompts(server, allowed)
    register_resources(server, lambda: household().reads)
    register_views(server, settings.cache_ttl_s)
    return server
