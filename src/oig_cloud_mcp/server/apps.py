"""The MCP App views (see `app_views`): their `ui://` resources, read only on request.

The tools bound to a view carry `app_views.tool_meta(name)`; hosts that do not render
apps ignore both and get the same answers as before.
"""

from collections.abc import Callable

from mcp.server.mcpserver import MCPServer

from .views import ViewSpec, view_resources


def register_views(server: MCPServer, cache_ttl_s: float) -> None:
    """Add each view as a resource whose HTML is read when a host asks for it, with the
    server's cache TTL (`cache_ttl_s`) filled in."""
    for view in view_resources():
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
