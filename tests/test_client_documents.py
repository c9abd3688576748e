"""Fetching an OAuth client's metadata document (CIMD) from a stranger's `client_id` URL.

Real HTTPS servers on 127.0.0.1 with certificates from a test CA for `client.test`; a fake
resolver points that name (which real DNS never answers) at them.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import hypothesis
import pytest
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from oig_cloud_mcp.errors import ClientDocumentError, InvalidRequestError
from oig_cloud_mcp.portal.addresses import LOOPBACK_ALLOWED_FOR_TESTS, PUBLIC_ONLY
from oig_cloud_mcp.portal.documents import (
    Resolver,
    check_client_id_url,
    fetch_client_document,
)

from .helpers.https_servers import TestCA, https_server

pytestmark = pytest.mark.anyio

HOST = "client.test"
TIMEOUT_S = 3.0
SLOW_TIMEOUT_S = 0.5
MARGIN_S = 1.0


class FakeResolver:
    """Answers every lookup with `answers` (in turn, the last one repeated); records them."""

    def __init__(self, *answers: Sequence[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        return list(self.answers[min(len(self.lookups), len(self.answers)) - 1])


def no_network(host: str, port: int) -> Any:
    raise AssertionError(f"the resolver was asked for {host}:{port}")


# -- the servers ----------------------------------------------------------------------------


async def good(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "client_id": str(request.url),
            "client_name": "Test client",
            "redirect_uris": ["https://client.test/callback"],
            "host": request.headers["host"],
        }
    )


async def forever(first: bytes, then: bytes, every_s: float) -> AsyncIterator[bytes]:
    yield first
    while True:
        await asyncio.sleep(every_s)
        yield then


class DeclaredHuge:
    """Announces a megabyte, sends a few bytes, then nothing more: reading on would hang."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"1000000")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"a": "', "more_body": True})
        await asyncio.sleep(30)


ROUTES: list[Route] = []


def route(
    name: str, content: bytes, media_type: str | None = "application/json", **headers: str
) -> str:
    """Serve `content` at `/name` on the test servers; returns the path."""

    async def endpoint(request: Request) -> Response:
        return Response(content, media_type=media_type, headers=headers)

    ROUTES.append(Route(f"/{name}", endpoint))
    return f"/{name}"


NO_TYPE = route("no-type", b'{"client_name": "untyped"}', media_type=None)
VENDOR_TYPE = route(
    "vendor-type", b'{"client_name": "vendor"}', "application/vnd.example+json; charset=utf-8"
)
HTML = route("html", b"<html><body>Sign in</body></html>", "text/html")
NOT_JSON = route("not-json", b"client_name=nope")
ARRAY = route("array", b'[{"client_name": "in an array"}]')
STRING = route("string", b'"client"')
DUPLICATE_KEY = route("duplicate", b'{"redirect_uris": ["https://a.test/"], "redirect_uris": []}')
NAN = route("nan", b'{"client_name": NaN}')
LATIN1 = route("latin1", '{"client_name": "Kl\u00e9ment"}'.encode("latin-1"))
DEEP = route("deep", b'{"a": ' + b"[" * 2000 + b"]" * 2000 + b"}")
TOO_BIG = route("too-big", b'{"a": "' + b"x" * 5200 + b'"}')
GZIPPED = route(
    "gzipped", gzip.compress(b'{"client_name": "zipped"}'), **{"content-encoding": "gzip"}
)


def app() -> Starlette:
    async def status(request: Request) -> Response:
        return Response(status_code=int(request.path_params["code"]))

    async def redirect(request: Request) -> Response:
        return RedirectResponse("/good", status_code=int(request.path_params["code"]))

    async def endless(request: Request) -> StreamingResponse:
        return StreamingResponse(forever(b'{"a": "', b"x" * 1024, 0.001), media_type=None)

    async def trickle(request: Request) -> StreamingResponse:
        return StreamingResponse(forever(b'{"a": "', b"x", 0.05), media_type="application/json")

    return Starlette(
        routes=[
            Route("/good", good),
            Route("/status/{code:int}", status),
            Route("/redirect/{code:int}", redirect),
            Route("/endless", endless),
            Route("/trickle", trickle),
            Route("/declared-huge", DeclaredHuge()),
            *ROUTES,
        ]
    )


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def port(ca: TestCA) -> Iterator[int]:
    """A server with a certificate for client.test."""
    with https_server(app(), ca.issue(HOST)) as port:
        yield port


