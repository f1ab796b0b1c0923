from datetime import UTC, date, datetime

import pytest

from careloop.questionnaires.definition import Coding, Quantity
from careloop.questionnaires.fhir_reading import parse_questionnaire
from careloop.questionnaires.responses import build_response, validate_answers
from tests.questionnaires.sample import SEVERITY, sample

SOME = Coding(SEVERITY, "some")
# Answers that pass: every item type, with the smoker's follow-up enabled.
VALID: dict[str, list[object]] = {
    "birth": [date(1960, 5, 1)],
    "smoker": [True],
    "per-day": [10],
    "temperature": [37.2],
    "seen": [datetime(2026, 12, 1, 9, 30, tzinfo=UTC)],
    "pain": [SOME],
    "where": ["Head", "left knee"],
    "visits": [2],
    "notes": ["ok"],
    "name": ["Li"],
    "weight": [Quantity(60, "kg", "http://unitsofmeasure.org", "kg")],
}


@pytest.fixture(scope="module")
def questionnaire():
    return parse_questionnaire(sample())


def test_valid_answers_pass(questionnaire):
    assert validate_answers(questionnaire, VALID) == []


@pytest.mark.parametrize(
    ("change", "link_id", "message"),
    [
        # Changes to a question that others depend on also drop the dependants' answers.
        ({"smoker": [], "per-day": []}, "smoker", "is required and has no answer"),
        ({"per-day": []}, "per-day", "is required and has no answer"),
        ({"smoker": [False]}, "per-day", "is not enabled"),
        ({"pain": [Coding(SEVERITY, "none")]}, "where", "is not enabled"),
        ({"unknown": [1]}, "unknown", "is not an item"),
        ({"about": [1]}, "about", "is a group item and takes no answer"),
        ({"thanks": ["x"]}, "thanks", "is a display item"),
        ({"visits": [1, 2]}, "visits", "takes one answer, got 2"),
        ({"smoker": ["yes"], "per-day": []}, "smoker", "'yes' is not a boolean value"),
        ({"per-day": [True]}, "per-day", "True is not a integer value"),
        ({"per-day": [2.5]}, "per-day", "2.5 is not a integer value"),
        ({"temperature": ["37"]}, "temperature", "is not a decimal value"),
        ({"birth": [datetime(1960, 5, 1, tzinfo=UTC)]}, "birth", "is not a date value"),
        ({"seen": [datetime(2026, 12, 1, 9, 30)]}, "seen", "needs a time zone"),
        ({"weight": [60]}, "weight", "is not a quantity value"),
        ({"per-day": [0]}, "per-day", "below the minimum 1"),
        ({"per-day": [101]}, "per-day", "above the maximum 100"),
        ({"temperature": [46]}, "temperature", "above the maximum 45.5"),
        ({"birth": [date(1899, 12, 31)]}, "birth", "below the minimum 1900-01-01"),
        ({"notes": ["x" * 11]}, "notes", "at most 10 are allowed"),
        ({"where": ["x" * 21]}, "where", "at most 20 are allowed"),
        ({"notes": ["  "]}, "notes", "cannot be blank"),
        (
            {"pain": [Coding(SEVERITY, "lots")], "where": []},
            "pain",
            "code lots is not one of the answer options",
        ),
        ({"pain": ["some"], "where": []}, "pain", "'some' is not one of the answer options"),
        ({"visits": [3]}, "visits", "3 is not one of the answer options"),
        ({"where": [Coding(SEVERITY, "some")]}, "where", "is not one of the answer options"),
    ],
)
def test_each_error_names_the_item(questionnaire, change, link_id, message):
    errors = validate_answers(questionnaire, {**VALID, **change})
    assert [(e.link_id, message in e.message) for e in errors] == [(link_id, True)], errors


@pytest.mark.parametrize(
    ("change", "code", "limit"),
    [
        ({"per-day": []}, "required", None),
        ({"per-day": [0]}, "below_min", 1),
        ({"temperature": [46]}, "above_max", 45.5),
        ({"birth": [date(1899, 12, 31)]}, "below_min", date(1900, 1, 1)),
        ({"notes": ["x" * 11]}, "too_long", 10),
        ({"notes": ["  "]}, "blank", None),
        ({"visits": [3]}, "not_option", None),
        ({"per-day": [2.5]}, "", None),  # only a program sends a decimal to an integer item
        ({"seen": [datetime(2026, 12, 1, 9, 30)]}, "", None),
    ],
)
def test_each_error_a_person_can_cause_has_a_code_for_screens_to_word(questionnaire, change, code, limit):
    [error] = validate_answers(questionnaire, {**VALID, **change})
    assert (error.code, error.limit) == (code, limit)


def test_a_draft_may_leave_required_items_unanswered(questionnaire):
    assert validate_answers(questionnaire, {"name": ["Li"]}, complete=False) == []
    assert [e.link_id for e in validate_answers(questionnaire, {"name": ["Li"]})] == ["smoker"]


def test_response_follows_the_definition(questionnaire):
    response = build_response(
        questionnaire,
        {
            "smoker": [True],
            "per-day": [10],
            "pain": [SOME],
            "seen": [datetime(2026, 12, 1, 9, 30, tzinfo=UTC)],
        },
        authored=datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
        subject_reference="Patient/1",
    )
    assert response == {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": "https://example.org/fhir/Questionnaire/sample-follow-up|0.1",
        "subject": {"reference": "Patient/1"},
        "authored": "2026-12-07T08:00:00+00:00",
        "item": [
            {
                "linkId": "about",
                "text": "About you",
                "item": [
                    {"linkId": "smoker", "text": "Do you smoke?", "answer": [{"valueBoolean": True}]},
                    {"linkId": "per-day", "text": "Cigarettes per day", "answer": [{"valueInteger": 10}]},
                ],
            },
            {
                "linkId": "seen",
                "text": "Last seen",
                "answer": [{"valueDateTime": "2026-12-01T09:30:00+00:00"}],
            },
            # The option's own Coding is written, with its display.
            {
                "linkId": "pain",
                "text": "Pain",
                "answer": [{"valueCoding": {"system": SEVERITY, "code": "some", "display": "Some"}}],
            },
        ],
    }


def test_response_writes_every_value_type(questionnaire):
    items = build_response(questionnaire, VALID)["item"]
    answers = {entry["linkId"]: entry.get("answer") for entry in items}
    assert answers["temperature"] == [{"valueDecimal": 37.2}]
    assert answers["where"] == [{"valueString": "Head"}, {"valueString": "left knee"}]
    assert answers["visits"] == [{"valueInteger": 2}]
    assert answers["weight"] == [
        {"valueQuantity": {"value": 60, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}
    ]
    about = next(entry for entry in items if entry["linkId"] == "about")
    assert about["item"][0] == {
        "linkId": "birth",
        "text": "Date of birth",
        "answer": [{"valueDate": "1960-05-01"}],
    }
