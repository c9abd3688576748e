"""When the state cannot be used (Redis down, a state file unreadable): 503 and one line.

The SDK's bearer check and token endpoint read our records; a failure there would be a
500 with a traceback, and a client that reads any 4xx as "the grant is gone" would throw
its tokens away. Here every such failure is one logged sentence (it names the address or
file, never a secret) and a 503 that says to try again; the state itself is never
guessed at.
"""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...errors import StateFileError

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5
UNAVAILABLE = (
    "The server cannot reach its stored state right now; nothing was changed, try again "
    "in a moment."
)
"""What a client sees: the detail (an address, a path) is for the operator's log."""


def unavailable_response(path: str) -> Response:
    """The 503 for `path`: a sentence for the consent page, OAuth's JSON error elsewhere."""
    headers = {"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"}
    if path == "/consent":
        return PlainTextResponse(UNAVAILABLE, 503, headers=headers)
    body = {"error": "temporarily_unavailable", "error_description": UNAVAILABLE}
    return JSONResponse(body, 503, headers=headers)


class StateOutage:
    """Turn a `StateFileError` raised under it into a 503 and one log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; answer 503 if the state fails before the answer started."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except StateFileError as exc:
            log.error("%s %s: %s", scope["method"], scope["path"], exc)
            if not started:
                await unavailable_response(scope["path"])(scope, receive, send)
