"""Which addresses a client's metadata document may be fetched from (portal.addresses).

The special-purpose blocks below are copied from the IANA IPv4 and IPv6 Special-Purpose
Address Registries (RFC 6890 and updates) plus multicast and the unallocated IPv6 space, as
this test's own statement of what must be refused; Python's `ipaddress` is a second opinion.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

import hypothesis
import pytest
from hypothesis import strategies as st

from oig_cloud_mcp.portal.addresses import (
    LOOPBACK_ALLOWED_FOR_TESTS,
    PUBLIC_ONLY,
    AddressPolicy,
    IPAddress,
    is_public_address,
)

SPECIAL_IPV4 = [
    IPv4Network(block)
    for block in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.31.196.0/24",
        "192.52.193.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "192.175.48.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]
SPECIAL_IPV6 = [  # never public, whatever they contain
    IPv6Network(block)
    for block in (
        "::/128",
        "::1/128",
        "::/96",  # the deprecated IPv4-compatible form
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/32",  # Teredo
        "2001::/23",
        "2001:db8::/32",
        "2002::/16",  # 6to4
        "2620:4f:8000::/48",
        "3fff::/20",
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # old site-local
        "ff00::/8",  # multicast
    )
]
GLOBAL_UNICAST = IPv6Network("2000::/3")
MAPPED = IPv6Network("::ffff:0:0/96")
NAT64 = IPv6Network("64:ff9b::/96")

ipv4_anywhere = st.ip_addresses(v=4)
ipv6_anywhere = st.ip_addresses(v=6)
SPECIAL_BLOCKS: list[IPv4Network | IPv6Network] = [*SPECIAL_IPV4, *SPECIAL_IPV6]
in_special_blocks = st.sampled_from(SPECIAL_BLOCKS).flatmap(
    lambda block: st.ip_addresses(network=block)
)


def mapped(address: IPv4Address) -> IPv6Address:
    return IPv6Address(int(MAPPED.network_address) | int(address))


def nat64(address: IPv4Address) -> IPv6Address:
    return IPv6Address(int(NAT64.network_address) | int(address))


@pytest.mark.parametrize(
    "text",
    [
        "10.0.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "127.0.0.1",
        "127.255.255.254",
        "0.0.0.0",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",
        "100.127.255.255",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.0.170",
        "198.18.0.1",
        "::",
        "::1",
        "fd00::1",
        "fc00::1",
        "fe80::1",
        "ff02::1",
        "fec0::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:808:808::1",  # 6to4 of a public address: still refused
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "2001:db8::1",
        "100::1",
    ],
)
def test_a_special_purpose_address_is_not_public(text: str) -> None:
    address = ip_address(text)

    assert not is_public_address(address)
    assert not PUBLIC_ONLY.permits(address)


@pytest.mark.parametrize(
    "text",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.215.14",
        "100.63.255.255",  # just below carrier-grade NAT
        "100.128.0.0",  # just above it
        "172.32.0.1",  # just above 172.16/12
        "2606:4700:4700::1111",
        "2a00:1450:4001:80e::200e",
        "::ffff:8.8.8.8",  # IPv4-mapped public
        "64:ff9b::808:808",  # NAT64 of 8.8.8.8 (DNS64 on an IPv6-only network)
    ],
)
def test_a_public_address_is_public(text: str) -> None:
    assert PUBLIC_ONLY.permits(ip_address(text))


def test_a_scoped_address_is_not_public() -> None:
    assert not is_public_address(IPv6Address("2606:4700:4700::1111%eth0"))
    assert not is_public_address(IPv6Address("fe80::1%eth0"))


@hypothesis.given(in_special_blocks)
def test_every_address_in_a_special_purpose_block_is_refused(address: IPAddress) -> None:
    assert not is_public_address(address)


@hypothesis.given(ipv4_anywhere)
def test_an_ipv4_address_is_public_exactly_when_no_special_block_holds_it(
    address: IPv4Address,
) -> None:
    assert is_public_address(address) == (not any(address in b for b in SPECIAL_IPV4))


@hypothesis.given(st.one_of(ipv6_anywhere, in_special_blocks.filter(lambda a: a.version == 6)))
def test_an_ipv6_address_is_public_exactly_when_global_unicast_and_not_special(
    address: IPv6Address,
) -> None:
    hypothesis.assume(address not in MAPPED and address not in NAT64)
    expected = address in GLOBAL_UNICAST and not any(address in b for b in SPECIAL_IPV6)

    assert is_public_address(address) == expected


@hypothesis.given(ipv4_anywhere)
def test_an_ipv4_address_in_ipv6_clothing_is_judged_by_the_ipv4_address(
    address: IPv4Address,
) -> None:
    assert is_public_address(mapped(address)) == is_public_address(address)
    assert is_public_address(nat64(address)) == is_public_address(address)


@hypothesis.given(ipv4_anywhere, st.integers(0, 2**80 - 1), st.integers(0, 2**64 - 1))
def test_6to4_teredo_and_ipv4_compatible_forms_are_never_public(
    address: IPv4Address, subnet_and_host: int, teredo_host: int
) -> None:
    six_to_four = IPv6Address((0x2002 << 112) | (int(address) << 80) | subnet_and_host)
    teredo = IPv6Address((0x2001_0000 << 96) | (int(address) << 64) | teredo_host)
    compatible = IPv6Address(int(address))

    assert not is_public_address(six_to_four)
    assert not is_public_address(teredo)
    assert not is_public_address(compatible)


@hypothesis.given(st.ip_addresses())
def test_whatever_python_calls_special_is_refused_too(address: IPAddress) -> None:
    """A second opinion: nothing the standard library calls private, loopback, link-local,
    multicast, reserved, unspecified, site-local or non-global gets through (IPv4-mapped and
    NAT64 addresses aside: those are judged by the IPv4 address inside)."""
    hypothesis.assume(address.version == 4 or (address not in MAPPED and address not in NAT64))
    special = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
        or (isinstance(address, IPv6Address) and address.is_site_local)
    )
    if special:
        assert not is_public_address(address)


@hypothesis.given(st.ip_addresses())
def test_the_test_policy_adds_loopback_and_nothing_else(address: IPAddress) -> None:
    loopback = address.is_loopback or (
        isinstance(address, IPv6Address)
        and address.ipv4_mapped is not None
        and address.ipv4_mapped.is_loopback
    )

    assert LOOPBACK_ALLOWED_FOR_TESTS.permits(address) == (PUBLIC_ONLY.permits(address) or loopback)


def test_the_default_policy_is_the_strict_one() -> None:
    assert AddressPolicy() == PUBLIC_ONLY
    assert not PUBLIC_ONLY.permits(IPv4Address("127.0.0.1"))
    assert LOOPBACK_ALLOWED_FOR_TESTS.permits(IPv4Address("127.0.0.1"))
    assert LOOPBACK_ALLOWED_FOR_TESTS.permits(IPv6Address("::1"))
    assert not LOOPBACK_ALLOWED_FOR_TESTS.permits(IPv4Address("10.0.0.1"))
