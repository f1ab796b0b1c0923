"""Why a time or a birth date cell is refused, as one translatable sentence per detail of dates.BadDate.

Pure: no Django import.
"""

from careloop.observations.importing.parsed import Reason, because
from careloop.observations.sources.tabular.dates import NOT_EXCEL, YEAR_OUTSIDE, BadDate

# One whole sentence per fixed detail (Python's own words for impossible dates and times among them);
# the details with a number are built in the functions below.
_NOT_A_TIME = {
    "unrecognized date": because("Not a date (unrecognized date); write e.g. 2024-03-05 08:30."),
    "unrecognized time": because("Not a date (unrecognized time); write e.g. 2024-03-05 08:30."),
    "empty": because("Not a date (empty); write e.g. 2024-03-05 08:30."),
    "write the year first (YYYY-MM-DD)": because(
        "Not a date (write the year first (YYYY-MM-DD)); write e.g. 2024-03-05 08:30."
    ),
    "year 0 is out of range": because("Not a date (year 0 is out of range); write e.g. 2024-03-05 08:30."),
    "month must be in 1..12": because("Not a date (month must be in 1..12); write e.g. 2024-03-05 08:30."),
    "day is out of range for month": because(
        "Not a date (day is out of range for month); write e.g. 2024-03-05 08:30."
    ),
    "hour must be in 0..23": because("Not a date (hour must be in 0..23); write e.g. 2024-03-05 08:30."),
    "minute must be in 0..59": because("Not a date (minute must be in 0..59); write e.g. 2024-03-05 08:30."),
    "second must be in 0..59": because("Not a date (second must be in 0..59); write e.g. 2024-03-05 08:30."),
}
_NOT_A_BIRTH_DATE = {
    "unrecognized date": because("Not a birth date (unrecognized date); write e.g. 1960-07-01."),
    "unrecognized time": because("Not a birth date (unrecognized time); write e.g. 1960-07-01."),
    "empty": because("Not a birth date (empty); write e.g. 1960-07-01."),
    "write the year first (YYYY-MM-DD)": because(
        "Not a birth date (write the year first (YYYY-MM-DD)); write e.g. 1960-07-01."
    ),
    "year 0 is out of range": because("Not a birth date (year 0 is out of range); write e.g. 1960-07-01."),
    "month must be in 1..12": because("Not a birth date (month must be in 1..12); write e.g. 1960-07-01."),
    "day is out of range for month": because(
        "Not a birth date (day is out of range for month); write e.g. 1960-07-01."
    ),
    "hour must be in 0..23": because("Not a birth date (hour must be in 0..23); write e.g. 1960-07-01."),
    "minute must be in 0..59": because("Not a birth date (minute must be in 0..59); write e.g. 1960-07-01."),
    "second must be in 0..59": because("Not a birth date (second must be in 0..59); write e.g. 1960-07-01."),
}


def not_a_time(error: BadDate) -> Reason:
    """The reason a time cell is refused, as one sentence."""
    if error.detail == YEAR_OUTSIDE:
        return because(
            "Not a date (year %(year)s is outside %(low)s-%(high)s); write e.g. 2024-03-05 08:30.",
            **error.params,
        )
    if error.detail == NOT_EXCEL:
        return because(
            "Not a date (%(serial)s is not an Excel date); write e.g. 2024-03-05 08:30.", **error.params
        )
    known = _NOT_A_TIME.get(error.detail)
    if known is not None:
        return known
    return because("Not a date (%(error)s); write e.g. 2024-03-05 08:30.", error=error)


def not_a_birth_date(error: BadDate) -> Reason:
    """The reason a birth date cell is refused, as one sentence."""
    if error.detail == YEAR_OUTSIDE:
        return because(
            "Not a birth date (year %(year)s is outside %(low)s-%(high)s); write e.g. 1960-07-01.",
            **error.params,
        )
    if error.detail == NOT_EXCEL:
        return because(
            "Not a birth date (%(serial)s is not an Excel date); write e.g. 1960-07-01.", **error.params
        )
    known = _NOT_A_BIRTH_DATE.get(error.detail)
    if known is not None:
        return known
    return because("Not a birth date (%(error)s); write e.g. 1960-07-01.", error=error)
