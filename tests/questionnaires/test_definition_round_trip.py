import pytest

from careloop.questionnaires.definition import Coding, Questionnaire
from careloop.questionnaires.fhir_reading import ITEM_WEIGHT, ORDINAL_VALUE, parse_questionnaire
from careloop.questionnaires.fhir_writing import to_fhir
from careloop.questionnaires.instruments import SHIPPED, instrument_json
from tests.questionnaires.sample import SEVERITY, sample


@pytest.mark.parametrize(("name", "language"), SHIPPED)
def test_shipped_instrument_exports_as_it_was_read(name, language):
    data = instrument_json(name, language)
    exported = to_fhir(parse_questionnaire(data))
    assert exported == data
    assert to_fhir(parse_questionnaire(exported)) == exported


def test_hand_made_r4_questionnaire_survives_import_and_export():
    exported = to_fhir(parse_questionnaire(sample()))
    assert exported == sample()
    assert to_fhir(parse_questionnaire(exported)) == exported


def test_reading_gives_typed_records():
    questionnaire = parse_questionnaire(sample())
    assert isinstance(questionnaire, Questionnaire)
    per_day = questionnaire.item("per-day")
    assert (per_day.type, per_day.required) == ("integer", True)
    assert questionnaire.parent_of("per-day") == questionnaire.item("about")
    assert per_day.min_value is not None and per_day.min_value.value == 1
    pain = questionnaire.item("pain")
    assert [o.score for o in pain.answer_options] == [0, 1]
    assert pain.answer_options[1].value == Coding(SEVERITY, "some", "Some")
    assert questionnaire.item("where").max_length == 20


def test_item_weight_is_read_and_written_back_as_ordinal_value():
    data = sample()
    pain = data["item"][3]
    for option in pain["answerOption"]:
        option["extension"][0]["url"] = ITEM_WEIGHT
    exported = to_fhir(parse_questionnaire(data))
    assert exported["item"][3]["answerOption"][1]["extension"] == [{"url": ORDINAL_VALUE, "valueDecimal": 1}]


def test_score_on_the_value_coding_is_read_as_lhc_forms_writes_it():
    data = sample()
    option = data["item"][3]["answerOption"][1]
    option["valueCoding"]["extension"] = option.pop("extension")
    assert parse_questionnaire(data).item("pain").answer_options[1].score == 1
