"""The real command exports to a real OTLP/HTTP receiver: over stdio and over HTTP, one
get_basic_data arrives as the SDK's server span with our portal CLIENT span under it, in
the caller's trace, with the metric points."""

from __future__ import annotations

import pytest

from .fake_portal import FakePortal
from .helpers.oauth import Browser, RawOAuth, call_tool, grant
from .helpers.otlp_receiver import Received, Receiver, Span
from .helpers.remote import pairing_code, served
from .helpers.stdio_session import StdioSession

pytestmark = pytest.mark.e2e

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
QUICK = {"OTEL_BSP_SCHEDULE_DELAY": "50", "OTEL_METRIC_EXPORT_INTERVAL": "200"}


def otel_env(env: dict[str, str], url: str) -> dict[str, str]:
    return {**env, **QUICK, "OTEL_EXPORTER_OTLP_ENDPOINT": url, "OTEL_SERVICE_NAME": "house"}


def parent_of(received: Received, span: Span) -> str:
    parents = [s.name for s in received.spans if s.span_id == span.parent_id]
    return parents[0] if parents else "-"


def tree(received: Received) -> list[tuple[str, str]]:
    """Each span's name and its parent's name, in the order they ended."""
    return [(span.name, parent_of(received, span)) for span in received.spans]


def assert_portal_span_under(received: Received, tool: Span) -> None:
    (read,) = [s for s in received.named("GET /json.php") if s.parent_id == tool.span_id]
    assert read.kind == "SPAN_KIND_CLIENT"
    assert read.trace_id == tool.trace_id
    assert read.attributes["url.path"] == "/json.php"
    assert read.attributes["http.request.method"] == "GET"
    assert read.attributes["http.response.status_code"] == 200
    assert read.attributes["http.response.body.size"] > 0
    assert read.attributes["oig.portal.cache"] == "miss"
    assert read.resource["service.name"] == "house"
    (renewal,) = [s for s in received.named("oig.portal.session.renew")]
    assert renewal.parent_id == tool.span_id
    (login,) = received.named("oig.portal.login")
    assert login.parent_id == renewal.span_id
    assert login.attributes["oig.login.outcome"] == "accepted"


def assert_tool_metrics(received: Received) -> None:
    operations = received.points("mcp.server.operation.duration")
    calls = [p for p in operations if p["attributes"].get("gen_ai.tool.name") == "get_basic_data"]
    assert calls, operations
    call = calls[-1]  # points are cumulative: the last export has them all
    assert call["attributes"]["mcp.method.name"] == "tools/call"
    assert int(call["count"]) >= 1
    portal = received.points("http.client.request.duration")
    live = [p for p in portal if p["attributes"]["url.template"] == "/json.php"]
    assert live
    assert live[-1]["attributes"]["oig.portal.outcome"] == "ok"
    logins = received.points("oig.portal.logins")
    assert logins
    assert logins[-1]["attributes"] == {"oig.login.outcome": "accepted"}


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


def test_get_basic_data_over_stdio_arrives_as_server_span_then_portal_client_span(
    env: dict[str, str], portal: FakePortal, receiver: Receiver
) -> None:
    with receiver as received:
        with StdioSession(otel_env(env, receiver.url)) as server:
            server.initialize()
            params = {
                "name": "get_basic_data",
                "arguments": {},
                "_meta": {"traceparent": TRACEPARENT},
            }
            answer = server.request("tools/call", params)
        received.wait_for("tools/call get_basic_data", "GET /json.php")
        print("stdio:", tree(received))  # noqa: T201 - the report quotes it

        (tool,) = received.named("tools/call get_basic_data")
        assert not answer["result"].get("isError")
        assert tool.kind == "SPAN_KIND_SERVER"
        assert (tool.trace_id, tool.parent_id) == (TRACE_ID, CALLER_SPAN)
        assert tool.attributes["gen_ai.tool.name"] == "get_basic_data"
        assert_portal_span_under(received, tool)
        assert_tool_metrics(received)


def test_get_basic_data_over_http_arrives_under_the_http_server_span(
    env: dict[str, str], portal: FakePortal, receiver: Receiver
) -> None:
    browser = Browser()
    with receiver as received:
        with served(otel_env(env, receiver.url)) as remote:
            raw = RawOAuth(remote.url)
            tokens = grant(raw, browser, pairing_code(env))
            result = call_tool(raw, tokens["access_token"], "get_basic_data")
            raw.close()
            received.wait_for("tools/call get_basic_data", "GET /json.php", "POST /mcp")
            received.wait_for("POST /token")
        browser.close()
        print("http:", tree(received))  # noqa: T201 - the report quotes it

        assert not result.get("isError")
        (tool,) = received.named("tools/call get_basic_data")
        (request,) = [s for s in received.named("POST /mcp") if s.span_id == tool.parent_id]
        assert request.kind == "SPAN_KIND_SERVER"
        assert request.attributes["http.route"] == "/mcp"
        assert request.attributes["http.response.status_code"] == 200
        assert {"/register", "/authorize", "/consent", "/token"} <= {
            s.attributes.get("http.route") for s in received.spans
        }
        assert_portal_span_under(received, tool)
        received.wait_until(lambda: {"/mcp", "/token"} <= served_routes(received))


def served_routes(received: Received) -> set[str]:
    return {p["attributes"]["http.route"] for p in received.points("http.server.request.duration")}
