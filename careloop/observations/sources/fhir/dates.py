"""FHIR R4 date, dateTime and instant text -> timezone-aware datetime, by hand because it is on the hot path.

FHIR R4 datatypes (https://hl7.org/fhir/R4/datatypes.html#dateTime): YYYY, YYYY-MM, YYYY-MM-DD, or
YYYY-MM-DDThh:mm:ss(.sss...)(Z|+hh:mm|-hh:mm); the timezone is required when a time is given. Two
allowances, both for what Chinese HIS/LIS exports send: a partial date means its first instant (midnight
on the 1st) in the caller's default timezone, and a full time without an offset is read in that timezone
too. Anything else (week dates, a space instead of T, no seconds, month 13) raises `BadDate` (a
ValueError) with a reason a person can act on, translatable (`because`).
"""

import datetime
import re
from zoneinfo import ZoneInfo

from careloop.observations.importing.parsed import Reason, because

SHANGHAI = ZoneInfo("Asia/Shanghai")

_FULL = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})?"
)
_PARTIAL = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_OFFSETS: dict[str, datetime.tzinfo] = {"Z": datetime.UTC, "+00:00": datetime.UTC, "-00:00": datetime.UTC}
# The separators at offsets 4, 7, 10, 13, 16, 19 (and 22) of the two shapes servers send.
COMMON_SHAPES = frozenset({"--T::+:", "--T::-:", "--T::Z"})
fromisoformat = datetime.datetime.fromisoformat
EXPECTED = because("expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with Z or +hh:mm")
# Why datetime() refused the numbers (Python's message, in the order it checks them), as whole sentences.
_NOT_A_REAL_DATE = {
    "year 0 is out of range": because("not a real date: year 0 is out of range"),
    "month must be in 1..12": because("not a real date: month must be in 1..12"),
    "day is out of range for month": because("not a real date: day is out of range for month"),
}
_NOT_A_REAL_TIME = {
    "year 0 is out of range": because("not a real time: year 0 is out of range"),
    "month must be in 1..12": because("not a real time: month must be in 1..12"),
    "day is out of range for month": because("not a real time: day is out of range for month"),
    "hour must be in 0..23": because("not a real time: hour must be in 0..23"),
    "minute must be in 0..59": because("not a real time: minute must be in 0..59"),
    "second must be in 0..59": because("not a real time: second must be in 0..59"),
}


class BadDate(ValueError):
    """Why a text is not a FHIR date; `reason` is the translatable sentence (str(error) is its English)."""

    def __init__(self, reason: Reason):
        super().__init__(reason)
        self.reason = reason


def _not_real_date(error: ValueError) -> BadDate:
    message = str(error)
    return BadDate(_NOT_A_REAL_DATE.get(message) or because("not a real date: %(error)s", error=message))


def _not_real_time(error: ValueError) -> BadDate:
    message = str(error)
    return BadDate(_NOT_A_REAL_TIME.get(message) or because("not a real time: %(error)s", error=message))


def _offset(text: str) -> datetime.tzinfo:
    tz = _OFFSETS.get(text)
    if tz is None:
        hours, minutes = int(text[1:3]), int(text[4:6])
        # FHIR's own regex bounds offsets to -12:00 .. +14:00.
        if hours > 14 or minutes > 59:
            raise BadDate(because("timezone offset %(offset)s is out of range", offset=text))
        delta = datetime.timedelta(hours=hours, minutes=minutes)
        tz = _OFFSETS[text] = datetime.timezone(-delta if text[0] == "-" else delta)
    return tz


def parse_datetime(text: object, default_tz: datetime.tzinfo = SHANGHAI) -> datetime.datetime:
    """A FHIR date / dateTime / instant as an aware datetime; partial dates begin at midnight, default_tz."""
    if type(text) is not str:
        raise BadDate(because("must be a text date, got %(type)s", type=type(text).__name__))
    size = len(text)
    # The two shapes servers send, "2025-03-05T08:30:00+08:00" and "...Z", are checked by position and
    # converted by the C fromisoformat (it checks the digits); everything else goes through the regex.
    if (size == 20 or (size == 25 and text[20:22] <= "14")) and text[4:23:3] in COMMON_SHAPES:
        try:
            return fromisoformat(text)
        except ValueError:
            pass  # the regex path below says precisely what is wrong
    if size > 10:
        match = _FULL.fullmatch(text)
        if match is None:
            raise BadDate(EXPECTED)
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        tz = default_tz if offset is None else _offset(offset)
        micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
        try:
            return datetime.datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz
            )
        except ValueError as error:
            raise _not_real_time(error) from None
    match = _PARTIAL.fullmatch(text)
    if match is None:
        raise BadDate(EXPECTED)
    year, month, day = match.groups()
    try:
        return datetime.datetime(int(year), int(month or 1), int(day or 1), tzinfo=default_tz)
    except ValueError as error:
        raise _not_real_date(error) from None


def parse_date(text: object) -> datetime.date | None:
    """A FHIR date (birthDate); a partial one (YYYY, YYYY-MM) gives None rather than a made-up day."""
    if type(text) is not str:
        raise BadDate(because("must be a text date, got %(type)s", type=type(text).__name__))
    match = _PARTIAL.fullmatch(text)
    if match is None:
        raise BadDate(because("expected YYYY-MM-DD"))
    year, month, day = match.groups()
    if day is None:
        return None
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError as error:
        raise _not_real_date(error) from None
