"""Masking mainland ID numbers and phone numbers in free text, in the shapes people write them.

One routine for everything that may echo what a person or a file typed: log lines (`logredact`), the
refusals an import stores and its error report serves, the unmatched queue's summaries.

Shapes recognised (ASCII or full-width digits; groups joined by a space, a no-break or ideographic
space, or a dash):
- resident ID number (GB 11643-1999): 18 characters, the last a digit or X, written whole or grouped
  6-8-4 / 6-4-4-4 (`110101 19800101 1234`). Grouped, its birth date must look like one (year 18xx-20xx,
  a month and a day); whole, any 18 characters of that form are masked, as an 18-digit card number is.
- the 15-digit ID number issued before 1999 (6 area + YYMMDD + 3), whole or grouped 6-6-3, with a
  valid month and day.
- mobile numbers (1[3-9]x, 11 digits) whole or grouped 3-4-4 / 3-8, with or without +86, 0086, 86 or
  (+86) before them (`+86 138 1234 5678`, `8613812345678`, `138-1234-5678`).
- landline numbers with their area code and a separator (`010-6512 3456`, `(0571) 8888 6666`).

Masks keep what `patients.masking` shows on screen (1101**********1234, 138****5678); a grouped number
comes out ungrouped. Digits glued to more digits are not a match: a 19-digit number, a 12-digit order
number, a 14-digit timestamp, lab values, dates and 6-digit area or postal codes stay as they are.
Pure: no Django import.
"""

# ruff: noqa: RUF001 -- full-width digits, plus sign and brackets are shapes people type numbers in.

import re

from careloop.patients.masking import mask_id_number, mask_mobile

_DIGIT = "[0-9\uff10-\uff19]"
_CHECK = "[0-9Xx\uff10-\uff19\uff38\uff58]"  # the last character of an 18-character ID number
_SEP = "[ \u00a0\u3000-]?"
_MONTH = "(?:[0０][1-9１-９]|[1１][0-2０-２])"
_DAY = "(?:[0０][1-9１-９]|[12１２][0-9０-９]|[3３][01０１])"
_AREA = f"[1-9１-９]{_DIGIT}{{5}}"
_CENTURY = "(?:[1１][89８９]|[2２][0０])"

_PATTERN = re.compile(
    rf"""
    (?<!{_DIGIT})
    (?:
        (?P<id_grouped>{_AREA}{_SEP}{_CENTURY}{_DIGIT}{{2}}{_SEP}{_MONTH}{_DAY}{_SEP}{_DIGIT}{{3}}{_CHECK})
      | (?P<id_whole>{_AREA}{_DIGIT}{{11}}{_CHECK})
      | (?P<id_old>{_AREA}{_SEP}{_DIGIT}{{2}}{_MONTH}{_DAY}{_SEP}{_DIGIT}{{3}})
      | (?P<mobile_prefix>(?:[+＋]|00|００)?[ ]?(?:86|８６)[ -]?|[(（][+＋]?(?:86|８６)[)）][ ]?)?
        (?P<mobile>[1１][3-9３-９]{_DIGIT}{_SEP}{_DIGIT}{{4}}{_SEP}{_DIGIT}{{4}})
      | (?P<landline>
            (?P<area_code>[(（]?[0０][1-9１-９]{_DIGIT}{{1,2}}[)）]?)(?P<area_sep>[ \u00a0\u3000-]?)
            (?<=[ \u00a0\u3000)）-])
            (?P<subscriber>{_DIGIT}{{3,4}}{_SEP}{_DIGIT}{{4}})
        )
    )
    (?!{_DIGIT})
    """,
    re.VERBOSE,
)
_GROUPING = re.compile("[ \u00a0\u3000-]")


def _masked(match: re.Match[str]) -> str:
    for group in ("id_grouped", "id_whole", "id_old"):
        if match[group]:
            return mask_id_number(_GROUPING.sub("", match[group]))
    if match["mobile"]:
        return (match["mobile_prefix"] or "") + mask_mobile(_GROUPING.sub("", match["mobile"]))
    subscriber = _GROUPING.sub("", match["subscriber"])
    return f"{match['area_code']}{match['area_sep']}{'*' * (len(subscriber) - 4)}{subscriber[-4:]}"


def redact(text: str) -> str:
    """`text` with every ID number and phone number in it masked (see the module's list of shapes)."""
    return _PATTERN.sub(_masked, text)
