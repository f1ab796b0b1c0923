"""Reference ranges by sex and age, flags, and the plausibility check."""

import pytest

from careloop.observations.flags import (
    check_plausible,
    critical_limits,
    critical_limits_problem,
    flag,
    normalize_sex,
    reference_range,
)
from careloop.observations.units import ResultRefused
from tests.observations.helpers import indicator


@pytest.mark.parametrize(
    ("code", "value", "sex", "age", "expected"),
    [
        # blood pressure: hypertension threshold, Chinese hypertension guideline 2018
        ("8480-6", 139, "male", 50, "normal"),
        ("8480-6", 140, "male", 50, "high"),
        ("8462-4", 90, "female", 60, "high"),
        ("8462-4", 89, "female", 60, "normal"),
        # glucose, CDS 2020
        ("1558-6", 6.0, "", 50, "normal"),
        ("1558-6", 6.1, "", 50, "high"),
        ("1558-6", 3.8, "", 50, "low"),
        ("1558-6", 2.9, "", 50, "critical_low"),
        ("1558-6", 126 / 18.016, "", 50, "high"),
        ("4548-4", 6.4, "male", 50, "normal"),
        ("4548-4", 6.5, "male", 50, "high"),
        # ALT, WS/T 404.1-2012: male 9-50, female 7-40
        ("1742-6", 45, "male", 40, "normal"),
        ("1742-6", 45, "female", 40, "high"),
        ("1742-6", 50, "male", 40, "normal"),
        ("1742-6", 51, "male", 40, "high"),
        ("1742-6", 8, "male", 40, "low"),
        # creatinine, WS/T 404.5-2015: by sex and age band
        ("2160-0", 105, "male", 45, "high"),
        ("2160-0", 105, "male", 65, "normal"),
        ("2160-0", 75, "female", 45, "high"),
        ("2160-0", 75, "female", 65, "normal"),
        # haemoglobin, WS/T 405-2012
        ("718-7", 120, "female", 30, "normal"),
        ("718-7", 120, "male", 30, "low"),
        # waist, WS/T 428-2013
        ("8280-0", 84, "male", 40, "normal"),
        ("8280-0", 84, "female", 40, "high"),
        # BMI, WS/T 428-2013
        ("39156-5", 23.9, "", 40, "normal"),
        ("39156-5", 24.0, "", 40, "high"),
        ("39156-5", 18.4, "", 40, "low"),
        # HDL-C low, uric acid > 420, eGFR < 60
        ("2085-9", 0.9, "male", 50, "low"),
        ("3084-1", 420, "male", 50, "normal"),
        ("3084-1", 421, "female", 50, "high"),
        ("62238-1", 59, "female", 70, "low"),
        # urine dipstick ranks
        ("20454-5", 0, "", None, "normal"),
        ("20454-5", 0.5, "", None, "high"),
        ("20454-5", 2, "", None, "high"),
    ],
)
def test_flag(code, value, sex, age, expected):
    assert flag(indicator(code), value, sex, age) == expected


@pytest.mark.parametrize(
    ("code", "sex", "age"),
    [
        ("1742-6", "", 40),  # ALT differs by sex, sex unknown
        ("2160-0", "male", None),  # creatinine differs by age, age unknown
        ("1742-6", "male", 85),  # outside the standard's 20-79 population
        ("3016-3", "male", 40),  # TSH: no sourced range in the catalogue
    ],
)
def test_no_flag_when_no_range_applies(code, sex, age):
    assert flag(indicator(code), 30, sex, age) is None


def test_critical_limit_applies_even_without_a_range():
    assert flag(indicator("1558-6"), 2.5, "", 10) == "critical_low"


def test_unknown_age_takes_the_range_when_all_bands_agree():
    r = reference_range(indicator("1742-6"), "female", None)
    assert r is not None
    assert (r.low, r.high, r.source) == (7, 40, "WS/T 404.1-2012")


@pytest.mark.parametrize(
    ("sex", "expected"), [("M", "male"), ("女", "female"), ("2", "female"), ("unknown", "")]
)
def test_sex_spellings(sex, expected):
    assert normalize_sex(sex) == expected


@pytest.mark.parametrize(
    ("code", "value"), [("8480-6", 1200), ("8480-6", 0), ("29463-7", 700), ("1558-6", 126), ("8302-2", 1.72)]
)
def test_implausible_values_are_refused(code, value):
    with pytest.raises(ResultRefused) as e:
        check_plausible(indicator(code), value)
    assert e.value.code == "implausible"


@pytest.mark.parametrize(
    ("code", "value"), [("8480-6", 120), ("29463-7", 70), ("1558-6", 5.6), ("20454-5", 4)]
)
def test_plausible_values_pass(code, value):
    try:
        check_plausible(indicator(code), value)
    except ResultRefused as refused:
        pytest.fail(f"{value} refused for {code}: {refused.reason}")


# An organization's own critical values. The figures are a test hospital's choices, not clinical advice.
@pytest.mark.parametrize(
    ("code", "own", "value", "expected"),
    [
        ("2823-3", None, 7.0, "high"),  # potassium: no limits in the catalogue, none of the hospital's
        ("2823-3", (2.8, 6.2), 7.0, "critical_high"),
        ("2823-3", (2.8, 6.2), 6.2, "high"),  # a limit itself is not beyond it
        ("2823-3", (2.8, 6.2), 2.7, "critical_low"),
        ("2823-3", (2.8, 6.2), 2.8, "low"),
        ("2823-3", (None, 6.2), 2.0, "low"),  # a side left blank: the catalogue's, here none
        ("1558-6", (None, 22.2), 2.9, "critical_low"),  # glucose keeps the catalogue's 3.0 below
        ("1558-6", (None, 22.2), 22.3, "critical_high"),
        ("1558-6", (2.5, None), 2.9, "low"),  # the hospital's own low replaces the catalogue's
        ("1558-6", (2.5, None), 2.4, "critical_low"),
    ],
)
def test_an_organizations_critical_limits_take_the_place_of_the_catalogues(code, own, value, expected):
    ind = indicator(code)
    critical = None if own is None else critical_limits(ind, *own)
    assert flag(ind, value, "male", 50, critical) == expected


@pytest.mark.parametrize(
    ("code", "low", "high", "problem"),
    [
        ("2823-3", 2.8, 6.2, None),
        ("2823-3", None, 6.2, None),
        ("2823-3", None, None, "empty"),
        ("2823-3", 6.2, 2.8, "order"),
        ("2823-3", 5.0, 5.0, "order"),
        ("2823-3", None, 20.0, "implausible"),  # potassium is accepted 0.5 to 15 mmol/L
        ("2823-3", 0.1, None, "implausible"),
        ("1558-6", None, 2.5, "order"),  # below the catalogue's low limit of 3.0, which still applies
        ("1558-6", 2.0, 2.5, None),
    ],
)
def test_critical_limits_that_cannot_work_are_named(code, low, high, problem):
    assert critical_limits_problem(indicator(code), low, high) == problem
