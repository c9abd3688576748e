"""The SDK's own floor: a minimal MCPServer with one tool, served over stdio.

`--quiet` sets the SDK's log level to WARNING (as oig-cloud-mcp does), which spares the
floor the SDK's default INFO log lines; it is the stricter comparison.
"""

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("floor", log_level="WARNING" if "--quiet" in sys.argv else "INFO")


@server.tool()
async def ping() -> str:
    """Answer pong."""
    return "pong"


if __name__ == "__main__":
    server.run("stdio")
