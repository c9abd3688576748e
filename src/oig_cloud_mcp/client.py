"""`OigCloudClient`: the async OIG Cloud web client (spec §3–§7). The only httpx user.

All traffic goes through `_send`, which translates every transport failure into
our own errors. Sessions are PHPSESSID cookies sent as an explicit header; they are
reused until the portal says they are dead, then replaced by exactly one login.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from http.cookiejar import CookieJar, DefaultCookiePolicy
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

from . import __version__
from .client_types import (
    LoginGuard,
    MemorySessions,
    OpenGuard,
    PortalCall,
    PortalHandler,
    PortalReply,
    SessionCache,
)
from .errors import (
    AuthenticationError,
    LiveDataUnavailableError,
    OigConnectionError,
    PortalError,
    SessionExpiredError,
    WriteOutcomeUnknownError,
)
from .models import Credentials

log = logging.getLogger(__name__)
T = TypeVar("T")

LOGIN = "inc/php/scripts/Login.php"
LIVE = "json.php"
HISTORY = "json2.php"
NOTIFICATIONS = "inc/php/scripts/Controller.Call.php"
LOGIN_OK: list[Any] = [[2, "", False]]
_SESSION_COOKIE = re.compile(r"PHPSESSID=([^;,\s]+)")
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
UNKNOWN_WRITE = (
    "The change was sent to OIG Cloud but no answer came back, so it may or may not have "
    "been accepted. Do not send it again yet: check get_basic_data in a few minutes."
)


class _RejectCookies(DefaultCookiePolicy):
    """We send PHPSESSID ourselves; httpx's jar must neither keep nor add cookies."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


def portal_ssl_context() -> ssl.SSLContext:
    """certifi's roots plus the Certum intermediate the portal forgets to send (spec §2.3)."""
    import certifi

    context = ssl.create_default_context(cafile=certifi.where())
    pem = resources.files("oig_cloud_mcp").joinpath("certum_dv_tls_g2_r39_ca.pem").read_text()
    context.load_verify_locations(cadata=pem)
    return context


def _mock_transport(handler: PortalHandler) -> httpx.MockTransport:
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


def _looks_like_html(text: str) -> bool:
    return text.lstrip()[:1] == "<"


