"""Whether what a source says of a person contradicts our record of them: the check before anything a
source names by an identifier is filed under the patient with that identifier.

Pure: no Django import. An identifier can be mistyped in the source or here, and an ID number can be
someone else's (a relative's card at the desk); a record that disagrees with the patient its identifier
points to waits for a person to decide, it is never filed silently.
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
