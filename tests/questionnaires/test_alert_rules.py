"""Which answers raise an alert is the instrument's data: a band's or a flag's `alert` in the extension."""

import json

import pytest

from careloop.questionnaires.actions import scores_json
from careloop.questionnaires.definition import Problem
from careloop.questionnaires.instruments import instrument
from careloop.questionnaires.scoring import score_answers
from careloop.questionnaires.scoring_rules import read_scoring_rules, write_scoring_rules
from tests.questionnaires.test_instrument_scoring import answers_for

# (item scores 1-9, the alerts raised as (raised by, severity)): issue 24, "PHQ-9 item 9 >= 1, or a
# total in the severe band, raises an alert at once".
PHQ_9_ALERTS = [
    ((0, 0, 0, 0, 0, 0, 0, 0, 1), {("flag", "urgent")}),  # total 1: item 9 alone
    ((0, 0, 0, 0, 0, 0, 0, 0, 3), {("flag", "urgent")}),
    ((2, 2, 1, 2, 1, 1, 2, 1, 0), set()),  # total 12, moderate, item 9 = 0
    ((3, 3, 3, 3, 3, 2, 1, 1, 0), set()),  # total 19: the top of moderately severe
    ((3, 3, 3, 3, 3, 2, 2, 1, 0), {("band", "high")}),  # total 20: the bottom of severe
    ((3, 3, 3, 3, 3, 3, 3, 3, 3), {("band", "high"), ("flag", "urgent")}),  # total 27
    ((0,) * 9, set()),
]


def raised_alerts(scores: tuple[int, ...], language: str) -> set[tuple[str, str]]:
    questionnaire = instrument("phq-9", language)
    answers = answers_for(questionnaire, {str(n): s for n, s in enumerate(scores, start=1)})
    result = score_answers(questionnaire, answers)
    found = {("band", s.alert) for s in result.scores if s.alert}
    return found | {("flag", f.alert) for f in result.flags if f.alert}


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize(("scores", "expected"), PHQ_9_ALERTS)
def test_phq_9_alerts_on_item_9_and_on_a_severe_total(language, scores, expected):
    assert raised_alerts(scores, language) == expected


def test_an_undecided_flag_raises_no_alert():
    questionnaire = instrument("phq-9", "zh")
    result = score_answers(questionnaire, answers_for(questionnaire, {"1": 3}))
    assert result.flag("phq-9-item-9-suicide-risk").raised is None
    assert result.flag("phq-9-item-9-suicide-risk").alert is None


def test_the_stored_scores_keep_the_alert_of_the_band_and_the_flag():
    questionnaire = instrument("phq-9", "zh")
    answers = answers_for(questionnaire, {str(n): 3 for n in range(1, 10)})
    kept = scores_json(score_answers(questionnaire, answers))
    assert kept["scores"][0]["band"]["alert"] == "high"
    assert [(f["code"], f["raised"], f["alert"]) for f in kept["flags"]] == [
        ("phq-9-item-9-suicide-risk", True, "urgent")
    ]


BAND = {"min": 0, "max": 3, "code": "b", "en": "B", "zh": None}
FLAG = {"code": "f", "en": "F", "zh": None, "when": [{"item": "1", "operator": ">=", "score": 1}]}


@pytest.mark.parametrize(
    ("band", "flag", "problem"),
    [
        ({**BAND, "alert": "urgent"}, {**FLAG, "alert": "high"}, None),
        (BAND, FLAG, None),  # no alert: nothing is written back for it
        ({**BAND, "alert": "loud"}, FLAG, "band 'b' has alert 'loud'; expected one of urgent, high"),
        (BAND, {**FLAG, "alert": "normal"}, "flag 'f' has alert 'normal'; expected one of urgent, high"),
        (BAND, {**FLAG, "alert": ""}, "'alert' must be a non-empty string"),
        ({**BAND, "alert": 1}, FLAG, "'alert' must be a non-empty string"),
    ],
)
def test_alert_is_read_checked_and_written_back(band, flag, problem):
    text = json.dumps({"scores": [{"code": "t", "items": ["1"], "bands": [band]}], "flags": [flag]})
    problems: list[Problem] = []
    rules = read_scoring_rules(text, problems)
    if problem is not None:
        assert rules is None and problem in problems[0].message
        return
    assert rules is not None and problems == []
    assert (rules.scores[0].bands[0].alert, rules.flags[0].alert) == (band.get("alert"), flag.get("alert"))
    assert json.loads(write_scoring_rules(rules)) == {
        "scores": [{"code": "t", "items": ["1"], "bands": [band]}],
        "flags": [flag],
    }
