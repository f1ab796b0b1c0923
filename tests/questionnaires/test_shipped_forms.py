"""The forms shipped beside the scored instruments: check-ins, post-discharge check, satisfaction, intake.

They are CareLoop's own wording (no published instrument), so what is checked is their shape: both
languages ask the same questions with the same codes, nothing is scored, their conditions and flags
work, and the satisfaction survey is marked anonymous.
"""

import re
from typing import Any

import pytest

from careloop.questionnaires.definition import Coding, DefinitionError, Item, Questionnaire
from careloop.questionnaires.definition_checks import check_across_items
from careloop.questionnaires.enablewhen import enabled_link_ids
from careloop.questionnaires.fhir_reading import ANONYMOUS_EXTENSION, parse_questionnaire
from careloop.questionnaires.fhir_writing import to_fhir
from careloop.questionnaires.instruments import SHIPPED, instrument, instrument_json
from careloop.questionnaires.responses import validate_answers
from careloop.questionnaires.scoring import score_answers
from tests.questionnaires.test_instrument_scoring import SCORED

FORMS = ("hypertension-checkin", "diabetes-checkin", "post-discharge", "satisfaction", "intake")
HAN = re.compile(r"[\u4e00-\u9fff]")


def shape(item: Item) -> tuple[Any, ...]:
    """Everything about an item but its wording."""
    return (
        item.link_id,
        item.type,
        item.required,
        item.repeats,
        item.max_length,
        tuple((c.system, c.code) for c in item.code),
        tuple(
            (o.value.system, o.value.code, o.score) if isinstance(o.value, Coding) else (o.value, o.score)
            for o in item.answer_options
        ),
        tuple(
            (c.question, c.operator, c.answer.code if isinstance(c.answer, Coding) else c.answer)
            for c in item.enable_when
        ),
        item.enable_behavior,
        item.min_value,
        item.max_value,
        tuple(shape(child) for child in item.items),
    )


def texts(questionnaire: Questionnaire) -> list[str]:
    found = [questionnaire.title or ""]
    for item, _ in questionnaire.walk():
        found.append(item.text or "")
        found += [o.value.display or "" for o in item.answer_options if isinstance(o.value, Coding)]
    return found


def test_every_form_ships_in_chinese_and_english():
    for name in FORMS:
        assert {(name, "zh"), (name, "en")} <= set(SHIPPED)


def test_the_scored_instruments_are_still_the_published_ones():
    assert {name for name, _ in SCORED} == {"phq-9", "phq-2", "gad-7", "gad-2", "audit-c"}


@pytest.mark.parametrize("name", FORMS)
def test_chinese_and_english_ask_the_same_questions_with_the_same_codes(name):
    zh, en = instrument(name, "zh"), instrument(name, "en")
    assert [shape(item) for item in zh.items] == [shape(item) for item in en.items]
    assert (zh.scoring, zh.anonymous, zh.status, zh.code) == (en.scoring, en.anonymous, en.status, en.code)
    assert all(HAN.search(text) for text in texts(zh) if text), "an untranslated Chinese text"
    assert not any(HAN.search(text) for text in texts(en) if "两" not in text)  # liang is named in en


@pytest.mark.parametrize("name", FORMS)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_form_passes_the_checks_is_active_and_has_no_total(name, language):
    questionnaire = instrument(name, language)
    assert check_across_items(questionnaire) == []
    assert questionnaire.status == "active"  # it cites no clinical cut-off
    assert questionnaire.scoring is None or questionnaire.scoring.scores == ()
    assert "CareLoop" in (questionnaire.description or "")
    assert "CareLoop" in (questionnaire.copyright or "")
    assert to_fhir(questionnaire) == instrument_json(name, language)


def test_only_the_satisfaction_survey_is_anonymous():
    assert [name for name, language in SHIPPED if instrument(name, language).anonymous] == [
        "satisfaction",
        "satisfaction",
    ]


def test_the_anonymous_extension_is_read_and_written_back():
    data = instrument_json("satisfaction", "en")
    assert {"url": ANONYMOUS_EXTENSION, "valueBoolean": True} in data["extension"]  # type: ignore[operator]
    questionnaire = parse_questionnaire(data)
    assert questionnaire.anonymous is True
    assert to_fhir(questionnaire) == data
    data["extension"] = [{"url": ANONYMOUS_EXTENSION, "valueBoolean": False}]
    assert parse_questionnaire(data).anonymous is False
    assert "extension" not in to_fhir(parse_questionnaire(data))  # false is the default: left out


