"""Signed checkpoints, on plain values: signed, read back from a file or syslog line, forgery refused."""

import base64
import socket

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from careloop.accounts import auditcheckpoint
from careloop.accounts.auditchain import Tip
from careloop.accounts.auditcheckpoint import Checkpoint

PRIVATE = Ed25519PrivateKey.generate()
PUBLIC = {auditcheckpoint.key_id(PRIVATE.public_key()): PRIVATE.public_key()}
CHAINS = {0: Tip(3, "a" * 64), 12: Tip(40, "b" * 64)}


def signed(chains=CHAINS, at="2026-11-24T10:00:00Z") -> Checkpoint:
    return auditcheckpoint.sign(at, "careloop", chains, PRIVATE)


def test_a_signed_checkpoint_reads_back_from_its_line_and_its_signature_holds():
    line = auditcheckpoint.to_line(signed())
    read = auditcheckpoint.parse_line(line)
    assert read == signed()
    assert read.chains == CHAINS
    assert auditcheckpoint.signature_holds(read, PUBLIC)


def test_a_syslog_line_with_its_prefix_is_read_too():
    line = "Nov 24 10:00:00 host careloop-audit-checkpoint: " + auditcheckpoint.to_line(signed())
    assert auditcheckpoint.parse_line(line).chains == CHAINS


@pytest.mark.parametrize(
    "forge",
    [
        lambda line: line.replace('[40,"' + "b" * 64, '[39,"' + "b" * 64),  # the head rolled back
        lambda line: line.replace('"12":', '"13":'),  # a chain renamed
        lambda line: line.replace('"0":[3,"' + "a" * 64 + '"],', ""),  # a chain dropped
        lambda line: line.replace("2026-11-24T10:00:00Z", "2026-11-25T10:00:00Z"),
    ],
)
def test_any_change_to_a_signed_line_breaks_its_signature(forge):
    line = auditcheckpoint.to_line(signed())
    forged = auditcheckpoint.parse_line(forge(line))
    assert forged != signed()
    assert not auditcheckpoint.signature_holds(forged, PUBLIC)


def test_a_checkpoint_signed_with_another_key_is_refused():
    other = auditcheckpoint.sign("2026-11-24T10:00:00Z", "careloop", CHAINS, Ed25519PrivateKey.generate())
    assert not auditcheckpoint.signature_holds(other, PUBLIC)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "plain log line",
        "{not json",
        '{"careloop_audit_checkpoint": 99}',
        '{"careloop_audit_checkpoint": 1}',
    ],
)
def test_lines_that_are_not_checkpoints_are_refused(line):
    with pytest.raises(ValueError):
        auditcheckpoint.parse_line(line)


def test_pins_gather_every_checkpoint_and_report_contradictions():
    first = signed({5: Tip(2, "x" * 64)}, "2026-11-24T10:00:00Z")
    second = signed({5: Tip(4, "y" * 64), 6: Tip(1, "z" * 64)}, "2026-11-24T10:05:00Z")
    rewritten = signed({5: Tip(4, "w" * 64)}, "2026-11-24T10:10:00Z")
    pins = auditcheckpoint.pins_by_chain([first, second, rewritten])
    assert {seq: pin.mac[0] for seq, pin in pins[5].pins.items()} == {2: "x", 4: "y"}
    assert set(pins) == {5, 6}
    assert [conflict.reason for conflict in pins[5].conflicts] == [
        "the checkpoints of 2026-11-24T10:05:00Z and 2026-11-24T10:10:00Z record different seals 4: "
        "the chain was rewritten between them"
    ]
    assert pins[6].conflicts == []


def test_keys_are_read_from_base64_standard_or_url_safe():
    seed = bytes(range(32))
    standard = base64.b64encode(seed).decode()
    url_safe = base64.urlsafe_b64encode(seed).decode().rstrip("=")
    one, two = (
        auditcheckpoint.private_key_from_text(standard),
        auditcheckpoint.private_key_from_text(url_safe),
    )
    assert auditcheckpoint.key_id(one.public_key()) == auditcheckpoint.key_id(two.public_key())
    public_text = auditcheckpoint.public_key_text(one.public_key())
    assert auditcheckpoint.key_id(
        auditcheckpoint.public_key_from_text(public_text)
    ) == auditcheckpoint.key_id(one.public_key())


@pytest.mark.parametrize("text", ["", "too-short", base64.b64encode(b"x" * 31).decode(), "!" * 44])
def test_a_key_that_is_not_32_bytes_of_base64_is_refused(text):
    with pytest.raises(ValueError, match="32 bytes in base64"):
        auditcheckpoint.private_key_from_text(text)


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("udp://127.0.0.1:5514", (("127.0.0.1", 5514), socket.SOCK_DGRAM)),
        ("udp://logs.example-hospital.cn", (("logs.example-hospital.cn", 514), socket.SOCK_DGRAM)),
        ("tcp://10.0.0.5:601", (("10.0.0.5", 601), socket.SOCK_STREAM)),
        ("/dev/log", ("/dev/log", socket.SOCK_DGRAM)),
    ],
)
def test_syslog_targets_are_read(text, target):
    assert auditcheckpoint.parse_syslog_target(text) == target


@pytest.mark.parametrize("text", ["syslog.example", "http://host:514", "udp://:514", "udp://host:port"])
def test_a_syslog_target_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        auditcheckpoint.parse_syslog_target(text)
