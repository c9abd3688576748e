"""The SDK's own floor: a minimal MCPServer with one tool, served over stdio."""

from mcp.server.mcpserver import MCPServer

server = MCPServer("floor")


@server.tool()
async def ping() -> str:
    """Answer pong."""
    return "pong"


if __name__ == "__main__":
    server.run("stdio")
