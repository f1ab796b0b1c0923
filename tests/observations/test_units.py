"""Unit spellings, conversions to the canonical unit, and reading reported values."""

# ruff: noqa: RUF001 -- look-alike and full-width input is what is tested.

import pytest

from careloop.observations import catalogue as cat
from careloop.observations.units import (
    ResultRefused,
    from_canonical,
    normalize_unit,
    parse_number,
    parse_ordinal,
    read_value,
    to_canonical,
)
from tests.observations.helpers import indicator


@pytest.mark.parametrize(
    ("spelling", "token"),
    [
        ("mmol/l", "mmol/L"),
        ("mmol/L", "mmol/L"),
        (" MMOL/L ", "mmol/L"),
        ("mmol／L", "mmol/L"),  # full-width slash
        ("umol/L", "umol/L"),
        ("µmol/L", "umol/L"),  # micro sign U+00B5
        ("μmol/L", "umol/L"),  # Greek mu U+03BC
        ("mg/dl", "mg/dL"),
        ("10^9/L", "10*9/L"),
        ("×10⁹/L", "10*9/L"),
        ("x10^9/L", "10*9/L"),
        ("10*9/L", "10*9/L"),
        ("10E9/L", "10*9/L"),
        ("×10¹²/L", "10*12/L"),
        ("10^9个/L", "10*9/L"),
        ("kg", "kg"),
        ("公斤", "kg"),
        ("斤", "{jin}"),
        ("%", "%"),
        ("％", "%"),
        ("mmHg", "mm[Hg]"),
        ("次/分", "/min"),
        ("bpm", "/min"),
        ("℃", "Cel"),
        ("kg/m²", "kg/m2"),
        ("mL/min/1.73m²", "mL/min/{1.73_m2}"),
        ("uIU/mL", "u[IU]/mL"),
        ("μIU/mL", "u[IU]/mL"),
        ("mIU/L", "m[IU]/L"),
    ],
)
def test_unit_spellings_normalize_to_one_token(spelling, token):
    assert normalize_unit(spelling) == token


@pytest.mark.parametrize("spelling", ["furlongs", "mmol", "10^7/L", "g/cup", ""])
def test_unknown_spellings_normalize_to_none(spelling):
    assert normalize_unit(spelling) is None


@pytest.mark.parametrize(
    ("code", "value", "unit", "expected", "tolerance"),
    [
        ("1558-6", 126, "mg/dL", 7.0, 0.01),  # glucose 126 mg/dL = 7.0 mmol/L
        ("1558-6", 7.0, "mmol/l", 7.0, 0),
        ("2160-0", 1, "mg/dL", 88.4, 0.05),  # creatinine 1 mg/dL = 88.4 umol/L
        ("4548-4", 48, "mmol/mol", 6.5, 0.05),  # HbA1c IFCC -> NGSP
        ("29463-7", 100, "斤", 50, 0),
        ("29463-7", 110, "lb", 49.895, 0.001),
        ("8302-2", 1.72, "m", 172, 1e-9),
        ("2093-3", 200, "mg/dL", 5.17, 0.01),  # cholesterol
        ("2571-8", 150, "mg/dL", 1.69, 0.01),  # triglycerides
        ("3084-1", 7, "mg/dL", 416.4, 0.1),  # uric acid
        ("3094-0", 28.014, "mg/dL", 10.0, 1e-9),  # BUN 28 mg/dL = urea 10 mmol/L
        ("1975-2", 1, "mg/dL", 17.1, 0.01),  # bilirubin
        ("718-7", 13.5, "g/dL", 135, 1e-9),
        ("6690-2", 6.2, "10^3/uL", 6.2, 0),
        ("8480-6", 16, "kPa", 120, 0.01),
        ("8310-5", 98.6, "°F", 37.0, 1e-9),
        ("9318-7", 3, "mg/mmol", 26.5, 0.1),
    ],
)
def test_conversion_to_canonical(code, value, unit, expected, tolerance):
    assert to_canonical(indicator(code), value, unit) == pytest.approx(expected, abs=tolerance)


