"""Who is on the other end of an MLLP connection, and whether they may send.

An allowlist of addresses and networks (CIDR: "10.12.0.0/16", "192.168.1.20", "fd00::/8"); empty lets
every address in. Names are refused: the check runs on the address of every connection before a byte
is read, with no DNS lookup. Pure: no Django import, no sockets.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from careloop import ipaddresses
from careloop.ipaddresses import Network


@dataclass(frozen=True)
class Peer:
    host: str  # the address as text, IPv4-mapped IPv6 written as IPv4
    port: int
    certificate: str = ""  # the client certificate's subject common name under mutual TLS

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def peer_from(peername: object, certificate: str = "") -> Peer:
    """A Peer from a socket's getpeername() (IPv4 or IPv6 tuple); an unknown shape gives host "?"."""
    if isinstance(peername, tuple) and len(peername) >= 2:
        address = ipaddresses.address(str(peername[0]))  # not an address: kept as the socket gave it
        return Peer(str(address or peername[0]), int(peername[1]), certificate)
    return Peer("?", 0, certificate)


def is_loopback(host: str) -> bool:
    """Whether a listening address is reachable from this machine only ("" and names other than
    localhost are not)."""
    if host.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    address = ipaddresses.address(host)
    return address is not None and address.is_loopback


def exposure_warnings(host: str, allowlist: "PeerAllowlist", tls: bool) -> dict[str, str]:
    """What an operator should hear about a listener on `host`, by kind ("peers", "tls"): nothing when
    only this machine can reach it (a TLS-terminating proxy in front, say)."""
    if is_loopback(host):
        return {}
    warnings = {}
    if allowlist.open:
        warnings["peers"] = (
            f"MLLP on {host or 'every address'} accepts connections from any address: "
            "list the senders in CARELOOP_MLLP_ALLOWED_PEERS (or --allow)."
        )
    if not tls:
        warnings["tls"] = (
            f"MLLP on {host or 'every address'} is not encrypted: set CARELOOP_MLLP_TLS_CERT and "
            "CARELOOP_MLLP_TLS_KEY (or --tls-cert and --tls-key), or listen on 127.0.0.1 behind a TLS proxy."
        )
    return warnings


class PeerAllowlist:
    def __init__(self, networks: Iterable[Network] = ()):
        self.networks = tuple(networks)

    @classmethod
    def parse(cls, entries: Iterable[str]) -> "PeerAllowlist":
        """From "address" or "address/prefix" texts; ValueError naming the first entry that is neither."""
        networks = []
        for entry in entries:
            text = entry.strip()
            if not text:
                continue
            try:
                networks.append(ipaddresses.network(text))
            except ValueError:
                raise ValueError(f"{text!r} is not an IP address or network (CIDR)") from None
        return cls(networks)

    @property
    def open(self) -> bool:
        """No entries: every address may connect."""
        return not self.networks

    def allows(self, host: str) -> bool:
        if self.open:
            return True
        return ipaddresses.within(ipaddresses.address(host), self.networks)

    def __str__(self) -> str:
        return ", ".join(str(network) for network in self.networks) or "any address"
