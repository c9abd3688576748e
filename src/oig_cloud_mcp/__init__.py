"""oig-cloud-mcp: an MCP server for OIG Cloud (OIG Power Battery Box)."""

__version__ = "0.1.0"
