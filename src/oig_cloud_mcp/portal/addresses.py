"""Which network addresses a fetch on a stranger's behalf may connect to.

A client's `client_id` URL is chosen by whoever sends the request, so the addresses its host
resolves to decide whether our server may be talked into reaching something behind it
(server-side request forgery). Only public unicast addresses pass: every special-purpose
block in the IANA IPv4 and IPv6 registries (RFC 6890 and its updates) is refused, and so is
multicast and everything IANA has not allocated for global unicast.

The tables are written out here instead of relying on `ipaddress.is_global` and friends:
those have changed between Python releases, and on some (3.11 before 3.11.10, for one)
`::ffff:127.0.0.1`, `::7f00:1` and `2002:a00:1::` count as global.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address

NON_PUBLIC_IPV4: tuple[IPv4Network, ...] = tuple(
    IPv4Network(block)
    for block in (
        "0.0.0.0/8",  # "this network", and 0.0.0.0 itself
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # shared address space, carrier-grade NAT (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, where cloud metadata services live
        "172.16.0.0/12",  # private (RFC 1918)
        "192.0.0.0/24",  # IETF protocol assignments (DS-Lite, NAT64 discovery, ...)
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.31.196.0/24",  # AS112-v4 sinkhole
        "192.52.193.0/24",  # AMT relays
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",  # private (RFC 1918)
        "192.175.48.0/24",  # AS112 direct delegation sinkhole
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the limited broadcast 255.255.255.255
    )
)
"""Every IPv4 block a client's metadata document may not be fetched from."""

IPV6_GLOBAL_UNICAST = IPv6Network("2000::/3")
"""IPv6 outside this block is loopback, unspecified, ULA, link- or site-local, multicast,
discard-only or not allocated at all (only the IPv4 forms below are judged otherwise)."""

NON_PUBLIC_IPV6: tuple[IPv6Network, ...] = tuple(
    IPv6Network(block)
    for block in (
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) among them
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: an IPv4 address (perhaps a private one) in disguise
        "2620:4f:8000::/48",  # AS112-v6 sinkhole
        "3fff::/20",  # documentation (RFC 9637)
    )
)
"""The special-purpose blocks inside 2000::/3."""

NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")
"""DNS64 answers with this prefix on IPv6-only networks; the IPv4 address in the last 32 bits
is the one actually reached (RFC 6052)."""


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`)
    address reaches, or None for any other IPv6 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64_WELL_KNOWN:
        return IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """Whether `address` is a public unicast address that anyone on the Internet could reach.

    IPv4-mapped and NAT64 addresses are judged by the IPv4 address they carry; 6to4, Teredo
    and the deprecated IPv4-compatible form are never public; an address with a scope
    (`fe80::1%eth0`) is never public.
    """
    if isinstance(address, IPv4Address):
        return not any(address in block for block in NON_PUBLIC_IPV4)
    if address.scope_id:
        return False
    inner = embedded_ipv4(address)
    if inner is not None:
        return is_public_address(inner)
    return address in IPV6_GLOBAL_UNICAST and not any(address in b for b in NON_PUBLIC_IPV6)


def is_loopback_address(address: IPAddress) -> bool:
    """Whether `address` is this machine's loopback (127.0.0.0/8, ::1 or `::ffff:127.x`)."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


@dataclass(frozen=True)
class AddressPolicy:
    """Which resolved addresses a fetch may connect to: public ones, and loopback only if
    `allow_loopback` is set.

    Only tests set it (`LOOPBACK_ALLOWED_FOR_TESTS`), to fetch from HTTPS servers they start
    on 127.0.0.1. There is deliberately no way to build a policy from text, a setting or an
    environment variable: `config` cannot import `portal` (see the import-linter contracts)
    and the fetch's default is `PUBLIC_ONLY`.
    """

    allow_loopback: bool = False

    def permits(self, address: IPAddress) -> bool:
        """Whether a fetch may connect to `address`."""
        if is_public_address(address):
            return True
        return self.allow_loopback and is_loopback_address(address)


PUBLIC_ONLY = AddressPolicy()
"""The policy every real fetch uses: public unicast addresses only."""
LOOPBACK_ALLOWED_FOR_TESTS = AddressPolicy(allow_loopback=True)
"""Public addresses and loopback: for tests against servers they run on 127.0.0.1 only."""
