"""Signing in on the consent page of a server for many homes, as a household and as a
guesser meet it: a household whose OIG password changed signs in again with the new one,
however often the server tried the old one; and a wrong password, an e-mail OIG Cloud
does not know and an e-mail not on the allowlist get the same answers and the same lock.
On the state directory and on a real redis-server alike.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from oig_cloud_mcp.app.sign_in import SIGN_IN_REFUSED, WRONG_SIGN_INS

from .fake_portal import BOX_ID, FakePortal
from .helpers.fakes import EMAIL, PASSWORD
from .helpers.households import (
    NEIGHBOUR,
    NEIGHBOUR_PASSWORD,
    STATES,
    Household,
    add_neighbour,
    many_homes,
    rpc,
    serving,
    signed_in,
)
from .helpers.oauth import RawOAuth, pkce

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "changed-in-the-oig-app"
ERROR = re.compile(r"<p class=error>(.*?)</p>")


@pytest.fixture(params=STATES)
def state_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("real_redis").url) if request.param == "redis" else ""


@pytest.fixture
def raw(tmp_path: Any, portal: FakePortal, portal_url: str, state_url: str) -> Iterator[RawOAuth]:
    settings = many_homes(
        tmp_path, portal_url, state_url, allowed_accounts=(EMAIL, "ghost@example.com")
    )
    with serving(settings) as url:
        client = RawOAuth(url)
        yield client
        client.close()


@pytest.fixture
def open_raw(
    tmp_path: Any, portal: FakePortal, portal_url: str, state_url: str
) -> Iterator[RawOAuth]:
    """A server for many homes without an allowlist: anyone may try to sign in."""
    add_neighbour(portal)
    with serving(many_homes(tmp_path, portal_url, state_url)) as url:
        client = RawOAuth(url)
        yield client
        client.close()


def basic_data(raw: RawOAuth, tokens: dict[str, str]) -> dict[str, Any]:
    answer = rpc(raw, tokens["access_token"], "tools/call", name="get_basic_data", arguments={})
    return dict(answer["result"])


def sign_in_as(raw: RawOAuth, email: str, password: str) -> dict[str, str]:
    """A household's client let in through the consent page: its tokens."""
    household = Household(email, password)
    try:
        return signed_in(raw, household)
    finally:
        household.close()


def attempt(
    raw: RawOAuth,
    email: str,
    password: str,
    *,
    client_id: str = "",
    before: Callable[[], object] | None = None,
) -> tuple[int, str]:
    """One sign-in on a fresh consent page: the answer's status and the error it shows
    (`before` runs between opening the page and pressing Allow)."""
    household = Household(email, password)
    try:
        _, challenge = pkce()
        url = raw.authorize_url(client_id or raw.client()["client_id"], challenge)

        def press(_: dict[str, str]) -> None:
            if before is not None:
                before()

        consent = household.consent(url, edit=press)
    finally:
        household.close()
    shown = ERROR.search(consent.answer.text)
    return consent.answer.status_code, html.unescape(shown.group(1)) if shown else ""


def all_at_once(raw: RawOAuth, logins: list[tuple[str, str]]) -> list[int]:
    """Every login typed on a consent page of its own, all sent at the same moment: the
    answers' statuses, sorted."""
    client_id = raw.client()["client_id"]
    ready = threading.Barrier(len(logins))

    def one(login: tuple[str, str]) -> int:
        return attempt(raw, *login, client_id=client_id, before=lambda: ready.wait(30))[0]

    with ThreadPoolExecutor(len(logins)) as pool:
        return sorted(pool.map(one, logins))


def logins_of(portal: FakePortal, email: str) -> int:
    """How many logins as `email` reached OIG Cloud."""
    return len([r for r in portal.requests_to("Login.php") if r.json()["email"] == email])


def test_a_household_signs_in_with_its_new_password_after_the_old_one_was_rejected(
    raw: RawOAuth, portal: FakePortal
) -> None:
    before = sign_in_as(raw, EMAIL, PASSWORD)
    portal.accounts[EMAIL] = NEW_PASSWORD  # changed in the OIG app
    portal.expire_sessions()
    failed = [basic_data(raw, before) for _ in range(4)]  # the sealed old one, until locked
    automatic = portal.count("Login.php")
    after = sign_in_as(raw, EMAIL, NEW_PASSWORD)  # the consent page, right away

    assert all(answer["isError"] for answer in failed)
    assert "connect the client again" in failed[0]["content"][0]["text"]
    assert "is locked" in failed[-1]["content"][0]["text"]
    assert automatic == 1 + 3  # the first sign-in, then the old password three times
    assert basic_data(raw, after)["structuredContent"]["box_id"] == BOX_ID
    assert basic_data(raw, before)["structuredContent"]["box_id"] == BOX_ID  # the old client too
    assert portal.count("Login.php") == automatic + 1


