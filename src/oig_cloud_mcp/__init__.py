"""oig-cloud-mcp: an MCP server for OIG Cloud (OIG Power Battery Box)."""

__version__ = "0.1.0"
HOMEPAGE = "https://github.com/oig-cloud-mcp/oig-cloud-mcp"
"""The project's one home (pyproject's URLs, server.json and the extension must agree)."""
