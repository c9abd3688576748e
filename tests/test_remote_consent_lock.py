"""The pairing-code lock of one home under a burst: wrong codes typed on many consent pages
and sent at the same moment. On the state directory and on a real redis-server alike (the
latter is where requests really interleave).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest

from oig_cloud_mcp.config import Settings

from .helpers.households import STATES, serving
from .helpers.oauth import Browser, RawOAuth, pkce

pytestmark = pytest.mark.e2e

AT_ONCE = 12
WRONG = "AAAA-AAAA"


@pytest.fixture(params=STATES)
def shared(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """A one-home server's settings, its state on a real redis-server or in its directory."""
    if request.param != "redis":
        return settings
    return settings.with_overrides(state_url=str(request.getfixturevalue("real_redis").url))


@pytest.fixture
def raw(shared: Settings) -> Iterator[RawOAuth]:
    with serving(shared) as url:
        client = RawOAuth(url)
        yield client
        client.close()


def pairing_code(settings: Settings) -> str:
    """A fresh pairing code kept in the server's state, as `remote pair` makes it."""
    from oig_cloud_mcp.app.wiring import build_authorization, build_state

    async def pair() -> str:
        state = build_state(settings)
        try:
            return await build_authorization(settings, state, issuer="http://unused").pair()
        finally:
            await state.aclose()

    return anyio.run(pair)


def consent_at_once(raw: RawOAuth, codes: list[str]) -> list[tuple[int, str]]:
    """Each code typed on a consent page of its own, all sent at the same moment: each
    answer's status and text, in the order of `codes`."""
    client_id = raw.client()["client_id"]
    ready = threading.Barrier(len(codes))

    def press(_: dict[str, str]) -> None:
        ready.wait(30)

    def one(code: str) -> tuple[int, str]:
        browser = Browser()
        try:
            url = raw.authorize_url(client_id, pkce()[1])
            answer = browser.consent(url, code, edit=press).answer
            return answer.status_code, answer.text
        finally:
            browser.close()

    with ThreadPoolExecutor(len(codes)) as pool:
        return list(pool.map(one, codes))


def test_wrong_codes_sent_at_once_are_checked_at_most_five_times_the_rest_find_it_locked(
    raw: RawOAuth, shared: Settings
) -> None:
    good = pairing_code(shared)

    answers = consent_at_once(raw, [WRONG] * AT_ONCE)
    after = consent_at_once(raw, [good])[0]

    wrong = [text for status, text in answers if status == 403]
    locked = [text for status, text in answers if status == 429]
    assert len(wrong) == 5
    assert all("wrong, used or expired" in text for text in wrong)
    assert len(locked) == AT_ONCE - 5
    assert all("locked" in text for text in locked)
    assert after[0] == 429  # the owner's own code waits for the lock too
