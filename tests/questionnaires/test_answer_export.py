"""Answers as CSV and NDJSON (pure): the columns over every version, one row per answer, no identifiers."""

import codecs
import csv
import datetime
import io
import json

import pytest

from careloop.questionnaires.answer_export import (
    AnswerRow,
    columns_of,
    csv_pieces,
    csv_row,
    ndjson_pieces,
    safe_cell,
)
from careloop.questionnaires.instruments import instrument_json

AT = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)
RESPONSE = {
    "resourceType": "QuestionnaireResponse",
    "status": "completed",
    "subject": {"reference": "Patient/7"},
    "item": [
        {
            "linkId": "g",
            "item": [{"linkId": "1", "answer": [{"valueCoding": {"code": "a", "display": "从不"}}]}],
        },
        {"linkId": "2", "answer": [{"valueBoolean": True}]},
        {"linkId": "3", "answer": [{"valueString": "=1+1"}, {"valueString": "b"}]},
        {"linkId": "4", "answer": [{"valueQuantity": {"value": 72.5, "unit": "kg"}}]},
    ],
}
SCORES = {
    "scores": [{"code": "s", "total": 4, "band": {"code": "mild", "en": "mild", "zh": "轻度"}}],
    "flags": [{"code": "f1", "raised": True}, {"code": "f2", "raised": False}],
}


def row(patient_id: int | None = 7, name: str | None = "张三") -> AnswerRow:
    return AnswerRow(11, AT, 2, patient_id, name, "staff", RESPONSE, SCORES)


def test_the_columns_are_the_newest_versions_questions_then_those_only_older_ones_asked():
    old = {"item": [{"linkId": "1", "type": "string"}, {"linkId": "gone", "type": "integer"}]}
    new = {
        "item": [
            {"linkId": "g", "type": "group", "item": [{"linkId": "2", "type": "boolean"}]},
            {"linkId": "i", "type": "display"},
            {"linkId": "1", "type": "string"},
        ]
    }
    assert columns_of([new, old]).link_ids == ("2", "1", "gone")


def test_score_codes_come_from_the_scoring_extension():
    assert columns_of([instrument_json("phq-9", "zh")]).score_codes == ("44261-6",)


def test_one_row_per_answer_with_each_question_total_band_and_raised_flags():
    columns = columns_of([{"item": [{"linkId": x, "type": "string"} for x in ("1", "2", "3", "4", "5")]}])
    columns = type(columns)(columns.link_ids, ("s",))
    assert csv_row(row(), columns) == [
        "11", "2026-12-01T09:30:00+00:00", "2", "7", "张三", "staff",
        "从不", "true", "=1+1; b", "72.5 kg", "",
        "4", "mild", "f1",
    ]  # fmt: skip


def test_an_anonymous_answer_has_no_patient_columns_and_no_subject():
    columns = columns_of([])
    assert csv_row(row(None, None), columns)[3:5] == ["", ""]
    resource = json.loads(b"".join(ndjson_pieces([row(None, None)])))
    assert "subject" not in resource and resource["id"] == "11"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("@x", "'@x"),
        ("-5", "-5"),
        ("+1.5", "+1.5"),
        ("-x", "'-x"),
        ("头痛", "头痛"),
    ],
)
def test_cells_that_excel_would_run_as_formulas_stay_text(cell, written):
    assert safe_cell(cell) == written


def test_the_csv_starts_with_a_bom_and_quotes_every_cell_safely():
    data = b"".join(csv_pieces(["a", "b"], [["=1", "x,y"], ["2", "z"]]))
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["a", "b"], ["'=1", "x,y"], ["2", "z"]]


def test_ndjson_has_one_questionnaire_response_per_line():
    lines = b"".join(ndjson_pieces([row(), row(8, "李四")])).decode().splitlines()
    resources = [json.loads(line) for line in lines]
    assert [r["resourceType"] for r in resources] == ["QuestionnaireResponse"] * 2
    assert [r["subject"]["reference"] for r in resources] == ["Patient/7", "Patient/8"]
