"""Refusal reasons: English where they are made, translated where they are shown."""
# ruff: noqa: RUF001 -- the Chinese translations use full-width punctuation.

import pytest
from django.utils import translation

from careloop.observations.importing.parsed import Problem, because
from careloop.observations.importing.problemkinds import field_text, location_text, reason_text


def test_because_is_the_english_sentence_carrying_its_template():
    reason = because("“%(unit)s” is an unknown unit for %(name)s.", unit="mg/dl", name="glucose")
    assert reason == "“mg/dl” is an unknown unit for glucose."
    assert reason.template == "“%(unit)s” is an unknown unit for %(name)s."
    assert reason.params == {"unit": "mg/dl", "name": "glucose"}
    assert Problem("row 2", "unit", "mg/dl", reason, "unknown_unit").reason == reason


def test_a_template_without_parameters_is_not_formatted():
    assert because("100% sure") == "100% sure"


TEMPLATE = "%(code)s is not an indicator of the catalogue (LOINC code or known name)."


@pytest.mark.parametrize(
    ("language", "template", "params", "expected"),
    [
        ("zh-hans", TEMPLATE, {"code": "X-1"}, "X-1 不是指标目录中的指标（LOINC 代码或已知名称）。"),
        (
            "en",
            TEMPLATE,
            {"code": "X-1"},
            "X-1 is not an indicator of the catalogue (LOINC code or known name).",
        ),
        ("zh-hans", "", {}, "stored before reasons were translatable"),  # no template: the English sentence
        ("zh-hans", TEMPLATE, {}, "stored before reasons were translatable"),  # parameters lost: the sentence
    ],
)
def test_reason_text_translates_the_template_or_falls_back(language, template, params, expected):
    english = "stored before reasons were translatable"
    with translation.override(language):
        assert reason_text(english, template, params) == expected


@pytest.mark.django_db
def test_a_problem_stored_by_the_pipeline_is_shown_in_chinese(org):
    from careloop.observations.importing.pipeline import _problem_row
    from careloop.observations.models import ImportBatch

    batch = ImportBatch.objects.create(organization=org, kind="csv", filename="x.csv")
    problem = Problem("row 3", "code", "X-1", because(TEMPLATE, code="X-1"), "unknown_code")
    stored = _problem_row(batch, problem)
    stored.save()
    stored.refresh_from_db()
    assert stored.reason == "X-1 is not an indicator of the catalogue (LOINC code or known name)."
    with translation.override("zh-hans"):
        assert stored.reason_text.startswith("X-1 不是指标目录中的指标")


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("row 7", "第 7 行"),
        ("line 12", "第 12 行"),
        ("entry 3", "第 3 个条目"),
        ("indicator 1558-6", "indicator 1558-6"),  # not a place we name: as it is
        ("rows 7", "rows 7"),
    ],
)
def test_locations_are_shown_in_chinese(location, expected):
    with translation.override("zh-hans"):
        assert location_text(location) == expected


@pytest.mark.parametrize(
    ("language", "field", "expected"),
    [
        ("zh-hans", "unit", "单位"),
        ("en", "unit", "unit"),
        ("zh-hans", "OBX-6", "单位"),
        ("en", "OBX-6", "unit"),
        ("en", "valueQuantity.unit", "unit"),
        ("zh-hans", "code", "检查项目"),
        ("en", "column C (单位)", "column C (unit)"),
        ("en", "column D (空腹血糖(mmol/L))", "column D (空腹血糖(mmol/L))"),  # not ours: as written
        ("en", "component[1].valueQuantity.unit", "component 1: unit"),
        ("en", "PV1-19", "visit number"),
        ("en", "ZZZ-1", "ZZZ-1"),  # not a field we name: as sent
        ("en", "id_number", "ID number"),
    ],
)
def test_fields_are_named_by_what_they_hold(language, field, expected):
    with translation.override(language):
        assert field_text(field) == expected
