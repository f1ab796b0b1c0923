"""Identity document checks: the mainland resident ID (居民身份证) and mobile numbers.

The resident ID number is defined by GB 11643-1999 (公民身份号码): 6 digits of address code,
8 digits of birth date (YYYYMMDD), 3 digits of sequence (odd for men, even for women) and one check
character computed with ISO 7064:1983 MOD 11-2 (weights 2^(17-i) mod 11; remainder 10 is written X).
"""

import datetime
import re
from dataclasses import dataclass

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[1-9][0-9]{16}[0-9X]$")
# Mainland mobile numbers: 11 digits, 1 then 3-9 (MIIT numbering plan).
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


class IdentifierError(ValueError):
    """The text is not a valid identifier. `code` says why, `params` holds the figures for the message."""

    def __init__(self, code: str, message: str, **params: object):
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: datetime.date
    sex: str  # "male" or "female", from the parity of the sequence digits


def normalize_resident_id(text: str) -> str:
    return text.strip().replace(" ", "").upper()


def check_character(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def parse_resident_id(text: str, today: datetime.date | None = None) -> ResidentId:
    number = normalize_resident_id(text)
    if len(number) != 18:
        raise IdentifierError("length", f"must have 18 characters, has {len(number)}", found=len(number))
    if not _SHAPE.match(number):
        raise IdentifierError("shape", "must be 17 digits followed by a digit or X")
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentifierError(
            "date", f"birth date {number[6:14]} is not a real date", date=number[6:14]
        ) from None
    if birth.year < 1890 or birth > (today or datetime.date.today()):
        raise IdentifierError(
            "date_range", f"birth date {birth.isoformat()} is out of range", date=birth.isoformat()
        )
    expected = check_character(number[:17])
    if number[17] != expected:
        raise IdentifierError(
            "check_digit", f"check digit is {number[17]}, expected {expected}", found=number[17]
        )
    sex = "male" if int(number[16]) % 2 == 1 else "female"
    return ResidentId(number=number, birth_date=birth, sex=sex)


def normalize_mobile(text: str) -> str:
    digits = re.sub(r"[\s\-]", "", text.strip())
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def parse_mobile(text: str) -> str:
    number = normalize_mobile(text)
    if not number.isdigit():
        raise IdentifierError("mobile_digits", "may contain only digits")
    if len(number) != 11:
        raise IdentifierError("mobile_length", f"must have 11 digits, has {len(number)}", found=len(number))
    if not _MOBILE.match(number):
        raise IdentifierError("mobile_prefix", "must start with 13-19")
    return number
