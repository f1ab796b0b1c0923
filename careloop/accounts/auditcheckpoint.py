"""Signed checkpoints of the audit chains, kept outside the database.

A checkpoint records, at one moment, every chain's newest seal (seq and mac) and so the set of chains. It is
signed with Ed25519 (RFC 8032) and written to a file or a syslog target, where a database writer cannot
reach it. Ed25519 rather than HMAC: whoever verifies (an auditor, a second machine) needs only the public
key, and holding it does not let them forge a checkpoint; the private key stays with the sealer.

A checkpoint travels as one line of JSON; in a syslog line it is the JSON object after the prefix.
"""

import base64
import binascii
import hashlib
import json
import socket
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from careloop.accounts.auditchain import Break, Pin, Tip

FORMAT = 1
SYSLOG_PORTS = {"udp": 514, "tcp": 601}


def parse_syslog_target(text: str) -> tuple[str | tuple[str, int], socket.SocketKind]:
    """`udp://host:port`, `tcp://host:port` or a Unix socket path (`/dev/log`) → (address, socket type)."""
    if text.startswith("/"):
        return text, socket.SOCK_DGRAM
    target = urllib.parse.urlsplit(text)
    if target.scheme not in SYSLOG_PORTS or not target.hostname:
        raise ValueError(f"{text!r} is not udp://HOST:PORT, tcp://HOST:PORT or a socket path like /dev/log")
    try:
        port = target.port or SYSLOG_PORTS[target.scheme]
    except ValueError:
        raise ValueError(f"{text!r} has a port that is not a number") from None
    kind = socket.SOCK_DGRAM if target.scheme == "udp" else socket.SOCK_STREAM
    return (target.hostname, port), kind


@dataclass(frozen=True)
class Checkpoint:
    at: str  # UTC, ISO 8601
    installation: str
    chains: Mapping[int, Tip]
    key_id: str
    signature: str = field(default="", compare=False)


def _decode_key_bytes(text: str, what: str) -> bytes:
    text = text.strip().replace("-", "+").replace("_", "/")  # url-safe base64 is accepted too
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValueError(f"{what} must be 32 bytes in base64 (careloop audit keygen makes one)")
    return raw


def private_key_from_text(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_decode_key_bytes(text, "the signing key"))


def public_key_from_text(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_decode_key_bytes(text, "a public key"))


def public_key_text(public_key: Ed25519PublicKey) -> str:
    return base64.b64encode(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name for a public key: the first 16 hex digits of the SHA-256 of its raw bytes."""
    return hashlib.sha256(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def _body(checkpoint: Checkpoint) -> dict[str, object]:
    return {
        "careloop_audit_checkpoint": FORMAT,
        "at": checkpoint.at,
        "installation": checkpoint.installation,
        "chains": {str(chain): [tip.seq, tip.mac] for chain, tip in sorted(checkpoint.chains.items())},
        "key": checkpoint.key_id,
    }


def _signed_bytes(checkpoint: Checkpoint) -> bytes:
    return json.dumps(_body(checkpoint), sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(at: str, installation: str, chains: Mapping[int, Tip], private_key: Ed25519PrivateKey) -> Checkpoint:
    unsigned = Checkpoint(at, installation, dict(chains), key_id(private_key.public_key()))
    signature = base64.b64encode(private_key.sign(_signed_bytes(unsigned))).decode()
    return Checkpoint(unsigned.at, unsigned.installation, unsigned.chains, unsigned.key_id, signature)


def to_line(checkpoint: Checkpoint) -> str:
    return json.dumps(
        {**_body(checkpoint), "sig": checkpoint.signature}, sort_keys=True, separators=(",", ":")
    )


def parse_line(line: str) -> Checkpoint:
    """A checkpoint from a line (a file's, or a syslog line with its prefix). ValueError if it is not one."""
    start = line.find("{")
    if start < 0:
        raise ValueError("no checkpoint in this line")
    try:
        data, _end = json.JSONDecoder().raw_decode(line, start)  # what follows (a syslog NUL) is not ours
        if data.get("careloop_audit_checkpoint") != FORMAT:
            raise ValueError("not a checkpoint of a known format")
        chains = {int(chain): Tip(int(seq), str(mac)) for chain, (seq, mac) in data["chains"].items()}
        return Checkpoint(
            str(data["at"]), str(data["installation"]), chains, str(data["key"]), str(data["sig"])
        )
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not a readable checkpoint ({error.__class__.__name__})") from None


def signature_holds(checkpoint: Checkpoint, public_keys: Mapping[str, Ed25519PublicKey]) -> bool:
    public_key = public_keys.get(checkpoint.key_id)
    if public_key is None:
        return False
    try:
        public_key.verify(base64.b64decode(checkpoint.signature), _signed_bytes(checkpoint))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


@dataclass
class ChainPins:
    """What every checkpoint recorded about one chain, and where checkpoints contradict each other."""

    pins: dict[int, Pin] = field(default_factory=dict)
    conflicts: list[Break] = field(default_factory=list)


def pins_by_chain(checkpoints: Iterable[Checkpoint]) -> dict[int, ChainPins]:
    """Per chain, seq → the mac the checkpoints recorded. Two checkpoints that record different macs for
    the same seal mean the chain was rewritten between them; that is kept as a conflict to report."""
    chains: dict[int, ChainPins] = {}
    for checkpoint in checkpoints:
        for chain, tip in checkpoint.chains.items():
            if tip.seq == 0:
                continue
            pinned = chains.setdefault(chain, ChainPins())
            earlier = pinned.pins.get(tip.seq)
            if earlier is None:
                pinned.pins[tip.seq] = Pin(tip.mac, checkpoint.at)
            elif earlier.mac != tip.mac:
                params: dict[str, str | int] = {"first": earlier.at, "second": checkpoint.at, "seq": tip.seq}
                pinned.conflicts.append(Break(None, None, "checkpoints_disagree", params))
    return chains
