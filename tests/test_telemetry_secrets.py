"""Nothing secret leaves in telemetry: every span, attribute, event and metric point of a
session that logs in, renews an expired session, is refused a wrong password, writes and
serves HTTP with OAuth is scanned for every secret the fakes issued."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from opentelemetry.sdk.trace import ReadableSpan

from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.server import build_server

from .fake_portal import BOX_ID, FakePortal
from .helpers.fakes import EMAIL, PASSWORD
from .helpers.oauth import Browser, RawOAuth, call_tool
from .helpers.otel import Kit, installed
from .helpers.remote import in_process

WRONG_PASSWORD = "wr0ng-Passw0rd!"


@pytest.fixture
def kit() -> Iterator[Kit]:
    with installed().recording() as recording:
        yield recording


async def stdio_like_session(settings: Settings, portal: FakePortal, tmp_path: Path) -> None:
    """Log in, read from the cache, renew an expired session, preview and send a write;
    then a server whose password is wrong."""
    async with Client(build_server(settings)) as client:
        assert not (await client.call_tool("get_basic_data", {})).is_error
        assert not (await client.call_tool("get_basic_data", {})).is_error  # the cache
        portal.expire_sessions()
        assert not (await client.call_tool("get_notifications", {})).is_error
        for confirm in (False, True):
            result = await client.call_tool(
                "set_box_mode", {"mode": "Home UPS", "confirm": confirm}
            )
            assert not result.is_error, result
    wrong = settings.with_overrides(env_password=WRONG_PASSWORD, state_dir=tmp_path / "wrong")
    async with Client(build_server(wrong)) as client:
        refused = await client.call_tool("get_basic_data", {})
        with pytest.raises(MCPError, match="rejected"):
            await client.read_resource(f"oig://box/{BOX_ID}/config")
    assert refused.is_error


def http_session(settings: Settings) -> dict[str, str]:
    """Over HTTP: register, consent with a pairing code, exchange the code, call a tool,
    refresh, revoke; returns every secret the server issued on the way."""
    browser = Browser()
    with in_process(settings) as remote:
        raw = RawOAuth(remote.url)
        client = raw.client()
        pairing = remote.pair()
        code, verifier = raw.code(browser, pairing, client, scope="oig:read")
        tokens = raw.tokens(client, code, verifier).json()
        result = call_tool(raw, tokens["access_token"], "get_basic_data")
        assert not result.get("isError"), result
        renewed = raw.token(
            grant_type="refresh_token",
            refresh_token=tokens["refresh_token"],
            client_id=client["client_id"],
        ).json()
        raw.http.post(
            "/revoke", data={"token": renewed["refresh_token"], "client_id": client["client_id"]}
        )
        raw.close()
    browser.close()
    return {
        "pairing code": pairing,
        "authorization code": code,
        "PKCE verifier": verifier,
        "access token": tokens["access_token"],
        "refresh token": tokens["refresh_token"],
        "renewed access token": renewed["access_token"],
        "renewed refresh token": renewed["refresh_token"],
    }


def exported_text(kit: Kit) -> str:
    """Everything exported: each span as OTLP's exporters see it (name, attributes, events,
    links, status, resource) and every metric point with its labels."""
    spans = [json.loads(span.to_json()) for span in kit.spans]
    return json.dumps({"spans": spans, "metrics": kit.metrics()})


def test_no_secret_of_a_whole_session_is_in_any_span_or_metric(
    kit: Kit, settings: Settings, portal: FakePortal, tmp_path: Path
) -> None:
    writable = settings.with_overrides(allowed_writes=frozenset({"set_box_mode"}))
    anyio.run(stdio_like_session, writable, portal, tmp_path)
    kit.metrics()  # a reader asked once: the gauge of active grants is kept from now on
    secrets: dict[str, str] = http_session(writable)
    secrets |= {"password": PASSWORD, "wrong password": WRONG_PASSWORD, "e-mail": EMAIL}
    secrets |= {"box id": BOX_ID}
    secrets |= {f"cookie {n}": cookie for n, cookie in enumerate(portal.issued_cookies)}
    exported = exported_text(kit)

    leaked = {what: value for what, value in secrets.items() if value in exported}

    assert leaked == {}
    assert len(portal.issued_cookies) >= 2  # a login, and a renewal after the expiry
    assert the_session_was_seen(kit)


def the_session_was_seen(kit: Kit) -> bool:
    """The scan was not vacuous: each part of the session is in the telemetry."""
    logins = {attributes(span)["oig.login.outcome"] for span in kit.named("oig.portal.login")}
    renewals = [attributes(s) for s in kit.named("oig.portal.session.renew")]
    outcomes = {p["attributes"]["oig.write.outcome"] for p in kit.points("oig.writes")}
    routes = {attributes(s).get("http.route") for s in kit.spans if s.kind.name == "SERVER"}
    grants = [p["value"] for p in kit.points("oig.remote.grants.active")]
    assert {"accepted", "rejected"} <= logins
    assert any(r["oig.session.expired"] and r["oig.session.source"] == "login" for r in renewals)
    assert {"previewed", "written"} <= outcomes
    assert [s.name for s in kit.spans if s.name.startswith("oig.write.")] == [
        "oig.write.intent",
        "oig.write.send",
        "oig.write.outcome",
    ]
    assert {"/register", "/authorize", "/consent", "/token", "/revoke", "/mcp"} <= routes
    assert kit.named("tools/call get_basic_data")
    assert kit.points("http.client.request.duration")
    assert grants == [1]  # counted when the token was used
    hits = {p["attributes"]["oig.portal.cache"]: p["value"] for p in kit.points(CACHE)}
    return bool(hits.get("hit", 0) >= 1 and hits.get("miss", 0) >= 1)


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


CACHE = "oig.portal.cache.lookups"