@pytest.fixture(scope="module")
def other_port(ca: TestCA) -> Iterator[int]:
    """A server with a (trusted) certificate for another name."""
    with https_server(app(), ca.issue("other.test")) as port:
        yield port


async def fetch(
    url: str, ca: TestCA, resolver: Resolver | None = None, **options: Any
) -> dict[str, Any]:
    """Fetch as a test may: loopback allowed, the test CA trusted, client.test at 127.0.0.1."""
    options = {"policy": LOOPBACK_ALLOWED_FOR_TESTS, "timeout_s": TIMEOUT_S, **options}
    return await fetch_client_document(
        url,
        resolver=resolver or FakeResolver(["127.0.0.1"]),
        ssl_context=ca.ssl_context(),
        **options,
    )


# -- a good document --------------------------------------------------------------------------


async def test_a_good_document_is_fetched_from_the_vetted_address_under_its_own_name(
    ca: TestCA, port: int
) -> None:
    resolver = FakeResolver(["127.0.0.1"], ["10.0.0.1"])  # a second answer would rebind
    url = f"https://{HOST}:{port}/good?v=1"

    document = await fetch(url, ca, resolver)

    assert document["client_id"] == url  # the path and query went as they were
    assert document["host"] == f"{HOST}:{port}"  # Host names the host, not the address
    assert document["client_name"] == "Test client"
    assert resolver.lookups == [(HOST, port)]  # one lookup, and no other: client.test has no DNS


@pytest.mark.parametrize("path", [NO_TYPE, VENDOR_TYPE])
async def test_a_json_document_without_or_with_a_json_content_type_is_accepted(
    ca: TestCA, port: int, path: str
) -> None:
    document = await fetch(f"https://{HOST}:{port}{path}", ca)

    assert document["client_name"] in {"untyped", "vendor"}


async def test_a_host_that_refuses_the_connection_is_skipped_for_its_next_address(
    ca: TestCA, port: int
) -> None:
    resolver = FakeResolver(["::1", "127.0.0.1"])  # the server listens on 127.0.0.1 only

    document = await fetch(f"https://{HOST}:{port}/good", ca, resolver)

    assert document["client_name"] == "Test client"


# -- where it lives -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.1.2.3"],
        ["127.0.0.1"],
        ["::1"],
        ["169.254.169.254"],
        ["fd00::1"],
        ["100.64.0.1"],
        ["::ffff:192.168.1.1"],
        ["93.184.215.14", "10.0.0.1"],
        ["2606:4700:4700::1111", "fe80::1%eth0"],
        ["not an address"],
    ],
)
async def test_a_host_with_any_non_public_address_is_refused_by_default(
    addresses: list[str],
) -> None:
    resolver = FakeResolver(addresses)

    with pytest.raises(ClientDocumentError, match="private, local or reserved network") as error:
        await fetch_client_document("https://client.example.com/meta.json", resolver=resolver)

    assert resolver.lookups == [("client.example.com", 443)]
    assert not any(address in str(error.value) for address in addresses)


async def test_the_default_policy_refuses_a_loopback_server_that_would_answer(
    ca: TestCA, port: int
) -> None:
    with pytest.raises(ClientDocumentError, match="private, local or reserved network"):
        await fetch(f"https://{HOST}:{port}/good", ca, policy=PUBLIC_ONLY)


async def test_the_loosened_test_policy_still_refuses_private_addresses() -> None:
    with pytest.raises(ClientDocumentError, match="private, local or reserved network"):
        await fetch_client_document(
            "https://client.example.com/meta.json",
            policy=LOOPBACK_ALLOWED_FOR_TESTS,
            resolver=FakeResolver(["127.0.0.1", "10.0.0.1"]),
        )


@pytest.mark.parametrize("answer", [[], OSError(-2, "Name or service not known")])
async def test_a_host_that_does_not_resolve_is_refused(answer: Any) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        if isinstance(answer, OSError):
            raise answer
        return list(answer)

    with pytest.raises(ClientDocumentError, match="could not be found"):
        await fetch_client_document("https://client.example.com/meta.json", resolver=resolver)


async def test_the_system_resolver_refuses_a_name_that_does_not_exist() -> None:
    with pytest.raises(ClientDocumentError):
        await fetch_client_document("https://no-such-host.invalid/meta.json", timeout_s=5)


# -- TLS ------------------------------------------------------------------------------------


