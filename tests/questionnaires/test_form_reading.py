"""The questionnaire form's POST read into answers and back: several choices, an open choice's own words,
and a saved draft put back into the form unchanged."""

from django.http import QueryDict

from careloop.questionnaires.fhir_reading import parse_questionnaire
from careloop.questionnaires.forms import form_data, form_rows, read_answers
from tests.questionnaires.sample import sample


def _definition(single_where: bool = False):
    data = sample()
    if single_where:
        [where] = [item for item in data["item"] if item["linkId"] == "where"]
        where["repeats"] = False
    return parse_questionnaire(data)


def test_a_repeating_choice_takes_every_ticked_option():
    definition = _definition()
    form = read_answers(definition, QueryDict("item-pain=1&item-where=0&item-where=1"))
    assert form.answers["where"] == ["Head", "Chest"] and form.raw["where"] == "0,1"
    [row] = [row for row in form_rows(definition, form) if row["item"].link_id == "where"]
    assert row["multiple"] and [option["checked"] for option in row["options"]] == [True, True]
    assert form_data(definition, form.raw).getlist("item-where") == ["0", "1"]


def test_an_open_choice_takes_its_own_words_even_when_they_are_digits():
    definition = _definition(single_where=True)
    for words in ("Left knee", "3"):
        form = read_answers(definition, QueryDict(f"item-pain=1&item-where=other&item-where-other={words}"))
        assert form.answers["where"] == [words] and form.raw["where"] == f"other:{words}"
        [row] = [row for row in form_rows(definition, form) if row["item"].link_id == "where"]
        assert row["other"] and row["other_checked"] and row["other_text"] == words
        again = read_answers(definition, form_data(definition, form.raw))
        assert again.answers == form.answers and again.raw == form.raw


def test_other_without_words_is_no_answer_and_an_index_out_of_range_is_a_problem():
    definition = _definition(single_where=True)
    assert "where" not in read_answers(definition, QueryDict("item-pain=1&item-where=other")).answers
    form = read_answers(definition, QueryDict("item-pain=1&item-where=7"))
    assert "where" in form.errors and "where" not in form.answers


def test_a_draft_round_trips_through_the_form():
    definition = _definition()
    posted = QueryDict("item-smoker=yes&item-per-day=12&item-pain=1&item-where=1&item-notes=ok&item-seen=")
    form = read_answers(definition, posted)
    assert read_answers(definition, form_data(definition, form.raw)).raw == form.raw
