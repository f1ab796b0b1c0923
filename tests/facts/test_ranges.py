"""Ages and day counts as whole-number ranges and date bounds (careloop/facts/compile.py, ages.py)."""

import datetime

import pytest

from careloop.facts.ages import born_by
from careloop.facts.compile import whole_ranges
from careloop.patients.models import Patient


@pytest.mark.parametrize(
    ("op", "number", "ranges"),
    [
        ("==", 65, [(65, 65)]),
        ("==", 64.5, []),
        ("!=", 65, [(None, 64), (66, None)]),
        ("!=", 64.5, [(None, None)]),
        ("<", 65, [(None, 64)]),
        ("<", 64.5, [(None, 64)]),
        ("<=", 64.5, [(None, 64)]),
        (">", 64.5, [(65, None)]),
        (">", 65, [(66, None)]),
        (">=", 64.5, [(65, None)]),
        (">=", -0.5, [(0, None)]),
    ],
)
def test_a_comparison_with_a_number_is_a_range_of_whole_numbers(op, number, ranges):
    assert whole_ranges(op, number) == ranges


DAYS = [
    datetime.date(2026, 12, 7),
    datetime.date(2028, 2, 29),
    datetime.date(2027, 2, 28),
    datetime.date(2027, 3, 1),
]
BIRTHS = [
    datetime.date(*day)
    for day in (
        (1961, 12, 7),
        (1961, 12, 8),
        (1960, 2, 29),
        (1963, 2, 28),
        (1963, 3, 1),
        (1962, 2, 28),
        (1962, 3, 1),
    )
]


@pytest.mark.parametrize("today", DAYS)
@pytest.mark.parametrize("years", [64, 65, 66, 67])
def test_born_by_is_the_bound_of_patient_age(today, years):
    for birth in BIRTHS:
        assert (Patient(birth_date=birth).age(today) >= years) == (birth <= born_by(today, years)), birth
