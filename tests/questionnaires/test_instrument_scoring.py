"""Shipped instruments score as ../shared/reference/instruments.md publishes them."""

import pytest

from careloop.questionnaires.definition import Questionnaire
from careloop.questionnaires.instruments import SHIPPED, instrument
from careloop.questionnaires.responses import validate_answers
from careloop.questionnaires.scoring import InvalidAnswers, score_answers
from careloop.questionnaires.scoring_rules import ScoringRules

# The instruments with a total; the forms shipped beside them (check-ins, intake...) have none.
SCORED = [shipped for shipped in SHIPPED if (rules := instrument(*shipped).scoring) and rules.scores]


def answers_for(questionnaire: Questionnaire, scores: dict[str, int]) -> dict[str, list[object]]:
    """The answer whose option carries each wanted score."""
    answers: dict[str, list[object]] = {}
    for link_id, score in scores.items():
        option = next(o for o in questionnaire.item(link_id).answer_options if o.score == score)
        answers[link_id] = [option.value]
    return answers


def answers_for_total(questionnaire: Questionnaire, total: int) -> dict[str, list[object]]:
    """Fill the scored items in order, each up to its highest score, until `total` is reached."""
    assert isinstance(questionnaire.scoring, ScoringRules)
    scores, remaining = {}, total
    for link_id in questionnaire.scoring.scores[0].items:
        highest = max(int(o.score or 0) for o in questionnaire.item(link_id).answer_options)
        scores[link_id] = min(remaining, highest)
        remaining -= scores[link_id]
    assert remaining == 0, f"{total} is above the instrument's range"
    return answers_for(questionnaire, scores)


