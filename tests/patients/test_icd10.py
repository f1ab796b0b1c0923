"""The ICD-10 chronic-condition subset and its search (careloop/patients/record/icd10.py)."""

# ruff: noqa: RUF001 -- Chinese names use full-width punctuation, as the catalogue does.

import re

import pytest

from careloop.patients.record import icd10


def codes(query: str, limit: int = 50) -> list[str]:
    return [entry.code for entry in icd10.search(query, limit=limit)]


def test_catalogue_has_at_least_120_unique_well_formed_codes():
    entries = icd10.entries()
    assert len(entries) >= 120
    assert len({e.code for e in entries}) == len(entries)
    bad = [e.code for e in entries if not re.fullmatch(r"[A-Z]\d\d(\.\d)?", e.code)]
    assert bad == []


def test_every_entry_has_a_chinese_and_an_english_name():
    for entry in icd10.entries():
        assert re.search(r"[\u4e00-\u9fff]", entry.name_zh), entry.code
        assert entry.name_en.isascii() and entry.name_en[:1].isupper(), entry.code
        assert entry.initials, entry.code


REQUIRED = [
    "I10", "I11", "I12", "I13", "I15", "E10", "E11", "E11.9", "E12", "E13", "E14", "E78.0", "E78.5",
    "I20", "I21", "I22", "I24", "I25", "I50", "I48", "I63", "I61", "I69", "J44", "J45", "N18.3", "K76.0",
    "B18.1", "K74", "M10", "E79.0", "M81", "E03", "E05", "E04", "E66", "F32", "F33", "F41", "F03", "G30",
    "G20", "G40", "C15", "C16", "C18", "C20", "C22", "C25", "C34", "C50", "C53", "C61", "C67", "C73",
]  # fmt: skip


@pytest.mark.parametrize("code", REQUIRED)
def test_catalogue_covers_the_common_chronic_conditions(code):
    assert icd10.lookup(code) is not None


@pytest.mark.parametrize(
    ("code", "name_zh"),
    [
        ("I10", "特发性（原发性）高血压"),
        ("E11", "2型糖尿病"),
        ("I48", "心房纤颤和扑动"),
        ("J44.9", "未特指的慢性阻塞性肺病"),
        ("N18.5", "慢性肾脏病5期"),
        ("K76.0", "脂肪肝，不可归类在他处者"),
        ("B18.1", "慢性乙型病毒性肝炎不伴有δ因子"),
        ("G20", "帕金森病"),
        ("C34", "支气管和肺恶性肿瘤"),
    ],
)
def test_official_chinese_names(code, name_zh):
    entry = icd10.lookup(code)
    assert entry is not None
    assert entry.name_zh == name_zh


@pytest.mark.parametrize(
    ("typed", "found"),
    [("I10", "I10"), ("i10", "I10"), ("e11.9", "E11.9"), ("E119", "E11.9"), (" N18.3 ", "N18.3"),
     ("X99", None), ("", None), ("I10.9", None)],
)  # fmt: skip
def test_lookup_accepts_the_ways_a_code_is_typed(typed, found):
    entry = icd10.lookup(typed)
    assert (entry.code if entry else None) == found


@pytest.mark.parametrize(
    ("query", "must_include", "first"),
    [
        ("I1", ["I10", "I11", "I12", "I13", "I15"], "I10"),  # code prefix, in code order
        ("e11.", ["E11", "E11.2", "E11.9"], "E11"),  # lower case, with the dot
        ("I10", ["I10"], "I10"),  # exact code first
        ("高血压", ["I10", "I11", "I15"], None),  # Chinese substring
        ("糖尿病", ["E10", "E11", "E14"], None),
        ("gxy", ["I10", "I11"], None),  # pinyin initials of 高血压, anywhere in the name
        ("tnb", ["E11", "E14"], None),  # 糖尿病
        ("2xtnb", ["E11", "E11.9"], "E11"),  # 2型糖尿病, digits kept
        ("dcgdgcxz", ["E78.0"], "E78.0"),  # 单纯高胆固醇血症: 单 read dān, not as the surname shàn
        ("pjsb", ["G20"], "G20"),  # 帕金森病
        ("gout", ["M10", "M10.9"], "M10"),  # English substring, any case
        ("Heart failure", ["I50", "I50.9", "I11.0"], None),
        ("痛风", ["M10"], "M10"),
    ],
)
def test_search_finds_by_code_name_english_or_pinyin_initials(query, must_include, first):
    found = codes(query)
    assert set(must_include) <= set(found)
    if first:
        assert found[0] == first


@pytest.mark.parametrize("query", ["", "   ", "zzzzqq", "不存在的病"])
def test_search_without_a_match_is_empty(query):
    assert codes(query) == []


def test_code_prefix_matches_rank_before_name_matches():
    # "C1" is a code prefix (C11, C15...); no name should push them down.
    found = codes("C1")
    assert found[:5] == ["C11", "C15", "C16", "C17", "C18"]


def before(found: list[str], first: str, others: list[str]) -> bool:
    return all(found.index(first) < found.index(other) for other in others)


@pytest.mark.parametrize(
    ("query", "first", "after"),
    [
        ("高血压", "I10", ["I11", "I12", "I13", "I15"]),  # 原发性高血压 is only "contains", still first
        ("gxy", "I10", ["I11", "I12", "I13"]),
        ("hypertension", "I10", ["I15"]),
        ("I1", "I10", ["I11", "I12", "I13", "I15"]),
        ("糖尿病", "E11", ["E10", "E12", "E13", "E14"]),
        ("tnb", "E11", ["E10", "E12", "E13", "E14"]),
        ("diabetes", "E11", ["E10", "E12", "E13", "E14"]),
        ("E1", "E11", ["E10", "E12", "E13", "E14"]),
    ],
)
def test_the_common_primary_care_code_is_listed_first(query, first, after):
    found = codes(query)
    assert found[0] == first
    assert before(found, first, after)


@pytest.mark.parametrize(
    ("query", "expected_start"),
    [
        ("I11", ["I11", "I11.0", "I11.9"]),  # an exact code beats commonness
        ("E10", ["E10", "E10.1", "E10.2"]),
        ("糖尿病", ["E11", "E11.0", "E11.1"]),  # then the common code's subcodes, before E10
        ("I15", ["I15", "I15.0"]),  # no common code matches: match strength, then code order
    ],
)
def test_exact_codes_then_common_families_then_match_strength(query, expected_start):
    assert codes(query)[: len(expected_start)] == expected_start


@pytest.mark.parametrize(
    ("code", "commonness"),
    [("I10", (0, 0)), ("E11", (1, 0)), ("e11.9", (1, 1)), ("E10", (2, 0)), ("I11", (2, 0))],
)
def test_commonness_places_a_code_and_its_subcodes(code, commonness):
    assert icd10.commonness(code) == commonness


def test_search_respects_the_limit():
    assert len(icd10.search("I", limit=5)) == 5


@pytest.mark.parametrize(
    ("name", "letters"),
    [("特发性（原发性）高血压", "tfxyfxgxy"), ("2型糖尿病", "2xtnb"), ("单纯高胆固醇血症", "dcgdgcxz")],
)
def test_name_initials_skip_punctuation_and_surname_readings(name, letters):
    assert icd10.name_initials(name) == letters


@pytest.mark.parametrize(("language", "name"), [("zh-hans", "痛风"), ("en", "Gout"), ("zh-hant", "痛风")])
def test_entry_name_follows_the_language(language, name):
    entry = icd10.lookup("M10")
    assert entry is not None
    assert entry.name(language) == name
