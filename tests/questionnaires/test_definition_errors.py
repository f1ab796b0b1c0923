"""Every definition problem names the item that carries it ("Questionnaire" for the root)."""

from collections.abc import Callable
from typing import Any

import pytest

from careloop.questionnaires.definition import DefinitionError
from careloop.questionnaires.fhir_reading import parse_questionnaire
from careloop.questionnaires.scoring_rules import SCORING_EXTENSION
from tests.questionnaires.sample import MIN_VALUE, ORDINAL, sample

Change = Callable[[dict[str, Any]], None]


def item(data: dict[str, Any], link_id: str) -> dict[str, Any]:
    stack = list(data["item"])
    while stack:
        entry = stack.pop()
        if entry["linkId"] == link_id:
            found: dict[str, Any] = entry
            return found
        stack.extend(entry.get("item", []))
    raise KeyError(link_id)


def scoring(value: str) -> Change:
    return lambda data: data.update(extension=[{"url": SCORING_EXTENSION, "valueString": value}])


CASES: list[tuple[str, Change, str, str]] = [
    ("duplicate linkId", lambda d: item(d, "name").update(linkId="notes"), "notes", "used by 2 items"),
    ("unknown type", lambda d: item(d, "name").update(type="url"), "name", "not a supported item type"),
    ("unknown element", lambda d: item(d, "name").update(initial=[]), "name", "'initial' is not supported"),
    ("unknown root element", lambda d: d.update(meta={}), "Questionnaire", "'meta' is not supported"),
    ("bad status", lambda d: d.update(status="final"), "Questionnaire", "status must be one of"),
    (
        "enableWhen to a missing item",
        lambda d: item(d, "where")["enableWhen"][0].update(question="gone"),
        "where",
        "points at gone, which is not an item",
    ),
    (
        "enableWhen to itself",
        lambda d: item(d, "where")["enableWhen"][0].update(question="where"),
        "where",
        "points at the item itself",
    ),
    (
        "enableWhen to a display item",
        lambda d: item(d, "notes").update(
            enableWhen=[{"question": "thanks", "operator": "exists", "answerBoolean": True}]
        ),
        "notes",
        "a display item that has no answer",
    ),
    (
        "ordering a boolean",
        lambda d: item(d, "per-day")["enableWhen"][0].update(operator=">"),
        "per-day",
        "operator > is not valid for smoker, a boolean",
    ),
    (
        "not a FHIR operator",
        lambda d: item(d, "per-day")["enableWhen"][0].update(operator="~"),
        "per-day",
        "not a FHIR operator",
    ),
    (
        "answer type does not fit the question",
        lambda d: item(d, "per-day").update(
            enableWhen=[{"question": "smoker", "operator": "=", "answerString": "y"}]
        ),
        "per-day",
        "answerString cannot match smoker",
    ),
    (
        "exists without a boolean",
        lambda d: item(d, "notes").update(
            enableWhen=[{"question": "pain", "operator": "exists", "answerString": "y"}]
        ),
        "notes",
        "needs answerBoolean",
    ),
    (
        "coding that is not an option",
        lambda d: item(d, "where")["enableWhen"][0]["answerCoding"].update(code="lots"),
        "where",
        "lots is not an option of pain",
    ),
    (
        "cycle",
        lambda d: item(d, "pain").update(
            enableWhen=[{"question": "where", "operator": "exists", "answerBoolean": True}]
        ),
        "pain",
        "cycle",
    ),
    ("choice without options", lambda d: item(d, "pain").pop("answerOption"), "pain", "needs answerOption"),
    (
        "options on a string",
        lambda d: item(d, "name").update(answerOption=[{"valueString": "x"}]),
        "name",
        "only supported on choice",
    ),
    ("group without children", lambda d: item(d, "about").update(item=[]), "about", "needs child items"),
    ("repeating group", lambda d: item(d, "about").update(repeats=True), "about", "repeating groups"),
    ("required display", lambda d: item(d, "thanks").update(required=True), "thanks", "cannot be required"),
    (
        "maxLength on a date",
        lambda d: item(d, "birth").update(maxLength=5),
        "birth",
        "maxLength does not apply",
    ),
    ("negative maxLength", lambda d: item(d, "notes").update(maxLength=0), "notes", "positive integer"),
    (
        "minValue of the wrong type",
        lambda d: item(d, "birth").update(extension=[{"url": MIN_VALUE, "valueInteger": 3}]),
        "birth",
        "does not fit a date item",
    ),
    (
        "minValue not a date",
        lambda d: item(d, "birth").update(extension=[{"url": MIN_VALUE, "valueDate": "soon"}]),
        "birth",
        "not a valid date value",
    ),
    (
        "minValue above maxValue",
        lambda d: item(d, "per-day")["extension"][0].update(valueInteger=500),
        "per-day",
        "minValue is above maxValue",
    ),
    (
        "unknown extension",
        lambda d: item(d, "name").update(extension=[{"url": "https://example.org/x", "valueString": "y"}]),
        "name",
        "extension 'https://example.org/x' is not supported",
    ),
    (
        "score that is not a number",
        lambda d: item(d, "pain")["answerOption"][0].update(
            extension=[{"url": ORDINAL, "valueDecimal": "0"}]
        ),
        "pain",
        "needs a numeric valueDecimal",
    ),
    (
        "dateTime without a time zone",
        lambda d: item(d, "notes").update(
            enableWhen=[{"question": "seen", "operator": ">", "answerDateTime": "2026-01-01T10:00:00"}]
        ),
        "notes",
        "needs a time zone",
    ),
    ("bad enableBehavior", lambda d: item(d, "where").update(enableBehavior="some"), "where", "all or any"),
    ("scoring not JSON", scoring("{"), "Questionnaire", "not valid JSON"),
    (
        "score naming a missing item",
        scoring('{"scores": [{"code": "t", "items": ["gone"], "bands": []}]}'),
        "Questionnaire",
        "score t names gone",
    ),
    (
        "score over an unscored item",
        scoring('{"scores": [{"code": "t", "items": ["visits"], "bands": []}]}'),
        "visits",
        "score on every option",
    ),
    (
        "overlapping bands",
        scoring(
            '{"scores": [{"code": "t", "items": ["pain"], "bands": ['
            '{"min": 0, "max": 1, "code": "a", "en": "A"}, {"min": 1, "max": 1, "code": "b", "en": "B"}]}]}'
        ),
        "Questionnaire",
        "bands a and b overlap",
    ),
]


@pytest.mark.parametrize(
    ("change", "where", "message"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_definition_problem_names_the_item(change, where, message):
    data = sample()
    change(data)
    with pytest.raises(DefinitionError) as raised:
        parse_questionnaire(data)
    assert any(p.where == where and message in p.message for p in raised.value.problems), (
        raised.value.problems
    )


def test_every_problem_is_reported_not_just_the_first():
    data = sample()
    item(data, "name").update(type="url")
    item(data, "notes").update(maxLength=0)
    with pytest.raises(DefinitionError) as raised:
        parse_questionnaire(data)
    assert {p.where for p in raised.value.problems} == {"name", "notes"}


def test_not_a_questionnaire_is_refused():
    with pytest.raises(DefinitionError, match="Questionnaire: resourceType must be Questionnaire"):
        parse_questionnaire({"resourceType": "Patient"})