async def test_a_certificate_for_another_name_is_refused(ca: TestCA, other_port: int) -> None:
    with pytest.raises(ClientDocumentError, match=r"TLS certificate of client\.test could not"):
        await fetch(f"https://{HOST}:{other_port}/good", ca)


async def test_a_certificate_no_public_authority_signed_is_refused_by_default(port: int) -> None:
    with pytest.raises(ClientDocumentError, match=r"TLS certificate of client\.test could not"):
        await fetch_client_document(
            f"https://{HOST}:{port}/good",
            policy=LOOPBACK_ALLOWED_FOR_TESTS,
            resolver=FakeResolver(["127.0.0.1"]),
        )


# -- what comes back ------------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
async def test_a_redirect_is_refused_not_followed(ca: TestCA, port: int, code: int) -> None:
    with pytest.raises(ClientDocumentError, match=rf"redirects elsewhere \(HTTP {code}\)"):
        await fetch(f"https://{HOST}:{port}/redirect/{code}", ca)


@pytest.mark.parametrize("code", [404, 500, 204])
async def test_any_status_but_200_is_refused(ca: TestCA, port: int, code: int) -> None:
    with pytest.raises(ClientDocumentError, match=rf"server answered HTTP {code}\.$"):
        await fetch(f"https://{HOST}:{port}/status/{code}", ca)


async def test_a_declared_length_over_the_limit_is_refused_without_reading_on(
    ca: TestCA, port: int
) -> None:
    with pytest.raises(ClientDocumentError, match=r"is larger than 5 KB\.$"):
        await fetch(f"https://{HOST}:{port}/declared-huge", ca, timeout_s=30)


@pytest.mark.parametrize("path", ["/endless", TOO_BIG])
async def test_a_body_over_the_limit_is_refused_once_the_limit_is_passed(
    ca: TestCA, port: int, path: str
) -> None:
    with pytest.raises(ClientDocumentError, match=r"is larger than 5 KB\.$"):
        await fetch(f"https://{HOST}:{port}{path}", ca, timeout_s=30)


async def test_a_smaller_limit_is_named_in_bytes(ca: TestCA, port: int) -> None:
    with pytest.raises(ClientDocumentError, match=r"is larger than 100 bytes\.$"):
        await fetch(f"https://{HOST}:{port}/good", ca, max_bytes=100)


async def test_a_server_that_trickles_is_cut_off_at_the_deadline(ca: TestCA, port: int) -> None:
    started = time.monotonic()

    with pytest.raises(ClientDocumentError, match=r"did not arrive within 0\.5 s\.$"):
        await fetch(f"https://{HOST}:{port}/trickle", ca, timeout_s=SLOW_TIMEOUT_S)

    assert time.monotonic() - started < SLOW_TIMEOUT_S + MARGIN_S


async def test_a_server_that_never_answers_the_handshake_is_cut_off_at_the_deadline(
    ca: TestCA,
) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()

        with pytest.raises(ClientDocumentError, match=r"did not arrive within 0\.5 s\.$"):
            await fetch(
                f"https://{HOST}:{silent.getsockname()[1]}/good", ca, timeout_s=SLOW_TIMEOUT_S
            )

    assert time.monotonic() - started < SLOW_TIMEOUT_S + MARGIN_S


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (HTML, r"is not JSON but text/html\.$"),
        (NOT_JSON, r"unusable: it is not valid JSON\.$"),
        (ARRAY, r"unusable: it is an array, not a JSON object\.$"),
        (STRING, r"unusable: it is a string, not a JSON object\.$"),
        (DUPLICATE_KEY, r"unusable: a key appears twice in one object\.$"),
        (NAN, r"unusable: it is not valid JSON\.$"),
        (LATIN1, r"unusable: it is not UTF-8 text\.$"),
        (DEEP, r"unusable: it is not valid JSON\.$"),
        (GZIPPED, r"came compressed"),
    ],
)
async def test_a_body_that_is_not_a_strict_json_object_is_refused(
    ca: TestCA, port: int, path: str, reason: str
) -> None:
    with pytest.raises(ClientDocumentError, match=reason) as error:
        await fetch(f"https://{HOST}:{port}{path}", ca)

    assert str(error.value).startswith(f"The client's metadata document at https://{HOST}:")
    assert "Traceback" not in str(error.value)


