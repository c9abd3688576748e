"""Every refusal of remote mode, by raw HTTP: what a careless or hostile client gets.

The server runs in this process on a fake clock (codes, tokens and lockouts expire without
waiting), its records in memory; the consent page is filled in by `Browser`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oig_cloud_mcp.config import Settings

from .fake_portal import FakePortal
from .helpers.fakes import FakeClock
from .helpers.oauth import Browser, RawOAuth, call_tool, pkce
from .helpers.remote import InProcess, in_process

START = 1_900_000_000.0


@pytest.fixture
def wall() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def remote(settings: Settings, portal: FakePortal, wall: FakeClock) -> Iterator[InProcess]:
    writable = settings.with_overrides(allowed_writes=frozenset({"set_box_mode"}))
    with in_process(writable, wall) as server:
        yield server


@pytest.fixture
def raw(remote: InProcess) -> Iterator[RawOAuth]:
    client = RawOAuth(remote.url)
    yield client
    client.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    owner = Browser()
    yield owner
    owner.close()


def granted(raw: RawOAuth, browser: Browser, remote: InProcess) -> dict[str, str]:
    client = raw.client()
    code, verifier = raw.code(browser, remote.pair(), client)
    answer = raw.tokens(client, code, verifier)
    assert answer.status_code == 200, answer.text
    return {**answer.json(), "client_id": client["client_id"]}


# -- PKCE and codes ------------------------------------------------------------------


def test_a_wrong_pkce_verifier_gets_no_token(
    raw: RawOAuth, browser: Browser, remote: InProcess
) -> None:
    client = raw.client()
    code, _ = raw.code(browser, remote.pair(), client)
    wrong, _ = pkce()

    answer = raw.tokens(client, code, wrong)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_an_authorize_without_pkce_or_with_plain_pkce_goes_back_with_an_error(
    raw: RawOAuth, remote: InProcess
) -> None:
    client = raw.client()
    _, challenge = pkce()
    for url in (
        raw.authorize_url(client["client_id"], None),
        raw.authorize_url(
            client["client_id"], None, code_challenge=challenge, code_challenge_method="plain"
        ),
    ):
        answer = raw.http.get(url)
        assert answer.status_code == 302
        location = answer.headers["location"]
        assert location.startswith(raw.redirect)
        assert "error=invalid_request" in location
        assert f"iss={remote.url.replace(':', '%3A').replace('/', '%2F')}" in location


@pytest.mark.parametrize(
    "challenge",
    ["abc", "A" * 42, "A" * 44, "A" * 128, "A" * 42 + "=", "A" * 42 + "+", "A" * 42 + "~"],
    ids=["three", "42", "44", "128", "padded", "plus", "tilde"],
)
def test_an_authorize_with_a_challenge_no_s256_hash_can_be_goes_back_with_an_error(
    raw: RawOAuth, remote: InProcess, challenge: str
) -> None:
    client = raw.client()

    answer = raw.http.get(raw.authorize_url(client["client_id"], challenge))

    assert answer.status_code == 302
    assert answer.headers["location"].startswith(raw.redirect)
    assert "error=invalid_request" in answer.headers["location"]
    assert "/consent" not in answer.headers["location"]


def test_a_code_works_once(raw: RawOAuth, browser: Browser, remote: InProcess) -> None:
    client = raw.client()
    code, verifier = raw.code(browser, remote.pair(), client)

    first, second = raw.tokens(client, code, verifier), raw.tokens(client, code, verifier)

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_a_code_expires_after_five_minutes(
    raw: RawOAuth, browser: Browser, remote: InProcess, wall: FakeClock
) -> None:
    client = raw.client()
    code, verifier = raw.code(browser, remote.pair(), client)
    wall.advance(301)

    answer = raw.tokens(client, code, verifier)

    assert answer.json()["error"] == "invalid_grant"


def test_another_clients_code_is_refused(
    raw: RawOAuth, browser: Browser, remote: InProcess
) -> None:
    mine, other = raw.client(), raw.client()
    code, verifier = raw.code(browser, remote.pair(), mine)

    answer = raw.tokens(other, code, verifier)

    assert answer.json()["error"] == "invalid_grant"


# -- clients and redirects -----------------------------------------------------------


def test_registering_an_attackers_redirect_is_refused(raw: RawOAuth) -> None:
    for uri in ("https://attacker.test/cb", "http://evil.test/cb", "javascript:alert(1)"):
        answer = raw.register(redirect_uris=[uri])
        assert answer.status_code == 400, uri
        assert answer.json()["error"] == "invalid_redirect_uri"


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:9/callback#frag",
        "http://127.0.0.1:9/callback#",
        "http://evil.com@127.0.0.1/callback",
        "http://user:pw@localhost:9/callback",
        "https://claude.ai/api/mcp/auth_callback#frag",
        "https://chatgpt.com/connector/oauth/#",
    ],
)
def test_a_redirect_with_a_fragment_or_a_user_may_not_register(raw: RawOAuth, uri: str) -> None:
    answer = raw.register(redirect_uris=[uri])

    assert answer.status_code == 400
    assert answer.json()["error"] in ("invalid_redirect_uri", "invalid_client_metadata")


def test_known_connectors_and_loopback_may_register(raw: RawOAuth) -> None:
    for uri in (
        "https://claude.ai/api/mcp/auth_callback",
        "https://chatgpt.com/connector/oauth/abc123",
        "http://127.0.0.1:33418/",
        "http://localhost:6274/oauth/callback",
    ):
        assert raw.register(redirect_uris=[uri]).status_code == 201, uri


def test_an_unknown_client_gets_no_redirect_and_no_token(raw: RawOAuth) -> None:
    _, challenge = pkce()
    at_authorize = raw.http.get(raw.authorize_url("no-such-client", challenge))
    at_token = raw.token(
        grant_type="authorization_code", code="x", client_id="no-such-client", code_verifier="v"
    )

    assert at_authorize.status_code == 400
    assert "location" not in at_authorize.headers
    assert at_token.status_code == 401
    assert at_token.json()["error"] == "invalid_client"


def test_an_unregistered_redirect_gets_no_redirect(raw: RawOAuth) -> None:
    client = raw.client()
    _, challenge = pkce()

    answer = raw.http.get(
        raw.authorize_url(client["client_id"], challenge, redirect_uri="https://attacker.test/cb")
    )

    assert answer.status_code == 400
    assert "location" not in answer.headers


def test_a_loopback_redirect_may_use_another_port(
    raw: RawOAuth, browser: Browser, remote: InProcess
) -> None:
    client = raw.client(redirect_uris=["http://127.0.0.1/callback"])
    raw.redirect = "http://127.0.0.1:54321/callback"
    code, verifier = raw.code(browser, remote.pair(), client)

    assert raw.tokens(client, code, verifier).status_code == 200


def test_a_secret_client_needs_its_secret(
    raw: RawOAuth, browser: Browser, remote: InProcess
) -> None:
    client = raw.client(token_endpoint_auth_method="client_secret_post")
    code, verifier = raw.code(browser, remote.pair(), client)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": raw.redirect,
        "client_id": client["client_id"],
        "code_verifier": verifier,
    }

    wrong = raw.token(**form, client_secret="not-the-secret")
    none = raw.token(**form)
    right = raw.token(**form, client_secret=client["client_secret"])

    assert wrong.status_code == 401
    assert none.status_code == 401
    assert right.status_code == 200


def test_a_resource_other_than_this_servers_is_refused(raw: RawOAuth, remote: InProcess) -> None:
    client = raw.client()
    _, challenge = pkce()

    answer = raw.http.get(
        raw.authorize_url(client["client_id"], challenge, resource="https://other.example/mcp")
    )

    assert answer.status_code == 302
    assert "error=invalid_target" in answer.headers["location"]


# -- tokens --------------------------------------------------------------------------


def test_a_token_opens_mcp_and_nothing_else_does(
    raw: RawOAuth, browser: Browser, remote: InProcess
) -> None:
    tokens = granted(raw, browser, remote)

    ok = raw.mcp(tokens["access_token"])
    none = raw.http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    garbage = raw.mcp("oig_at_" + "x" * 43)
    in_query = raw.http.post(
        f"/mcp?access_token={tokens['access_token']}",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Accept": "application/json, text/event-stream"},
    )

    assert ok.status_code == 200
    for refused in (none, garbage, in_query):
        assert refused.status_code == 401
        assert 'resource_metadata="' in refused.headers["www-authenticate"]


def test_an_access_token_expires(
    raw: RawOAuth, browser: Browser, remote: InProcess, wall: FakeClock
) -> None:
    tokens = granted(raw, browser, remote)
    wall.advance(24 * 3600 + 1)

    assert raw.mcp(tokens["access_token"]).status_code == 401


def test_a_refresh_token_rotates_and_its_reuse_revokes_the_grant(
    raw: RawOAuth, browser: Browser, remote: InProcess
) -> None:
    tokens = granted(raw, browser, remote)
    first = tokens["refresh_token"]

    def refresh(token: str):  # type: ignore[no-untyped-def]
        return raw.token(
            grant_type="refresh_token", refresh_token=token, client_id=tokens["client_id"]
        )

    second = refresh(first).json()
    third = refresh(second["refresh_token"]).json()  # the first is now retired
    reuse = refresh(first)

    assert second["refresh_token"] != first
    assert third["refresh_token"] != second["refresh_token"]
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
    assert raw.mcp(third["access_token"]).status_code == 401  # the whole grant is gone
    assert refresh(third["refresh_token"]).status_code == 400


def test_the_previous_refresh_token_works_until_its_successor_is_used(
    raw: RawOAuth, browser: Browser, remote: InProcess
) -> None:
    tokens = granted(raw, browser, remote)

    def refresh(token: str):  # type: ignore[no-untyped-def]
        return raw.token(
            grant_type="refresh_token", refresh_token=token, client_id=tokens["client_id"]
        )

    lost = refresh(tokens["refresh_token"])  # its answer never reached the client
    again = refresh(tokens["refresh_token"])

    assert lost.status_code == 200
    assert again.status_code == 200


def test_a_revoked_token_stops_at_the_next_request(
    raw: RawOAuth, browser: Browser, remote: InProcess
) -> None:
    tokens = granted(raw, browser, remote)

    revoked = raw.http.post(
        "/revoke", data={"token": tokens["refresh_token"], "client_id": tokens["client_id"]}
    )

    assert revoked.status_code == 200
    assert raw.mcp(tokens["access_token"]).status_code == 401


def test_a_read_token_cannot_see_or_call_a_write_tool(
    raw: RawOAuth, browser: Browser, remote: InProcess, portal: FakePortal
) -> None:
    tokens = granted(raw, browser, remote)
    listed = raw.mcp(tokens["access_token"]).json()["result"]["tools"]
    call = call_tool(raw, tokens["access_token"], "set_box_mode", mode="Home UPS", confirm=True)

    assert "set_box_mode" not in [tool["name"] for tool in listed]
    assert call["isError"] is True
    assert "may only read" in call["content"][0]["text"]
    assert portal.write_requests() == []


# -- hosts, origins and the consent page ---------------------------------------------


def test_a_foreign_host_is_misdirected_and_a_foreign_origin_forbidden(
    raw: RawOAuth, browser: Browser, remote: InProcess
) -> None:
    tokens = granted(raw, browser, remote)

    host = raw.mcp(tokens["access_token"], Host="evil.test")
    origin = raw.mcp(tokens["access_token"], Origin="https://evil.test")
    metadata = raw.http.get(
        "/.well-known/oauth-authorization-server", headers={"Host": "evil.test"}
    )
    claude = raw.mcp(tokens["access_token"], Origin="https://claude.ai")

    assert host.status_code == 421
    assert metadata.status_code == 421
    assert origin.status_code == 403
    assert claude.status_code == 200


def test_the_consent_page_cannot_be_framed_and_escapes_the_clients_name(
    raw: RawOAuth, browser: Browser, remote: InProcess
) -> None:
    client = raw.client(client_name="<script>alert(1)</script>")
    _, challenge = pkce()
    first = browser.http.get(raw.authorize_url(client["client_id"], challenge))
    page = browser.http.get(first.headers["location"])

    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert (
        "127.0.0.1" not in page.text.split("goes back to")[1][:60]
    )  # "a program on this computer"


def test_a_consent_without_the_pages_token_is_forbidden(
    raw: RawOAuth, browser: Browser, remote: InProcess
) -> None:
    client = raw.client()
    _, challenge = pkce()

    forged = browser.consent(
        raw.authorize_url(client["client_id"], challenge),
        remote.pair(),
        edit=lambda form: form.update(csrf="forged"),
    )

    assert forged.answer.status_code == 403
    assert "location" not in forged.answer.headers


def test_a_wrong_code_issues_nothing_and_five_lock_consent_for_fifteen_minutes(
    raw: RawOAuth, browser: Browser, remote: InProcess, wall: FakeClock
) -> None:
    client = raw.client()
    _, challenge = pkce()
    url = raw.authorize_url(client["client_id"], challenge)
    good = remote.pair()

    wrong = [browser.consent(url, "AAAA-AAAA") for _ in range(5)]
    locked = browser.consent(url, good)
    wall.advance(15 * 60 + 1)
    later = browser.consent(url, remote.pair())  # the old code expired meanwhile

    assert all(w.answer.status_code == 403 and "location" not in w.answer.headers for w in wrong)
    assert "wrong, used or expired" in wrong[0].answer.text
    assert locked.answer.status_code == 429
    assert "locked" in locked.answer.text
    assert later.answer.status_code == 302
    assert "code" in later.redirect


def test_a_right_code_after_four_wrong_ones_lets_the_client_in_and_the_four_still_count(
    raw: RawOAuth, browser: Browser, remote: InProcess
) -> None:
    client = raw.client()
    _, challenge = pkce()
    url = raw.authorize_url(client["client_id"], challenge)

    wrong = [browser.consent(url, "AAAA-AAAA") for _ in range(4)]
    right = browser.consent(url, remote.pair())
    fifth = browser.consent(url, "AAAA-AAAA")
    locked = browser.consent(url, remote.pair())

    assert [w.answer.status_code for w in wrong] == [403] * 4
    assert right.answer.status_code == 302
    assert "code" in right.redirect
    assert fifth.answer.status_code == 403
    assert locked.answer.status_code == 429


def test_a_pairing_code_works_once_and_expires(
    raw: RawOAuth, browser: Browser, remote: InProcess, wall: FakeClock
) -> None:
    client = raw.client()
    _, challenge = pkce()
    url = raw.authorize_url(client["client_id"], challenge)
    used, stale = remote.pair(), remote.pair()

    first, reused = browser.consent(url, used), browser.consent(url, used)
    wall.advance(10 * 60 + 1)
    late = browser.consent(url, stale)

    assert first.answer.status_code == 302
    assert reused.answer.status_code == 403
    assert late.answer.status_code == 403


def test_write_is_offered_only_when_enabled_and_asked_and_granted_only_when_ticked(
    raw: RawOAuth, browser: Browser, remote: InProcess
) -> None:
    client = raw.client()
    _, challenge = pkce()
    page = browser.consent(
        raw.authorize_url(client["client_id"], challenge, scope="oig:read oig:write"), remote.pair()
    ).page
    plain = browser.consent(raw.authorize_url(client["client_id"], challenge), remote.pair()).page

    def scope(write: bool, **params: str) -> str:
        code, verifier = raw.code(browser, remote.pair(), client, write=write, **params)
        return str(raw.tokens(client, code, verifier).json()["scope"])

    assert "name=write" in page.text
    assert "name=write" not in plain.text
    assert scope(False, scope="oig:read oig:write") == "oig:read"
    assert scope(True, scope="oig:read oig:write") == "oig:read oig:write"
    assert scope(True) == "oig:read"  # not asked for: not granted, whatever is ticked


def test_write_is_never_offered_by_a_server_without_write_tools(
    settings: Settings, portal: FakePortal, browser: Browser
) -> None:
    with in_process(settings) as server:
        raw = RawOAuth(server.url)
        client = raw.client()
        code, verifier = raw.code(
            browser, server.pair(), client, write=True, scope="oig:read oig:write"
        )
        tokens = raw.tokens(client, code, verifier).json()
        raw.close()

    assert tokens["scope"] == "oig:read"
