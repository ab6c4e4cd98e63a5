"""Which addresses a route may reach, and the one connection made to them: public addresses,
and internal ones (loopback, private, link-local, …) only inside the networks the
configuration names (TIPLINE_ALERT_INTERNAL_NETWORKS). A name is resolved once, each
address checked, and the connection made to the address that was checked: a name that
answers differently a moment later (DNS rebinding) reaches nothing new. An IPv6 address that
carries an IPv4 one (NAT64, 6to4, Teredo, IPv4-compatible) is judged by that IPv4 address too."""

import ipaddress
import socket

from django.conf import settings
from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(OSError):
    """The route's host is, or resolves only to, addresses a route may not reach. An OSError,
    so that every transport reports it as it reports a refused connection."""


# Prefixes whose last 32 bits are the IPv4 address a packet ends up at: NAT64's well-known
# prefix (RFC 6052) and the deprecated IPv4-compatible form (RFC 4291), where Python's
# is_global judges only the IPv6 wrapper (64:ff9b::a00:1 is 10.0.0.1 behind a NAT64 gateway).
IPV4_IN_LAST_32_BITS = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to. 64:ff9b:1::/48 (local NAT64, where the
    IPv4 part may sit in several places) is not public, so it is refused as a whole."""
    inner = []
    if any(address in prefix for prefix in IPV4_IN_LAST_32_BITS) and int(address) > 1:  # :: and ::1 are IPv6's own
        inner.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour:
        inner.append(address.sixtofour)
    if address.teredo:
        inner.extend(address.teredo)
    return inner


def may_reach(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if isinstance(address, ipaddress.IPv6Address) and not all(may_reach(inner) for inner in embedded_ipv4(address)):
        return False
    if address.is_global and not address.is_multicast:
        return True
    return any(address in network for network in settings.ALERT_INTERNAL_NETWORKS if network.version == address.version)


def literal_refused(host: str) -> bool:
    """Whether `host` is an address (not a name) that a route may not reach: told when the
    route is added; names are checked at each connection, where they are resolved."""
    try:
        return not may_reach(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return False


def refusal_text() -> str:
    return _(
        "This address is on this machine or an internal network, which routes may reach only where the configuration "
        "allows it (TIPLINE_ALERT_INTERNAL_NETWORKS)."
    )


def connect(address: tuple[str, int], timeout: float | None, source_address=None) -> socket.socket:
    """socket.create_connection, to checked addresses only."""
    host, port = address[0], address[1]
    candidates = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    allowed = [
        (family, sockaddr)
        for family, _type, _proto, _name, sockaddr in candidates
        if may_reach(ipaddress.ip_address(sockaddr[0]))
    ]
    if not allowed:
        raise AddressRefused(
            f"{host} resolves only to addresses routes may not reach (TIPLINE_ALERT_INTERNAL_NETWORKS)"
        )
    last_error: OSError | None = None
    for _family, sockaddr in allowed:
        try:
            return socket.create_connection((str(sockaddr[0]), port), timeout, source_address)  # an IP address
        except OSError as error:
            last_error = error
    assert last_error is not None, "allowed holds one address at least"
    raise last_error
