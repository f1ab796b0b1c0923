"""What a hospital feed's description of a known patient changes on their record, and what it may not
change without a person's review. Pure: no Django import.

A feed is the hospital's master record, so its newer values replace ours; but a field staff set by hand
after the feed's message was written is the newer truth, and the feed's value waits for review instead.
A feed that leaves a field empty says nothing about it and erases nothing; an ID number is only ever
filled in, never replaced (a different one would not have matched this patient).
"""

import datetime
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from careloop.patients.idcard import normalize_mobile, normalize_resident_id
from careloop.patients.sameperson import same_name

# The patient's fields a feed may change, in the order they are shown.
FIELDS = ("name", "sex", "birth_date", "id_number", "mobile", "address")
_SAYS_NOTHING = frozenset({"", None})
_VAGUE_SEXES = frozenset({"other", "unknown"})

Value = str | datetime.date | None


class FeedChanges(NamedTuple):
    apply: dict[str, Value]  # field -> the feed's value, to store now
    review: dict[str, Value]  # field -> the feed's value, held: staff changed the field later by hand


def feed_changes(
    ours: Mapping[str, Value],
    sent: Mapping[str, Value],
    edited_at: Mapping[str, datetime.datetime],
    sent_at: datetime.datetime,
) -> FeedChanges:
    """The fields in which `sent` (written at `sent_at`) differs from `ours`, split into those to apply and
    those to review because `edited_at` says staff set them by hand after `sent_at`."""
    changes = FeedChanges({}, {})
    for field in FIELDS:
        value, current = sent.get(field), ours.get(field)
        if value in _SAYS_NOTHING or _same(field, value, current):
            continue
        if field == "id_number" and current not in _SAYS_NOTHING:
            continue
        if field == "sex" and value in _VAGUE_SEXES and current not in _SAYS_NOTHING:
            continue  # "unknown" tells less than what we know
        edited = edited_at.get(field)
        (changes.review if edited is not None and edited > sent_at else changes.apply)[field] = value
    return changes


def _same(field: str, sent: Value, ours: Value) -> bool:
    if sent == ours:
        return True
    if not isinstance(sent, str) or not isinstance(ours, str):
        return False
    if field == "name":
        return same_name(sent, ours)
    if field == "mobile":
        return normalize_mobile(sent) == normalize_mobile(ours)
    if field == "id_number":
        return normalize_resident_id(sent) == normalize_resident_id(ours)
    return " ".join(sent.split()) == " ".join(ours.split())


def marked_edited(stored: Mapping[str, str], fields: Iterable[str], at: datetime.datetime) -> dict[str, str]:
    """Patient.hand_edited with `fields` set by hand at `at`: the value `edited_times` reads back."""
    return {**stored, **dict.fromkeys(fields, at.isoformat())}


def edited_times(stored: Mapping[str, str]) -> dict[str, datetime.datetime]:
    """Patient.hand_edited (field -> ISO time) as times; an unreadable entry is left out."""
    times = {}
    for field, text in stored.items():
        try:
            times[field] = datetime.datetime.fromisoformat(text)
        except (TypeError, ValueError):
            continue
    return times
