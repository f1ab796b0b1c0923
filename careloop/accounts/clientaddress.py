"""Which address a request came from, and which request id to keep, believing only trusted proxies.

`X-Forwarded-For` is a list each proxy appends to: the client can write anything at its left end, so it is
read from the right, and only while the hop that wrote it is a proxy we trust. The first hop that is not a
trusted proxy is the client (the approach of RFC 7239 section 7.4 and of nginx's `real_ip_recursive`).
Only a valid IP address, as `ipaddress` writes it, is ever returned.
"""

import ipaddress
import re
from collections.abc import Iterable, Sequence

type Network = ipaddress.IPv4Network | ipaddress.IPv6Network
type Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# A request id a trusted proxy may hand on: nginx's $request_id (32 hex digits), a UUID, and the like.
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{7,35}")  # 36 at most: the column's width


def parse_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (`10.0.0.0/8`, `::1`); ValueError names the first one that is not."""
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP network such as 10.0.0.0/8 or 127.0.0.1") from None
    return tuple(networks)


def parse_address(text: str) -> Address | None:
    """An IP address, IPv4-mapped IPv6 written as IPv4; None for anything else (a port, a name, a script)."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: Address | None, proxies: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in proxies)


def client_address(peer: str, forwarded_for: str, proxies: Sequence[Network]) -> str:
    """The client's address: the direct peer's, or, when the peer is a trusted proxy, the nearest hop in
    X-Forwarded-For that is not one. An unreadable hop stops the walk at the last address known good."""
    address = parse_address(peer)
    if address is None:
        return ""
    if not is_trusted(address, proxies):
        return str(address)
    for hop in reversed([part for part in forwarded_for.split(",") if part.strip()]):
        forwarded = parse_address(hop)
        if forwarded is None:
            break
        address = forwarded
        if not is_trusted(address, proxies):
            break
    return str(address)


def request_id(peer: str, supplied: str, proxies: Sequence[Network]) -> str | None:
    """The X-Request-ID to keep: only one a trusted proxy sent, and only in the strict format."""
    if supplied and is_trusted(parse_address(peer), proxies) and REQUEST_ID.fullmatch(supplied):
        return supplied
    return None
