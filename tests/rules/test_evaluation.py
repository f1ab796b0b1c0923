"""A rule for one patient (careloop/rules/evaluation.py, facts.py): answers, missing values, facts read."""

import pytest

from careloop.rules import Call, Field, Literal, Or, evaluate, facts_read, parse, walk
from careloop.rules.facts import Discharge, Medication, Reading, Score, Snapshot

NOTHING = Snapshot()  # a patient of whom nothing is known
OLD_HYPERTENSIVE = Snapshot(
    fields={"age": 72, "sex": "female", "deceased": False, "moved": False, "days_since_contact": 40},
    conditions=frozenset({"I10", "E11.9"}),
    tags=frozenset({"高血压"}),
    medications=(Medication("C09AA02", "依那普利"),),
    readings={"8480-6": Reading(152, days=3, trend="worsening"), "8462-4": Reading(88, days=3)},
    scores={"44261-6": Score(16, "moderately_severe")},
    bmi=27.3,
    consents=frozenset({"sms"}),
    discharges=(Discharge(5, "心内科"),),
    open_alerts=2,
)
DEAD = Snapshot(fields={"age": 80, "deceased": True})


@pytest.mark.parametrize(
    ("text", "old", "nothing"),
    [
        ('age >= 65 and has_condition("I10") and latest("8480-6") >= 140', True, False),
        ('has_condition("E11")', True, False),  # a prefix: E11 matches E11.9
        ('has_condition("E11.9")', True, False),
        ('has_condition("E1")', True, False),
        ('has_condition("I1")', True, False),
        ('has_condition("E10")', False, False),
        ('has_tag("高血压")', True, False),
        ('has_medication("C09")', True, False),  # ATC prefix
        ('has_medication("依那普利")', True, False),  # exact name
        ('has_medication("依那")', False, False),  # a name is not a prefix
        ('latest("8480-6") == 152', True, False),
        ('latest_days("8480-6") <= 7', True, False),
        ('trend("8480-6") == "worsening"', True, False),
        ('trend("8462-4") == "stable"', False, False),  # a reading without a trend
        ('score("44261-6") >= 15', True, False),
        ('band("44261-6") in ["moderately_severe", "severe"]', True, False),
        ("bmi() >= 24.0 and bmi() < 28.0", True, False),
        ('consent("sms")', True, False),
        ('consent("wechat")', False, False),
        ('discharged_within(7, "心内科")', True, False),
        ('discharged_within(7, "")', True, False),
        ('discharged_within(4, "")', False, False),
        ('discharged_within(30, "骨科")', False, False),
        ("open_alerts() > 0", True, False),
        ("open_alerts() == 0", False, True),  # a count is 0, never missing
        ("days_since_contact > 30", True, False),
        ('sex == "female"', True, False),
        ("deceased", False, False),
        ("deceased == false", True, False),
        ("true", True, True),
        ("false", False, False),
    ],
)
def test_a_rule_answers_for_one_patient(text, old, nothing):
    rule = parse(text)
    assert (evaluate(rule, OLD_HYPERTENSIVE), evaluate(rule, NOTHING)) == (old, nothing)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Every comparison with a missing fact is false, whatever the operator ...
        ('latest("8480-6") >= 140', False),
        ('latest("8480-6") < 140', False),
        ('latest("8480-6") == 140', False),
        ('latest("8480-6") != 140', False),
        ('sex != "male"', False),
        ("deceased == false", False),
        ("deceased != true", False),
        ("days_since_contact > 90", False),
        ('trend("8480-6") in ["worsening", "stable"]', False),
        ("age in [65, 66]", False),
        ("bmi() >= 28", False),
        # ... a boolean fact standing alone is false when missing ...
        ("deceased", False),
        # ... and not negates that false: SQL's NOT EXISTS gives the same.
        ('not (latest("8480-6") >= 140)', True),
        ('not (sex == "male")', True),
        ("not deceased", True),
        ("not (age in [65, 66])", True),
        ('not (latest("8480-6") >= 140) and not (latest("8480-6") < 140)', True),
        ('latest("8480-6") >= 140 or latest("8480-6") < 140', False),
        # Functions over sets are false or zero when the set is empty.
        ('has_condition("I10")', False),
        ('not has_tag("高血压")', True),
        ("open_alerts() < 1", True),
    ],
)
def test_a_comparison_with_a_missing_fact_is_false_and_its_negation_true(text, expected):
    assert evaluate(parse(text), NOTHING) is expected


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (OLD_HYPERTENSIVE, True),
        (DEAD, False),
        (Snapshot(fields={"age": 70, "moved": True}), False),
        (Snapshot(fields={"age": 70}), True),  # deceased and moved unknown: not excluded
        (Snapshot(fields={"age": 64}), False),
        (NOTHING, False),
    ],
)
def test_a_worklist_style_rule_excludes_the_deceased_and_the_moved(facts, expected):
    rule = parse("age >= 65 and not deceased and not moved")
    assert evaluate(rule, facts) is expected


def test_walk_visits_every_node_parents_first():
    rule = parse('not (age >= 65) or has_tag("x")')
    kinds = [type(node).__name__ for node in walk(rule)]
    assert kinds == ["Or", "Not", "Compare", "Field", "Literal", "Call", "Literal"]
    assert isinstance(rule, Or)
    assert next(iter(walk(rule.items[0]))) is rule.items[0]


def test_a_rule_lists_the_facts_it_reads_once_each():
    rule = parse(
        'age >= 65 and (latest("8480-6") >= 140 or latest("8462-4") >= 90)'
        ' and latest("8480-6") < 180 and bmi() > 1'
    )
    assert facts_read(rule) == {
        Field("age"),
        Call("latest", (Literal("8480-6"),)),
        Call("latest", (Literal("8462-4"),)),
        Call("bmi"),
    }
    assert all(fact.span is None for fact in facts_read(rule))


def test_a_rule_of_literals_reads_no_fact():
    assert facts_read(parse("true")) == frozenset()
