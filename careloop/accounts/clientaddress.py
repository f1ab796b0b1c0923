"""Which address a request came from, and which request id to keep, believing only trusted proxies.

`X-Forwarded-For` is a list each proxy appends to: the client can write anything at its left end, so it is
read from the right, and only while the hop that wrote it is a proxy we trust. The first hop that is not a
trusted proxy is the client (the approach of RFC 7239 section 7.4 and of nginx's `real_ip_recursive`).
Only a valid IP address, as `ipaddress` writes it, is ever returned.
"""

import re
from collections.abc import Iterable, Sequence

from careloop import ipaddresses
from careloop.ipaddresses import Network

# A request id a trusted proxy may hand on: nginx's $request_id (32 hex digits), a UUID, and the like.
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{7,35}")  # 36 at most: the column's width


def parse_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (`10.0.0.0/8`, `::1`); ValueError names the first one that is not."""
    networks = []
    for item in items:
        try:
            networks.append(ipaddresses.network(item))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP network such as 10.0.0.0/8 or 127.0.0.1") from None
    return tuple(networks)


def is_trusted(address: ipaddresses.Address | None, proxies: Sequence[Network]) -> bool:
    return ipaddresses.within(address, tuple(proxies))


def client_address(peer: str, forwarded_for: str, proxies: Sequence[Network]) -> str:
    """The client's address: the direct peer's, or, when the peer is a trusted proxy, the nearest hop in
    X-Forwarded-For that is not one. An unreadable hop stops the walk at the last address known good."""
    address = ipaddresses.address(peer)
    if address is None:
        return ""
    if not is_trusted(address, proxies):
        return str(address)
    for hop in reversed([part for part in forwarded_for.split(",") if part.strip()]):
        forwarded = ipaddresses.address(hop)
        if forwarded is None:
            break
        address = forwarded
        if not is_trusted(address, proxies):
            break
    return str(address)


def request_id(peer: str, supplied: str, proxies: Sequence[Network]) -> str | None:
    """The X-Request-ID to keep: only one a trusted proxy sent, and only in the strict format."""
    if supplied and is_trusted(ipaddresses.address(peer), proxies) and REQUEST_ID.fullmatch(supplied):
        return supplied
    return None