def test_hba1c_6_5_percent_is_48_mmol_per_mol():
    """IFCC = (NGSP - 2.15) x 10.929 (Hoelzel et al., Clin Chem 2004; NGSP)."""
    assert round(from_canonical(indicator("4548-4"), 6.5, "mmol/mol")) == 48


@pytest.mark.parametrize("ind", list(cat.catalogue()), ids=lambda i: i.code)
def test_every_accepted_unit_round_trips(ind):
    for unit in ind.conversions:
        there = from_canonical(ind, 5.0, unit)
        assert to_canonical(ind, there, unit) == pytest.approx(5.0, rel=1e-12)


@pytest.mark.parametrize(
    ("code", "unit"),
    [
        ("1558-6", "mg"),
        ("1558-6", "furlong"),
        ("1558-6", "%"),
        ("4548-4", "mg/dL"),
        ("8480-6", ""),
        ("1558-6", "  "),
    ],
)
def test_unknown_or_missing_unit_is_refused_with_a_code(code, unit):
    with pytest.raises(ResultRefused) as e:
        to_canonical(indicator(code), 5, unit)
    assert e.value.code == "unknown_unit"
    assert indicator(code).code in e.value.reason


def test_refusal_becomes_a_problem_naming_location_and_field():
    with pytest.raises(ResultRefused) as e:
        to_canonical(indicator("1558-6"), 5, "furlong")
    p = e.value.problem("message 3 / OBX 4", "OBX-6")
    assert (p.location, p.field, p.value, p.code) == ("message 3 / OBX 4", "OBX-6", "furlong", "unknown_unit")


def test_dimensionless_indicator_accepts_no_unit():
    assert to_canonical(indicator("5811-5"), 1.02, "") == 1.02


@pytest.mark.parametrize(
    ("text", "number", "comparator"),
    [
        ("5.6", 5.6, ""),
        (" 5,6 ", 5.6, ""),
        ("120", 120.0, ""),
        ("<0.1", 0.1, "<"),
        ("< 0.1", 0.1, "<"),
        (">500", 500.0, ">"),
        ("≥ 33.3", 33.3, ">="),
        ("＜0.5", 0.5, "<"),  # full width
        ("６.８", 6.8, ""),
        ("6.8↑", 6.8, ""),
        (".5", 0.5, ""),
        ("1e3", 1000.0, ""),
    ],
)
def test_numbers_are_read_with_comparators_kept(text, number, comparator):
    parsed = parse_number(text)
    assert parsed.number == pytest.approx(number)
    assert parsed.comparator == comparator


@pytest.mark.parametrize("text", ["", "abc", "阴性", "5 6", "1,234", "5,6.1", "nan", "inf", "1_000", "5..6"])
def test_non_numbers_are_refused(text):
    with pytest.raises(ResultRefused) as e:
        parse_number(text)
    assert e.value.code == "not_numeric"


@pytest.mark.parametrize(
    ("text", "rank", "label"),
    [
        ("阴性", 0, "negative"),
        ("-", 0, "negative"),
        ("Negative", 0, "negative"),
        ("±", 0.5, "trace"),
        ("+", 1, "1+"),
        ("2+", 2, "2+"),
        ("+++", 3, "3+"),
        ("4+", 4, "4+"),
        ("阳性", 1, "positive"),
    ],
)
def test_qualitative_urine_results(text, rank, label):
    parsed = parse_ordinal(text)
    assert (parsed.number, parsed.label) == (rank, label)


def test_read_value_reads_by_indicator_kind():
    assert read_value(indicator("20454-5"), "阴性").label == "negative"
    assert read_value(indicator("1558-6"), "5.6").number == 5.6
    with pytest.raises(ResultRefused) as e:
        read_value(indicator("20454-5"), "lots")
    assert e.value.code == "unknown_value"
