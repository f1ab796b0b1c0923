"""The suite runs with outbound network blocked except loopback (tests/plugins/network.py)."""

import re
import socket
import threading
import urllib.request

import pytest

from tests.plugins.network import NetworkBlocked, is_local

MESSAGE = "Tests must not reach the internet"


def test_connecting_to_a_public_address_fails_naming_the_host():
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(NetworkBlocked, match=MESSAGE) as raised,
    ):
        sock.connect(("93.184.216.34", 80))
    assert "93.184.216.34:80" in str(raised.value)


def test_connect_ex_and_udp_sendto_are_blocked_too():
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(NetworkBlocked, match=re.escape("10.1.2.3:5432")),
    ):
        sock.connect_ex(("10.1.2.3", 5432))
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        pytest.raises(NetworkBlocked, match=re.escape("8.8.8.8:53")),
    ):
        sock.sendto(b"x", ("8.8.8.8", 53))


def test_a_name_is_refused_before_any_dns_lookup():
    with pytest.raises(NetworkBlocked, match=re.escape("example.com:443")):
        socket.getaddrinfo("example.com", 443)


def test_an_http_client_gets_the_message_not_an_oserror():
    # Code that retries on OSError (as a delivery worker does) must not swallow the block.
    assert not issubclass(NetworkBlocked, OSError)
    with pytest.raises(NetworkBlocked, match=MESSAGE):
        urllib.request.urlopen("http://example.com/", timeout=1)


def test_loopback_still_works():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def greet() -> None:
            connection, _address = server.accept()
            with connection:
                connection.sendall(b"hello")

        accepted = threading.Thread(target=greet)
        accepted.start()
        with socket.create_connection(("localhost", server.getsockname()[1]), timeout=5) as client:
            assert client.recv(5) == b"hello"
        accepted.join(5)
    left, right = socket.socketpair()  # unix sockets are untouched
    with left, right:
        left.sendall(b"ping")
        assert right.recv(4) == b"ping"


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("db.localhost", True),
        ("0.0.0.0", True),
        ("", True),
        (None, True),
        (b"localhost", True),
        ("93.184.216.34", False),
        ("192.168.1.10", False),
        ("::ffff:93.184.216.34", False),
        ("2606:2800:220:1::1", False),
        ("example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_only_this_machine_counts_as_local(host, local):
    assert is_local(host) is local
