"""The seals behind the audit trail: one keyed hash chain per organization (chain 0: installation-wide).

An entry is written by a plain insert; a sealer later gives it a seal, the next link of its chain:
`mac = HMAC-SHA256(key, canonical(chain, seq, prev, entry))`, where `prev` is the previous seal's mac and the
entry's own fields include its id, so a seal cannot be moved to another entry. Without the key nobody can
compute a valid seal, so rewriting an entry and "recomputing the chain" is found at the first rewritten
entry. What a keyed chain cannot show by itself (its newest links removed, a whole chain removed) the
signed checkpoints kept outside the database show (`auditcheckpoint.py`): every (seq, mac) a checkpoint
recorded must still be in the chain.

HMAC-SHA256 is RFC 2104 with SHA-256 (FIPS 180-4). Keys rotate: each seal stores the id of the key that made
it; new seals use the newest key, older ones are checked with theirs.
"""

import datetime
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
VERSION = "v2"  # v1 was the unkeyed SHA-256 chain with the head in the database

# The entry fields a seal covers, in the order they are hashed. Adding a field is a new VERSION.
SEALED_FIELDS = (
    "id",
    "at",
    "organization_id",
    "actor_id",
    "actor_label",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "ip",
    "request_id",
    "detail",
)

_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class SealKey:
    id: str
    secret: bytes


def parse_keys(text: str) -> list[SealKey]:
    """`id:secret,id:secret`, newest first: the first seals, all verify. ValueError says what is wrong."""
    keys: list[SealKey] = []
    for position, item in enumerate((part.strip() for part in text.split(",")), start=1):
        if not item:
            continue
        key_id, colon, secret = item.partition(":")
        if not colon or not _KEY_ID.fullmatch(key_id):
            raise ValueError(f"item {position} must be ID:SECRET with an ID of letters, digits, - or _")
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the secret of key {key_id!r} must be at least {MIN_SECRET_LENGTH} characters")
        if any(key.id == key_id for key in keys):
            raise ValueError(f"the key id {key_id!r} is given twice")
        keys.append(SealKey(key_id, secret.encode("utf-8")))
    return keys


