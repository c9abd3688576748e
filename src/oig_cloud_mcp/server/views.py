"""The MCP App views (SEP-1865, `io.modelcontextprotocol/ui`): what `server` registers.

Two self-contained HTML documents ship in `ui/`: the live energy flow (bound to
`get_basic_data`) and a day's curves (bound to `get_day_profile`). A host that renders
MCP Apps sees `_meta.ui.resourceUri` on those tools, reads the `ui://` resource and shows
it in a sandboxed frame next to the answer; other clients ignore both and keep getting the
same text and structured content as before.

What the views share is written once, in `ui/base.css` (theme fallbacks and the house look),
`ui/bridge.js` (the host bridge: handshake, notifications, answers, theme, size) and
`ui/helpers.js`; a view names them on a line `/* @inline NAME */` inside its `<style>` or
`<script>`, and `ViewSpec.read` puts the file there, so a host still gets one document with
every script and style inline.

`register_views` adds them to a server as resources; no file is read until a host asks
for one: `ViewSpec.read` is the resource's loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

from ..config import DEFAULT_CACHE_TTL_S

if TYPE_CHECKING:
    from collections.abc import Callable

    from mcp.server.mcpserver import MCPServer

APP_MIME_TYPE = "text/html;profile=mcp-app"
"""The MIME type of an MCP App view (the SDK's `mcp.server.apps.APP_MIME_TYPE`)."""

ENERGY_FLOW_URI = "ui://oig-cloud/energy-flow.html"
DAY_CURVES_URI = "ui://oig-cloud/day-curves.html"

_INLINE = re.compile(
    r"^(?P<indent>[ \t]*)/\* @inline (?P<name>[\w-]+\.(?:css|js)) \*/[ \t]*$", re.M
)
"""A line of a view that stands for a shared file of `ui/`, e.g. `/* @inline bridge.js */`."""
_CACHE_TTL_MARK = "/* @cache-ttl-ms */"
_CACHE_TTL_MS = re.compile(re.escape(_CACHE_TTL_MARK) + r" \d+")
"""A number in a view that is the server's cache TTL in milliseconds (see `ViewSpec.read`)."""


@dataclass(frozen=True)
class ViewSpec:
    """One view: its `ui://` resource, the tool bound to it and the file behind it."""

    uri: str
    name: str
    title: str
    description: str
    tool: str
    file: str
    mime_type: str = APP_MIME_TYPE

    @property
    def meta(self) -> dict[str, Any]:
        """The resource's `_meta`: no network at all, and a card with a border.

        Empty CSP domain lists are the host's most restrictive policy (inline script and
        style only); `domain` is left out on purpose (a wrong one makes Claude show nothing).
        """
        return {
            "ui": {
                "csp": {"connectDomains": [], "resourceDomains": []},
                "prefersBorder": True,
            }
        }

    @property
    def tool_meta(self) -> dict[str, Any]:
        """The bound tool's `_meta`."""
        return {"ui": {"resourceUri": self.uri}}

    def read(self, cache_ttl_s: float = DEFAULT_CACHE_TTL_S) -> str:
        """The HTML document, shared parts inlined (read from the installed package on each call).

        Each `/* @inline NAME */` line becomes the text of `ui/NAME`, indented like the line,
        and each number after `/* @cache-ttl-ms */` becomes `cache_ttl_s` in milliseconds: how
        long the server answers from its cache, so that a view's Refresh waits that long.
        """
        folder = resources.files("oig_cloud_mcp.server") / "ui"
        page = (folder / self.file).read_text("utf-8")
        page = _INLINE.sub(lambda line: _shared(folder, line["name"], line["indent"]), page)
        return _CACHE_TTL_MS.sub(f"{_CACHE_TTL_MARK} {round(cache_ttl_s * 1000)}", page)


def _shared(folder: Traversable, name: str, indent: str) -> str:
    """A shared file's text, each line indented; it must not end the `<style>` or `<script>`."""
    text = (folder / name).read_text("utf-8")
    if "</" in text:
        msg = f"ui/{name} contains '</', which would end the element it is inlined into"
        raise ValueError(msg)
    return "\n".join(indent + line if line else line for line in text.rstrip("\n").split("\n"))


VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec(
        uri=ENERGY_FLOW_URI,
        name="energy-flow",
        title="Energy flow",
        description="Live energy flow of a Battery Box: solar, battery, grid and house.",
        tool="get_basic_data",
        file="energy_flow.html",
    ),
    ViewSpec(
        uri=DAY_CURVES_URI,
        name="day-curves",
        title="A day by the hour",
        description="Solar, house and grid power and battery charge of one day, by the hour.",
        tool="get_day_profile",
        file="day_curves.html",
    ),
)


def tool_meta(tool: str) -> dict[str, Any] | None:
    """The `_meta` that binds `tool` to its view, or None for a tool without one."""
    for view in VIEWS:
        if view.tool == tool:
            return view.tool_meta
    return None


def register_views(server: MCPServer, cache_ttl_s: float) -> None:
    """Add each view as a resource whose HTML is read when a host asks for it, with the
    server's cache TTL (`cache_ttl_s`) filled in. The tools bound to a view carry
    `tool_meta(name)`; hosts that do not render apps ignore both."""
    for view in VIEWS:
        server.resource(
            view.uri,
            name=view.name,
            title=view.title,
            description=view.description,
            mime_type=view.mime_type,
            meta=view.meta,
        )(_loader(view, cache_ttl_s))


def _loader(view: ViewSpec, cache_ttl_s: float) -> Callable[[], str]:
    def load() -> str:
        return view.read(cache_ttl_s)

    return load
