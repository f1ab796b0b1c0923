"""IP addresses and networks as CareLoop compares them: an IPv4 address mapped into IPv6 is that IPv4 one.

A dual-stack socket reports `::ffff:10.1.2.3` for an IPv4 client; a proxy header may write `[::1]` or a
zone (`fe80::1%eth0`). Every place that reads an address (the client of a request, the login throttle's
network, the MLLP allowlist) reads it here, so that the same client is the same address everywhere.
Pure: no Django import.
"""

import ipaddress

type Address = ipaddress.IPv4Address | ipaddress.IPv6Address
type Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def address(text: str) -> Address | None:
    """The address in `text` (brackets and an IPv6 zone dropped, IPv4-mapped as IPv4); None if it is none."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        parsed = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def network(text: str) -> Network:
    """An address ("10.0.0.7", a network of one) or a CIDR ("10.0.0.0/8"); an IPv4-mapped network as the
    IPv4 network it covers. ValueError for anything else (a host name, a typo)."""
    text = text.strip()
    if "/" not in text:
        single = address(text)
        if single is None:
            raise ValueError(text)
        return ipaddress.ip_network(single)
    parsed = ipaddress.ip_network(text, strict=False)
    if isinstance(parsed, ipaddress.IPv6Network) and parsed.network_address.ipv4_mapped:
        mapped = parsed.network_address.ipv4_mapped
        return ipaddress.ip_network(f"{mapped}/{max(0, parsed.prefixlen - 96)}")
    return parsed


def within(found: Address | None, networks: tuple[Network, ...]) -> bool:
    return found is not None and any(found.version == n.version and found in n for n in networks)
