"""The hash chain behind the audit trail.

Each entry's hash is SHA-256 over the previous entry's hash and a canonical JSON form of the entry's
own fields. Altering any field of any entry changes its hash, so the next entry's `prev_hash` no longer
matches; removing an entry breaks the link at the one after it; removing the newest entries is caught by
the chain head, which keeps the sequence number and hash of the last entry written.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

# The fields that are sealed, in the order they are hashed. Adding a field is a new chain version.
SEALED_FIELDS = (
    "seq",
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


def canonical(entry: Mapping[str, Any]) -> str:
    return json.dumps(
        [entry.get(name) for name in SEALED_FIELDS],
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + "|" + canonical(entry)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Break:
    """Where the chain stops holding: the entry at `seq` (or the head, if seq is None) and why."""

    seq: int | None
    entry_id: int | None
    reason: str


def verify(
    entries: Iterable[Mapping[str, Any]], head_seq: int | None = None, head_hash: str | None = None
) -> Break | None:
    """Walk entries in sequence order; return the first break, or None when the chain is whole.

    Each entry mapping carries the sealed fields plus `id`, `prev_hash` and `hash` as stored.
    """
    prev_hash = GENESIS
    expected_seq = 1
    for entry in entries:
        seq = entry["seq"]
        if seq != expected_seq:
            return Break(seq, entry["id"], f"entry {expected_seq} is missing (next found is {seq})")
        if entry["prev_hash"] != prev_hash:
            return Break(seq, entry["id"], "does not link to the entry before it")
        if entry_hash(prev_hash, entry) != entry["hash"]:
            return Break(seq, entry["id"], "its content does not match its hash")
        prev_hash = entry["hash"]
        expected_seq += 1
    last_seq = expected_seq - 1
    if head_seq is not None and head_seq != last_seq:
        return Break(None, None, f"the head says {head_seq} entries were written, {last_seq} are present")
    if head_hash is not None and head_hash != prev_hash:
        return Break(None, None, "the head's hash does not match the last entry")
    return None
