"""`OigCloudClient`: the async OIG Cloud web client (spec §3–§7).

With `wire` (the portal's scripts and what each answer means) and `pool` (the connection
pool) the only httpx user.

Every request goes through `_request`, which owns the cookie header, the nonce, the AJAX
header, the timeout and the mapping of every status and transport failure to our errors.
Session policy lives here too: a cookie is reused until the portal says it is dead, then
renewed once for every process that shares the state directory (`_renew`), and a session
left idle for a while is refreshed with a read before a write. A write that fails is
followed by one read with the same cookie; only a session that read proves dead gets a
new login and the write sent once more (`failed_writes` says what each outcome means).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

from ..domain.models import Credentials
from ..errors import (
    AuthenticationError,
    OigError,
    PortalError,
    SessionExpiredError,
    WriteOutcomeUnknownError,
)
from . import observe
from .failed_writes import (
    SessionVerdict,
    WriteReceipt,
    ended_again,
    failed_write,
    not_renewed,
    said_twice,
)
from .inprocess import PortalHandler
from .pool import Pool, portal_pool
from .sessions import LiveCache, MemoryLiveCache, MemorySessions, Renewal, SessionKeeper
from .wire import (
    HISTORY,
    LIVE,
    LOGIN,
    NOTIFICATIONS,
    Answer,
    Endpoint,
    LoginRejectedError,
    answer,
    read_capped,
    transport_failure,
    write_endpoint,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

SESSION_REFRESH_AFTER_S = 300.0
"""A session unused for this long is checked with a read before a write is sent on it."""
LOGIN_PAUSE_AFTER_REFUSAL_S = 60.0
"""After OIG Cloud refuses a brand-new session or sends no session cookie, this process
makes no automatic login for that account for this long (no login on every call)."""
_FORM = "application/x-www-form-urlencoded; charset=UTF-8"


class OigCloudClient:
    """OIG Cloud for one account at a time: login, live stats, history, notifications, writes.

    Cookies and cached live data are kept per account (`account()` may change, e.g. after
    `login` to another account), so another account's session is never used.
    """

    def __init__(
        self,
        base_url: str,
        credentials: Callable[[], Awaitable[Credentials]],
        *,
        account: Callable[[], str] | None = None,
        sessions: SessionKeeper | None = None,
        cache: LiveCache | None = None,
        cache_ttl_s: float = 20.0,
        timeout_s: float = 30.0,
        handler: PortalHandler | None = None,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.shown_url = str(httpx.URL(self.base_url).copy_with(userinfo=b""))
        """The base URL without a user name or password, for messages."""
        self._credentials = credentials
        self._account = account
        self._sessions: SessionKeeper = sessions or MemorySessions()
        self._cache: LiveCache = cache or MemoryLiveCache(cache_ttl_s, clock)
        self._timeout_s = timeout_s
        self._clock = clock
        self._cookies: dict[str, str] = {}
        self._session_used_at: dict[str, float] = {}
        self._login_locks: dict[str, asyncio.Lock] = {}
        self._logins_paused_until: dict[str, float] = {}
        self._endpoint_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._inflight: dict[str, asyncio.Task[Any]] = {}
        self._owns_http = http is None
        self._http = http or portal_pool(self.base_url, timeout_s=timeout_s, handler=handler)
        self._server = observe.server_of(self.base_url)

    async def aclose(self) -> None:
        """Close the HTTP connection pool (unless it was lent to this client)."""
        if self._owns_http:
            await self._http.aclose()

    async def account(self) -> str:
        """The account key (case-folded e-mail) requests are made for now."""
        if self._account is not None:
            return self._account()
        return (await self._credentials()).account

    # -- the choke point -------------------------------------------------------------

    async def _request(
        self,
        endpoint: Endpoint,
        *,
        account: str = "",
        cookie: str | None = None,
        body: Mapping[str, Any] | None = None,
        form: bool = False,
        params: Mapping[str, str] | None = None,
    ) -> Answer:
        """Send one request (one at a time per account and endpoint); every failure becomes
        an OigError."""
        headers: dict[str, str] = {}
        query = dict(params or {})
        content: str | None = None
        if cookie is not None:
            headers["Cookie"] = f"PHPSESSID={cookie}"
        if endpoint.ajax:
            headers["X-Requested-With"] = "XMLHttpRequest"
        if endpoint.accept:
            headers["Accept"] = endpoint.accept
        if endpoint.nonce:
            query["_nonce"] = str(int(time.time() * 1000))
        if body is not None and form:
            content = urlencode({k: "" if v is None else str(v) for k, v in body.items()})
            headers["Content-Type"] = _FORM
        elif body is not None:
            content, headers["Content-Type"] = json.dumps(body), "application/json"
        request = self._http.build_request(
            endpoint.method,
            self.base_url + endpoint.path,
            params=query,
            content=content,
            headers=headers,
        )
        lock = self._endpoint_locks.setdefault((account, endpoint.path), asyncio.Lock())
        async with lock:
            with observe.request(endpoint, self._server) as call:
                try:
                    response = await self._http.send(request, stream=True)
                    try:
                        raw = await read_capped(endpoint, response)
                    finally:
                        await response.aclose()
                except httpx.HTTPError as exc:
                    raise transport_failure(
                        endpoint, exc, timeout_s=self._timeout_s, shown_url=self.shown_url
                    ) from exc
                call.answered(response.status_code, len(raw))
                log.debug("%s %s -> %s", endpoint.method, endpoint.path, response.status_code)
                return answer(endpoint, response, raw)

    # -- sessions -------------------------------------------------------------------

    def _login_lock(self, account: str) -> asyncio.Lock:
        return self._login_locks.setdefault(account, asyncio.Lock())

    async def login(
        self,
        credentials: Credentials | None = None,
        *,
        explicit: bool = False,
        account: str | None = None,
    ) -> str:
        """Log in once (spec §3) and return the new session cookie. Never retried.

        `explicit` is the owner's own `oig-cloud-mcp login`: it is made even while the
        account is locked after rejections (a success clears the lock). `account` is the
        key the session and backoff are kept under (default: the case-folded e-mail; a
        household of a server for many homes goes by its pseudonym).
        """
        creds = credentials or await self._credentials()
        key = account or creds.account
        await self._sessions.allow(key)
        async with self._login_lock(key), self._sessions.renewal(key) as renewal:
            await renewal.check_may_login(explicit=explicit)
            return await self._login_once(creds, renewal, key)

    @observe.login
    async def _login_once(self, creds: Credentials, renewal: Renewal, account: str) -> str:
        try:
            answer = await self._request(
                LOGIN,
                account=account,
                body={"email": creds.email, "password": creds.password},
            )
        except LoginRejectedError:
            await renewal.rejected()
            raise AuthenticationError(
                f"OIG Cloud rejected the e-mail or password for {creds.email}; "
                f"{self._sessions.fix_hint}"
            ) from None
        if answer.cookie is None:
            raise self._pause_logins(
                account, "OIG Cloud accepted the login but sent no session cookie"
            )
        await renewal.accepted(answer.cookie)
        self._cookies[account] = answer.cookie
        self._session_used_at[account] = self._clock()
        log.info("Logged in to OIG Cloud")
        return answer.cookie

    @observe.renewal
    async def _renew(self, account: str, dead: str | None) -> tuple[str, bool]:
        """A live cookie instead of `dead`, and whether it came from a login just now.

        Across processes, under the account's lock: a stored cookie other than the dead
        one was stored after it (every store happens under this lock), so it is adopted;
        otherwise this process logs in, once.
        """
        async with self._login_lock(account):
            mine = self._cookies.get(account)
            if mine is not None and mine != dead:
                return mine, False  # another task of this process renewed it
            async with self._sessions.renewal(account) as renewal:
                stored = await renewal.stored_cookie()
                if stored is not None and stored != dead:
                    self._cookies[account] = stored  # another process renewed it
                    return stored, False
                self._check_logins_not_paused(account)
                await renewal.check_may_login(explicit=False)
                creds = await self._credentials()
                return await self._login_once(creds, renewal, account), True

    def _pause_logins(self, account: str, what: str) -> PortalError:
        """Pause automatic logins for `account`: the portal did not give a usable session."""
        self._logins_paused_until[account] = self._clock() + LOGIN_PAUSE_AFTER_REFUSAL_S
        return PortalError(f"{what}; try again in {LOGIN_PAUSE_AFTER_REFUSAL_S:g} s.")

    def _check_logins_not_paused(self, account: str) -> None:
        left = self._logins_paused_until.get(account, 0.0) - self._clock()
        if left > 0:
            raise PortalError(
                "OIG Cloud did not give a usable session at the last login, so this server "
                f"waits before logging in again; try again in {math.ceil(left)} s."
            )

    async def _session(self, account: str) -> tuple[str, bool]:
        """The cookie to send, and whether it comes from a login made just now."""
        cookie = self._cookies.get(account) or await self._sessions.stored_cookie(account)
        if cookie is None:
            return await self._renew(account, dead=None)
        return cookie, False

    def _used(self, account: str, cookie: str) -> None:
        self._cookies[account] = cookie
        self._session_used_at[account] = self._clock()

    async def _authed(self, endpoint: Endpoint, **request: Any) -> Answer:
        """Read with the session; a dead session is renewed and the request sent again.

        A cookie adopted from another process may turn out dead too (it died in the same
        expiry); then one more renewal logs in. Only a cookie from a login made just now
        that is refused is the portal's fault: automatic logins then pause for a while.
        """
        account = await self.account()
        await self._sessions.allow(account)
        cookie, fresh = await self._session(account)
        for attempt in range(3):
            try:
                answer = await self._request(endpoint, account=account, cookie=cookie, **request)
            except SessionExpiredError as exc:
                if fresh:
                    raise self._pause_logins(
                        account, "OIG Cloud refused a brand-new session"
                    ) from exc
                if attempt == 2:
                    raise PortalError(
                        "OIG Cloud keeps ending sessions; try again in a few minutes."
                    ) from exc
                log.info("OIG Cloud session expired; renewing it")
                cookie, fresh = await self._renew(account, dead=cookie)
                continue
            self._used(account, cookie)
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send_write(self, endpoint: Endpoint, **request: Any) -> WriteReceipt:
        """Send a write; sent once more, after a login, only if the first attempt failed
        on a session a read with its cookie proves dead (see `failed_writes`)."""
        account = await self.account()
        await self._sessions.allow(account)
        cookie, fresh = await self._session(account)
        for resent in (False, True):
            try:
                answer = await self._request(endpoint, account=account, cookie=cookie, **request)
            except (SessionExpiredError, PortalError) as exc:
                verdict = await self._session_verdict(account, cookie)
                if verdict != "dead":
                    raise failed_write(exc, verdict, resent=resent) from exc
                if fresh:
                    raise self._pause_logins(
                        account, "OIG Cloud refused a brand-new session, so nothing was changed"
                    ) from exc
                if resent:
                    raise ended_again() from exc
                log.info("OIG Cloud had ended the session, so the change was not taken; renewing")
                try:
                    cookie, fresh = await self._renew(account, dead=cookie)
                except OigError as failed:
                    raise not_renewed(failed) from failed
                continue
            except WriteOutcomeUnknownError as exc:
                raise (said_twice(exc) if resent else exc) from exc
            self._used(account, cookie)
            return WriteReceipt(answer.message, resent=resent)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _session_verdict(self, account: str, cookie: str) -> SessionVerdict:
        """What a read with `cookie` says about its session, after a write failed on it."""
        try:
            await self._request(LIVE, account=account, cookie=cookie)
        except SessionExpiredError:
            return "dead"
        except OigError:
            return "unknown"
        return "alive"

    async def _single_flight(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        """Identical concurrent reads share one upstream request."""
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(make())
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def _finished(self, key: str, task: asyncio.Task[Any]) -> None:
        """Forget a shared read; its outcome counts as seen even if every waiter left."""
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # else asyncio logs "Task exception was never retrieved"

    # -- reads ----------------------------------------------------------------------

    async def live_stats(self, *, fresh: bool = False) -> dict[str, Any]:
        """The json.php object keyed by box id, cached for the cache window."""
        account = await self.account()
        if not fresh and (cached := await self._cache.get(account)) is not None:
            observe.cache_hit()
            return cached
        return await self._single_flight(
            f"{account}\n{LIVE.path}", lambda: self._fetch_live(account, fresh=fresh)
        )

    async def _fetch_live(self, account: str, *, fresh: bool) -> dict[str, Any]:
        async with self._cache.fetching(account):
            if not fresh and (cached := await self._cache.get(account)) is not None:
                observe.cache_hit()
                return cached  # another replica fetched it while this one waited
            with observe.cache_miss():
                payload: dict[str, Any] = (await self._authed(LIVE)).data
            await self._cache.put(account, payload)
            return payload

    async def forget_live_stats(self) -> None:
        """Drop the cached json.php payload so the next read is fresh."""
        await self._cache.forget(await self.account())

    async def history(self, name: str, start: str, end: str) -> dict[str, Any]:
        """One json2.php series for a date range (dates `YYYY-MM-DD`); {} when it has none."""
        body = {"name": name, "range": f"{start},{end},0"}

        async def fetch() -> dict[str, Any]:
            data = (await self._authed(HISTORY, body=body)).data
            return data if isinstance(data, dict) else {}

        account = await self.account()
        return await self._single_flight(f"{account}\n{HISTORY.path}:{json.dumps(body)}", fetch)

    async def notifications_html(self) -> Any:
        """The raw notification widget answer (`[[11, "ctrl-notifs", html, null]]`)."""
        params = {"id": "2", "selector_id": "ctrl-notifs"}

        async def fetch() -> Any:
            return (await self._authed(NOTIFICATIONS, params=params)).data

        account = await self.account()
        return await self._single_flight(f"{account}\n{NOTIFICATIONS.path}", fetch)

    # -- writes ---------------------------------------------------------------------

    async def write(
        self, script: str, body: Mapping[str, Any], *, form: bool = False
    ) -> WriteReceipt:
        """POST one write script (spec §6); the receipt holds the portal's message.

        HTTP 200 means accepted (not applied). A session unused for a while is checked
        with a read first. A write that fails on a session a read with the same cookie
        proves dead is sent once more after a login, since the portal provably did not
        take it; any other failure is reported, never retried (see `failed_writes`).
        """
        account = await self.account()
        used = self._session_used_at.get(account)
        if used is None or self._clock() - used > SESSION_REFRESH_AFTER_S:
            await self.live_stats(fresh=True)
        receipt = await self._send_write(write_endpoint(script), body=body, form=form)
        await self._cache.forget(account)
        return receipt


__all__ = ["OigCloudClient", "Pool", "WriteReceipt", "portal_pool"]
