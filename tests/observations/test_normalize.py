"""stored_values: the same reported value read once, its flag still the patient's own."""

import datetime

import pytest

from careloop.observations.importing import normalize
from careloop.observations.importing.parsed import PatientRef, Problem, ResultRecord

WHEN = datetime.datetime(2025, 3, 5, 8, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def no_conversions_kept():
    normalize._converted.clear()
    yield
    normalize._converted.clear()


def test_a_value_seen_again_is_converted_the_same():
    first = normalize.stored_values("1558-6", "126", "mg/dL", WHEN, "line 1", "female", None)
    again = normalize.stored_values("1558-6", "126", "mg/dL", WHEN, "line 2", "female", None)
    assert isinstance(first, tuple)
    assert first == again
    assert first[:4] == ("1558-6", pytest.approx(6.99, abs=0.01), "mmol/L", "")
    assert len(normalize._converted) == 1


@pytest.mark.parametrize(
    ("sex", "birth", "flag"),
    [
        ("male", datetime.date(1980, 1, 1), "normal"),  # 男 9-50 U/L: 45 is within it
        ("female", datetime.date(1980, 1, 1), "high"),  # 女 7-40: 45 is above it
    ],
)
def test_the_flag_follows_the_patient_not_the_value_seen_before(sex, birth, flag):
    normalize.stored_values("1742-6", "45", "U/L", WHEN, "line 1", "male", datetime.date(1980, 1, 1))
    row = normalize.stored_values("1742-6", "45", "U/L", WHEN, "line 2", sex, birth)
    assert isinstance(row, tuple)
    assert row[6] == flag


@pytest.mark.parametrize(
    ("sex", "birth", "critical", "flag"),
    [
        ("male", datetime.date(1980, 1, 1), {}, "high"),  # creatinine 100 umol/L, WS/T 404.5: 男 20-59 57-97
        ("male", datetime.date(1950, 1, 1), {}, "normal"),  # 男 60-79: 57-111
        ("female", datetime.date(1950, 1, 1), {}, "high"),  # 女 60-79: 41-81
        ("male", datetime.date(1950, 1, 1), {"2160-0": (None, 90.0)}, "critical_high"),  # a test hospital's
        ("male", None, {}, ""),  # age unknown and the bands differ: not judged
    ],
)
def test_a_flag_worked_out_before_is_reused_only_for_the_same_sex_age_and_limits(sex, birth, critical, flag):
    for seen_sex, seen_birth in (("male", datetime.date(1980, 1, 1)), ("female", datetime.date(1950, 1, 1))):
        normalize.stored_values("2160-0", "100", "umol/L", WHEN, "line 1", seen_sex, seen_birth)
    row = normalize.stored_values("2160-0", "100", "umol/L", WHEN, "line 2", sex, birth, critical)
    assert isinstance(row, tuple)
    assert row[6] == flag


def test_flags_kept_per_value_are_bounded(monkeypatch):
    monkeypatch.setattr(normalize, "FLAGS_KEPT", 3)
    for year in range(1940, 1950):
        normalize.stored_values("2160-0", "100", "umol/L", WHEN, "line 1", "male", datetime.date(year, 1, 1))
    (_indicator, _value, _comparator, judged) = normalize._converted[("2160-0", "100", "umol/L")]
    assert 0 < len(judged) <= 3


def test_a_refused_value_is_refused_each_time_where_it_was_sent():
    for where in ("line 1", "line 2"):
        problem = normalize.stored_values("8480-6", "1200", "mm[Hg]", WHEN, where, "male", None)
        assert isinstance(problem, Problem)
        assert (problem.location, problem.field, problem.code) == (where, "value", "implausible")
    assert normalize._converted == {}


def test_conversions_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(normalize, "CONVERSIONS_KEPT", 3)
    for value in range(100, 110):
        normalize.stored_values("8480-6", str(value), "mm[Hg]", WHEN, "line 1", "male", None)
    assert 0 < len(normalize._converted) <= 3


def test_the_age_kept_for_the_next_result_is_its_own_patients_on_its_own_day():
    # Creatinine 100 umol/L for men, WS/T 404.5: 20-59 years 57-97 (high), 60-79 years 57-111 (normal).
    born_1950, born_1966 = datetime.date(1950, 1, 1), datetime.date(1966, 3, 6)
    before_60, at_60 = (
        datetime.datetime(2026, 3, 5, 8, 30, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 6, 8, 30, tzinfo=datetime.UTC),
    )
    sequence = [  # one patient's specimen, another patient at the same time, a later day, and back
        (born_1966, before_60, "high"),
        (born_1966, before_60, "high"),
        (born_1950, before_60, "normal"),
        (born_1966, at_60, "normal"),
        (born_1966, at_60, "normal"),
        (born_1966, before_60, "high"),
    ]
    for birth, when, flag in sequence:
        row = normalize.stored_values("2160-0", "100", "umol/L", when, "line 1", "male", birth)
        assert isinstance(row, tuple)
        assert row[6] == flag


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (None, datetime.date(2026, 3, 5), None),
        (datetime.date(1966, 3, 6), datetime.date(2026, 3, 5), 59),  # the day before the birthday
        (datetime.date(1966, 3, 6), datetime.date(2026, 3, 6), 60),
        (datetime.date(2000, 2, 29), datetime.date(2026, 2, 28), 25),  # born on 29 February
        (datetime.date(2000, 2, 29), datetime.date(2026, 3, 1), 26),
    ],
)
def test_age_on_a_day(birth, day, age):
    assert normalize.age_on(birth, day) == age


@pytest.mark.parametrize(("text", "value", "flag"), [("-", 0.0, "normal"), ("2+", 2.0, "high")])
def test_an_ordinal_result_is_stored_as_its_grade(text, value, flag):
    row = normalize.stored_values("20454-5", text, "", WHEN, "line 1", "female", None)
    assert isinstance(row, tuple)
    assert (row[0], row[1], row[4], row[6]) == ("20454-5", value, text, flag)


def test_what_is_stored_of_a_value_is_made_once_for_each_sex_and_age():
    birth = datetime.date(1980, 1, 1)
    first = normalize.stored_values("1742-6", "45", "U/L", WHEN, "line 1", "male", birth)
    assert normalize.stored_values("1742-6", "45", "U/L", WHEN, "line 2", "male", birth) is first
    female = normalize.stored_values("1742-6", "45", "U/L", WHEN, "line 3", "female", birth)
    assert isinstance(first, tuple) and isinstance(female, tuple)
    assert (first[6], female[6]) == ("normal", "high")
    record = ResultRecord(PatientRef(), "1742-6", "45", "U/L", WHEN, "HIS", "r4", location="line 4")
    assert normalize.normalize_result(record, "male", birth) == (*first, WHEN)