# (instrument, total, sex, policy, band code), from the reference's tables: each band's min and max.
PUBLISHED = [
    *[
        ("phq-9", t, None, None, band)
        for t, band in [
            (0, "none-minimal"),
            (4, "none-minimal"),
            (5, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (14, "moderate"),
            (15, "moderately-severe"),
            (19, "moderately-severe"),
            (20, "severe"),
            (27, "severe"),
        ]
    ],
    *[
        ("phq-2", t, None, None, band)
        for t, band in [(0, "negative"), (2, "negative"), (3, "positive"), (6, "positive")]
    ],
    *[
        ("gad-7", t, None, None, band)
        for t, band in [
            (0, "minimal"),
            (4, "minimal"),
            (5, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (14, "moderate"),
            (15, "severe"),
            (21, "severe"),
        ]
    ],
    *[
        ("gad-2", t, None, None, band)
        for t, band in [(0, "negative"), (2, "negative"), (3, "positive"), (6, "positive")]
    ],
    *[
        ("audit-c", t, "male", None, band)
        for t, band in [(0, "negative"), (3, "negative"), (4, "positive"), (12, "positive")]
    ],
    *[
        ("audit-c", t, "female", None, band)
        for t, band in [(0, "negative"), (2, "negative"), (3, "positive"), (12, "positive")]
    ],
    # VA/DoD's >= 5 for both sexes: an alternative policy, used only when asked for.
    *[
        ("audit-c", t, sex, "va-dod", band)
        for sex in (None, "male", "female")
        for t, band in [
            (0, "negative"),
            (4, "negative"),
            (5, "positive"),
            (12, "positive"),
        ]
    ],
]


@pytest.mark.parametrize(
    ("language", "name", "total", "sex", "policy", "band"),
    [(language, *case) for case in PUBLISHED for language in ("en", "zh") if (case[0], language) in SCORED],
)
def test_boundary_totals_land_in_the_published_band(language, name, total, sex, policy, band):
    questionnaire = instrument(name, language)
    result = score_answers(
        questionnaire, answers_for_total(questionnaire, total), sex=sex, policy=policy
    ).scores[0]
    assert (result.total, result.band and result.band.code) == (total, band)


@pytest.mark.parametrize(("name", "language"), SCORED)
def test_every_shipped_band_is_checked_at_both_ends(name, language):
    rules = instrument(name, language).scoring
    assert isinstance(rules, ScoringRules)
    shipped = {(b.min, b.sex, b.policy, b.code) for s in rules.scores for b in s.bands}
    shipped |= {(b.max, b.sex, b.policy, b.code) for s in rules.scores for b in s.bands}
    published = {(t, sex, policy, band) for n, t, sex, policy, band in PUBLISHED if n == name}
    assert shipped <= published


def test_audit_c_gives_no_band_when_the_sex_is_not_known():
    questionnaire = instrument("audit-c", "en")
    result = score_answers(questionnaire, answers_for_total(questionnaire, 4)).scores[0]
    assert (result.total, result.band) == (4, None)
    assert "sex-specific" in (result.reason or "")


@pytest.mark.parametrize(("item_9", "raised"), [(0, False), (1, True), (2, True), (3, True)])
def test_phq_9_item_9_above_zero_raises_the_alert_whatever_the_total(item_9, raised):
    questionnaire = instrument("phq-9", "en")
    scores = {str(n): 0 for n in range(1, 9)} | {"9": item_9}
    answers = answers_for(questionnaire, scores)
    if item_9:  # a total above 0 also asks the (unscored) difficulty item
        answers["10"] = [questionnaire.item("10").answer_options[0].value]
    result = score_answers(questionnaire, answers)
    assert result.flag("phq-9-item-9-suicide-risk").raised is raised
    assert result.score("44261-6").total == item_9


def test_phq_9_with_item_9_unanswered_is_not_scored_and_the_alert_is_undecided():
    questionnaire = instrument("phq-9", "zh")
    result = score_answers(questionnaire, answers_for(questionnaire, {str(n): 3 for n in range(1, 9)}))
    assert result.score("44261-6").total is None
    assert result.score("44261-6").reason == "not scored: unanswered item(s) 9"
    assert result.flag("phq-9-item-9-suicide-risk").raised is None


@pytest.mark.parametrize(("name", "language"), SCORED)
def test_a_missing_scored_item_leaves_the_total_uncomputed(name, language):
    questionnaire = instrument(name, language)
    answers = answers_for_total(questionnaire, 0)
    answers.pop("2")
    result = score_answers(questionnaire, answers).scores[0]
    assert (result.total, result.band, result.reason) == (None, None, "not scored: unanswered item(s) 2")


def test_phq_9_difficulty_item_is_asked_only_when_the_total_is_above_zero():
    questionnaire = instrument("phq-9", "en")
    difficulty: dict[str, list[object]] = {"10": [questionnaire.item("10").answer_options[3].value]}
    all_zero = answers_for(questionnaire, {str(n): 0 for n in range(1, 10)})
    assert [e.link_id for e in validate_answers(questionnaire, all_zero | difficulty)] == ["10"]
    assert validate_answers(questionnaire, all_zero) == []
    one = all_zero | answers_for(questionnaire, {"5": 1})
    assert [str(e) for e in validate_answers(questionnaire, one)] == ["10: is required and has no answer"]
    assert validate_answers(questionnaire, one | difficulty) == []


def test_phq_9_difficulty_item_is_not_added_to_the_total():
    questionnaire = instrument("phq-9", "en")
    answers = answers_for_total(questionnaire, 1) | {"10": [questionnaire.item("10").answer_options[3].value]}
    assert score_answers(questionnaire, answers).score("44261-6").total == 1


@pytest.mark.parametrize(
    ("scores", "raised"),
    [
        ({"1": 2, "2": 0, "3": 0}, True),
        ({"1": 4, "2": 0, "3": 0}, True),
        ({"1": 2, "2": 1, "3": 0}, False),
        ({"1": 2, "2": 0, "3": 1}, False),
        ({"1": 0, "2": 0, "3": 0}, False),  # no points at all: not "points from question 1"
    ],
)
def test_audit_c_points_from_question_1_alone_raise_the_review_flag(scores, raised):
    questionnaire = instrument("audit-c", "en")
    result = score_answers(questionnaire, answers_for(questionnaire, scores), sex="female")
    assert result.flag("audit-c-points-from-question-1-only").raised is raised


def test_scoring_refuses_invalid_answers():
    questionnaire = instrument("gad-7", "en")
    with pytest.raises(InvalidAnswers, match="1: 'often' is not one of the answer options"):
        score_answers(questionnaire, {"1": ["often"]})
