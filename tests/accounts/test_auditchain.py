"""The audit hash chain, checked on plain dictionaries: any edit, removal or reordering is found."""

import copy
from typing import Any

import pytest

from careloop.accounts import auditchain


def build_chain(length: int = 5) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    prev = auditchain.GENESIS
    for seq in range(1, length + 1):
        entry = {
            "id": 100 + seq,
            "seq": seq,
            "at": f"2026-03-01T08:00:0{seq}.000000Z",
            "organization_id": 7,
            "actor_id": 3,
            "actor_label": "nurse3",
            "actor_role": "nurse",
            "action": "patient.view",
            "object_type": "Patient",
            "object_id": str(40 + seq),
            "patient_id": 40 + seq,
            "ip": "10.0.0.8",
            "request_id": f"req-{seq:04d}-abcd",
            "detail": {"section": "summary"},
            "prev_hash": prev,
        }
        entry["hash"] = prev = auditchain.entry_hash(prev, entry)
        entries.append(entry)
    return entries


def head_of(entries):
    return entries[-1]["seq"], entries[-1]["hash"]


def test_intact_chain_verifies():
    chain = build_chain()
    assert auditchain.verify(chain, *head_of(chain)) is None


def test_empty_chain_with_empty_head_verifies():
    assert auditchain.verify([], 0, auditchain.GENESIS) is None


@pytest.mark.parametrize("field", [f for f in auditchain.SEALED_FIELDS if f != "seq"])
def test_changing_any_sealed_field_breaks_that_entry(field):
    chain = build_chain()
    chain[2][field] = {"tampered": True} if field == "detail" else "tampered"
    broken = auditchain.verify(chain, *head_of(build_chain()))
    assert broken is not None
    assert (broken.seq, broken.entry_id) == (3, 103)
    assert "does not match its hash" in broken.reason


def test_rehashing_a_changed_entry_breaks_the_link_to_the_next():
    chain = build_chain()
    chain[1]["actor_label"] = "someone-else"
    chain[1]["hash"] = auditchain.entry_hash(chain[1]["prev_hash"], chain[1])
    broken = auditchain.verify(chain, *head_of(chain))
    assert broken is not None
    assert (broken.seq, broken.entry_id) == (3, 103)
    assert "does not link" in broken.reason


def _remove_middle(chain):
    del chain[2]


def _remove_first(chain):
    del chain[0]


def _swap(chain):
    chain[1], chain[2] = chain[2], chain[1]


def _renumber_after_removal(chain):
    del chain[2]
    for entry in chain[2:]:
        entry["seq"] -= 1


@pytest.mark.parametrize(
    ("tamper", "seq", "reason"),
    [
        (_remove_middle, 4, "entry 3 is missing"),
        (_remove_first, 2, "entry 1 is missing"),
        (_swap, 3, "entry 2 is missing"),
        (_renumber_after_removal, 3, "does not link"),
    ],
)
def test_removed_or_reordered_entries_are_found(tamper, seq, reason):
    original = build_chain()
    chain = copy.deepcopy(original)
    tamper(chain)
    broken = auditchain.verify(chain, *head_of(original))
    assert broken is not None and broken.seq == seq
    assert reason in broken.reason


def test_removing_the_newest_entry_is_caught_by_the_head():
    original = build_chain()
    broken = auditchain.verify(original[:-1], *head_of(original))
    assert broken is not None and broken.seq is None
    assert "head says 5 entries were written, 4 are present" in broken.reason


def test_replacing_the_newest_entry_is_caught_by_the_head_hash():
    original = build_chain()
    forged = copy.deepcopy(original)
    forged[-1]["action"] = "patient.update"
    forged[-1]["hash"] = auditchain.entry_hash(forged[-1]["prev_hash"], forged[-1])
    broken = auditchain.verify(forged, *head_of(original))
    assert broken is not None and broken.seq is None
    assert "hash does not match" in broken.reason


def test_canonical_form_is_independent_of_key_order_and_keeps_chinese_text():
    entry = build_chain(1)[0]
    entry["actor_label"] = "王护士"
    reordered = dict(reversed(list(entry.items())))
    assert auditchain.canonical(entry) == auditchain.canonical(reordered)
    assert "王护士" in auditchain.canonical(entry)