def test_an_anonymous_extension_without_a_boolean_is_refused():
    data = instrument_json("satisfaction", "zh")
    data["extension"] = [{"url": ANONYMOUS_EXTENSION, "valueString": "yes"}]
    with pytest.raises(DefinitionError, match="anonymous-answers extension needs a valueBoolean"):
        parse_questionnaire(data)


def choose(questionnaire: Questionnaire, link_id: str, code: str) -> list[object]:
    options = questionnaire.item(link_id).answer_options
    return [next(o.value for o in options if isinstance(o.value, Coding) and o.value.code == code)]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(
    ("symptoms", "call_back", "raised"),
    [
        ("N", "N", []),
        ("Y", "N", ["post-discharge-new-or-worse-symptoms"]),
        ("N", "Y", ["post-discharge-call-back"]),
        ("Y", "Y", ["post-discharge-new-or-worse-symptoms", "post-discharge-call-back"]),
    ],
)
def test_post_discharge_flags_new_or_worse_symptoms_and_a_call_back_request(
    language, symptoms, call_back, raised
):
    questionnaire = instrument("post-discharge", language)
    answers = {
        "overall": choose(questionnaire, "overall", "same"),
        "new-or-worse-symptoms": choose(questionnaire, "new-or-worse-symptoms", symptoms),
        "medicines": choose(questionnaire, "medicines", "as-prescribed"),
        "complications": choose(questionnaire, "complications", "N"),
        "call-back": choose(questionnaire, "call-back", call_back),
    }
    if symptoms == "Y":
        answers["symptoms-detail"] = ["胸口发闷"]
    assert validate_answers(questionnaire, answers) == []
    result = score_answers(questionnaire, answers)
    assert result.scores == ()
    assert [flag.rule.code for flag in result.flags if flag.raised] == raised


# (form, the answers given, an item, whether the answers enable it)
CONDITIONS = [
    ("hypertension-checkin", {"exercise-times": [0]}, "exercise-minutes", False),
    ("hypertension-checkin", {"exercise-times": [3]}, "exercise-minutes", True),
    ("hypertension-checkin", {"symptoms": ("symptoms", "Y")}, "symptoms-detail", True),
    ("hypertension-checkin", {"symptoms": ("symptoms", "N")}, "symptoms-detail", False),
    ("diabetes-checkin", {"hypoglycaemia": ("hypoglycaemia", "Y")}, "hypoglycaemia-detail", True),
    ("diabetes-checkin", {"adverse-reaction": ("adverse-reaction", "N")}, "adverse-reaction-detail", False),
    ("post-discharge", {"medicines": ("medicines", "partly")}, "medicines-detail", True),
    ("post-discharge", {"medicines": ("medicines", "stopped")}, "medicines-detail", True),
    ("post-discharge", {"medicines": ("medicines", "as-prescribed")}, "medicines-detail", False),
    ("post-discharge", {"medicines": ("medicines", "none-prescribed")}, "medicines-detail", False),
    ("intake", {"allergies": ("allergies", "yes")}, "allergy-details", True),
    ("intake", {"allergies": ("allergies", "unknown")}, "allergy-details", False),
]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("name", "given", "link_id", "enabled"), CONDITIONS)
def test_follow_up_questions_are_asked_only_when_the_answer_calls_for_them(
    language, name, given, link_id, enabled
):
    questionnaire = instrument(name, language)
    answers = {key: choose(questionnaire, *v) if isinstance(v, tuple) else v for key, v in given.items()}
    assert (link_id in enabled_link_ids(questionnaire, answers)) is enabled


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_intake_form_needs_only_the_chief_complaint_and_the_allergy_question(language):
    questionnaire = instrument("intake", language)
    assert [str(e) for e in validate_answers(questionnaire, {})] == [
        "chief-complaint: is required and has no answer",
        "allergies: is required and has no answer",
    ]
    answers: dict[str, list[object]] = {
        "chief-complaint": ["头晕一周"],
        "allergies": choose(questionnaire, "allergies", "no"),
    }
    assert validate_answers(questionnaire, answers) == []


@pytest.mark.parametrize("name", ["hypertension-checkin", "diabetes-checkin"])
def test_a_reading_outside_the_catalogues_plausible_limits_is_refused(name):
    questionnaire = instrument(name, "zh")
    errors = validate_answers(questionnaire, {"systolic": [1200]}, complete=False)
    assert [e.link_id for e in errors] == ["systolic"]
