"""Who may connect to the MLLP listener, and what the operator hears about an exposed one."""

import pytest

from careloop.observations.sources.hl7v2.peers import (
    Peer,
    PeerAllowlist,
    exposure_warnings,
    is_loopback,
    peer_from,
)

HOSPITAL = ["10.12.0.0/16", "192.168.1.20", "fd00:12::/32"]


@pytest.mark.parametrize(
    ("entries", "host", "allowed"),
    [
        ([], "203.0.113.9", True),  # empty: any address
        (HOSPITAL, "10.12.7.1", True),
        (HOSPITAL, "10.13.0.1", False),
        (HOSPITAL, "192.168.1.20", True),
        (HOSPITAL, "192.168.1.21", False),
        (HOSPITAL, "::ffff:10.12.0.5", True),  # a dual-stack socket's way of writing 10.12.0.5
        (HOSPITAL, "::ffff:10.13.0.5", False),
        (HOSPITAL, "fd00:12::7", True),
        (HOSPITAL, "fd00:12::7%eth0", True),  # a zone is not part of the address
        (HOSPITAL, "fd00:13::7", False),
        (HOSPITAL, "?", False),  # no address at all
        (["127.0.0.1"], "127.0.0.1", True),
        (["10.0.0.0/8"], "127.0.0.1", False),
        (["10.1.2.3/8"], "10.200.0.1", True),  # host bits in a network are forgiven
        (["::ffff:10.0.0.0/104"], "10.9.9.9", True),
        (["0.0.0.0/0"], "203.0.113.9", True),
        (["0.0.0.0/0"], "2001:db8::1", False),  # an IPv4 network says nothing of IPv6
    ],
)
def test_allowlist(entries, host, allowed):
    assert PeerAllowlist.parse(entries).allows(host) is allowed


@pytest.mark.parametrize("entry", ["his.hospital.cn", "10.0.0.0/33", "10.0.0", "*"])
def test_allowlist_refuses_an_entry_that_is_not_an_address_or_network(entry):
    with pytest.raises(ValueError, match="is not an IP address or network"):
        PeerAllowlist.parse(["10.0.0.0/8", entry])


def test_allowlist_reads_as_its_networks():
    assert str(PeerAllowlist.parse([" 10.12.0.0/16", "", "192.168.1.20 "])) == "10.12.0.0/16, 192.168.1.20/32"
    assert str(PeerAllowlist.parse([])) == "any address"


@pytest.mark.parametrize(
    ("peername", "peer", "text"),
    [
        (("127.0.0.1", 50000), Peer("127.0.0.1", 50000), "127.0.0.1:50000"),
        (("::ffff:10.1.2.3", 50000, 0, 0), Peer("10.1.2.3", 50000), "10.1.2.3:50000"),
        (("fd00::1", 50000, 0, 0), Peer("fd00::1", 50000), "[fd00::1]:50000"),
        (None, Peer("?", 0), "?:0"),
    ],
)
def test_peer_from_a_socket_address(peername, peer, text):
    assert peer_from(peername) == peer
    assert str(peer) == text


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("", False),
        ("::", False),
        ("10.12.0.5", False),
        ("mllp.hospital.cn", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("host", "entries", "tls", "kinds"),
    [
        ("127.0.0.1", [], False, []),  # this machine only: a proxy in front, or no MLLP at all
        ("0.0.0.0", [], False, ["peers", "tls"]),
        ("0.0.0.0", ["10.12.0.0/16"], False, ["tls"]),
        ("0.0.0.0", [], True, ["peers"]),
        ("10.12.0.5", ["10.12.0.0/16"], True, []),
    ],
)
def test_exposure_warnings(host, entries, tls, kinds):
    assert list(exposure_warnings(host, PeerAllowlist.parse(entries), tls)) == kinds