class OigCloudClient:
    """One OIG Cloud account: login, live stats, history and notifications."""

    def __init__(
        self,
        base_url: str,
        credentials: Callable[[], Credentials],
        *,
        account: Callable[[], str] | None = None,
        sessions: SessionCache | None = None,
        guard: LoginGuard | None = None,
        cache_ttl_s: float = 20.0,
        timeout_s: float = 30.0,
        handler: PortalHandler | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._credentials = credentials
        self._account = account or (lambda: credentials().account)
        self._sessions = sessions or MemorySessions()
        self._guard = guard or OpenGuard()
        self._cache_ttl_s = cache_ttl_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._cookie: str | None = None
        self._login_lock = asyncio.Lock()
        self._endpoint_locks: dict[str, asyncio.Lock] = {}
        self._inflight: dict[str, asyncio.Task[Any]] = {}
        self._live: tuple[float, dict[str, Any]] | None = None
        self.session_checked_at: float | None = None
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout_s,
            follow_redirects=False,
            cookies=CookieJar(policy=_RejectCookies()),
            headers={"User-Agent": f"oig-cloud-mcp/{__version__}"},
            transport=_mock_transport(handler) if handler else None,
            verify=portal_ssl_context() if self.base_url.startswith("https:") else True,
        )

    def clock(self) -> float:
        """The client's monotonic clock (what `session_checked_at` is measured in)."""
        return self._clock()

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    # -- the choke point -------------------------------------------------------------

    async def _send(
        self, method: str, path: str, *, is_write: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """Send one request, one at a time per endpoint; every failure becomes an OigError.

        For a write, a failure after the request may have left this machine is reported
        as `WriteOutcomeUnknownError`, never retried.
        """
        lock = self._endpoint_locks.setdefault(path, asyncio.Lock())
        async with lock:
            try:
                response = await self._http.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                if is_write and not isinstance(exc, _NOT_SENT):
                    raise WriteOutcomeUnknownError(UNKNOWN_WRITE) from exc
                raise self._connection_error(exc) from exc
        log.debug("%s %s -> %s", method, path, response.status_code)
        return response

    def _connection_error(self, exc: httpx.HTTPError) -> OigConnectionError:
        if isinstance(exc, httpx.TimeoutException):
            return OigConnectionError(
                f"OIG Cloud did not answer within {self._timeout_s:g} s; "
                "try again in a few minutes."
            )
        if _is_certificate_failure(exc):
            return OigConnectionError(
                f"The TLS certificate of {self.base_url} could not be verified, so nothing was "
                "sent. If a proxy or antivirus intercepts HTTPS on this network, let it pass "
                "this host; otherwise try again later."
            )
        return OigConnectionError(
            f"Cannot reach OIG Cloud at {self.base_url} ({type(exc).__name__}); "
            "check the internet connection and try again."
        )

    def _check_status(self, response: httpx.Response, endpoint: str) -> None:
        status = response.status_code
        _raise_if_session_dead(status, endpoint)
        if status == 500 and endpoint == LIVE:
            raise LiveDataUnavailableError(
                "OIG Cloud failed to return live data (HTTP 500). This happens when 'Live data' "
                "(Živá data) is off in the OIG app: switch it on there; otherwise try again "
                "in a few minutes.",
                status=status,
                endpoint=endpoint,
            )
        if status >= 400:
            raise PortalError(
                f"OIG Cloud answered HTTP {status} for {endpoint}; try again in a few minutes.",
                status=status,
                endpoint=endpoint,
            )

    def _json(self, response: httpx.Response, endpoint: str) -> Any:
        self._check_status(response, endpoint)
        text = response.text
        try:
            return json.loads(text)
        except ValueError:
            if _looks_like_html(text):
                raise SessionExpiredError(f"{endpoint} answered HTML") from None
            raise PortalError(
                f"OIG Cloud sent an unreadable answer for {endpoint}; try again in a few minutes.",
                status=response.status_code,
                endpoint=endpoint,
            ) from None

    # -- sessions -------------------------------------------------------------------

    async def login(self, credentials: Credentials | None = None) -> str:
        """Log in once (spec §3) and return the new session cookie. Never retried."""
        creds = credentials or self._credentials()
        self._guard.allow(creds.account)
        self._guard.before_login(creds.account)
        body = json.dumps({"email": creds.email, "password": creds.password})
        response = await self._send(
            "POST", LOGIN, content=body, headers={"Content-Type": "application/json"}
        )
        if response.status_code >= 500:
            self._check_status(response, LOGIN)
        try:
            accepted = response.status_code == 200 and json.loads(response.text) == LOGIN_OK
        except ValueError:
            accepted = False
        match = _SESSION_COOKIE.search(", ".join(response.headers.get_list("set-cookie")))
        if not accepted:
            self._guard.login_rejected(creds.account)
            raise AuthenticationError(
                f"OIG Cloud rejected the e-mail or password for {creds.email}; "
                "run `oig-cloud-mcp login` to enter them again."
            )
        if match is None:
            raise PortalError("OIG Cloud accepted the login but sent no session cookie.")
        self._guard.login_succeeded(creds.account)
        self._cookie = match.group(1)
        self._sessions.save(creds.account, self._cookie)
        self.session_checked_at = self._clock()
        log.info("Logged in to OIG Cloud as %s", creds.email)
        return self._cookie

    async def _current_cookie(self, account: str) -> str:
        if self._cookie is None:
            self._cookie = self._sessions.load(account)
        if self._cookie is None:
            return await self._relogin(account, stale=None)
        return self._cookie

    async def _relogin(self, account: str, stale: str | None) -> str:
        """Log in unless another task or process already replaced the `stale` cookie.

        The password is read (from the keyring) only here, when a login is needed.
        """
        async with self._login_lock:
            if self._cookie is not None and self._cookie != stale:
                return self._cookie
            stored = self._sessions.load(account)
            if stored is not None and stored != stale:
                self._cookie = stored  # another process already logged in
                return stored
            return await self.login()

    async def _authed(self, call: Callable[[str], Awaitable[T]]) -> T:
        """Run `call(cookie)`; if the session is dead, log in once and retry once."""
        account = self._account()
        self._guard.allow(account)
        cookie = await self._current_cookie(account)
        try:
            result = await call(cookie)
        except SessionExpiredError:
            log.info("OIG Cloud session expired; logging in again")
            cookie = await self._relogin(account, stale=cookie)
            try:
                result = await call(cookie)
            except SessionExpiredError as exc:
                raise PortalError(
                    "OIG Cloud refused a brand-new session; try again in a few minutes."
                ) from exc
        self.session_checked_at = self._clock()
        return result

    async def _single_flight(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        """Identical concurrent reads share one upstream request."""
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(make())
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    # -- reads ----------------------------------------------------------------------

    async def live_stats(self) -> dict[str, Any]:
        """The json.php object keyed by box id, cached for `cache_ttl_s` seconds."""
        if self._live is not None and self._clock() - self._live[0] < self._cache_ttl_s:
            return self._live[1]
        return await self._single_flight(LIVE, self._fetch_live)

    async def _fetch_live(self) -> dict[str, Any]:
        async def fetch(cookie: str) -> dict[str, Any]:
            response = await self._send("GET", LIVE, headers={"Cookie": f"PHPSESSID={cookie}"})
            payload = self._json(response, LIVE)
            if not isinstance(payload, dict):
                raise SessionExpiredError("json.php answered a non-object")
            return payload

        payload = await self._authed(fetch)
        self._live = (self._clock(), payload)
        return payload

    def forget_live_stats(self) -> None:
        """Drop the cached json.php payload so the next read is fresh."""
        self._live = None

    async def history(self, name: str, start: str, end: str) -> dict[str, Any]:
        """One json2.php series for a date range (dates `YYYY-MM-DD`)."""
        body = json.dumps({"name": name, "range": f"{start},{end},0"})

        async def fetch(cookie: str) -> dict[str, Any]:
            response = await self._send(
                "POST",
                HISTORY,
                content=body,
                headers={"Cookie": f"PHPSESSID={cookie}", "Content-Type": "application/json"},
            )
            payload = self._json(response, HISTORY)
            return payload if isinstance(payload, dict) else {}

        return await self._single_flight(f"{HISTORY}:{body}", lambda: self._authed(fetch))

    async def notifications_html(self) -> Any:
        """The raw notification widget answer (`[[11, "ctrl-notifs", html, null]]`)."""

        async def fetch(cookie: str) -> Any:
            response = await self._send(
                "GET",
                NOTIFICATIONS,
                params={
                    "id": "2",
                    "selector_id": "ctrl-notifs",
                    "_nonce": str(int(time.time() * 1000)),
                },
                headers={
                    "Cookie": f"PHPSESSID={cookie}",
                    "X-Requested-With": "XMLHttpRequest",
                    "Accept": "text/html,application/json;q=0.9,*/*;q=0.8",
                },
            )
            return self._json(response, NOTIFICATIONS)

        return await self._single_flight(NOTIFICATIONS, lambda: self._authed(fetch))

    # -- writes ---------------------------------------------------------------------

    async def write(self, script: str, body: Mapping[str, Any], *, form: bool = False) -> str:
        """POST one write script (spec §6) and return the portal's message.

        HTTP 200 means accepted (not applied). A dead session is renewed and the write
        resent once, since the portal provably did not take it; any other failure is
        reported, never retried.
        """
        path = f"inc/php/scripts/{script}"
        if form:
            fields = {k: "" if v is None else str(v) for k, v in body.items()}
            content = urlencode(fields)
            content_type = "application/x-www-form-urlencoded; charset=UTF-8"
        else:
            content, content_type = json.dumps(body), "application/json"

        async def send(cookie: str) -> str:
            response = await self._send(
                "POST",
                path,
                is_write=True,
                params={"_nonce": str(int(time.time() * 1000))},
                content=content,
                headers={
                    "Cookie": f"PHPSESSID={cookie}",
                    "Content-Type": content_type,
                    "X-Requested-With": "XMLHttpRequest",
                },
            )
            status = response.status_code
            _raise_if_session_dead(status, script)
            if status != 200:
                raise PortalError(
                    f"OIG Cloud refused the change (HTTP {status}), so nothing was changed; "
                    "try again later or change it in the OIG app.",
                    status=status,
                    endpoint=script,
                )
            return _portal_message(response.text)

        message = await self._authed(send)
        self.forget_live_stats()
        return message


def _raise_if_session_dead(status: int, endpoint: str) -> None:
    """401/403, or a redirect (to the login page), means the session is dead (spec §7)."""
    if status in (401, 403) or 300 <= status < 400:
        raise SessionExpiredError(f"{endpoint} answered HTTP {status}")


def _is_certificate_failure(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _portal_message(text: str) -> str:
    """Element [0][2] of the portal's `[[0,2,"OK"]]` envelope, else the raw text."""
    try:
        payload = json.loads(text)
        return str(payload[0][2])
    except (ValueError, LookupError, TypeError):
        return text.strip()[:200]


__all__ = [
    "LoginGuard",
    "OigCloudClient",
    "PortalCall",
    "PortalHandler",
    "PortalReply",
    "SessionCache",
    "portal_ssl_context",
]