@pytest.mark.parametrize(
    ("email", "password", "sent"),
    [
        (EMAIL, "a-wrong-password", 3),  # on the allowlist, wrong password
        ("ghost@example.com", "whatever-1", 3),  # on the allowlist, unknown to OIG Cloud
        ("stranger@example.net", "whatever-1", 0),  # not on the allowlist: nothing sent
    ],
    ids=["wrong-password", "unknown-account", "not-allowed"],
)
def test_every_refused_sign_in_reads_and_locks_alike(
    raw: RawOAuth, portal: FakePortal, email: str, password: str, sent: int
) -> None:
    answers = [attempt(raw, email, password) for _ in range(4)]

    assert answers == [(403, SIGN_IN_REFUSED)] * 3 + [
        (429, "Too many refused sign-ins for this account; try again in 1 min.")
    ]
    assert logins_of(portal, email) == sent


def test_forty_wrong_passwords_sent_at_once_try_only_three_at_oig_cloud(
    raw: RawOAuth, portal: FakePortal
) -> None:
    portal.login_delay_s = 0.2  # every guess is on its way before OIG Cloud answers one

    statuses = all_at_once(raw, [(EMAIL, f"guess-{n}") for n in range(40)])

    assert logins_of(portal, EMAIL) == 3
    assert statuses == [403] * 3 + [429] * 37


def test_sign_ins_for_many_e_mails_sent_at_once_from_one_address_stop_at_its_limit(
    open_raw: RawOAuth, portal: FakePortal
) -> None:
    portal.login_delay_s = 0.2
    guesses = [(f"guess-{n}@example.com", "123456") for n in range(15)]

    statuses = all_at_once(open_raw, guesses)

    assert portal.count("Login.php") == WRONG_SIGN_INS
    assert statuses == [403] * WRONG_SIGN_INS + [429] * (15 - WRONG_SIGN_INS)


def test_signing_in_with_a_valid_account_between_guesses_does_not_lift_the_address_lock(
    open_raw: RawOAuth, portal: FakePortal
) -> None:
    guesses = [attempt(open_raw, f"guess-{n}@example.com", "123456") for n in range(9)]
    own = attempt(open_raw, NEIGHBOUR, NEIGHBOUR_PASSWORD)  # the guesser's own OIG account
    last = attempt(open_raw, "guess-9@example.com", "123456")
    then = [
        attempt(open_raw, email, password)
        for email, password in (("guess-10@example.com", "123456"), (NEIGHBOUR, NEIGHBOUR_PASSWORD))
    ]

    assert guesses == [(403, SIGN_IN_REFUSED)] * 9
    assert own[0] == 302
    assert last == (403, SIGN_IN_REFUSED)
    assert then == [(429, "Too many refused sign-ins from this address; try again in 15 min.")] * 2
    assert portal.count("Login.php") == 11


def test_wrong_passwords_on_the_consent_page_do_not_pause_the_households_own_logins(
    raw: RawOAuth, portal: FakePortal
) -> None:
    tokens = sign_in_as(raw, EMAIL, PASSWORD)
    refused = [attempt(raw, EMAIL, "a-guess") for _ in range(4)]
    portal.expire_sessions()  # the household's next call logs in with its sealed login

    assert refused[-1][0] == 429
    assert basic_data(raw, tokens)["structuredContent"]["box_id"] == BOX_ID


def test_sign_ins_oig_cloud_did_not_answer_count_against_nobody(
    raw: RawOAuth, portal: FakePortal
) -> None:
    portal.login_answer = "500"
    down = [attempt(raw, EMAIL, PASSWORD) for _ in range(WRONG_SIGN_INS + 1)]
    portal.login_answer = "normal"

    assert down == [(429, "OIG Cloud is not answering; try again later.")] * (WRONG_SIGN_INS + 1)
    assert (
        basic_data(raw, sign_in_as(raw, EMAIL, PASSWORD))["structuredContent"]["box_id"] == BOX_ID
    )
