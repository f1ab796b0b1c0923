import datetime
from zoneinfo import ZoneInfo

import pytest

from careloop.observations.sources.fhir.dates import SHANGHAI, parse_date, parse_datetime

UTC = datetime.UTC
PLUS8 = datetime.timezone(datetime.timedelta(hours=8))
MINUS0530 = datetime.timezone(-datetime.timedelta(hours=5, minutes=30))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025", datetime.datetime(2025, 1, 1, tzinfo=SHANGHAI)),
        ("2025-03", datetime.datetime(2025, 3, 1, tzinfo=SHANGHAI)),
        ("2025-03-05", datetime.datetime(2025, 3, 5, tzinfo=SHANGHAI)),
        ("2025-03-05T08:30:00+08:00", datetime.datetime(2025, 3, 5, 8, 30, tzinfo=PLUS8)),
        ("2025-03-05T08:30:00Z", datetime.datetime(2025, 3, 5, 8, 30, tzinfo=UTC)),
        ("2025-03-05T08:30:00-05:30", datetime.datetime(2025, 3, 5, 8, 30, tzinfo=MINUS0530)),
        ("2025-03-05T08:30:00.5+08:00", datetime.datetime(2025, 3, 5, 8, 30, 0, 500000, tzinfo=PLUS8)),
        ("2025-03-05T08:30:00.123456789Z", datetime.datetime(2025, 3, 5, 8, 30, 0, 123456, tzinfo=UTC)),
        # No offset after a time: not FHIR, but HIS exports send it; read in the default timezone.
        ("2025-03-05T08:30:00", datetime.datetime(2025, 3, 5, 8, 30, tzinfo=SHANGHAI)),
        ("2024-02-29", datetime.datetime(2024, 2, 29, tzinfo=SHANGHAI)),
    ],
)
def test_fhir_datetime_text_becomes_an_aware_datetime(text, expected):
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_a_date_without_time_starts_at_midnight_in_the_callers_timezone():
    berlin = ZoneInfo("Europe/Berlin")
    assert parse_datetime("2025-07-01", berlin) == datetime.datetime(2025, 7, 1, tzinfo=berlin)
    assert parse_datetime("2025-07-01", berlin).utcoffset() == datetime.timedelta(hours=2)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2025-13-01", "not a real date"),
        ("2025-02-30", "not a real date"),
        ("2025-13-40T09:00:00+08:00", "not a real time"),
        ("2025-03-05T25:00:00+08:00", "not a real time"),
        ("2025-03-05 08:30:00+08:00", "expected YYYY"),  # space instead of T
        ("2025-03-05T08:30+08:00", "expected YYYY"),  # seconds are required
        ("2025-03-05T08:30:00+0800", "expected YYYY"),  # offset needs the colon
        ("20250305", "expected YYYY"),
        ("2025-W10-3", "expected YYYY"),
        ("05/03/2025", "expected YYYY"),
        ("", "expected YYYY"),
        ("2025-03-05T08:30:00+15:00", "out of range"),
        ("\uff12\uff10\uff12\uff15-03-05", "expected YYYY"),  # full-width digits
    ],
)
def test_text_that_is_not_a_fhir_datetime_is_refused_with_a_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_datetime(text)


@pytest.mark.parametrize("value", [20250305, None, ["2025-03-05"]])
def test_a_non_text_datetime_is_refused(value):
    with pytest.raises(ValueError, match="must be a text date"):
        parse_datetime(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1980-03-07", datetime.date(1980, 3, 7)), ("1980-03", None), ("1980", None)],
)
def test_birth_date_keeps_only_full_dates(text, expected):
    assert parse_date(text) == expected


def test_impossible_birth_date_is_refused():
    with pytest.raises(ValueError, match="not a real date"):
        parse_date("1980-02-30")
