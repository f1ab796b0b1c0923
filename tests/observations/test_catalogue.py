"""The indicator catalogue: data integrity and lookups by code and alias."""

# ruff: noqa: RUF001 -- full-width input is part of what is tested.

import json

import pytest

from careloop.observations import catalogue as cat
from careloop.observations.catalogue import CatalogueError, alias_key, load, loinc_check_digit
from tests.observations.helpers import indicator

CATALOGUE = cat.catalogue()
ALL = list(CATALOGUE)


def test_catalogue_has_at_least_60_indicators_in_every_category():
    assert len(CATALOGUE) >= 60
    assert {i.category for i in ALL} == set(cat.CATEGORIES)


def test_every_code_primary_or_alternative_is_unique():
    codes = [c for i in ALL for c in (i.code, *i.alias_codes)]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("ind", ALL, ids=lambda i: i.code)
def test_canonical_unit_converts_to_itself_with_factor_1(ind):
    conv = ind.conversions[ind.unit]
    assert (conv.factor, conv.offset) == (1.0, 0.0)


@pytest.mark.parametrize("ind", ALL, ids=lambda i: i.code)
def test_every_figure_cites_a_known_source(ind):
    for r in ind.ranges:
        assert r.source in CATALOGUE.sources
    for unit, conv in ind.conversions.items():
        assert unit == ind.unit or conv.source in CATALOGUE.sources
    if ind.critical_low is not None or ind.critical_high is not None:
        assert ind.critical_source in CATALOGUE.sources


@pytest.mark.parametrize(
    ("number", "check"),
    [("8480", 6), ("8462", 4), ("1558", 6), ("4548", 4), ("2093", 3), ("12345", 5), ("718", 7)],
)
def test_loinc_check_digit(number, check):
    assert loinc_check_digit(number) == check


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("8480-6", "8480-6"),  # SBP
        ("8462-4", "8462-4"),
        ("8867-4", "8867-4"),
        ("8302-2", "8302-2"),
        ("29463-7", "29463-7"),
        ("39156-5", "39156-5"),
        ("8280-0", "8280-0"),
        ("1558-6", "1558-6"),
        ("14771-0", "1558-6"),  # fasting glucose, molar LOINC
        ("4548-4", "4548-4"),
        ("59261-8", "4548-4"),  # HbA1c IFCC
        ("2093-3", "2093-3"),
        ("2571-8", "2571-8"),
        ("13457-7", "18262-6"),  # LDL-C calculated -> the LDL-C indicator
        ("18262-6", "18262-6"),
        ("2085-9", "2085-9"),
        ("2160-0", "2160-0"),
        ("14682-9", "2160-0"),
        ("33914-3", "62238-1"),
        ("62238-1", "62238-1"),
        ("3084-1", "3084-1"),
        ("3094-0", "3094-0"),
        ("1742-6", "1742-6"),
        ("1920-8", "1920-8"),
        ("2324-2", "2324-2"),
        ("1751-7", "1751-7"),
        ("1975-2", "1975-2"),
        ("6690-2", "6690-2"),
        ("718-7", "718-7"),
        ("777-3", "777-3"),
        ("789-8", "789-8"),
        ("4544-3", "4544-3"),
        ("3016-3", "3016-3"),
        ("14959-1", "9318-7"),
        (" 2093-3 ", "2093-3"),
    ],
)
def test_lookup_by_loinc_code(code, expected):
    found = cat.by_code(code)
    assert found is not None
    assert found.code == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ALT", "1742-6"),
        ("alt", "1742-6"),
        ("ＡＬＴ", "1742-6"),  # full width
        ("谷丙转氨酶", "1742-6"),
        ("空腹血糖", "1558-6"),
        ("收缩压", "8480-6"),
        ("舒张压", "8462-4"),
        ("LDL-C", "18262-6"),
        ("ldl c", "18262-6"),
        ("HbA1c", "4548-4"),
        ("糖化血红蛋白", "4548-4"),
        ("体重", "29463-7"),
        ("尿蛋白", "20454-5"),
        ("尿酸", "3084-1"),
        ("尿素氮", "3094-0"),
        ("WBC", "6690-2"),
        ("NEUT%", "770-8"),
        ("NEUT#", "751-8"),
        ("Systolic blood pressure", "8480-6"),
        ("TSH", "3016-3"),
        ("2093-3", "2093-3"),  # find() takes codes too
    ],
)
def test_lookup_by_alias(name, expected):
    found = cat.find(name)
    assert found is not None
    assert found.code == expected


@pytest.mark.parametrize("text", ["", "XYZ", "9999-9", "血压"])
def test_unknown_names_and_codes_find_nothing(text):
    assert cat.find(text) is None


def test_alias_key_ignores_case_width_spaces_and_dashes():
    assert alias_key(" LDL－C ") == alias_key("ldl c") == "ldlc"


def test_sex_specific_ranges_exist_where_the_standards_split_by_sex():
    for code in ("1742-6", "1920-8", "2324-2", "2160-0", "718-7", "789-8", "4544-3", "8280-0", "1975-2"):
        assert {r.sex for r in indicator(code).ranges} == {"male", "female"}, code


def _write(tmp_path, mutate):
    doc = json.loads(cat.DATA.read_text(encoding="utf-8"))
    mutate(doc)
    path = tmp_path / "indicators.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["indicators"][1].update(code=d["indicators"][0]["code"]), "also used"),
        (lambda d: d["indicators"][0].update(code="8480-7"), "check digit"),
        (lambda d: d["indicators"][0].update(unit="furlong"), "canonical unit"),
        (lambda d: d["indicators"][0].update(category="misc"), "category"),
        (lambda d: d["indicators"][0]["ranges"][0].update(source="my memory"), "unknown source"),
        (
            lambda d: d["indicators"][0]["conversions"].append({"unit": "mg/dL", "source": "molar mass"}),
            "factor",
        ),
        (lambda d: d["indicators"][1]["aliases"].append("SBP"), "alias"),
    ],
)
def test_loading_refuses_broken_data_naming_the_indicator(tmp_path, mutate, message):
    with pytest.raises(CatalogueError, match=message):
        load(_write(tmp_path, mutate))
