"""One reading of addresses for the request's client, the login throttle and the MLLP allowlist."""

import ipaddress

import pytest

from careloop import ipaddresses


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("203.0.113.9", "203.0.113.9"),
        (" 203.0.113.9 ", "203.0.113.9"),
        ("::ffff:203.0.113.9", "203.0.113.9"),  # a dual-stack socket's IPv4 client
        ("[2001:db8::1]", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),  # the zone is not part of the address
        ("203.0.113.9:443", None),
        ("proxy.local", None),
        ("<script>x</script>", None),
        ("", None),
    ],
)
def test_address(text, read):
    found = ipaddresses.address(text)
    assert (str(found) if found is not None else None) == read


@pytest.mark.parametrize(
    ("text", "network"),
    [
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("10.1.2.3", "10.1.2.3/32"),
        ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
        ("::ffff:10.1.2.3", "10.1.2.3/32"),
        ("fd00::/8", "fd00::/8"),
    ],
)
def test_network(text, network):
    assert ipaddresses.network(text) == ipaddress.ip_network(network)


@pytest.mark.parametrize("text", ["his.hospital.cn", "10.0.0.0/33", ""])
def test_not_a_network(text):
    with pytest.raises(ValueError):
        ipaddresses.network(text)


def test_a_mapped_client_is_within_its_ipv4_network():
    networks = (ipaddresses.network("10.0.0.0/8"), ipaddresses.network("fd00::/8"))
    assert ipaddresses.within(ipaddresses.address("::ffff:10.9.9.9"), networks)
    assert not ipaddresses.within(ipaddresses.address("192.0.2.1"), networks)
    assert not ipaddresses.within(None, networks)
