"""Checking a rule against the vocabulary (careloop/rules/validation.py): each problem and where it is."""

import pytest

from careloop.rules import RuleError, parse, parse_json, problems
from careloop.rules.parsing import parse_syntax


@pytest.mark.parametrize(
    ("text", "column", "found", "path", "message"),
    [
        ("agee >= 65", 1, "agee", "$.left", "unknown field agee (did you mean age?)"),
        (
            'lastest("8480-6") > 1',
            1,
            'lastest("8480-6")',
            "$.left",
            "unknown function lastest (did you mean latest(loinc)?)",
        ),
        ("frobnicate", 1, "frobnicate", "$", "unknown field frobnicate"),
        ("Age >= 65", 1, "Age", "$.left", "unknown field Age (did you mean age?)"),
        ("bmi >= 28", 1, "bmi", "$.left", "bmi is a function: write bmi()"),
        ("age() >= 65", 1, "age()", "$.left", "age is a field: write age without parentheses"),
        (
            'latest("8480-6", "8462-4") > 1',
            1,
            'latest("8480-6", "8462-4")',
            "$.left",
            "latest(loinc) takes 1 argument, not 2",
        ),
        ("latest() > 1", 1, "latest()", "$.left", "latest(loinc) takes 1 argument, not 0"),
        ('bmi("x") > 1', 1, 'bmi("x")', "$.left", "bmi() takes 0 arguments, not 1"),
        ("latest(8480) > 1", 8, "8480", "$.left.args[0]", "latest(loinc): loinc is text, not a number"),
        (
            'latest("8480") > 1',
            8,
            '"8480"',
            "$.left.args[0]",
            'loinc is a LOINC code such as "8480-6", not "8480"',
        ),
        (
            'has_condition("i10")',
            15,
            '"i10"',
            "$.args[0]",
            'icd10_prefix is an ICD-10 code such as "I10", not "i10"',
        ),
        ('has_tag("")', 9, '""', "$.args[0]", 'has_tag(name): name is a tag name, not ""'),
        ('discharged_within("30", "")', 19, '"30"', "$.args[0]", "days is a number of days, not text"),
        ("discharged_within(30, 1)", 23, "1", "$.args[1]", "department_or_empty is text, not a number"),
        ('age >= "65"', 1, 'age >= "65"', "$", "cannot compare a number with text"),
        ("sex == 1", 1, "sex == 1", "$", "cannot compare text with a number"),
        ("deceased == 1", 1, "deceased == 1", "$", "cannot compare true or false with a number"),
        (
            'latest_days("8480-6") > age',
            1,
            'latest_days("8480-6") > age',
            "$",
            "cannot compare a number of days with a number",
        ),
        ('sex > "female"', 1, 'sex > "female"', "$", "text can only be compared with == or !="),
        ("deceased >= true", 1, "deceased >= true", "$", "true or false can only be compared with == or !="),
        ("1 < 2", 1, "1 < 2", "$", "compares two fixed values: one side must be a fact"),
        ('sex == "m"', 8, '"m"', "$.right", 'sex is "male" or "female", not "m"'),
        ('"f" == sex', 1, '"f"', "$.left", 'sex is "male" or "female", not "f"'),
        (
            'trend("8480-6") == "up"',
            20,
            '"up"',
            "$.right",
            'trend(loinc) is "worsening", "improving" or "stable", not "up"',
        ),
        ('sex in ["male", "x"]', 17, '"x"', "$.right[1]", 'not "x"'),
        ('age in [60, "70"]', 13, '"70"', "$.right[1]", "a list for a number holds text"),
        ("age in []", 1, "age in []", "$.right", "the list is empty"),
        ("65 in [65]", 1, "65", "$.left", 'a fixed value before "in"'),
        ("deceased in [true]", 1, "deceased in [true]", "$", 'write == true or == false, not "in"'),
        ("age", 1, "age", "$", "age is a number, not a condition: compare it"),
        ('band("44261-6")', 1, 'band("44261-6")', "$", "is text, not a condition"),
        ("65", 1, "65", "$", "65 is a number, not a condition"),
        ("deceased and age", 14, "age", "$.all[1]", "age is a number, not a condition"),
        ("not days_since_contact", 5, "days_since_contact", "$.not", "is a number of days, not a condition"),
        ("moved or bmi()", 10, "bmi()", "$.any[1]", "bmi() is a number, not a condition"),
    ],
)
def test_a_rule_that_makes_no_sense_is_refused_where_it_is_wrong(text, column, found, path, message):
    with pytest.raises(RuleError) as caught:
        parse(text)
    error = caught.value
    assert (error.line, error.column, error.text, error.path) == (1, column, found, path)
    assert message in error.message


def test_every_problem_is_listed_in_the_order_written():
    found = problems(parse_syntax('agee >= 65 and latest("x") > 1 and sex == "m"'))
    assert [(error.column, error.text) for error in found] == [(1, "agee"), (23, '"x"'), (43, '"m"')]


def test_a_days_count_compares_with_a_number_written_in_the_rule():
    assert parse('latest_days("8480-6") <= 90 and days_since_contact > latest_days("8480-6")')


def test_a_problem_in_json_is_reported_by_its_path():
    with pytest.raises(RuleError) as caught:
        parse_json({"all": [{"field": "deceased"}, {"op": ">=", "left": {"field": "agee"}, "right": 65}]})
    error = caught.value
    assert (error.line, error.path, str(error)) == (
        None,
        "$.all[1].left",
        "$.all[1].left: unknown field agee (did you mean age?)",
    )
