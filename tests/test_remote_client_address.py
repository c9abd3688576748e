"""Whose address the consent page counts refused sign-ins against: the peer's, unless
the peer is a trusted proxy, whose X-Forwarded-For then names the client."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from oig_cloud_mcp.config import LOOPBACK_NETWORKS
from oig_cloud_mcp.server.remote.consent import client_address


def request_from(peer: str, forwarded: str | None = None) -> Request:
    headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
    return Request({"type": "http", "client": (peer, 50000), "headers": headers})


def test_a_direct_client_is_its_own_peer_whatever_it_forwards() -> None:
    assert client_address(request_from("203.0.113.9", "198.51.100.1"), LOOPBACK_NETWORKS) == (
        "203.0.113.9"
    )


@pytest.mark.parametrize("peer", ["10.0.0.7", "192.168.1.20", "172.30.57.9"])
def test_a_peer_on_a_private_network_is_not_believed_unless_trusted(peer: str) -> None:
    spoofed = request_from(peer, "198.51.100.1")

    assert client_address(spoofed, LOOPBACK_NETWORKS) == peer
    assert client_address(spoofed, ("10.0.0.0/8", "192.168.0.0/16", "172.30.57.0/24")) == (
        "198.51.100.1"
    )


def test_a_trusted_proxy_on_this_machine_names_the_last_address_it_appended() -> None:
    chained = request_from("127.0.0.1", "6.6.6.6, 198.51.100.1")  # the first one is typed

    assert client_address(chained, LOOPBACK_NETWORKS) == "198.51.100.1"
    assert client_address(request_from("::1", "2001:db8::5"), LOOPBACK_NETWORKS) == "2001:db8::5"
