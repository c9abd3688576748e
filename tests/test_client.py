"""OigCloudClient against pytest-httpx at strict defaults: what goes over the wire."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from pytest_httpx import HTTPXMock

from oig_cloud_mcp.domain.models import Credentials
from oig_cloud_mcp.errors import (
    AuthenticationError,
    LiveDataUnavailableError,
    OigConnectionError,
    OigError,
    PortalError,
    WriteOutcomeUnknownError,
)
from oig_cloud_mcp.portal.client import LOGIN_PAUSE_AFTER_REFUSAL_S, OigCloudClient
from oig_cloud_mcp.portal.wire import MAX_ANSWER_BYTES

from .fake_portal import FakePortal
from .helpers.fakes import EMAIL, PASSWORD, FakeClock, given
from .helpers.mocked_portal import BASE, COOKIE, HISTORY, LIVE, LOGIN, STATS, Recorder, login_ok


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(recorder: Recorder, clock: FakeClock) -> AsyncIterator[OigCloudClient]:
    oig = OigCloudClient(
        BASE,
        given(Credentials(EMAIL, PASSWORD)),
        sessions=recorder,
        clock=clock,
    )
    yield oig
    await oig.aclose()


pytestmark = pytest.mark.anyio


async def test_login_posts_json_credentials_and_reuses_the_cookie(
    client: OigCloudClient, httpx_mock: HTTPXMock, recorder: Recorder
) -> None:
    login_ok(httpx_mock)
    httpx_mock.add_response(url=LIVE, method="GET", json=STATS)

    assert await client.live_stats() == STATS

    login, live = httpx_mock.get_requests()
    assert json.loads(login.content) == {"email": EMAIL, "password": PASSWORD}
    assert login.headers["Content-Type"] == "application/json"
    assert live.headers["Cookie"] == f"PHPSESSID={COOKIE}"
    assert recorder.stored == COOKIE


async def test_a_stored_cookie_is_used_without_logging_in(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    stored = Recorder(stored="storedcookie")
    httpx_mock.add_response(
        url=LIVE, json=STATS, match_headers={"Cookie": "PHPSESSID=storedcookie"}
    )
    oig = OigCloudClient(BASE, given(Credentials(EMAIL, PASSWORD)), sessions=stored)
    try:
        assert await oig.live_stats() == STATS
    finally:
        await oig.aclose()
    assert "before_login" not in stored.events


async def test_rejected_login_raises_once_and_is_counted(
    client: OigCloudClient, httpx_mock: HTTPXMock, recorder: Recorder
) -> None:
    httpx_mock.add_response(url=LOGIN, method="POST", text='[[1,"",true]]')

    with pytest.raises(AuthenticationError, match="oig-cloud-mcp login") as caught:
        await client.live_stats()

    assert len(httpx_mock.get_requests()) == 1
    assert recorder.events.count("rejected") == 1
    assert PASSWORD not in str(caught.value)


async def test_login_without_a_session_cookie_is_an_error(
    client: OigCloudClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=LOGIN, method="POST", text='[[2,"",false]]')

    with pytest.raises(PortalError, match="no session cookie"):
        await client.live_stats()


@pytest.mark.parametrize(
    "dead_answer",
    [
        {"json": []},
        {"text": "<html><body>Přihlášení</body></html>", "status_code": 200},
        {"status_code": 401, "text": "Unauthorized"},
    ],
    ids=["non-object-json", "html-login-page", "http-401"],
)
async def test_dead_session_costs_exactly_one_login_and_one_retry(
    httpx_mock: HTTPXMock, clock: FakeClock, dead_answer: dict[str, object]
) -> None:
    stored = Recorder(stored="first")  # a session from an earlier run, dead by now
    oig = OigCloudClient(BASE, given(Credentials(EMAIL, PASSWORD)), sessions=stored, clock=clock)
    httpx_mock.add_response(url=LIVE, **dead_answer)  # type: ignore[arg-type]
    login_ok(httpx_mock, "second")
    httpx_mock.add_response(url=LIVE, json=STATS)
    try:
        assert await oig.live_stats() == STATS
    finally:
        await oig.aclose()

    paths = [r.url.path for r in httpx_mock.get_requests()]
    assert paths == ["/json.php", "/inc/php/scripts/Login.php", "/json.php"]
    assert httpx_mock.get_requests()[0].headers["Cookie"] == "PHPSESSID=first"
    assert httpx_mock.get_requests()[-1].headers["Cookie"] == "PHPSESSID=second"


async def test_a_session_that_dies_twice_is_reported_not_looped(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    stored = Recorder(stored="first")
    oig = OigCloudClient(BASE, given(Credentials(EMAIL, PASSWORD)), sessions=stored, clock=clock)
    httpx_mock.add_response(url=LIVE, json=[])
    login_ok(httpx_mock)
    httpx_mock.add_response(url=LIVE, json=[])
    try:
        with pytest.raises(PortalError, match="refused a brand-new session"):
            await oig.live_stats()
    finally:
        await oig.aclose()
    assert len(httpx_mock.get_requests()) == 3


async def test_http_500_on_live_data_points_at_the_live_data_switch(
    client: OigCloudClient, httpx_mock: HTTPXMock
) -> None:
    login_ok(httpx_mock)
    httpx_mock.add_response(url=LIVE, status_code=500, text="<html>Nastala chyba</html>")

    with pytest.raises(LiveDataUnavailableError, match="Live data"):
        await client.live_stats()


async def test_other_server_errors_say_try_again(
    client: OigCloudClient, httpx_mock: HTTPXMock
) -> None:
    login_ok(httpx_mock)
    httpx_mock.add_response(url=LIVE, status_code=503, text="busy")

    with pytest.raises(PortalError, match=r"HTTP 503.*try again"):
        await client.live_stats()


@pytest.mark.parametrize(
    "exception",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow"),
        httpx.ReadTimeout("slow"),
        httpx.WriteTimeout("slow"),
        httpx.PoolTimeout("busy"),
        httpx.ReadError("reset"),
        httpx.WriteError("reset"),
        httpx.RemoteProtocolError("garbage"),
        httpx.LocalProtocolError("bad"),
        httpx.ProxyError("proxy"),
        httpx.UnsupportedProtocol("ftp"),
        httpx.DecodingError("gzip"),
        httpx.TooManyRedirects("loop"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_no_httpx_exception_escapes_the_client(
    client: OigCloudClient, httpx_mock: HTTPXMock, exception: Exception
) -> None:
    httpx_mock.add_exception(exception, url=LOGIN)

    with pytest.raises(OigConnectionError) as caught:
        await client.live_stats()

    assert isinstance(caught.value, OigError)
    assert caught.value.__cause__ is exception
    assert "OIG Cloud" in str(caught.value)


async def test_network_failures_do_not_count_as_rejected_logins(
    client: OigCloudClient, httpx_mock: HTTPXMock, recorder: Recorder
) -> None:
    httpx_mock.add_exception(httpx.ConnectError("down"), url=LOGIN)

    with pytest.raises(OigConnectionError):
        await client.live_stats()
    assert "rejected" not in recorder.events


async def test_live_stats_are_cached_for_the_ttl(
    client: OigCloudClient, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    login_ok(httpx_mock)
    httpx_mock.add_response(url=LIVE, json=STATS)
    httpx_mock.add_response(url=LIVE, json={"9": {"batt": {}}})

    await client.live_stats()
    clock.advance(19)
    assert await client.live_stats() == STATS
    clock.advance(2)
    assert await client.live_stats() == {"9": {"batt": {}}}
    assert len(httpx_mock.get_requests(url=LIVE)) == 2


async def test_concurrent_identical_reads_share_one_request(
    client: OigCloudClient, httpx_mock: HTTPXMock
) -> None:
    login_ok(httpx_mock)
    httpx_mock.add_response(url=LIVE, json=STATS)

    results = await asyncio.gather(*(client.live_stats() for _ in range(10)))

    assert all(r == STATS for r in results)
    assert len(httpx_mock.get_requests(url=LIVE)) == 1
    assert len(httpx_mock.get_requests(url=LOGIN)) == 1


async def test_history_posts_name_and_range_as_json(
    client: OigCloudClient, httpx_mock: HTTPXMock
) -> None:
    login_ok(httpx_mock)
    httpx_mock.add_response(url=HISTORY, method="POST", json={"items": [{"values": [1, 2, 3, 4]}]})

    answer = await client.history("batt", "2025-06-01", "2025-06-02")

    assert answer == {"items": [{"values": [1, 2, 3, 4]}]}
    request = httpx_mock.get_requests(url=HISTORY)[0]
    assert json.loads(request.content) == {"name": "batt", "range": "2025-06-01,2025-06-02,0"}


async def test_notifications_call_carries_the_widget_query_and_ajax_header(
    client: OigCloudClient, httpx_mock: HTTPXMock
) -> None:
    login_ok(httpx_mock)
    httpx_mock.add_response(
        url=re.compile(r".*/Controller\.Call\.php\?.*"),
        json=[[11, "ctrl-notifs", "<div></div>", None]],
    )

    assert await client.notifications_html() == [[11, "ctrl-notifs", "<div></div>", None]]

    request = httpx_mock.get_requests()[-1]
    assert request.url.params["id"] == "2"
    assert request.url.params["selector_id"] == "ctrl-notifs"
    assert re.fullmatch(r"\d{13}", request.url.params["_nonce"])
    assert request.headers["X-Requested-With"] == "XMLHttpRequest"


def test_credentials_repr_hides_the_password() -> None:
    assert PASSWORD not in repr(Credentials(EMAIL, PASSWORD))


async def test_an_adopted_session_that_died_too_leads_to_one_login_not_an_error(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    shared = Recorder(stored="mine")
    oig = OigCloudClient(BASE, given(Credentials(EMAIL, PASSWORD)), sessions=shared, clock=clock)
    httpx_mock.add_response(url=LIVE, json=STATS, match_headers={"Cookie": "PHPSESSID=mine"})
    httpx_mock.add_response(url=LIVE, json=[], match_headers={"Cookie": "PHPSESSID=mine"})
    httpx_mock.add_response(url=LIVE, json=[], match_headers={"Cookie": "PHPSESSID=theirs"})
    login_ok(httpx_mock, "fresh")
    httpx_mock.add_response(url=LIVE, json=STATS, match_headers={"Cookie": "PHPSESSID=fresh"})
    try:
        await oig.live_stats()  # this process now holds "mine"
        shared.stored = "theirs"  # another process renewed; that session died too since
        await oig.forget_live_stats()

        assert await oig.live_stats() == STATS
    finally:
        await oig.aclose()
    cookies = [r.headers.get("Cookie") for r in httpx_mock.get_requests()]
    assert cookies == [
        "PHPSESSID=mine",
        "PHPSESSID=mine",
        "PHPSESSID=theirs",
        None,  # one login
        "PHPSESSID=fresh",
    ]
    assert shared.events.count("saved fresh") == 1


async def test_a_shared_read_that_fails_after_its_waiter_left_is_not_reported_as_lost() -> None:
    import gc

    from oig_cloud_mcp.portal.inprocess import PortalCall, PortalReply

    release = asyncio.Event()

    async def slow_failing_portal(call: PortalCall) -> PortalReply:
        if call.path.endswith("Login.php"):
            return PortalReply(200, b'[[2,"",false]]', {"Set-Cookie": "PHPSESSID=abc"})
        await release.wait()
        return PortalReply(503, b"busy")

    reported: list[dict[str, object]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: reported.append(context))
    oig = OigCloudClient(
        "http://portal.invalid/", given(Credentials(EMAIL, PASSWORD)), handler=slow_failing_portal
    )
    try:
        waiter = asyncio.ensure_future(oig.live_stats())
        await asyncio.sleep(0.05)
        waiter.cancel()  # e.g. the MCP client cancelled the tool call
        release.set()
        await asyncio.sleep(0.05)  # the shared request now fails with HTTP 503
        del waiter
        gc.collect()
    finally:
        loop.set_exception_handler(None)
        await oig.aclose()
    assert reported == []


# -- a portal that keeps refusing new sessions ------------------------------------------


@pytest.mark.parametrize("login_answer", ["dead session", "no cookie"])
async def test_a_portal_refusing_new_sessions_gets_one_login_per_minute_not_one_per_call(
    portal: FakePortal, portal_url: str, clock: FakeClock, login_answer: str
) -> None:
    portal.login_answer = login_answer
    oig = OigCloudClient(portal_url, given(Credentials(EMAIL, PASSWORD)), clock=clock)
    texts = []
    try:
        for _ in range(10):
            with pytest.raises(PortalError) as caught:
                await oig.live_stats()
            texts.append(str(caught.value))
            clock.advance(1)
        logins_in_the_first_minute = portal.count("Login.php")
        clock.advance(LOGIN_PAUSE_AFTER_REFUSAL_S)
        portal.login_answer = "normal"  # the portal recovered
        assert await oig.live_stats()
    finally:
        await oig.aclose()

    assert logins_in_the_first_minute == 1
    assert portal.count("Login.php") == 2
    assert "try again in 60 s" in texts[0]
    assert "try again in 51 s" in texts[-1]


async def test_each_set_cookie_header_is_read_on_its_own(
    client: OigCloudClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=LOGIN,
        method="POST",
        text='[[2,"",false]]',
        headers=[("Set-Cookie", f"PHPSESSID={COOKIE}"), ("Set-Cookie", "lang=cs; path=/")],
    )
    httpx_mock.add_response(url=LIVE, json=STATS, match_headers={"Cookie": f"PHPSESSID={COOKIE}"})

    assert await client.live_stats() == STATS


# -- what the client says and reads ------------------------------------------------------


async def test_a_base_url_with_a_password_is_shown_without_it() -> None:
    oig = OigCloudClient(
        "http://someone:hunter2-pw@127.0.0.1:9/", given(Credentials(EMAIL, PASSWORD))
    )
    try:
        with pytest.raises(OigConnectionError) as caught:
            await oig.live_stats()
    finally:
        await oig.aclose()

    assert "http://127.0.0.1:9/" in str(caught.value)
    assert "hunter2-pw" not in str(caught.value)
    assert "someone" not in str(caught.value)


async def test_an_answer_over_5_mb_is_refused_with_one_sentence(
    client: OigCloudClient, httpx_mock: HTTPXMock
) -> None:
    login_ok(httpx_mock)
    huge = b'{"2205232120": {"x": "' + b"x" * MAX_ANSWER_BYTES + b'"}}'
    httpx_mock.add_response(url=LIVE, content=huge)

    with pytest.raises(PortalError, match=r"^OIG Cloud sent an answer too large to use"):
        await client.live_stats()


async def test_an_answer_over_5_mb_without_a_length_is_refused_while_it_is_read(
    client: OigCloudClient, httpx_mock: HTTPXMock
) -> None:
    chunks_read = []

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(1000):  # 1 GB if it were all read
            chunks_read.append(1)
            yield b"x" * (1024 * 1024)

    login_ok(httpx_mock)
    httpx_mock.add_callback(
        lambda request: httpx.Response(200, stream=AsyncChunks(endless())), url=LIVE
    )

    with pytest.raises(PortalError, match="too large to use"):
        await client.live_stats()
    assert len(chunks_read) <= 7


async def test_a_write_answered_with_over_5_mb_is_an_unknown_outcome(
    client: OigCloudClient, httpx_mock: HTTPXMock
) -> None:
    login_ok(httpx_mock)
    httpx_mock.add_response(url=LIVE, json=STATS)
    httpx_mock.add_response(
        url=re.compile(r".*/Battery\.Format\.Save\.php.*"),
        method="POST",
        content=b"x" * (MAX_ANSWER_BYTES + 1),
    )
    await client.live_stats()

    with pytest.raises(WriteOutcomeUnknownError, match="too large to use"):
        await client.write("Battery.Format.Save.php", {"bat_ac": 80})
    assert len(httpx_mock.get_requests(method="POST")) == 2  # the login and the one write


class AsyncChunks(httpx.AsyncByteStream):
    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.chunks:
            yield chunk
