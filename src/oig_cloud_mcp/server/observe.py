"""`mcp.server.operation.duration`: every MCP request timed, by method and tool.

The SDK makes the SERVER span of each request (`tools/call get_basic_data`) but records no
metric; this middleware does, through the OpenTelemetry API (a no-op until
`oig_cloud_mcp.telemetry` installs the SDK). A tool name the catalogue does not know is
recorded as `_OTHER`: a client's arbitrary text never becomes a label.
"""

from __future__ import annotations

import time
from typing import Any

from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult
from opentelemetry import metrics

from .. import __version__
from ..tools.catalogue import BY_NAME

SECONDS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
"""The buckets OpenTelemetry's MCP conventions advise."""

meter = metrics.get_meter("oig_cloud_mcp.server", __version__)
OPERATION = meter.create_histogram(
    "mcp.server.operation.duration",
    unit="s",
    description="MCP requests served: duration (and, as its count, how many) by method and tool.",
    explicit_bucket_boundaries_advisory=list(SECONDS),
)


def _failed(result: Any) -> bool:
    """Whether a tools/call result reaches the client as a tool error."""
    match result:
        case CallToolResult(is_error=True) | {"isError": True}:
            return True
    return False


async def measure_operations(ctx: Any, call_next: Any) -> Any:
    """Middleware: record the duration of every request, with its outcome."""
    started = time.perf_counter()
    attributes: dict[str, str] = {"mcp.method.name": ctx.method}
    if ctx.protocol_version:
        attributes["mcp.protocol.version"] = ctx.protocol_version
    name = ctx.params.get("name") if ctx.params else None
    if ctx.method == "tools/call" and isinstance(name, str):
        attributes["gen_ai.tool.name"] = name if name in BY_NAME else "_OTHER"
    try:
        result = await call_next(ctx)
    except MCPError as exc:
        OPERATION.record(
            time.perf_counter() - started, attributes | {"error.type": str(exc.error.code)}
        )
        raise
    except Exception as exc:
        failure = {"error.type": type(exc).__qualname__}
        OPERATION.record(time.perf_counter() - started, attributes | failure)
        raise
    if _failed(result):
        attributes["error.type"] = "tool_error"
    OPERATION.record(time.perf_counter() - started, attributes)
    return result
