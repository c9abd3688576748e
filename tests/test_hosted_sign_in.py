"""Signing in on the consent page of a server for many homes, as a household and as a
guesser meet it: a household whose OIG password changed signs in again with the new one,
however often the server tried the old one; and a wrong password, an e-mail OIG Cloud
does not know and an e-mail not on the allowlist get the same answers and the same lock.
On the state directory and on a real redis-server alike.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from oig_cloud_mcp.app.sign_in import SIGN_IN_REFUSED

from .fake_portal import BOX_ID, FakePortal
from .helpers.fakes import EMAIL, PASSWORD
from .helpers.households import STATES, Household, many_homes, rpc, serving, signed_in
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


def attempt(raw: RawOAuth, email: str, password: str) -> tuple[int, str]:
    """One sign-in on a fresh consent page: the answer's status and the error it shows."""
    household = Household(email, password)
    try:
        _, challenge = pkce()
        consent = household.consent(raw.authorize_url(raw.client()["client_id"], challenge))
    finally:
        household.close()
    shown = ERROR.search(consent.answer.text)
    return consent.answer.status_code, html.unescape(shown.group(1)) if shown else ""


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
    assert len([r for r in portal.requests_to("Login.php") if r.json()["email"] == email]) == sent


def test_wrong_passwords_on_the_consent_page_do_not_pause_the_households_own_logins(
    raw: RawOAuth, portal: FakePortal
) -> None:
    tokens = sign_in_as(raw, EMAIL, PASSWORD)
    refused = [attempt(raw, EMAIL, "a-guess") for _ in range(4)]
    portal.expire_sessions()  # the household's next call logs in with its sealed login

    assert refused[-1][0] == 429
    assert basic_data(raw, tokens)["structuredContent"]["box_id"] == BOX_ID
