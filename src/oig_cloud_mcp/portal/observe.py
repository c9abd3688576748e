"""What the portal client tells OpenTelemetry: a CLIENT span and a duration per request,
logins and session renewals as spans of their own, and cache hits.

Through the OpenTelemetry API only: until `oig_cloud_mcp.telemetry` installs the SDK every
call here is a no-op. Nothing recorded names the account, a box, a cookie or a value: a
request is its method, its script's path (never the query), its status and size.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from opentelemetry import metrics, trace
from opentelemetry.trace import Span, SpanKind, StatusCode

from .. import __version__
from ..errors import AuthenticationError, SessionExpiredError
from .wire import LIVE, Endpoint, LoginRejectedError

P = ParamSpec("P")
T = TypeVar("T")

SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Histogram buckets for a portal request (OIG Cloud answers in 0.2 to 3 s)."""

tracer = trace.get_tracer("oig_cloud_mcp.portal", __version__)
meter = metrics.get_meter("oig_cloud_mcp.portal", __version__)
DURATION = meter.create_histogram(
    "http.client.request.duration",
    unit="s",
    description="Portal requests: duration (and, as its count, how many) by script and outcome.",
    explicit_bucket_boundaries_advisory=list(SECONDS),
)
LOGINS = meter.create_counter(
    "oig.portal.logins", unit="{login}", description="Logins to OIG Cloud by outcome."
)
CACHE = meter.create_counter(
    "oig.portal.cache.lookups",
    unit="{lookup}",
    description="Live data asked for: answered from the cache (hit) or from OIG Cloud (miss).",
)
_CACHE_MISS: ContextVar[bool] = ContextVar("oig_portal_cache_miss", default=False)
"""Set while live data (json.php) is fetched because the cache had none."""


def server_of(base_url: str) -> dict[str, Any]:
    """The portal's `server.address` and `server.port` (never a user name or password)."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {"server.address": parts.hostname or "", "server.port": port}


def outcome_of(exc: BaseException | None) -> str:
    """A request's outcome in a word: ok, expired (the session), rejected (a login), failed."""
    if exc is None:
        return "ok"
    if isinstance(exc, SessionExpiredError):
        return "expired"
    if isinstance(exc, LoginRejectedError | AuthenticationError):
        return "rejected"
    return "failed"


class Call:
    """One portal request in flight: what its answer was."""

    def __init__(self, span: Span, attributes: dict[str, Any]) -> None:
        self.span, self.attributes = span, attributes

    def answered(self, status: int, size: int) -> None:
        """The portal answered with HTTP `status` and `size` bytes of body."""
        self.attributes["http.response.status_code"] = status
        self.span.set_attributes(
            {"http.response.status_code": status, "http.response.body.size": size}
        )


def _failed(span: Span, exc: BaseException) -> str:
    """Mark `span` failed by the exception's class (never its message: it may name the
    account); returns the error type."""
    kind = type(exc).__qualname__
    span.set_attribute("error.type", kind)
    span.set_status(StatusCode.ERROR)
    return kind


@contextlib.contextmanager
def request(endpoint: Endpoint, server: dict[str, Any]) -> Iterator[Call]:
    """The CLIENT span and duration of one portal request to `endpoint`."""
    path = "/" + endpoint.path
    common = {"http.request.method": endpoint.method, "url.template": path, **server}
    attributes: dict[str, Any] = {**common, "url.path": path}
    if _CACHE_MISS.get() and endpoint == LIVE:
        attributes["oig.portal.cache"] = "miss"
    started, failure = time.perf_counter(), None
    with tracer.start_as_current_span(
        f"{endpoint.method} {path}",
        kind=SpanKind.CLIENT,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        call = Call(span, common)
        try:
            yield call
        except BaseException as exc:
            failure = exc
            common["error.type"] = _failed(span, exc)
            raise
        finally:
            common["oig.portal.outcome"] = outcome_of(failure)
            DURATION.record(time.perf_counter() - started, common)


def cache_hit() -> None:
    """Live data came from the cache: counted, and an event on the current span."""
    CACHE.add(1, {"oig.portal.cache": "hit"})
    trace.get_current_span().add_event("oig.portal.cache_hit")


@contextlib.contextmanager
def cache_miss() -> Iterator[None]:
    """Live data is fetched from OIG Cloud: counted, and the request's span says so."""
    CACHE.add(1, {"oig.portal.cache": "miss"})
    token = _CACHE_MISS.set(True)
    try:
        yield
    finally:
        _CACHE_MISS.reset(token)


def login(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """A login as its own span (`oig.portal.login`), counted by outcome."""

    @functools.wraps(method)
    async def logged(*args: P.args, **kwargs: P.kwargs) -> T:
        failure = None
        with tracer.start_as_current_span(
            "oig.portal.login", record_exception=False, set_status_on_exception=False
        ) as span:
            try:
                return await method(*args, **kwargs)
            except BaseException as exc:
                failure = exc
                _failed(span, exc)
                raise
            finally:
                outcome = "accepted" if failure is None else outcome_of(failure)
                span.set_attribute("oig.login.outcome", outcome)
                LOGINS.add(1, {"oig.login.outcome": outcome})

    return logged


def renewal(
    method: Callable[P, Awaitable[tuple[str, bool]]],
) -> Callable[P, Awaitable[tuple[str, bool]]]:
    """Getting a live session as its own span (`oig.portal.session.renew`): whether one
    had expired, and whether it came from a login or was taken over from another task or
    process. The session that ended is passed as `dead=` (None: there was none)."""

    @functools.wraps(method)
    async def renewed(*args: P.args, **kwargs: P.kwargs) -> tuple[str, bool]:
        dead = kwargs.get("dead")
        with tracer.start_as_current_span(
            "oig.portal.session.renew",
            attributes={"oig.session.expired": dead is not None},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                cookie, fresh = await method(*args, **kwargs)
            except BaseException as exc:
                _failed(span, exc)
                raise
            span.set_attribute("oig.session.source", "login" if fresh else "adopted")
            return cookie, fresh

    return renewed
