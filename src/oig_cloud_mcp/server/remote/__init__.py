"""Remote access over Streamable HTTP: the SDK's OAuth 2.1 authorization server with our
provider, the consent page, and the HTTP application around the MCP server."""
