"""What a search box entry is: the patient list decides how to search from its shape alone."""

import re

from careloop.patients.cardnumbers import is_valid_card_number
from careloop.patients.pinyin import looks_like_pinyin_query

_RESIDENT_ID = re.compile(r"^[0-9]{17}[0-9Xx]$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def classify(text: str) -> str:
    """One of: empty, id_number, mobile, mobile_last4, card, pinyin, name."""
    text = text.strip().replace(" ", "")
    if not text:
        return "empty"
    if _RESIDENT_ID.match(text):
        return "id_number"
    if _MOBILE.match(text):
        return "mobile"
    if text.isdigit() and len(text) == 4:
        return "mobile_last4"
    if text.isdigit() and len(text) >= 8 and is_valid_card_number(text):
        return "card"
    if looks_like_pinyin_query(text):
        return "pinyin"
    return "name"
