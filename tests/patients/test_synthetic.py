import datetime
import functools
import re
from typing import Any

import pytest

from careloop.patients import choices, synthetic, synthetic_tables
from careloop.patients.idcard import parse_mobile, parse_resident_id
from careloop.patients.record import icd10

TODAY = datetime.date(2026, 11, 24)


@functools.cache
def population(n: int = 5000, seed: int = 7, years: int = 5) -> list[dict[str, Any]]:
    return list(synthetic.generate(n, years, seed, TODAY))


def age(row: dict[str, Any]) -> int:
    born: datetime.date = row["patient"]["birth_date"]
    return TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))


def codes(row: dict[str, Any]) -> set[str]:
    return {c["icd10_code"] for c in row["conditions"]}


def test_same_seed_gives_the_same_patients_and_another_seed_does_not():
    first = list(synthetic.generate(50, 3, 42, TODAY))
    again = list(synthetic.generate(50, 3, 42, TODAY))
    other = list(synthetic.generate(50, 3, 43, TODAY))
    assert first == again
    assert [r["patient"]["id_number"] for r in first] != [r["patient"]["id_number"] for r in other]


def test_generation_does_not_touch_the_global_random_state():
    import random

    random.seed(5)
    expected = random.random()
    random.seed(5)
    list(synthetic.generate(20, 2, 1, TODAY))
    assert random.random() == expected


def test_every_id_number_is_valid_unique_and_agrees_with_sex_and_birth_date():
    rows = population()
    numbers = [r["patient"]["id_number"] for r in rows]
    assert len(set(numbers)) == len(numbers)
    for row in rows:
        parsed = parse_resident_id(row["patient"]["id_number"], today=TODAY)
        assert parsed.sex == row["patient"]["sex"]
        assert parsed.birth_date == row["patient"]["birth_date"]
        assert parsed.number[:6] in synthetic_tables.LOCAL_COUNTIES + synthetic_tables.OTHER_COUNTIES


def test_mobile_numbers_are_valid_and_unique_and_only_some_very_old_people_have_none():
    rows = population()
    mobiles = [r["patient"]["mobile"] for r in rows if r["patient"]["mobile"]]
    assert len(set(mobiles)) == len(mobiles)
    assert all(parse_mobile(m) == m for m in mobiles)
    assert all(age(r) >= 80 for r in rows if not r["patient"]["mobile"])
    assert len(mobiles) > 0.97 * len(rows)


def test_coded_fields_use_the_codes_of_the_choice_lists():
    allowed = {
        "sex": {c for c, _ in choices.SEX},
        "ethnicity": {c for c, _ in choices.ETHNICITIES},
        "occupation": {c for c, _ in choices.OCCUPATIONS},
        "insurance_type": {c for c, _ in choices.INSURANCE},
    }
    for row in population():
        for field, codes_allowed in allowed.items():
            assert row["patient"][field] in codes_allowed, field
        assert {m["route"] for m in row["medications"]} <= {c for c, _ in choices.ROUTES}
        assert {m["frequency"] for m in row["medications"]} <= {c for c, _ in choices.FREQUENCIES}
        assert {e["encounter_class"] for e in row["encounters"]} <= {c for c, _ in choices.ENCOUNTER_CLASSES}
        assert {a["category"] for a in row["allergies"]} <= {c for c, _ in choices.ALLERGY_CATEGORIES}
        assert row["lifestyle"]["smoking"] in {c for c, _ in choices.SMOKING}


def test_record_sections_carry_exactly_the_declared_fields():
    for row in population()[:500]:
        for section, fields in synthetic.RECORD_FIELDS.items():
            items = [row[section]] if section == "lifestyle" else row[section]
            for item in items:
                assert tuple(item) == fields, section


@pytest.mark.parametrize(
    ("code", "name"), [(code, entry[0]) for code, entry in synthetic_tables.CONDITIONS.items()]
)
def test_condition_codes_and_names_match_the_icd10_catalogue(code, name):
    catalogue = {e.code: e.name_zh for e in icd10.entries()}
    assert catalogue[code] == name


def test_names_are_chinese_with_a_common_surname_first():
    rows = population()
    surnames = [s for s, _ in synthetic_tables.SURNAMES]
    for row in rows:
        name = row["patient"]["name"]
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name)
        assert any(name.startswith(s) for s in surnames)
    top = sum(row["patient"]["name"][0] in "王李张刘陈" for row in rows) / len(rows)
    assert 0.25 < top < 0.37  # the five commonest surnames cover ~31 %


def test_sex_is_about_even_and_ages_lean_towards_middle_and_old_age():
    rows = population()
    men = sum(r["patient"]["sex"] == "male" for r in rows) / len(rows)
    assert 0.48 < men < 0.54
    ages = [age(r) for r in rows]
    assert min(ages) >= 18 and max(ages) <= 95
    assert 0.6 < sum(45 <= a <= 80 for a in ages) / len(ages) < 0.85


def test_most_patients_are_han():
    rows = population()
    han = sum(r["patient"]["ethnicity"] == "01" for r in rows) / len(rows)
    assert 0.88 < han < 0.95
    assert any(r["patient"]["ethnicity"] != "01" for r in rows)


def _band_rate(rows, code, band):
    low, high = synthetic_tables.AGE_BANDS[band]
    in_band = [r for r in rows if low <= age(r) <= high]
    return sum(code in codes(r) for r in in_band) / len(in_band), len(in_band)


