from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from careloop.questionnaires.definition import Coding, EnableWhen
from careloop.questionnaires.enablewhen import condition_holds, enabled_link_ids, is_enabled
from careloop.questionnaires.fhir_reading import parse_questionnaire

LOINC = "http://loinc.org"
SEVERAL = Coding(LOINC, "LA6569-3")
NOT_AT_ALL = Coding(LOINC, "LA6568-5")
DAY = date(2026, 3, 1)
NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))

# (operator, answer kind, enableWhen answer, answers given, enabled?)
CASES = [
    # exists
    ("exists", "Boolean", True, [1], True),
    ("exists", "Boolean", True, [], False),
    ("exists", "Boolean", False, [], True),
    ("exists", "Boolean", False, ["x"], False),
    # booleans
    ("=", "Boolean", True, [True], True),
    ("=", "Boolean", True, [False], False),
    ("!=", "Boolean", True, [False], True),
    ("!=", "Boolean", True, [True], False),
    ("=", "Boolean", True, [1], False),  # 1 is a number, not true
    # numbers
    ("=", "Integer", 3, [3], True),
    ("=", "Decimal", 3.5, [3.5], True),
    ("=", "Integer", 3, [4], False),
    ("!=", "Integer", 3, [4], True),
    ("!=", "Integer", 3, [3], False),
    (">", "Integer", 3, [4], True),
    (">", "Integer", 3, [3], False),
    ("<", "Decimal", 37.5, [36.8], True),
    ("<", "Decimal", 37.5, [37.5], False),
    (">=", "Integer", 3, [3], True),
    (">=", "Integer", 3, [2], False),
    ("<=", "Decimal", 2.5, [2.5], True),
    ("<=", "Decimal", 2.5, [2.6], False),
    (">", "Integer", 3, [1, 5], True),  # at least one answer
    # dates and dateTimes
    ("=", "Date", DAY, [DAY], True),
    ("!=", "Date", DAY, [DAY + timedelta(days=1)], True),
    (">", "Date", DAY, [DAY + timedelta(days=1)], True),
    ("<", "Date", DAY, [DAY + timedelta(days=1)], False),
    (">=", "Date", DAY, [DAY], True),
    ("<=", "Date", DAY, [DAY - timedelta(days=1)], True),
    ("=", "DateTime", NOON, [datetime(2026, 3, 1, 20, 0, tzinfo=BEIJING)], True),  # same instant
    (">", "DateTime", NOON, [NOON + timedelta(minutes=1)], True),
    ("<", "DateTime", NOON, [NOON + timedelta(minutes=1)], False),
    (">", "Date", DAY, [NOON + timedelta(days=2)], False),  # a dateTime is not a date
    # strings
    ("=", "String", "Head", ["Head"], True),
    ("=", "String", "Head", ["head"], False),
    ("!=", "String", "Head", ["Chest"], True),
    ("!=", "String", "Head", ["Chest", "Head"], False),
    (">", "String", "a", ["b"], False),  # strings are not ordered
    # codings: equal on system and code, display ignored
    ("=", "Coding", SEVERAL, [Coding(LOINC, "LA6569-3", "Several days")], True),
    ("=", "Coding", SEVERAL, [NOT_AT_ALL], False),
    ("=", "Coding", SEVERAL, [Coding("http://other", "LA6569-3")], False),
    ("!=", "Coding", SEVERAL, [NOT_AT_ALL], True),
    ("!=", "Coding", SEVERAL, [SEVERAL], False),
    # no answer: "=" and ordering are false, "!=" holds (no answer equals the value)
    ("=", "Integer", 3, [], False),
    (">", "Integer", 3, [], False),
    ("!=", "Integer", 3, [], True),
]


@pytest.mark.parametrize(("operator", "kind", "expected", "values", "enabled"), CASES)
def test_condition(operator, kind, expected, values, enabled):
    assert condition_holds(EnableWhen("q", operator, kind, expected), values) is enabled


def questionnaire(behavior=None):
    follow_up = {
        "linkId": "follow-up",
        "type": "group",
        "enableWhen": [
            {"question": "smoker", "operator": "=", "answerBoolean": True},
            {"question": "age", "operator": ">=", "answerInteger": 18},
        ],
        "item": [{"linkId": "per-day", "type": "integer"}],
    }
    if behavior:
        follow_up["enableBehavior"] = behavior
    return parse_questionnaire(
        {
            "resourceType": "Questionnaire",
            "status": "draft",
            "item": [
                {"linkId": "smoker", "type": "boolean"},
                {"linkId": "age", "type": "integer"},
                follow_up,
                {
                    "linkId": "quit",
                    "type": "boolean",
                    "enableWhen": [{"question": "per-day", "operator": "exists", "answerBoolean": True}],
                },
            ],
        }
    )


@pytest.mark.parametrize(
    ("behavior", "answers", "enabled"),
    [
        ("all", {"smoker": [True], "age": [40]}, True),
        ("all", {"smoker": [True], "age": [16]}, False),
        ("all", {"smoker": [True]}, False),
        ("any", {"smoker": [False], "age": [40]}, True),
        ("any", {"smoker": [True], "age": [16]}, True),
        ("any", {"smoker": [False], "age": [16]}, False),
        (None, {"smoker": [True], "age": [16]}, False),  # no enableBehavior is read as all
    ],
)
def test_enable_behavior_combines_conditions(behavior, answers, enabled):
    assert is_enabled(questionnaire(behavior), "follow-up", answers) is enabled


def test_children_of_a_disabled_group_are_disabled():
    assert not is_enabled(questionnaire("all"), "per-day", {"smoker": [False], "age": [40]})
    assert is_enabled(questionnaire("all"), "per-day", {"smoker": [True], "age": [40]})


def test_answers_of_a_disabled_question_count_as_absent():
    answers: dict[str, list[object]] = {"smoker": [False], "age": [40], "per-day": [10]}
    assert not is_enabled(questionnaire("all"), "quit", answers)
    assert is_enabled(questionnaire("all"), "quit", {**answers, "smoker": [True]})


def test_enabled_link_ids_lists_items_without_conditions():
    assert enabled_link_ids(questionnaire("all"), {}) == {"smoker", "age"}
