"""Dates and times as spreadsheets hold them: Excel date cells, serial numbers, and Chinese-style text.

Accepted text: 2024-03-05, 2024/3/5, 2024.3.5, 20240305, 2024年3月5日, each optionally followed by a
time (08:30, 8:30:15, 08:30:15.250, 8时30分, 8点30分), ISO 8601 with an offset (2024-03-05T08:30:00+08:00).
Year first only: 05/03/2024 is refused because day-first and month-first exports both exist.
Pure: no Django import.
"""

import datetime
from functools import lru_cache

EXCEL_EPOCH = datetime.datetime(1899, 12, 30)  # serial 1 = 1900-01-01 after Excel's 1900 leap-year bug
MIN_YEAR, MAX_YEAR = 1900, 2100
# One translation pass instead of a regex per cell: Chinese separators become ISO ones.
_SEPARATORS = str.maketrans(
    {
        "年": "-",
        "月": "-",
        "日": " ",
        "/": "-",
        "T": " ",
        "时": ":",
        "点": ":",
        "分": ":",
        "秒": " ",
        "\N{FULLWIDTH COLON}": ":",
    }
)


# The two details of BadDate that carry a number (the others are fixed texts, see rows.py).
YEAR_OUTSIDE = "year %(year)s is outside %(low)s-%(high)s"
NOT_EXCEL = "%(serial)s is not an Excel date"


class BadDate(ValueError):
    """Why a cell is not a date: `detail` names what is wrong ("unrecognized date", "month must be in
    1..12", YEAR_OUTSIDE...), `params` fill it; str(error) is the English. rows.py makes each detail one
    whole, translatable sentence."""

    def __init__(self, detail: str, **params: object):
        super().__init__(detail % params if params else detail)
        self.detail = detail
        self.params = params


def _check(value: datetime.date) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise BadDate(YEAR_OUTSIDE, year=value.year, low=MIN_YEAR, high=MAX_YEAR)


@lru_cache(maxsize=65536)
def parse_datetime_text(text: str) -> datetime.datetime:
    """Naive or offset-aware datetime from text (see module doc); BadDate says why not.

    Cached: an export repeats the same few check dates thousands of times.
    """
    text = text.strip()
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_loose(text)
    _check(parsed)
    return parsed


def _parse_loose(text: str) -> datetime.datetime:
    # The ISO fast path failed: "2024-03-05.5" must not become March 5th, so fractions are not loose.
    if "." in text and text.count(".") != 2 and ":" not in text:
        raise BadDate("unrecognized date")
    parts = text.translate(_SEPARATORS).split(None, 1)
    if not parts:
        raise BadDate("empty")
    day_part = parts[0].replace(".", "-").strip("-")  # "." separates the date, but not the seconds
    time_part = parts[1].strip().rstrip(":") if len(parts) > 1 else ""
    if day_part.isdigit() and len(day_part) == 8:
        numbers = [day_part[:4], day_part[4:6], day_part[6:]]
    else:
        numbers = day_part.split("-")
    if len(numbers) != 3 or not all(n.isdigit() for n in numbers):
        raise BadDate("unrecognized date")
    if len(numbers[0]) != 4:
        raise BadDate("write the year first (YYYY-MM-DD)")
    try:
        day = datetime.date(int(numbers[0]), int(numbers[1]), int(numbers[2]))
    except ValueError as error:
        raise BadDate(str(error)) from None
    hour = minute = second = micro = 0
    if time_part:
        pieces = time_part.split(":")
        if len(pieces) > 3 or not all(pieces):
            raise BadDate("unrecognized time")
        seconds = pieces[2] if len(pieces) == 3 else "0"
        whole, _, fraction = seconds.partition(".")
        if not all(p.isdigit() for p in (*pieces[:2], whole)) or (fraction and not fraction.isdigit()):
            raise BadDate("unrecognized time")
        hour, minute, second = int(pieces[0]), int(pieces[1]) if len(pieces) > 1 else 0, int(whole)
        micro = int((fraction + "000000")[:6]) if fraction else 0
    try:
        return datetime.datetime.combine(day, datetime.time(hour, minute, second, micro))
    except ValueError as error:
        raise BadDate(str(error)) from None


def from_excel_serial(value: float) -> datetime.datetime:
    """Excel's 1900 date system serial number (days since 1899-12-30, fraction = time of day)."""
    if not 1 <= value < 2958466:  # 9999-12-31
        raise BadDate(NOT_EXCEL, serial=value)
    result = EXCEL_EPOCH + datetime.timedelta(days=value)
    # Round to the second: the float fraction carries noise (08:29:59.999998 means 08:30:00).
    result = (result + datetime.timedelta(microseconds=500_000)).replace(microsecond=0)
    _check(result)
    return result


def to_datetime(cell: object, tz: datetime.tzinfo) -> datetime.datetime:
    """A timezone-aware datetime from a cell; naive values are local time in `tz`. Raises BadDate."""
    if isinstance(cell, datetime.datetime):
        value = cell
        _check(value)
    elif isinstance(cell, datetime.date):
        value = datetime.datetime.combine(cell, datetime.time())
        _check(value)
    elif isinstance(cell, int | float) and not isinstance(cell, bool):
        value = from_excel_serial(float(cell))
    else:
        value = parse_datetime_text(str(cell))
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def to_date(cell: object) -> datetime.date:
    """A calendar date (birth date) from a cell. Raises BadDate."""
    if isinstance(cell, datetime.datetime):
        _check(cell)
        return cell.date()
    if isinstance(cell, datetime.date):
        _check(cell)
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return from_excel_serial(float(cell)).date()
    return parse_datetime_text(str(cell)).date()
