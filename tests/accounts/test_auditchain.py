"""The keyed audit chain on plain dictionaries: any edit, removal or forgery without the key is found."""

import copy
import datetime
from typing import Any

import pytest

from careloop.accounts import auditchain
from careloop.accounts.auditchain import EMPTY, Link, Pin, SealKey, Tip

KEY = SealKey("k2", b"s" * 32)
OLD_KEY = SealKey("k1", b"o" * 32)
KEYS = {KEY.id: KEY, OLD_KEY.id: OLD_KEY}
CHAIN = 7


def entry(n: int) -> dict[str, Any]:
    return {
        "id": 100 + n,
        "at": datetime.datetime(2026, 3, 1, 8, 0, n, tzinfo=datetime.UTC),
        "organization_id": CHAIN,
        "actor_id": 3,
        "actor_label": "nurse3",
        "actor_role": "nurse",
        "action": "patient.view",
        "object_type": "Patient",
        "object_id": str(40 + n),
        "patient_id": 40 + n,
        "ip": "10.0.0.8",
        "request_id": f"req-{n:04d}-abcd",
        "detail": {"section": "summary", "note": "王护士"},
    }


def sealed_chain(length: int = 5, key: SealKey = KEY) -> list[Link]:
    entries = [entry(n) for n in range(1, length + 1)]
    seals = auditchain.seal_entries(CHAIN, EMPTY, entries, key)
    return [Link(s.seq, s.prev, s.mac, s.key_id, s.entry_id, e) for s, e in zip(seals, entries, strict=True)]


def pins_of(links: list[Link], *seqs: int) -> dict[int, Pin]:
    return {link.seq: Pin(link.mac, "2026-03-01T08:10:00Z") for link in links if link.seq in seqs}


def verify(links, pins=None, keys=KEYS):
    broken, _tip = auditchain.verify(CHAIN, links, keys, pins)
    return broken


def test_a_sealed_chain_verifies_and_its_tip_is_the_last_seal():
    links = sealed_chain()
    broken, tip = auditchain.verify(CHAIN, links, KEYS, pins_of(links, 3, 5))
    assert broken is None
    assert tip == Tip(5, links[-1].mac)


def test_sealing_continues_from_a_tip():
    whole = sealed_chain(4)
    first = auditchain.seal_entries(CHAIN, EMPTY, [entry(1), entry(2)], KEY)
    rest = auditchain.seal_entries(CHAIN, Tip(2, first[-1].mac), [entry(3), entry(4)], KEY)
    assert [s.mac for s in first + rest] == [link.mac for link in whole]
    assert [s.seq for s in rest] == [3, 4]


def test_an_empty_chain_without_checkpoints_verifies():
    assert verify([]) is None


@pytest.mark.parametrize("field", [f for f in auditchain.SEALED_FIELDS if f != "id"])
def test_changing_any_sealed_field_breaks_that_entry(field):
    links = sealed_chain()
    forged = dict(links[2].entry or {})
    forged[field] = {"tampered": True} if field == "detail" else "tampered"
    links[2] = Link(3, links[2].prev, links[2].mac, KEY.id, links[2].entry_id, forged)
    broken = verify(links)
    assert broken is not None and (broken.seq, broken.entry_id) == (3, 103)
    assert "does not match its seal" in broken.reason


def test_a_chain_rewritten_and_recomputed_without_the_key_does_not_hold():
    links = sealed_chain()
    forged_entries = [dict(link.entry or {}) for link in links]
    forged_entries[1]["actor_label"] = "someone-else"
    guessed = SealKey("k2", b"guess" * 8)  # the right key id, the wrong secret
    forged = auditchain.seal_entries(CHAIN, EMPTY, forged_entries, guessed)
    links = [
        Link(s.seq, s.prev, s.mac, s.key_id, s.entry_id, e)
        for s, e in zip(forged, forged_entries, strict=True)
    ]
    broken = verify(links)
    assert broken is not None and broken.seq == 1
    assert "does not match its seal" in broken.reason


def test_a_seal_moved_to_another_entry_does_not_hold():
    links = sealed_chain()
    links[1] = Link(2, links[1].prev, links[1].mac, KEY.id, 999, {**(links[1].entry or {}), "id": 999})
    broken = verify(links)
    assert broken is not None and broken.seq == 2


def _drop_middle_seal(links):
    del links[2]


def _drop_first_seal(links):
    del links[0]


