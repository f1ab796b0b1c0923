"""Tests never reach the internet: every outbound connection but loopback fails at once, saying where to.

For the whole session, `socket.socket.connect`, `connect_ex`, `sendto` and `socket.getaddrinfo` refuse
any host that is not this machine (127.0.0.0/8, ::1, `localhost`, the unspecified address) before a
packet leaves. Unix sockets, socket pairs and every other non-IP family pass untouched, and so do
connections made by other processes (Chromium, a `careloop` subprocess) or by C libraries (libpq).

The error is `NetworkBlocked`, a `RuntimeError` on purpose: code under test that retries or swallows
`OSError` cannot hide it, so the test fails with the message.
"""

import ipaddress
import socket
from typing import Any

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class NetworkBlocked(RuntimeError):
    pass


def is_local(host: object) -> bool:
    """True for an address or name on this machine; the check is on the text, no lookup is made."""
    if host is None:
        return True  # getaddrinfo(None, port): the local wildcard, used to bind
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].rstrip(".").lower()
    if name in ("", *LOCAL_NAMES) or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def _refuse(host: object, port: object) -> NetworkBlocked:
    where = f"{host}:{port}" if port is not None else str(host)
    return NetworkBlocked(
        f"network access blocked: a test tried to reach {where}. Tests must not reach the internet; "
        "only loopback (127.0.0.1, ::1, localhost) and unix sockets are allowed. Run a local server "
        "for the test instead (see docs/development.md)."
    )


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host, port = (address[0], address[1]) if isinstance(address, tuple) else (address, None)
    if not is_local(host):
        raise _refuse(host, port)


# (owner, attribute) pairs that are replaced while the suite runs, and what they were.
_TARGETS: tuple[tuple[Any, str], ...] = (
    (socket.socket, "connect"),
    (socket.socket, "connect_ex"),
    (socket.socket, "sendto"),
    (socket, "getaddrinfo"),
)
_originals: dict[str, Any] = {}


def _guards() -> dict[str, Any]:
    connect, connect_ex, sendto, getaddrinfo = (_originals[name] for _, name in _TARGETS)

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        _check_address(self, address)
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        _check_address(self, address)
        return connect_ex(self, address)

    def guarded_sendto(self: socket.socket, data: Any, *args: Any) -> Any:
        _check_address(self, args[-1])  # sendto(data, address) or sendto(data, flags, address)
        return sendto(self, data, *args)

    def guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_local(host):
            raise _refuse(host, port)
        return getaddrinfo(host, port, *args, **kwargs)

    return {
        "connect": guarded_connect,
        "connect_ex": guarded_connect_ex,
        "sendto": guarded_sendto,
        "getaddrinfo": guarded_getaddrinfo,
    }


def block() -> None:
    """Install the guards (idempotent)."""
    if _originals:
        return
    _originals.update({name: getattr(owner, name) for owner, name in _TARGETS})
    guards = _guards()
    for owner, name in _TARGETS:
        setattr(owner, name, guards[name])


def unblock() -> None:
    for owner, name in _TARGETS:
        if name in _originals:
            setattr(owner, name, _originals.pop(name))


def pytest_configure(config: Any) -> None:
    # As early as possible, so collection (module imports) is covered too.
    block()


def pytest_unconfigure(config: Any) -> None:
    unblock()