def utc_text(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(chain: int, seq: int, prev: str, entry: Mapping[str, Any]) -> bytes:
    """The bytes a seal's mac covers: a JSON array, key order fixed, Chinese text kept as it is."""
    fields = [entry.get(name) for name in SEALED_FIELDS]
    return json.dumps(
        [VERSION, chain, seq, prev, *fields],
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
        default=lambda value: utc_text(value) if isinstance(value, datetime.datetime) else str(value),
    ).encode("utf-8")


def seal_mac(key: SealKey, chain: int, seq: int, prev: str, entry: Mapping[str, Any]) -> str:
    return hmac.new(key.secret, canonical(chain, seq, prev, entry), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Tip:
    """The newest seal of a chain (seq 0 and GENESIS for a chain not sealed yet)."""

    seq: int
    mac: str


EMPTY = Tip(0, GENESIS)


@dataclass(frozen=True)
class Seal:
    chain: int
    seq: int
    prev: str
    mac: str
    key_id: str
    entry_id: int


def seal_entries(chain: int, tip: Tip, entries: Iterable[Mapping[str, Any]], key: SealKey) -> list[Seal]:
    """The seals that continue `chain` from `tip` over `entries`, in the order given."""
    seals: list[Seal] = []
    for entry in entries:
        mac = seal_mac(key, chain, tip.seq + 1, tip.mac, entry)
        seals.append(Seal(chain, tip.seq + 1, tip.mac, mac, key.id, entry["id"]))
        tip = Tip(tip.seq + 1, mac)
    return seals


@dataclass(frozen=True)
class Link:
    """A stored seal and its entry's fields as read back (entry None when the entry row is gone)."""

    seq: int
    prev: str
    mac: str
    key_id: str
    entry_id: int
    entry: Mapping[str, Any] | None


@dataclass(frozen=True)
class Pin:
    """What a signed checkpoint recorded for one seal of a chain: its mac, and when (for the message)."""

    mac: str
    at: str


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogue (makemessages looks for this name) and returns it as it
    is: the command prints the English; the audit page translates it when it shows it."""
    return message


# Why a chain does not hold, by kind; each message is completed with the break's params.
REASONS = {
    "missing_seal": gettext_noop("seal %(expected)s is missing (the next one found is %(found)s)"),
    "unlinked": gettext_noop("it does not link to the seal before it"),
    "entry_removed": gettext_noop("its entry (id %(entry_id)s) was removed"),
    "unknown_key": gettext_noop("it was sealed with key '%(key)s', which is not among the configured keys"),
    "mismatch": gettext_noop(
        "its entry does not match its seal (changed after sealing, or sealed without the key)"
    ),
    "not_pinned": gettext_noop(
        "it is not the seal the checkpoint of %(at)s recorded (the chain was rewritten or rolled back since)"
    ),
    "chain_removed": gettext_noop(
        "the chain was removed: the checkpoint of %(at)s recorded %(recorded)s sealed entries, none is left"
    ),
    "head_removed": gettext_noop(
        "its newest entries or seals were removed: the checkpoint of %(at)s recorded %(recorded)s sealed "
        "entries, %(left)s are left"
    ),
    "checkpoints_disagree": gettext_noop(
        "the checkpoints of %(first)s and %(second)s record different seals %(seq)s: the chain was rewritten "
        "between them"
    ),
    "overdue": gettext_noop(
        "%(count)s entries have had no seal for more than %(minutes)s minutes (the oldest: entry id "
        "%(entry_id)s, written %(at)s UTC): added behind the sealer's back, or the sealer is not running"
    ),
}


@dataclass(frozen=True)
class Break:
    """Where a chain stops holding: the seal at `seq` (None: the chain's head), the kind of break (a key of
    REASONS) and what completes its message."""

    seq: int | None
    entry_id: int | None
    kind: str
    params: Mapping[str, str | int] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return REASONS[self.kind] % self.params


def check_link(
    link: Link, expected_seq: int, prev: str, chain: int, keys: Mapping[str, SealKey]
) -> Break | None:
    """Why this seal does not hold as the next link, or None when it does."""
    kind, params = "", dict[str, str | int]()
    if link.seq != expected_seq:
        kind, params = "missing_seal", {"expected": expected_seq, "found": link.seq}
    elif link.prev != prev:
        kind = "unlinked"
    elif link.entry is None:
        kind, params = "entry_removed", {"entry_id": link.entry_id}
    elif link.key_id not in keys:
        kind, params = "unknown_key", {"key": link.key_id}
    elif not hmac.compare_digest(
        seal_mac(keys[link.key_id], chain, link.seq, link.prev, link.entry), link.mac
    ):
        kind = "mismatch"
    return Break(link.seq, link.entry_id, kind, params) if kind else None


def verify(
    chain: int,
    links: Iterable[Link],
    keys: Mapping[str, SealKey],
    pins: Mapping[int, Pin] | None = None,
) -> tuple[Break | None, Tip]:
    """Walk a chain's seals in sequence order; the first break (None: whole) and the last good tip.

    `pins` are the (seq → mac) that signed checkpoints recorded for this chain: each must still hold, and a
    chain shorter than its highest pin has lost its newest links (or, with no links at all, was removed).
    """
    pins = pins or {}
    tip = EMPTY
    for link in links:
        broken = check_link(link, tip.seq + 1, tip.mac, chain, keys)
        pin = pins.get(link.seq)
        if broken is None and pin is not None and not hmac.compare_digest(pin.mac, link.mac):
            broken = Break(link.seq, link.entry_id, "not_pinned", {"at": pin.at})
        if broken is not None:
            return broken, tip
        tip = Tip(link.seq, link.mac)
    highest = max(pins, default=0)
    if highest > tip.seq:
        recorded: dict[str, str | int] = {"at": pins[highest].at, "recorded": highest}
        if tip.seq == 0:
            return Break(None, None, "chain_removed", recorded), tip
        return Break(None, None, "head_removed", {**recorded, "left": tip.seq}), tip
    return None, tip