def _swap(links):
    links[1], links[2] = links[2], links[1]


def _renumber_after_removal(links):
    del links[2]
    for position in range(2, len(links)):
        old = links[position]
        links[position] = Link(old.seq - 1, old.prev, old.mac, old.key_id, old.entry_id, old.entry)


def _entry_gone(links):
    old = links[2]
    links[2] = Link(old.seq, old.prev, old.mac, old.key_id, old.entry_id, None)


@pytest.mark.parametrize(
    ("tamper", "seq", "reason"),
    [
        (_drop_middle_seal, 4, "seal 3 is missing"),
        (_drop_first_seal, 2, "seal 1 is missing"),
        (_swap, 3, "seal 2 is missing"),
        (_renumber_after_removal, 3, "does not link"),
        (_entry_gone, 3, "its entry (id 103) was removed"),
    ],
)
def test_removed_or_reordered_links_are_found(tamper, seq, reason):
    links = sealed_chain()
    tamper(links)
    broken = verify(links)
    assert broken is not None and broken.seq == seq
    assert reason in broken.reason


def test_rotated_keys_verify_old_seals_with_the_old_key_and_an_unknown_key_is_named():
    old = sealed_chain(2, key=OLD_KEY)
    tail = auditchain.seal_entries(CHAIN, Tip(2, old[-1].mac), [entry(3)], KEY)
    links = [*old, Link(3, tail[0].prev, tail[0].mac, KEY.id, tail[0].entry_id, entry(3))]
    assert verify(links) is None
    broken = verify(links, keys={KEY.id: KEY})
    assert broken is not None and broken.seq == 1
    assert "key 'k1', which is not among the configured keys" in broken.reason


def test_the_newest_seals_removed_are_found_by_a_checkpoint():
    links = sealed_chain()
    pins = pins_of(links, 5)
    broken = verify(links[:-1], pins)
    assert broken is not None and broken.seq is None
    assert "recorded 5 sealed entries, 4 are left" in broken.reason
    assert verify(links[:-1]) is None  # what a keyed chain alone cannot see


def test_a_removed_chain_is_found_by_a_checkpoint():
    broken = verify([], pins_of(sealed_chain(), 3))
    assert broken is not None
    assert broken.reason.startswith(
        "the chain was removed: the checkpoint of 2026-03-01T08:10:00Z recorded 3"
    )


def test_a_chain_rolled_back_and_sealed_again_with_the_key_differs_from_the_checkpoint():
    links = sealed_chain()
    pins = pins_of(links, 4)
    rolled = copy.deepcopy(links[:3])
    replacement = auditchain.seal_entries(CHAIN, Tip(3, rolled[-1].mac), [entry(9), entry(10)], KEY)
    rolled += [
        Link(s.seq, s.prev, s.mac, s.key_id, s.entry_id, entry(n))
        for s, n in zip(replacement, (9, 10), strict=True)
    ]
    broken = verify(rolled, pins)
    assert broken is not None and broken.seq == 4
    assert "not the seal the checkpoint of 2026-03-01T08:10:00Z recorded" in broken.reason


def test_canonical_form_keeps_chinese_text_and_ignores_key_order():
    one = entry(1)
    reordered = dict(reversed(list(one.items())))
    assert auditchain.canonical(CHAIN, 1, "p", one) == auditchain.canonical(CHAIN, 1, "p", reordered)
    assert "王护士".encode() in auditchain.canonical(CHAIN, 1, "p", one)


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("k2:" + "a" * 32, ["k2"]),
        (" new_2026:" + "a" * 40 + " , old-1:" + "b" * 32, ["new_2026", "old-1"]),
        ("", []),
        ("k1:" + "a:b" * 11, ["k1"]),  # a colon inside the secret is part of it
    ],
)
def test_keys_are_read_newest_first(text, ids):
    assert [key.id for key in auditchain.parse_keys(text)] == ids


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k1", "item 1 must be ID:SECRET"),
        ("k1:" + "a" * 32 + ",bad id:" + "b" * 32, "item 2 must be ID:SECRET"),
        ("k1:short", "at least 32 characters"),
        ("k1:" + "a" * 32 + ",k1:" + "b" * 32, "given twice"),
    ],
)
def test_unusable_keys_are_refused_saying_why(text, message):
    with pytest.raises(ValueError, match=message):
        auditchain.parse_keys(text)
