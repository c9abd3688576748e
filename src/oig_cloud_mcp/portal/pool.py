"""The HTTP connection pool the client sends through: no cookie jar, TLS for the portal.

With `client` and `wire`, the only code that uses httpx.
"""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from .. import __version__
from .inprocess import PortalCall, PortalHandler
from .tls import portal_ssl_context


class _RejectCookies(DefaultCookiePolicy):
    """We send PHPSESSID ourselves; httpx's jar must neither keep nor add cookies."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


def mock_transport(handler: PortalHandler) -> httpx.MockTransport:
    """An httpx transport that hands each request to an in-process portal (the demo box)."""

    async def handle(request: httpx.Request) -> httpx.Response:
        call = PortalCall(
            method=request.method,
            path=request.url.path.lstrip("/"),
            params=dict(request.url.params),
            headers=dict(request.headers),
            body=request.content,
        )
        reply = await handler(call)
        return httpx.Response(reply.status, content=reply.body, headers=reply.headers)

    return httpx.MockTransport(handle)


Pool = httpx.AsyncClient
"""A connection pool several clients may share (see `portal_pool`)."""


def portal_pool(
    base_url: str, *, timeout_s: float = 30.0, handler: PortalHandler | None = None
) -> httpx.AsyncClient:
    """An HTTP connection pool for OIG Cloud at `base_url` (or the in-process `handler`).

    Several clients (one per account) may share one pool: nothing in it is per account,
    since every request carries its own cookie header and the pool keeps no cookies.
    """
    return httpx.AsyncClient(
        timeout=timeout_s,
        follow_redirects=False,
        cookies=CookieJar(policy=_RejectCookies()),
        headers={"User-Agent": f"oig-cloud-mcp/{__version__}"},
        transport=mock_transport(handler) if handler else None,
        verify=portal_ssl_context() if base_url.startswith("https:") else True,
    )


__all__ = ["mock_transport", "portal_pool"]
