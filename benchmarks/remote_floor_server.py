"""The SDK's own floor for remote mode: a minimal MCPServer with one tool, served over
Streamable HTTP the way `oig-cloud-mcp serve --http` serves (stateless, JSON answers,
a bearer check with the resource validated), behind a token verifier that accepts one
static token. `python remote_floor_server.py PORT`; the token is `FLOOR_TOKEN`.
"""

from __future__ import annotations

import sys
import time

import uvicorn
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer

FLOOR_TOKEN = "floor-token"


class StaticVerifier:
    """Accepts exactly one token (the floor's stand-in for a token check)."""

    def __init__(self, resource: str) -> None:
        self.resource = resource

    async def verify_token(self, token: str) -> AccessToken | None:
        if token != FLOOR_TOKEN:
            return None
        return AccessToken(
            token=token,
            client_id="floor",
            scopes=["oig:read"],
            expires_at=int(time.time()) + 3600,
            resource=self.resource,
        )


def build(port: int) -> MCPServer:
    url = f"http://127.0.0.1:{port}"
    server = MCPServer(
        "floor",
        token_verifier=StaticVerifier(f"{url}/mcp"),
        auth=AuthSettings(
            issuer_url=url,  # type: ignore[arg-type]
            resource_server_url=f"{url}/mcp",  # type: ignore[arg-type]
            required_scopes=["oig:read"],
            validate_token_resource=True,
        ),
        log_level="WARNING",
    )

    @server.tool()
    async def ping() -> str:
        """Answer pong."""
        return "pong"

    return server


if __name__ == "__main__":
    port = int(sys.argv[1])
    app = build(port).streamable_http_app(
        streamable_http_path="/mcp", stateless_http=True, json_response=True
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