# -- the URL --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://client.example.com/meta.json", "is not an https:// URL"),
        ("HTTP://client.example.com/meta.json", "is not an https:// URL"),
        ("ftp://client.example.com/meta.json", "is not an https:// URL"),
        ("//client.example.com/meta.json", "is not an https:// URL"),
        ("https:client.example.com/meta.json", "is not an https:// URL"),
        ("https://user:hunter2@client.example.com/meta.json", "user name or password"),
        ("https://@client.example.com/meta.json", "user name or password"),
        ("https://client.example.com/meta.json#me", "#fragment"),
        ("https://client.example.com/meta.json#", "#fragment"),
        ("https://client.example.com", "has no path"),
        ("https://client.example.com?x=1", "has no path"),
        ("https://client.example.com/a/../meta.json", "path segment"),
        ("https://client.example.com/./meta.json", "path segment"),
        ("https://client.example.com/a/%2E%2e/meta.json", "path segment"),
        ("https://10.0.0.1/meta.json", "domain name"),
        ("https://[::1]/meta.json", "domain name"),
        ("https://[fd00::1]:8443/meta.json", "domain name"),
        ("https://2130706433/meta.json", "domain name"),
        ("https://127.1/meta.json", "domain name"),
        ("https://0x7f.1/meta.json", "domain name"),
        ("https://localhost/meta.json", "domain name"),
        ("https://client.example.com./meta.json", "domain name"),
        ("https://client_x.example.com/meta.json", "domain name"),
        ("https:///meta.json", "domain name"),
        ("https://client.example.com:0/meta.json", "invalid port"),
        ("https://client.example.com:/meta.json", "invalid port"),
        ("https://client.example.com:65536/meta.json", "not a valid URL"),
        ("https://client.example.com:x/meta.json", "not a valid URL"),
        ("https://client.example.com/meta json", "not a usable URL"),
        ("https://client.example.com\\@evil.example/", "not a usable URL"),
        ("https://kli\u00e9nt.example.com/meta.json", "not a usable URL"),
        (" https://client.example.com/meta.json", "not a usable URL"),
        ("https://client.example.com/meta.json\n", "not a usable URL"),
        ("", "not a usable URL"),
        ("https://client.example.com/" + "a" * 2048, "not a usable URL"),
    ],
)
async def test_a_url_that_is_not_a_plain_https_url_is_refused_before_any_lookup(
    url: str, reason: str
) -> None:
    with pytest.raises(ClientDocumentError, match=reason) as error:
        await fetch_client_document(url, resolver=no_network)

    assert "hunter2" not in str(error.value)
    assert len(str(error.value)) < 250


@pytest.mark.parametrize(
    "url",
    [
        "https://client.example.com/",
        "https://claude.ai/oauth/claude-code-client-metadata",
        "https://chatgpt.com/oauth/abc123/client.json",
        "https://Client.Example.com:8443/meta.json?v=2",
        "https://xn--klnt-bpa.example.com/a%20b/meta.json",
    ],
)
def test_a_plain_https_url_passes_the_checks(url: str) -> None:
    check_client_id_url(url)


@hypothesis.given(
    st.one_of(
        st.text(max_size=80),
        st.from_regex(r"[hH][tT]{2}[pP][sS]?://[a-z0-9.:@\[\]%/#?\\-]{0,40}", fullmatch=True),
    )
)
def test_no_input_raises_anything_but_a_client_document_error(url: str) -> None:
    looked_up: list[str] = []

    async def failing_resolver(host: str, port: int) -> list[str]:
        looked_up.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(ClientDocumentError):
        asyncio.run(fetch_client_document(url, resolver=failing_resolver))

    if looked_up:  # only a URL that passed every check reaches the resolver
        parts = urlsplit(url)
        assert url.lower().startswith("https://")
        assert "#" not in url
        assert "@" not in parts.netloc
        assert parts.path


async def test_a_context_that_does_not_verify_certificates_is_not_accepted(port: int) -> None:
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE

    with pytest.raises(ValueError, match="only fetched with TLS verification"):
        await fetch_client_document(
            f"https://{HOST}:{port}/good",
            policy=LOOPBACK_ALLOWED_FOR_TESTS,
            resolver=FakeResolver(["127.0.0.1"]),
            ssl_context=unverified,
        )


def test_the_refusal_is_an_invalid_request() -> None:
    assert issubclass(ClientDocumentError, InvalidRequestError)


def test_the_defaults_are_the_strict_ones() -> None:
    import inspect

    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(fetch_client_document).parameters.items()
    }

    assert defaults["policy"] is PUBLIC_ONLY
    assert defaults["max_bytes"] == 5 * 1024
    assert defaults["timeout_s"] == 10.0
