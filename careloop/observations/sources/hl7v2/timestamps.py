"""HL7 TS/DTM and DT text -> aware datetimes and dates, and the reasons a timestamp is refused."""

import datetime
import functools
import re
from zoneinfo import ZoneInfo

from careloop.observations.importing.parsed import Problem, Reason, because
from careloop.observations.sources.hl7v2.segments import Segment

CHINA = ZoneInfo("Asia/Shanghai")
_TIMESTAMP = re.compile(
    r"^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?([+-]\d{4})?$"
)


class TimestampError(ValueError):
    """Why a timestamp was refused. `str()` is the English predicate ("is not an HL7 timestamp ...");
    `kind` (shape / offset / impossible / date) and `params` let the parser write the whole reason
    sentence as one translatable template (`time_reason`, `birth_date_reason`)."""

    def __init__(self, kind: str, message: str, **params: str):
        super().__init__(message)
        self.kind = kind
        self.params = params


@functools.lru_cache(maxsize=4096)  # a message repeats its times; the results are immutable
def parse_timestamp(text: str, default_tz: datetime.tzinfo = CHINA) -> datetime.datetime:
    """HL7 TS/DTM "YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]" -> an aware datetime.

    Missing parts take their lowest value (a date alone is midnight). Without an offset the time
    is local time in `default_tz`. Raises TimestampError with the reason.
    """
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise TimestampError("shape", "is not an HL7 timestamp (YYYYMMDDHHMMSS[+ZZZZ])")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    tz: datetime.tzinfo = default_tz
    if offset:
        minutes = int(offset[1:3]) * 60 + int(offset[3:5])
        if int(offset[3:5]) >= 60 or minutes >= 24 * 60:
            raise TimestampError("offset", f"has an impossible UTC offset {offset}", offset=offset)
        tz = datetime.timezone(datetime.timedelta(minutes=minutes if offset[0] == "+" else -minutes))
    try:
        return datetime.datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError as error:
        raise TimestampError(
            "impossible", f"is not a real date or time ({error})", error=str(error)
        ) from None


def parse_date(text: str) -> datetime.date:
    """HL7 DT/TS used as a date (PID-7): at least YYYYMMDD; a time part is ignored."""
    stamp = parse_timestamp(text, datetime.UTC)
    if len(text.strip()) < 8:
        raise TimestampError("date", "needs year, month and day (YYYYMMDD)")
    return stamp.date()


def field_time(
    segment: Segment, n: int, default_tz: datetime.tzinfo, problems: list[Problem]
) -> datetime.datetime | None:
    """Field n of the segment as a time; None if it is empty, or unreadable (then with a Problem)."""
    raw = segment.text(n)
    if not raw:
        return None
    try:
        return parse_timestamp(raw, default_tz)
    except TimestampError as error:
        field = f"{segment.name}-{n}"
        problems.append(Problem(segment.where, field, raw, time_reason(field, error)))
        return None


def time_reason(field: str, error: TimestampError) -> Reason:
    """ "OBX-14 is not an HL7 timestamp ...": one whole sentence per kind of error, for translators."""
    if error.kind == "offset":
        return because("%(field)s has an impossible UTC offset %(offset)s", field=field, **error.params)
    if error.kind == "impossible":
        # `error` is Python's own explanation ("month must be in 1..12"), kept as sent.
        return because("%(field)s is not a real date or time (%(error)s)", field=field, **error.params)
    if error.kind == "date":
        return because("%(field)s needs year, month and day (YYYYMMDD)", field=field)
    return because("%(field)s is not an HL7 timestamp (YYYYMMDDHHMMSS[+ZZZZ])", field=field)


def birth_date_reason(error: TimestampError) -> Reason:
    """ "PID-7 birth date is not a real date ...", the same sentences as `time_reason` for PID-7."""
    if error.kind == "offset":
        return because("PID-7 birth date has an impossible UTC offset %(offset)s", **error.params)
    if error.kind == "impossible":
        return because("PID-7 birth date is not a real date or time (%(error)s)", **error.params)
    if error.kind == "date":
        return because("PID-7 birth date needs year, month and day (YYYYMMDD)")
    return because("PID-7 birth date is not an HL7 timestamp (YYYYMMDDHHMMSS[+ZZZZ])")
