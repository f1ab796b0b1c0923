"""Normalizing a result: the same reported value read once per import, its flag still the patient's own."""

import datetime

import pytest

from careloop.observations import catalogue
from careloop.observations.importing import normalize
from careloop.observations.importing.normalize import CLOCK_TOLERANCE, Normalized, Normalizer, future_refusal
from careloop.observations.importing.parsed import PatientRef, Problem, ResultRecord, reason_parts

WHEN = datetime.datetime(2025, 3, 5, 8, 30, tzinfo=datetime.UTC)
NOW = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def normalizer() -> Normalizer:
    return Normalizer(NOW)


def test_a_value_seen_again_is_converted_the_same(normalizer):
    first = normalizer.normalize("1558-6", "126", "mg/dL", WHEN, "line 1", "female", None)
    again = normalizer.normalize("1558-6", "126", "mg/dL", WHEN, "line 2", "female", None)
    assert isinstance(first, Normalized)
    assert first == again
    assert (first.code, first.unit, first.comparator) == ("1558-6", "mmol/L", "")
    assert first.value == pytest.approx(6.99, abs=0.01)


def test_two_imports_keep_nothing_of_each_other(monkeypatch):
    """A memo is an import's own: another Normalizer converts afresh (here: the catalogue changed)."""
    first = Normalizer(NOW).normalize("1558-6", "126", "mg/dL", WHEN, "line 1", "female", None)
    monkeypatch.setattr(catalogue, "find", lambda code: None)
    again = Normalizer(NOW).normalize("1558-6", "126", "mg/dL", WHEN, "line 1", "female", None)
    assert isinstance(first, Normalized) and isinstance(again, Problem) and again.code == "unknown_code"


@pytest.mark.parametrize(
    ("sex", "birth", "flag"),
    [
        ("male", datetime.date(1980, 1, 1), "normal"),  # 男 9-50 U/L: 45 is within it
        ("female", datetime.date(1980, 1, 1), "high"),  # 女 7-40: 45 is above it
    ],
)
def test_the_flag_follows_the_patient_not_the_value_seen_before(normalizer, sex, birth, flag):
    normalizer.normalize("1742-6", "45", "U/L", WHEN, "line 1", "male", datetime.date(1980, 1, 1))
    row = normalizer.normalize("1742-6", "45", "U/L", WHEN, "line 2", sex, birth)
    assert isinstance(row, Normalized)
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
def test_a_flag_worked_out_before_is_reused_only_for_the_same_sex_and_age(sex, birth, critical, flag):
    normalizer = Normalizer(NOW, critical)
    for seen_sex, seen_birth in (("male", datetime.date(1980, 1, 1)), ("female", datetime.date(1950, 1, 1))):
        normalizer.normalize("2160-0", "100", "umol/L", WHEN, "line 1", seen_sex, seen_birth)
    row = normalizer.normalize("2160-0", "100", "umol/L", WHEN, "line 2", sex, birth)
    assert isinstance(row, Normalized)
    assert row[6] == flag


def test_flags_kept_are_bounded_and_answer_what_a_fresh_normalizer_would(monkeypatch, normalizer):
    monkeypatch.setattr(normalize, "FLAGS_KEPT", 3)
    births = [datetime.date(year, 1, 1) for year in (*range(1940, 1990, 5), 1950, 1980)]

    def flag(normalizer: Normalizer, birth: datetime.date) -> str:
        row = normalizer.normalize("2160-0", "100", "umol/L", WHEN, "line 1", "male", birth)
        assert isinstance(row, Normalized)
        return row.flag

    flags = [flag(normalizer, birth) for birth in births]
    assert flags == [flag(Normalizer(NOW), birth) for birth in births]
    assert {"normal", "high"} <= set(flags)


def test_a_refused_value_is_refused_each_time_where_it_was_sent(normalizer):
    for where in ("line 1", "line 2"):
        problem = normalizer.normalize("8480-6", "1200", "mm[Hg]", WHEN, where, "male", None)
        assert isinstance(problem, Problem)
        assert (problem.location, problem.field, problem.code) == (where, "value", "implausible")


def test_conversions_kept_are_bounded(monkeypatch, normalizer):
    monkeypatch.setattr(normalize, "CONVERSIONS_KEPT", 3)
    for value in [*range(100, 110), 100]:
        row = normalizer.normalize("8480-6", str(value), "mm[Hg]", WHEN, "line 1", "male", None)
        assert isinstance(row, Normalized) and row.value == value


@pytest.mark.parametrize(
    ("when", "refused"),
    [
        (NOW - datetime.timedelta(days=400), False),
        (NOW, False),
        (NOW + CLOCK_TOLERANCE, False),  # the source's clock a little ahead of ours
        (NOW + CLOCK_TOLERANCE + datetime.timedelta(seconds=1), True),
        (datetime.datetime(2031, 1, 1, tzinfo=datetime.UTC), True),
        (
            datetime.datetime(2026, 11, 24, 17, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
            False,
        ),
        (
            datetime.datetime(2026, 11, 24, 17, 11, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
            True,
        ),
    ],
)
def test_a_result_dated_beyond_the_clock_tolerance_is_refused_as_future(when, refused, normalizer):
    outcome = normalizer.normalize("3084-1", "400", "umol/L", when, "line 3", "male", None)  # uric acid
    assert isinstance(outcome, Problem) is refused
    assert (future_refusal(when, NOW, "line 3") is not None) is refused
    if isinstance(outcome, Problem):
        assert (outcome.location, outcome.field, outcome.code) == ("line 3", "time", "future")
        template, _params = reason_parts(outcome.reason)
        assert template.startswith("The result is dated %(time)s, which is in the future.")


def test_the_age_is_each_patients_own_on_the_results_day():
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
    normalizer = Normalizer(NOW)
    for birth, when, flag in sequence:
        row = normalizer.normalize("2160-0", "100", "umol/L", when, "line 1", "male", birth)
        assert isinstance(row, Normalized)
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
def test_an_ordinal_result_is_stored_as_its_grade(text, value, flag, normalizer):
    row = normalizer.normalize("20454-5", text, "", WHEN, "line 1", "female", None)
    assert isinstance(row, Normalized)
    assert (row[0], row[1], row[4], row[6]) == ("20454-5", value, text, flag)


def test_a_single_record_is_normalized_as_an_import_would(normalizer):
    birth = datetime.date(1980, 1, 1)
    male = normalizer.normalize("1742-6", "45", "U/L", WHEN, "line 1", "male", birth)
    female = normalizer.normalize("1742-6", "45", "U/L", WHEN, "line 3", "female", birth)
    assert isinstance(male, Normalized) and isinstance(female, Normalized)
    assert (male.flag, female.flag) == ("normal", "high")
    record = ResultRecord(PatientRef(), "1742-6", "45", "U/L", WHEN, "HIS", "r4", location="line 4")
    assert normalize.normalize_result(record, "male", birth) == male
