"""OAuth Client ID Metadata Documents (CIMD): the one safe way to fetch a client's `client_id`.

A client such as Claude Code names itself with an `https://` `client_id` whose JSON document
lists its name and redirect URIs (draft-ietf-oauth-client-id-metadata-document; MCP
authorization 2025-11-25). Whoever sends an authorization request chooses that URL, so
fetching it is a request a stranger makes our server send. `fetch_client_document` sends it
only under these rules, and refuses everything else with one `ClientDocumentError` sentence:

1. The URL is a plain `https://` URL naming its host by domain name: no user info, no
   fragment, a path without `.`/`..` segments, a port if any (`check_client_id_url`). This is
   checked before the network is used.
2. The host is resolved once, and every address it resolves to must be allowed by the
   `AddressPolicy` (public unicast only, by default). The request then goes to a vetted
   address itself, never to the name (no second lookup a rebinding DNS server could answer
   differently), while TLS still checks the certificate against the host name (SNI and the
   Host header carry the name).
3. Redirects are not followed (the draft forbids it); the status must be 200.
4. At most `max_bytes` are read, and nothing past a larger Content-Length; the whole fetch,
   lookup included, has `timeout_s`, however slowly the server trickles bytes.
5. The body is UTF-8 JSON whose top level is an object, parsed strictly (no duplicate keys,
   no NaN); a declared Content-Type must be JSON, and no compression is accepted.

Validating the document's contents (its `client_id` equal to the URL, redirect URIs, ...) and
caching it belong to the caller.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit

import httpx

from .. import __version__
from ..errors import ClientDocumentError
from .addresses import PUBLIC_ONLY, AddressPolicy, IPAddress
from .tls import is_certificate_failure, public_ssl_context

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_BYTES = 5 * 1024
"""The draft's recommended maximum size of a metadata document."""
MAX_URL_LENGTH = 2048

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves `(host, port)` to the addresses (as text) a connection may go to."""

_URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
"""What RFC 3986 allows in a URL, as typed: no spaces, quotes, backslashes or non-ASCII."""
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LABEL = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
"""A top-level domain starts with a letter, so no host name can be read as an IPv4 number."""
_JSON_MEDIA_TYPE = re.compile(r"application/(?:[a-z0-9!#$&^_.+-]+\+)?json")
_SHOWN_LENGTH = 100
_DEADLINE_GRACE_S = 0.05
_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number"}
_JSON_KINDS |= {bool: "true or false", type(None): "null"}


@dataclass(frozen=True)
class _ClientIdUrl:
    """A `client_id` URL that passed every check made before the network is used."""

    url: str
    host: str
    port: int
    host_header: str
    target: str
    """The path and query, sent as they are."""

    @property
    def shown(self) -> str:
        """The URL for messages (shortened)."""
        return _shorten(self.url)


def check_client_id_url(url: str) -> None:
    """Refuse (`ClientDocumentError`) a `client_id` that is not a URL we would fetch.

    The same checks `fetch_client_document` makes before it uses the network.
    """
    _parse_url(url)


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system's resolver gives for `host` (made absolute with a trailing
    dot, so resolv.conf search domains never turn it into an internal name)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(
        f"{host}.", port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


async def fetch_client_document(
    url: str,
    *,
    policy: AddressPolicy = PUBLIC_ONLY,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_bytes: int = DEFAULT_MAX_BYTES,
    resolver: Resolver = system_resolver,
    ssl_context: ssl.SSLContext | None = None,
) -> dict[str, Any]:
    """The JSON object served at the client's `client_id` URL, fetched under the module's
    rules; any refusal is a `ClientDocumentError` whose message says what was wrong.

    `policy` decides which resolved addresses may be connected to (`PUBLIC_ONLY` unless a
    test says otherwise); `timeout_s` bounds the whole fetch, lookup included; `max_bytes`
    bounds the body. `resolver` and `ssl_context` (the trusted roots; certifi's by default)
    let tests point a host name at a local server that has a test certificate; a context
    that checks no certificate or host name is a programming error (ValueError).
    """
    where = _parse_url(url)
    context = ssl_context or public_ssl_context()
    if not context.check_hostname or context.verify_mode != ssl.CERT_REQUIRED:
        raise ValueError("a client's metadata document is only fetched with TLS verification")
    try:
        async with asyncio.timeout(timeout_s) as deadline:
            addresses = await _vetted_addresses(where, policy, resolver)
            raw = await _download(where, addresses, context, deadline, max_bytes)
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise ClientDocumentError(
            f"The client's metadata document at {where.shown} did not arrive within "
            f"{timeout_s:g} s."
        ) from exc
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, ssl.SSLError) as exc:
        raise _connection_refusal(where, exc) from exc
    return _parse_document(where, raw)


# -- before the network ---------------------------------------------------------------------


def _parse_url(url: str) -> _ClientIdUrl:
    if not url or len(url) > MAX_URL_LENGTH or not _URL_CHARACTERS.fullmatch(url):
        raise ClientDocumentError(
            f"The client_id is not a usable URL: it is empty, longer than {MAX_URL_LENGTH} "
            "characters or contains characters a URL cannot have."
        )
    shown = _shorten(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ClientDocumentError(f"The client_id {shown} is not a valid URL.") from None
    if parts.scheme != "https" or not url.lower().startswith("https://"):
        raise ClientDocumentError(
            f"The client_id {shown} is not an https:// URL, so no metadata document is "
            "fetched for it."
        )
    if "@" in parts.netloc:
        raise ClientDocumentError(
            "The client_id URL contains a user name or password, which a client ID URL must "
            "not have."
        )
    if "#" in url:
        raise ClientDocumentError(f"The client_id {shown} has a #fragment, which it must not have.")
    host = parts.hostname or ""
    if not _is_domain_name(host):
        raise ClientDocumentError(
            f"The client_id {shown} does not name its host by a domain name such as "
            "client.example.com."
        )
    if port == 0 or parts.netloc.endswith(":"):
        raise ClientDocumentError(f"The client_id {shown} has an invalid port.")
    if not parts.path:
        raise ClientDocumentError(
            f"The client_id {shown} has no path; a client ID URL names its document, as in "
            "https://client.example.com/client.json."
        )
    if any(unquote(segment) in {".", ".."} for segment in parts.path.split("/")):
        raise ClientDocumentError(
            f"The client_id {shown} contains a . or .. path segment, which it must not have."
        )
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    host_header = host if port is None else f"{host}:{port}"
    return _ClientIdUrl(url, host, port or 443, host_header, target)


def _is_domain_name(host: str) -> bool:
    labels = host.split(".")
    return (
        len(host) <= 253
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels[:-1])
        and _TOP_LABEL.fullmatch(labels[-1]) is not None
    )


def _shorten(url: str) -> str:
    return url if len(url) <= _SHOWN_LENGTH else url[: _SHOWN_LENGTH - 1] + "…"


# -- the network ----------------------------------------------------------------------------


async def _vetted_addresses(
    where: _ClientIdUrl, policy: AddressPolicy, resolver: Resolver
) -> list[IPAddress]:
    """The addresses the host resolves to, once; all of them allowed or none."""
    try:
        resolved = list(await resolver(where.host, where.port))
    except OSError as exc:
        raise _not_found(where) from exc
    if not resolved:
        raise _not_found(where)
    addresses = [_address(text) for text in resolved]
    if not all(address is not None and policy.permits(address) for address in addresses):
        # The addresses go to the log for the owner, never into the message: a stranger
        # would learn what our resolver says about internal names.
        log.warning(
            "Refused to fetch %s: %s resolves to %s", where.shown, where.host, ", ".join(resolved)
        )
        raise ClientDocumentError(
            f"The host of the client's metadata document at {where.shown} is on a private, "
            "local or reserved network, so it was not fetched."
        )
    return list(dict.fromkeys(a for a in addresses if a is not None))


def _address(text: str) -> IPAddress | None:
    try:
        return ip_address(text)
    except ValueError:
        return None


def _not_found(where: _ClientIdUrl) -> ClientDocumentError:
    return ClientDocumentError(
        f"The host of the client's metadata document at {where.shown} could not be found."
    )


async def _download(
    where: _ClientIdUrl,
    addresses: list[IPAddress],
    context: ssl.SSLContext,
    deadline: asyncio.Timeout,
    max_bytes: int,
) -> bytes:
    """The body from the first vetted address that takes the connection, before `deadline`."""
    async with httpx.AsyncClient(
        verify=context,
        trust_env=False,  # no proxy or CA bundle from the environment: it would undo the checks
        follow_redirects=False,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=0),
        headers={
            "User-Agent": f"oig-cloud-mcp/{__version__}",
            "Accept": "application/json",
            "Accept-Encoding": "identity",
        },
    ) as http:
        for address in addresses[:-1]:
            try:
                return await _get(http, where, address, _budget(deadline), max_bytes)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if is_certificate_failure(exc):
                    raise
                log.info("%s: %s did not take the connection, trying the next", where.host, address)
        return await _get(http, where, addresses[-1], _budget(deadline), max_bytes)


def _budget(deadline: asyncio.Timeout) -> httpx.Timeout:
    """httpx's own timeouts for one request: what is left before the deadline, a little less.

    They, rather than the deadline's cancellation, should end a slow connect or handshake:
    httpcore closes the socket when its own timeout fires, but leaks it when cancelled in
    the middle of a TLS handshake. The deadline still ends a server that trickles bytes.
    """
    when = deadline.when()
    left = math.inf if when is None else when - asyncio.get_running_loop().time()
    return httpx.Timeout(max(left - _DEADLINE_GRACE_S, 0.001))


async def _get(
    http: httpx.AsyncClient,
    where: _ClientIdUrl,
    address: IPAddress,
    budget: httpx.Timeout,
    max_bytes: int,
) -> bytes:
    request = http.build_request(
        "GET",
        httpx.URL(
            scheme="https", host=str(address), port=where.port, raw_path=where.target.encode()
        ),
        headers={"Host": where.host_header},
        extensions={"sni_hostname": where.host},
        timeout=budget,
    )
    response = await http.send(request, stream=True, follow_redirects=False)
    try:
        _check_head(where, response, max_bytes)
        chunks, size = [], 0
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(where, max_bytes)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        await response.aclose()


def _check_head(where: _ClientIdUrl, response: httpx.Response, max_bytes: int) -> None:
    status = response.status_code
    if 300 <= status < 400:
        raise ClientDocumentError(
            f"The client's metadata document at {where.shown} redirects elsewhere (HTTP "
            f"{status}), but it must be served at its own URL."
        )
    if status != 200:
        raise ClientDocumentError(
            f"The client's metadata document at {where.shown} could not be fetched: its "
            f"server answered HTTP {status}."
        )
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in {"", "identity"}:
        raise ClientDocumentError(
            f"The client's metadata document at {where.shown} came compressed, which was not "
            "asked for."
        )
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and not _JSON_MEDIA_TYPE.fullmatch(media_type):
        raise ClientDocumentError(
            f"The client's metadata document at {where.shown} is not JSON but {media_type[:40]}."
        )
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(where, max_bytes)


def _too_large(where: _ClientIdUrl, max_bytes: int) -> ClientDocumentError:
    limit = f"{max_bytes // 1024} KB" if max_bytes % 1024 == 0 else f"{max_bytes} bytes"
    return ClientDocumentError(
        f"The client's metadata document at {where.shown} is larger than {limit}."
    )


def _connection_refusal(where: _ClientIdUrl, exc: Exception) -> ClientDocumentError:
    if is_certificate_failure(exc):
        return ClientDocumentError(
            f"The TLS certificate of {where.host} could not be verified, so the client's "
            f"metadata document at {where.shown} was not fetched."
        )
    if isinstance(exc, httpx.ConnectError):
        return ClientDocumentError(
            f"The server of the client's metadata document at {where.shown} could not be reached."
        )
    return ClientDocumentError(
        f"The connection to the server of the client's metadata document at {where.shown} "
        f"failed ({type(exc).__name__})."
    )


# -- the body -------------------------------------------------------------------------------


class _DuplicateKeyError(ValueError):
    pass


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise _DuplicateKeyError
    return document


def _no_constant(name: str) -> NoReturn:
    raise ValueError(name)  # NaN and Infinity are not JSON


def _parse_document(where: _ClientIdUrl, raw: bytes) -> dict[str, Any]:
    try:
        document = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_object_without_duplicates,
            parse_constant=_no_constant,
        )
    except UnicodeDecodeError:
        reason = "it is not UTF-8 text"
    except _DuplicateKeyError:
        reason = "a key appears twice in one object"
    except (ValueError, RecursionError):
        reason = "it is not valid JSON"
    else:
        if isinstance(document, dict):
            return document
        reason = f"it is {_JSON_KINDS[type(document)]}, not a JSON object"
    raise ClientDocumentError(
        f"The client's metadata document at {where.shown} is unusable: {reason}."
    )
