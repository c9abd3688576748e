"""The portal's wire vocabulary: its scripts, and what each answer means (spec §1-§7).

`answer` maps one HTTP response (status and body) to an `Answer` or to one of our errors,
`transport_failure` a request without one; `OigCloudClient._request` is their only
caller. With `client` and `pool`, the only code that uses httpx.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from ..errors import (
    LiveDataUnavailableError,
    OigConnectionError,
    OigError,
    PortalError,
    SessionExpiredError,
    WriteOutcomeUnknownError,
)
from .failed_writes import UNKNOWN_WRITE
from .tls import is_certificate_failure

LOGIN_OK: list[Any] = [[2, "", False]]
SESSION_COOKIE = re.compile(r"\s*PHPSESSID=([A-Za-z0-9,-]{1,256})\s*(?:;|$)")
"""One Set-Cookie header that sets PHPSESSID (PHP's ids may contain `,` and `-`)."""
MAX_ANSWER_BYTES = 5 * 1024 * 1024
"""The largest portal answer read (after decompression); json.php is about 20 KB a box."""
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
"""Transport failures that happen before the request leaves this machine."""


@dataclass(frozen=True)
class Endpoint:
    """One portal script and how to talk to it (spec §1)."""

    path: str
    method: Literal["GET", "POST"]
    session: bool = True
    """Needs the PHPSESSID cookie."""
    ajax: bool = False
    """Sends `X-Requested-With: XMLHttpRequest` (writes since 2026-07-31, notifications)."""
    nonce: bool = False
    """Sends `?_nonce=<ms>` like the portal's own JavaScript."""
    write: bool = False
    """A change: a failure after it may have left is an unknown outcome, never retried."""
    object_or_dead: bool = False
    """Anything but a JSON object means the session is dead (json.php, spec §7)."""
    accept: str | None = None


LOGIN = Endpoint("inc/php/scripts/Login.php", "POST", session=False)
LIVE = Endpoint("json.php", "GET", object_or_dead=True)
HISTORY = Endpoint("json2.php", "POST")
NOTIFICATIONS = Endpoint(
    "inc/php/scripts/Controller.Call.php",
    "GET",
    ajax=True,
    nonce=True,
    accept="text/html,application/json;q=0.9,*/*;q=0.8",
)


def write_endpoint(script: str) -> Endpoint:
    """One of the write scripts of spec §6."""
    return Endpoint(f"inc/php/scripts/{script}", "POST", ajax=True, nonce=True, write=True)


@dataclass(frozen=True)
class Answer:
    """A portal answer that passed the status checks."""

    data: Any
    """The parsed JSON (None for writes, whose body is only a message)."""
    message: str = ""
    cookie: str | None = None


class LoginRejectedError(Exception):
    """Login.php answered well-formed data that is not the success value (or 401/403)."""


async def read_capped(endpoint: Endpoint, response: httpx.Response) -> bytes:
    """The body of a streamed response, refused once it exceeds `MAX_ANSWER_BYTES`."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
        raise _too_large(endpoint)
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise _too_large(endpoint)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(endpoint: Endpoint) -> PortalError | WriteOutcomeUnknownError:
    limit = f"over {MAX_ANSWER_BYTES // (1024 * 1024)} MB"
    if endpoint.write:
        return WriteOutcomeUnknownError(
            f"OIG Cloud sent an answer too large to use ({limit}) to the change, so it may or "
            "may not have been accepted. Do not send it again yet: check get_basic_data in a "
            "few minutes."
        )
    return PortalError(
        f"OIG Cloud sent an answer too large to use ({limit}); try again later.",
        endpoint=endpoint.path,
    )


def transport_failure(
    endpoint: Endpoint, exc: httpx.HTTPError, *, timeout_s: float, shown_url: str
) -> OigError:
    """The error for a request that got no usable answer (network, TLS, timeout); a write
    that may have left this machine has an unknown outcome."""
    if endpoint.write and not isinstance(exc, _NOT_SENT):
        return WriteOutcomeUnknownError(UNKNOWN_WRITE)
    if isinstance(exc, httpx.TimeoutException):
        return OigConnectionError(
            f"OIG Cloud did not answer within {timeout_s:g} s; try again in a few minutes."
        )
    if is_certificate_failure(exc):
        return OigConnectionError(
            f"The TLS certificate of {shown_url} could not be verified, so nothing was "
            "sent. If a proxy or antivirus intercepts HTTPS on this network, let it pass "
            "this host; otherwise try again later."
        )
    return OigConnectionError(
        f"Cannot reach OIG Cloud at {shown_url} ({type(exc).__name__}); "
        "check the internet connection and try again."
    )


def session_cookie(set_cookie_headers: list[str]) -> str | None:
    """The PHPSESSID a login answer sets, each Set-Cookie header read on its own (the last
    one wins, as in a browser)."""
    found = None
    for header in set_cookie_headers:
        match = SESSION_COOKIE.match(header)
        if match:
            found = match.group(1)
    return found


def _not_normal(what: str) -> PortalError:
    return PortalError(f"OIG Cloud is not answering normally ({what}); try again later.")


def answer(endpoint: Endpoint, response: httpx.Response, body: bytes) -> Answer:
    """Map the status of `response` and its `body` to an `Answer` or one of our errors."""
    status, text = response.status_code, body.decode(response.encoding or "utf-8", "replace")
    if endpoint.session and (status in (401, 403) or 300 <= status < 400):
        raise SessionExpiredError(f"{endpoint.path} answered HTTP {status}")
    if not endpoint.session and status in (401, 403):
        raise LoginRejectedError
    if endpoint.write:
        if status != 200:
            raise PortalError(
                f"OIG Cloud refused the change (HTTP {status}), so nothing was changed; "
                "try again later or change it in the OIG app.",
                status=status,
                endpoint=endpoint.path,
            )
        return Answer(data=None, message=_portal_message(text))
    if not 200 <= status < 300:
        if endpoint is LIVE and status == 500:
            raise LiveDataUnavailableError(
                "OIG Cloud failed to return live data (HTTP 500). This happens when 'Live data' "
                "(Živá data) is off in the OIG app: switch it on there; otherwise try again "
                "in a few minutes.",
                status=status,
                endpoint=endpoint.path,
            )
        raise _not_normal(f"HTTP {status}")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        if endpoint.session and text.lstrip()[:1] == "<":
            raise SessionExpiredError(f"{endpoint.path} answered a web page") from None
        what = "a web page instead of data" if text.lstrip()[:1] == "<" else "an unreadable answer"
        raise _not_normal(what) from None
    if endpoint.object_or_dead and not isinstance(data, dict):
        raise SessionExpiredError(f"{endpoint.path} answered a non-object")
    if endpoint is LOGIN:
        if data != LOGIN_OK:
            raise LoginRejectedError
        return Answer(data=data, cookie=session_cookie(response.headers.get_list("set-cookie")))
    return Answer(data=data)


def _portal_message(text: str) -> str:
    """Element [0][2] of the portal's `[[0,2,"OK"]]` envelope, else the raw text."""
    try:
        payload = json.loads(text)
        return str(payload[0][2])
    except (ValueError, LookupError, TypeError, RecursionError):
        return text.strip()[:200]
