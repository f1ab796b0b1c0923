"""Client addresses and request ids: believed from trusted proxies only, and only ever a valid IP."""

import pytest

from careloop.accounts import clientaddress

PROXIES = clientaddress.parse_networks(["10.0.0.0/8", "fd00::/8", "127.0.0.1"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # not behind a trusted proxy: the header is the client's own words, ignored
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),
        ("203.0.113.7", "<script>x</script>", "203.0.113.7"),
        # one trusted proxy: the hop it appended
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        # the client put a fake address first; the proxy appended the real one
        ("10.0.0.2", "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        # two trusted proxies in a row, walked from the right
        ("10.0.0.2", "198.51.100.1, 10.0.0.9", "198.51.100.1"),
        # a forged hop right of the client's: the walk stops there, at the proxy that wrote it
        ("10.0.0.2", "198.51.100.1, <script>x</script>", "10.0.0.2"),
        ("10.0.0.2", "<script>x</script>", "10.0.0.2"),
        ("10.0.0.2", "198.51.100.1:4431", "10.0.0.2"),
        # every hop trusted: the leftmost is the nearest thing to a client
        ("10.0.0.2", "10.0.0.7, 10.0.0.9", "10.0.0.7"),
        ("10.0.0.2", "", "10.0.0.2"),
        # IPv6, bracketed, IPv4-mapped, upper case: written as ipaddress writes them
        ("fd00::1", "2001:DB8::1", "2001:db8::1"),
        ("fd00::1", "[2001:db8::2]", "2001:db8::2"),
        ("::ffff:203.0.113.9", "", "203.0.113.9"),
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        # a peer that is not an address at all (a Unix socket) gives no address rather than a made-up one
        ("", "198.51.100.1", ""),
        ("unix:/run/gunicorn.sock", "198.51.100.1", ""),
    ],
)
def test_client_address(peer, forwarded, client):
    assert clientaddress.client_address(peer, forwarded, PROXIES) == client


def test_without_trusted_proxies_the_header_is_never_read():
    assert clientaddress.client_address("127.0.0.1", "198.51.100.1", ()) == "127.0.0.1"


@pytest.mark.parametrize(
    ("peer", "supplied", "kept"),
    [
        ("10.0.0.2", "3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f", "3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f"),
        (
            "10.0.0.2",
            "5b0e3b2f9d8c4a1e8f7d6c5b4a392817",
            "5b0e3b2f9d8c4a1e8f7d6c5b4a392817",
        ),  # nginx $request_id
        ("203.0.113.7", "3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f", None),  # not from a trusted proxy
        ("10.0.0.2", "<script>x</script>", None),
        ("10.0.0.2", "abc", None),
        ("10.0.0.2", "3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f\n", None),
        ("10.0.0.2", "-leading-dash-12345", None),
        ("10.0.0.2", "a" * 37, None),
        ("10.0.0.2", "", None),
    ],
)
def test_request_id_is_kept_only_from_a_trusted_proxy_in_the_strict_format(peer, supplied, kept):
    assert clientaddress.request_id(peer, supplied, PROXIES) == kept


@pytest.mark.parametrize("item", ["10.0.0.0/33", "proxy.local", "10.0.0.1/8/8"])
def test_a_proxy_that_is_not_a_network_is_refused(item):
    with pytest.raises(ValueError, match="is not an IP network"):
        clientaddress.parse_networks([item])
