"""normalize_values: the same reported value read once, its flag still the patient's own."""

import datetime

import pytest

from careloop.observations import normalize
from careloop.observations.records import Problem

WHEN = datetime.datetime(2025, 3, 5, 8, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def no_conversions_kept():
    normalize._converted.clear()
    yield
    normalize._converted.clear()


def test_a_value_seen_again_is_converted_the_same():
    first = normalize.normalize_values("1558-6", "126", "mg/dL", WHEN, "line 1", "female", None)
    again = normalize.normalize_values("1558-6", "126", "mg/dL", WHEN, "line 2", "female", None)
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
    normalize.normalize_values("1742-6", "45", "U/L", WHEN, "line 1", "male", datetime.date(1980, 1, 1))
    row = normalize.normalize_values("1742-6", "45", "U/L", WHEN, "line 2", sex, birth)
    assert isinstance(row, tuple)
    assert row[6] == flag


def test_a_refused_value_is_refused_each_time_where_it_was_sent():
    for where in ("line 1", "line 2"):
        problem = normalize.normalize_values("8480-6", "1200", "mm[Hg]", WHEN, where, "male", None)
        assert isinstance(problem, Problem)
        assert (problem.location, problem.field, problem.code) == (where, "value", "implausible")
    assert normalize._converted == {}


def test_conversions_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(normalize, "CONVERSIONS_KEPT", 3)
    for value in range(100, 110):
        normalize.normalize_values("8480-6", str(value), "mm[Hg]", WHEN, "line 1", "male", None)
    assert 0 < len(normalize._converted) <= 3
