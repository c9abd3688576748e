"""The outermost layer over HTTP: a SERVER span and `http.server.request.duration` for every
request (/mcp, the OAuth endpoints, the consent page, the health check).

Through the OpenTelemetry API (a no-op until `oig_cloud_mcp.telemetry` installs the SDK).
A span holds the method, the route (a path this server serves; any other path is left
out) and the status: never the query string (it carries OAuth codes and states), a header
or a body. A W3C `traceparent` header makes the request part of the caller's trace.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry import metrics, propagate, trace
from opentelemetry.trace import SpanKind, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ... import __version__

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
"""The buckets OpenTelemetry's HTTP conventions advise."""

tracer = trace.get_tracer("oig_cloud_mcp.server.remote", __version__)
meter = metrics.get_meter("oig_cloud_mcp.server.remote", __version__)
DURATION = meter.create_histogram(
    "http.server.request.duration",
    unit="s",
    description="HTTP requests served: duration (and, as its count, how many) by route.",
    explicit_bucket_boundaries_advisory=list(SECONDS),
)


class Traced:
    """ASGI middleware: one SERVER span and one duration per HTTP request."""

    def __init__(self, app: ASGIApp, routes: frozenset[str]) -> None:
        self.app, self.routes = app, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request inside its span."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in METHODS else "_OTHER"
        route = scope["path"] if scope["path"] in self.routes else None
        common: dict[str, Any] = {"http.request.method": method, "url.scheme": scope["scheme"]}
        if route is not None:
            common["http.route"] = route
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in (b"traceparent", b"tracestate")
        }
        started, status = time.perf_counter(), [0]

        async def sent(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        with tracer.start_as_current_span(
            f"{method} {route}" if route else method,
            context=propagate.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={**common, **({"url.path": route} if route else {})},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                await self.app(scope, receive, sent)
            except BaseException as exc:
                common["error.type"] = type(exc).__qualname__
                span.set_status(StatusCode.ERROR)
                raise
            finally:
                if status[0]:
                    common["http.response.status_code"] = status[0]
                    span.set_attribute("http.response.status_code", status[0])
                if status[0] >= 500 and "error.type" not in common:
                    common["error.type"] = str(status[0])
                    span.set_status(StatusCode.ERROR)
                if "error.type" in common:
                    span.set_attribute("error.type", common["error.type"])
                DURATION.record(time.perf_counter() - started, common)