@pytest.mark.parametrize("code", ["I10", "E11.9", "E78.5", "J44.9", "K76.0"])
@pytest.mark.parametrize("band", range(len(synthetic_tables.AGE_BANDS)))
def test_prevalence_by_age_band_is_within_sampling_error_of_the_table(code, band):
    observed, n = _band_rate(population(), code, band)
    expected = synthetic_tables.CONDITIONS[code][2][band]
    error = (expected * (1 - expected) / n) ** 0.5
    assert abs(observed - expected) < 4 * error + 0.01


@pytest.mark.parametrize(
    ("code", "published", "tolerance"),
    [
        ("I10", 0.275, 0.03),  # 27.5 % of adults: China's 2020 chronic disease report
        ("E11.9", 0.119, 0.02),  # 11.9 %; Li Y et al., BMJ 2020 gives 12.8 %
        ("E78.5", 0.356, 0.04),  # ~35.6 %: Chinese lipid management guideline 2023
        ("N18.9", 0.082, 0.015),  # 8.2 %: Wang L et al., JAMA Intern Med 2023
        ("K76.0", 0.292, 0.03),  # 29.2 %: Zhou F et al., Hepatology 2020
    ],
)
def test_rates_standardized_to_the_census_are_near_the_published_adult_prevalence(code, published, tolerance):
    observed = [_band_rate(population(), code, band)[0] for band in range(len(synthetic_tables.AGE_BANDS))]
    assert abs(synthetic.standardized_rate(observed) - published) < tolerance


def test_hypertension_rises_with_age_and_gout_is_mostly_in_men():
    rows = population()
    rates = [_band_rate(rows, "I10", band)[0] for band in range(len(synthetic_tables.AGE_BANDS))]
    assert rates == sorted(rates)
    gout = [r for r in rows if "M10.9" in codes(r)]
    assert sum(r["patient"]["sex"] == "male" for r in gout) > 0.7 * len(gout)


def test_medicines_match_the_conditions_they_treat():
    for row in population():
        allowed = {m[0] for code in codes(row) for m in synthetic_tables.MEDICATIONS[code]}
        assert {m["name"] for m in row["medications"]} <= allowed
        for medication in row["medications"]:
            assert medication["start_date"] <= TODAY
            assert (
                medication["stop_date"] is None or medication["start_date"] <= medication["stop_date"] < TODAY
            )
    treated = [r for r in population() if "E11.9" in codes(r)]
    on_metformin = sum(any(m["name"] == "盐酸二甲双胍片" for m in r["medications"]) for r in treated)
    assert on_metformin > 0.3 * len(treated)


@pytest.mark.parametrize("years", [1, 5])
def test_encounters_fall_inside_the_window_and_after_registration(years):
    start = TODAY.replace(year=TODAY.year - years)
    for row in population(1000, 3, years):
        registered = row["patient"]["registered_at"].date()
        for encounter in row["encounters"]:
            seen = encounter["admitted_at"].date()
            assert max(start, registered) <= seen <= TODAY
            assert encounter["admitted_at"].tzinfo is not None
            if encounter["discharged_at"] is not None:
                assert encounter["encounter_class"] == "inpatient"
                assert encounter["admitted_at"] < encounter["discharged_at"]
                assert encounter["discharged_at"].date() < TODAY


def test_a_visit_lists_only_conditions_diagnosed_by_its_date():
    for row in population(2000, 5):
        onset = {c["icd10_code"]: c["onset_date"] for c in row["conditions"]}
        for encounter in row["encounters"]:
            seen = encounter["admitted_at"].date()
            for code in re.findall(r"[A-Z][0-9]{2}(?:\.[0-9])?", encounter["diagnoses"]):
                if code in onset:
                    assert onset[code] <= seen, (code, onset[code], seen)


def test_encounters_include_outpatient_visits_inpatient_stays_and_yearly_checks_for_the_elderly():
    rows = population()
    kinds = [e["encounter_class"] for r in rows for e in r["encounters"]]
    assert {"outpatient", "inpatient", "checkup", "emergency", "home"} <= set(kinds)
    assert any(
        e["discharged_at"] for r in rows for e in r["encounters"] if e["encounter_class"] == "inpatient"
    )
    old = [r for r in rows if age(r) >= 65]
    checks = sum(e["encounter_class"] == "checkup" for r in old for e in r["encounters"]) / len(old)
    assert 2 < checks < 5  # about two years in three over five years


def test_tags_follow_conditions_and_age():
    for row in population():
        names = {name for name, _ in row["tags"]}
        assert ("高龄" in names) == (age(row) >= 80)
        active = {c["icd10_code"] for c in row["conditions"] if c["clinical_status"] != "resolved"}
        assert ("高血压" in names) == ("I10" in active)
        assert {source for _, source in row["tags"]} <= {"import", "manual"}


def test_some_patients_have_allergies_family_history_and_a_card():
    rows = population()
    for section, low, high in [("allergies", 0.05, 0.25), ("family_history", 0.3, 0.7)]:
        share = sum(bool(r[section]) for r in rows) / len(rows)
        assert low < share < high, section
    assert 0.25 < sum(r["card"] is not None for r in rows) / len(rows) < 0.35


@pytest.mark.parametrize(
    ("age", "band"), [(18, 0), (29, 0), (30, 1), (59, 2), (60, 3), (79, 4), (80, 5), (100, 5), (10, 0)]
)
def test_age_band(age, band):
    assert synthetic.age_band(age) == band


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="years"):
        list(synthetic.generate(10, 0, 1, TODAY))
