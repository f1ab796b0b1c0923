"""Whether two descriptions of a person are the same person: what a source says against our record of
them (`contradictions`), and a new registration against the patients already registered
(`probable_reasons`).

Pure: no Django import. An identifier can be mistyped in the source or here, and an ID number can be
someone else's (a relative's card at the desk); a record that disagrees with the patient its identifier
points to waits for a person to decide, it is never filed silently. A probable duplicate is only ever
shown to a person, never merged by itself.
"""

import datetime
import unicodedata
from typing import NamedTuple

# Sexes that can contradict each other: "other" and "unknown" say nothing against either.
_KNOWN_SEXES = frozenset({"male", "female"})
# Written inside names or between their parts and meaning nothing: spaces, the middle dots of
# transliterated names (阿卜杜·热合曼), a hyphen.
_SEPARATORS = frozenset(" \t·・•‧-")


class Demographics(NamedTuple):
    """What a source or our record says of a person; empty where it says nothing."""

    name: str = ""
    sex: str = ""
    birth_date: datetime.date | None = None


def same_name(one: str, other: str) -> bool:
    """Whether two spellings name the same: full-width and half-width alike, case and separators ignored."""
    return _folded(one) == _folded(other)


def _folded(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    return "".join(character for character in text if character not in _SEPARATORS)


def contradictions(sent: Demographics, ours: Demographics) -> list[str]:
    """The fields ("name", "sex", "birth_date", in that order) in which `sent` contradicts `ours`. A field
    that either side leaves empty contradicts nothing."""
    found = []
    if sent.name.strip() and ours.name.strip() and not same_name(sent.name, ours.name):
        found.append("name")
    if sent.sex in _KNOWN_SEXES and ours.sex in _KNOWN_SEXES and sent.sex != ours.sex:
        found.append("sex")
    if sent.birth_date is not None and ours.birth_date is not None and sent.birth_date != ours.birth_date:
        found.append("birth_date")
    return found


class Registrant(NamedTuple):
    """What a registration says of a person, with the values the registry derives and indexes: the name's
    pinyin (patients.pinyin.full_pinyin) and the mobile's keyed index (identity.mobile_index)."""

    name: str
    name_pinyin: str
    sex: str
    birth_date: datetime.date | None
    mobile_index: str = ""


# Why a registered patient is probably the person being registered, strongest first.
SAME_NAME_AND_BIRTH = "same_name_and_birth"
SOUNDS_ALIKE_AND_BIRTH = "sounds_alike_and_birth"  # a homophone typed: 王小明 for 王晓明
SAME_MOBILE_AND_NAME = "same_mobile_and_name"  # the birth date typed wrong
REASONS = (SAME_NAME_AND_BIRTH, SOUNDS_ALIKE_AND_BIRTH, SAME_MOBILE_AND_NAME)


def probable_reasons(new: Registrant, registered: Registrant) -> list[str]:
    """Why `registered` is probably the person `new` describes (in the order above); none if not.

    A contradicting sex rules a pair out. A shared mobile alone does not make a pair: families share one.
    """
    if new.sex in _KNOWN_SEXES and registered.sex in _KNOWN_SEXES and new.sex != registered.sex:
        return []
    named_alike = same_name(new.name, registered.name)
    sounds_alike = not named_alike and bool(new.name_pinyin) and new.name_pinyin == registered.name_pinyin
    reasons = []
    if new.birth_date is not None and new.birth_date == registered.birth_date:
        if named_alike:
            reasons.append(SAME_NAME_AND_BIRTH)
        elif sounds_alike:
            reasons.append(SOUNDS_ALIKE_AND_BIRTH)
    if new.mobile_index and new.mobile_index == registered.mobile_index and (named_alike or sounds_alike):
        reasons.append(SAME_MOBILE_AND_NAME)
    return reasons
