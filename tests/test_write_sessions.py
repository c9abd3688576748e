"""A write that meets a session OIG Cloud has ended (issue 17): found out, logged in again,
sent exactly once more, and the answer and the pending list say what really happened.

The real portal answers a write on a dead session with HTTP 500 and its error page, the
same answer as for a malformed write. So a failed write is followed by one cheap read with
the same cookie: a session that read proves dead did not take the change, so the client
logs in and sends it once more; a live session means the refusal stands; a read that
proves nothing leaves the outcome unknown, and nothing is sent again.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from mcp import Client
from pytest_httpx import HTTPXMock

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.models import Credentials
from oig_cloud_mcp.errors import PortalError, WriteOutcomeUnknownError
from oig_cloud_mcp.portal.client import OigCloudClient
from oig_cloud_mcp.server import build_server

from .fake_portal import BOX_ID, FakePortal
from .helpers.fakes import EMAIL, PASSWORD, FakeClock, given
from .helpers.mcp_calls import answered as call
from .helpers.mcp_calls import preview_then_confirm
from .helpers.mocked_portal import BASE, LIVE, STATS, Recorder, login_ok
from .helpers.settings import with_writes

pytestmark = pytest.mark.anyio
WRITE = re.compile(r".*/inc/php/scripts/Device\.Set\.Value\.php.*")
HOME_UPS = {"id_device": BOX_ID, "table": "box_prms", "column": "mode", "value": 3}


@pytest.fixture
def cached(settings: Settings) -> Settings:
    """Every write tool on; live data reused for the default 20 s, as a user runs it."""
    return with_writes(settings, cached=True)


def routes(portal: FakePortal) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in portal.log]


def audit(settings: Settings) -> list[dict[str, Any]]:
    return [json.loads(line) for line in settings.audit_path.read_text().splitlines()]


async def pending(client: Client) -> list[tuple[str, str]]:
    listed, _ = await call(client, "get_basic_data")
    changes = listed.structured_content["pending_changes"]
    return [(p["requested"], p["status"]) for p in changes]


# -- through the MCP server, against the fake portal ------------------------------------


@pytest.mark.parametrize("dead_answer", ["500", "401"])
async def test_a_confirm_after_the_portal_ended_the_session_logs_in_and_sends_it_once_more(
    cached: Settings, portal: FakePortal, dead_answer: str
) -> None:
    portal.dead_session_write = dead_answer  # type: ignore[assignment]
    portal.apply_delay_s = 3600
    async with Client(build_server(cached)) as client:
        await call(client, "set_box_mode", mode="Home UPS")  # the preview
        portal.expire_sessions()  # ... and the portal ends the session before the confirm
        result, text = await call(client, "set_box_mode", mode="Home UPS", confirm=True)
        listed = await pending(client)

    assert not result.is_error, text
    assert result.structured_content["outcome"] == "written"
    assert "OIG Cloud accepted the change Home 1 -> Home UPS" in text
    assert "sent a second time after logging in again" in text
    assert routes(portal)[-5:] == [
        "Device.Set.Value.php",  # the dead session's answer ...
        "json.php",  # ... a read with the same cookie proves it dead
        "Login.php",
        "Device.Set.Value.php",  # sent once more
        "json.php",  # get_basic_data
    ]
    assert len(portal.write_requests()) == 2
    assert listed == [("Home UPS", "pending")]
    written = audit(cached)[-1]
    assert [e["outcome"] for e in audit(cached)] == ["previewed", "sending", "written"]
    assert "sent again after a new login" in written["detail"]


async def test_a_change_refused_again_after_the_new_login_is_refused_and_not_sent_a_third_time(
    cached: Settings, portal: FakePortal
) -> None:
    form = cached.with_overrides(write_encoding="form")
    portal.accept_form = False  # this portal refuses the change itself, on any session
    async with Client(build_server(form)) as client:
        await call(client, "set_box_mode", mode="Home UPS")
        portal.expire_sessions()
        result, text = await call(client, "set_box_mode", mode="Home UPS", confirm=True)
        listed = await pending(client)

    assert result.is_error
    assert "refused the change (HTTP 500)" in text
    assert "also when it was sent once more after logging in again" in text
    assert "nothing was changed" in text
    assert len(portal.write_requests()) == 2
    assert portal.count("Login.php") == 2
    assert listed == []  # refused: nothing is pending
    assert [e["outcome"] for e in audit(form)] == ["previewed", "sending", "rejected"]


async def test_a_failed_write_whose_session_cannot_be_checked_is_unknown_and_never_resent(
    cached: Settings, portal: FakePortal
) -> None:
    async with Client(build_server(cached)) as client:
        await call(client, "set_box_mode", mode="Home UPS")
        portal.fail_all_500 = True  # the write and the read that would tell both fail
        result, text = await call(client, "set_box_mode", mode="Home UPS", confirm=True)
        portal.fail_all_500 = False
        portal.apply_delay_s = 3600
        again, _ = await call(client, "set_box_mode", mode="Home UPS", confirm=True)
        listed = await pending(client)

    assert result.is_error
    assert "may or may not have been accepted" in text
    assert "nothing was changed" not in text
    assert len(portal.write_requests()) == 1
    assert portal.count("Login.php") == 1
    assert again.structured_content["outcome"] == "unchanged"
    assert listed == [("Home UPS", "outcome_unknown")]
    assert [e["outcome"] for e in audit(cached)] == ["previewed", "sending", "unknown", "unchanged"]


# -- the client on its own, request by request --------------------------------------------


@pytest.fixture
async def mine(clock: FakeClock) -> AsyncIterator[tuple[OigCloudClient, Recorder]]:
    """A client holding the cookie "mine", used a moment ago (no refresh before a write)."""
    stored = Recorder(stored="mine")
    oig = OigCloudClient(BASE, given(Credentials(EMAIL, PASSWORD)), sessions=stored, clock=clock)
    yield oig, stored
    await oig.aclose()


def with_cookie(cookie: str) -> dict[str, Any]:
    return {"match_headers": {"Cookie": f"PHPSESSID={cookie}"}}


def cookies(httpx_mock: HTTPXMock) -> list[tuple[str, str | None]]:
    return [
        (r.url.path.rsplit("/", 1)[-1], r.headers.get("Cookie")) for r in httpx_mock.get_requests()
    ]


async def test_a_refusal_on_a_session_a_read_shows_alive_stands_and_is_not_sent_again(
    mine: tuple[OigCloudClient, Recorder], httpx_mock: HTTPXMock
) -> None:
    oig, _ = mine
    httpx_mock.add_response(url=LIVE, json=STATS, **with_cookie("mine"))
    httpx_mock.add_response(url=WRITE, status_code=500, text="<html>Nastala chyba</html>")
    httpx_mock.add_response(url=LIVE, json=STATS, **with_cookie("mine"))
    await oig.live_stats()

    with pytest.raises(PortalError, match=r"refused the change \(HTTP 500\).*nothing was changed"):
        await oig.write("Device.Set.Value.php", HOME_UPS)

    assert [path for path, _ in cookies(httpx_mock)] == [
        "json.php",
        "Device.Set.Value.php",
        "json.php",
    ]


async def test_a_resend_that_gets_no_answer_is_unknown_and_says_it_was_the_second_send(
    mine: tuple[OigCloudClient, Recorder], httpx_mock: HTTPXMock
) -> None:
    oig, _ = mine
    httpx_mock.add_response(url=LIVE, json=STATS, **with_cookie("mine"))
    httpx_mock.add_response(url=WRITE, status_code=500, text="<html>Nastala chyba</html>")
    httpx_mock.add_response(url=LIVE, json=[], **with_cookie("mine"))
    login_ok(httpx_mock, "fresh")
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=WRITE)
    await oig.live_stats()

    with pytest.raises(WriteOutcomeUnknownError) as caught:
        await oig.write("Device.Set.Value.php", HOME_UPS)

    assert "may or may not have been accepted" in str(caught.value)
    assert "sent a second time after logging in again" in str(caught.value)
    assert cookies(httpx_mock)[-2:] == [
        ("Login.php", None),
        ("Device.Set.Value.php", "PHPSESSID=fresh"),
    ]


async def test_an_adopted_session_that_died_too_costs_no_third_send(
    mine: tuple[OigCloudClient, Recorder], httpx_mock: HTTPXMock
) -> None:
    oig, shared = mine
    httpx_mock.add_response(url=LIVE, json=STATS, **with_cookie("mine"))
    httpx_mock.add_response(url=WRITE, status_code=500, **with_cookie("mine"))
    httpx_mock.add_response(url=LIVE, json=[], **with_cookie("mine"))
    httpx_mock.add_response(url=WRITE, status_code=500, **with_cookie("theirs"))
    httpx_mock.add_response(url=LIVE, json=[], **with_cookie("theirs"))
    await oig.live_stats()
    shared.stored = "theirs"  # another process renewed it; that session is dead by now too

    with pytest.raises(PortalError, match="nothing was changed") as caught:
        await oig.write("Device.Set.Value.php", HOME_UPS)

    assert "try again in a few minutes" in str(caught.value)
    assert [path for path, _ in cookies(httpx_mock)].count("Device.Set.Value.php") == 2
    assert "Login.php" not in [path for path, _ in cookies(httpx_mock)]


async def test_a_new_session_ended_at_once_changes_nothing_and_pauses_logins(
    mine: tuple[OigCloudClient, Recorder], httpx_mock: HTTPXMock
) -> None:
    oig, _ = mine
    httpx_mock.add_response(url=LIVE, json=STATS, **with_cookie("mine"))
    httpx_mock.add_response(url=WRITE, status_code=500, **with_cookie("mine"))
    httpx_mock.add_response(url=LIVE, json=[], **with_cookie("mine"))
    login_ok(httpx_mock, "fresh")
    httpx_mock.add_response(url=WRITE, status_code=500, **with_cookie("fresh"))
    httpx_mock.add_response(url=LIVE, json=[], **with_cookie("fresh"))
    await oig.live_stats()

    with pytest.raises(PortalError, match="brand-new session, so nothing was changed"):
        await oig.write("Device.Set.Value.php", HOME_UPS)

    assert [path for path, _ in cookies(httpx_mock)].count("Device.Set.Value.php") == 2
    assert [path for path, _ in cookies(httpx_mock)].count("Login.php") == 1


async def test_a_login_that_fails_after_the_session_ended_says_nothing_was_changed(
    mine: tuple[OigCloudClient, Recorder], httpx_mock: HTTPXMock
) -> None:
    oig, shared = mine
    httpx_mock.add_response(url=LIVE, json=STATS, **with_cookie("mine"))
    httpx_mock.add_response(url=WRITE, status_code=500, **with_cookie("mine"))
    httpx_mock.add_response(url=LIVE, json=[], **with_cookie("mine"))
    httpx_mock.add_response(url=BASE + "inc/php/scripts/Login.php", text='[[1,"",true]]')
    await oig.live_stats()

    with pytest.raises(PortalError) as caught:
        await oig.write("Device.Set.Value.php", HOME_UPS)

    assert "had ended the session, so nothing was changed" in str(caught.value)
    assert "rejected the e-mail or password" in str(caught.value)
    assert "rejected" in shared.events  # counted against the password like any rejection
    assert [path for path, _ in cookies(httpx_mock)].count("Device.Set.Value.php") == 1


async def test_the_confirmed_write_goes_out_once_without_the_cache_too(
    settings: Settings, portal: FakePortal
) -> None:
    """The finding's control: with the cache off the preview's read renews the session."""
    uncached = with_writes(settings)
    async with Client(build_server(uncached)) as client:
        ask = functools.partial(call, client)
        await ask("get_basic_data")
        portal.expire_sessions()
        result, _ = await preview_then_confirm(ask, "set_box_mode", mode="Home UPS")

    assert result.structured_content["outcome"] == "written"
    assert len(portal.write_requests()) == 1
