"""The canonical text (careloop/rules/formatting.py) and the JSON form (careloop/rules/jsonform.py)."""

import json

import pytest

from careloop.rules import RuleError, format, parse, parse_json, to_json
from careloop.rules.default_tags import DEFAULT_TAGS
from careloop.rules.formatting import format_value


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("age>=65", "age >= 65"),
        ("age   >=\n 65", "age >= 65"),
        ('has_condition( "I10" )', 'has_condition("I10")'),
        ('discharged_within(30,"")', 'discharged_within(30, "")'),
        ('sex in ["male","female"]', 'sex in ["male", "female"]'),
        ("not age >= 65", "not (age >= 65)"),
        ("not (deceased)", "not deceased"),
        ("not (deceased or moved)", "not (deceased or moved)"),
        ("((deceased or moved)) and age >= 65", "(deceased or moved) and age >= 65"),
        ("deceased or (moved and age >= 65)", "deceased or moved and age >= 65"),
        ("deceased and (moved and true)", "deceased and (moved and true)"),
        ("deceased or (moved or true)", "deceased or (moved or true)"),
        ("(deceased or moved) or true", "(deceased or moved) or true"),
        ('latest("1558-6") >= 7.0', 'latest("1558-6") >= 7.0'),
        ('latest("1558-6") >= 007', 'latest("1558-6") >= 7'),
        ('has_tag("say \\"hi\\"")', 'has_tag("say \\"hi\\"")'),
        ('has_tag("高血压") and deceased == false', 'has_tag("高血压") and deceased == false'),
    ],
)
def test_a_rule_has_one_canonical_text_that_reads_back_the_same(text, canonical):
    rule = parse(text)
    assert format(rule) == canonical
    assert parse(canonical) == rule
    assert format(parse(canonical)) == canonical


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-3, "-3"),
        (6.5, "6.5"),
        (7.0, "7.0"),
        (1e20, "100000000000000000000.0"),
        (1e-5, "0.00001"),
        ("a\\b", '"a\\\\b"'),
    ],
)
def test_a_literal_is_written_as_the_grammar_reads_it(value, text):
    assert format_value(value) == text


def test_json_has_one_shape_per_node():
    rule = parse('age >= 65 and not (sex in ["male"]) or has_tag("高血压") and latest("8480-6") >= 140.5')
    assert to_json(rule) == {
        "any": [
            {
                "all": [
                    {"op": ">=", "left": {"field": "age"}, "right": 65},
                    {"not": {"op": "in", "left": {"field": "sex"}, "right": ["male"]}},
                ]
            },
            {
                "all": [
                    {"call": "has_tag", "args": ["高血压"]},
                    {"op": ">=", "left": {"call": "latest", "args": ["8480-6"]}, "right": 140.5},
                ]
            },
        ]
    }


ROUND_TRIPS = [
    True,
    {"field": "deceased"},
    {"call": "has_tag", "args": ["高血压"]},
    {"op": ">=", "left": {"call": "bmi", "args": []}, "right": 28.0},
    {"op": "<=", "left": 65, "right": {"field": "age"}},
    {"op": ">=", "left": {"call": "latest", "args": ["1558-6"]}, "right": 7.0},
    {"op": "in", "left": {"call": "band", "args": ["44261-6"]}, "right": ["moderate", "severe"]},
    {"not": {"not": {"call": "consent", "args": ["sms"]}}},
    {"all": [{"field": "deceased"}, {"all": [{"field": "moved"}, True]}]},
    {"any": [{"any": [{"field": "deceased"}, {"field": "moved"}]}, {"all": [True, False]}]},
    {"call": "discharged_within", "args": [30, "心内科"]},
]


@pytest.mark.parametrize("data", ROUND_TRIPS)
def test_json_reads_into_a_rule_and_writes_back_identical(data):
    rule = parse_json(data)
    assert json.dumps(to_json(rule), ensure_ascii=False) == json.dumps(data, ensure_ascii=False)
    assert parse(format(rule)) == rule  # and the rule survives its text form too
    assert json.dumps(to_json(parse(format(rule)))) == json.dumps(data)


@pytest.mark.parametrize("text", list(DEFAULT_TAGS.values()))
def test_text_to_json_and_back_keeps_the_rule(text):
    rule = parse(text)
    assert parse_json(json.loads(json.dumps(to_json(rule)))) == rule
    assert format(parse_json(to_json(rule))) == format(rule)


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ({"field": "age", "extra": 1}, "$", "an object with the keys extra, field is not a rule node"),
        ({"call": "bmi"}, "$", "keys call is not a rule node"),
        ({}, "$", "keys none"),
        (
            {"op": "~", "left": {"field": "age"}, "right": 1},
            "$.op",
            "op is one of ==, !=, <, <=, >, >= or in, not '~'",
        ),
        (
            {"op": "==", "left": {"not": True}, "right": 1},
            "$.left",
            "compares a literal, a field or a call, not a condition",
        ),
        ({"op": "in", "left": {"field": "sex"}, "right": "male"}, "$.right", "a list is expected here"),
        (
            {"all": [{"field": "deceased"}, None]},
            "$.all[1]",
            "a literal is a number, a string, true or false, not None",
        ),
        ({"all": [{"field": "deceased"}]}, "$", '"all" needs at least two conditions'),
        ({"any": []}, "$", '"any" needs at least two conditions'),
        ({"field": ""}, "$.field", "a name is a non-empty string"),
        ({"call": "has_tag", "args": [[1]]}, "$.args[0]", "a literal is a number"),
        ({"call": "has_tag", "args": ["a\nb"]}, "$.args[0]", "no line break"),
        ({"op": ">", "left": {"call": "bmi", "args": []}, "right": float("nan")}, "$.right", "not nan"),
        ([1], "$", "a literal is a number, a string, true or false, not [1]"),
        ({"not": {"field": "age"}}, "$.not", "age is a number, not a condition"),
    ],
)
def test_json_that_is_no_rule_is_refused_at_its_path(data, path, message):
    with pytest.raises(RuleError) as caught:
        parse_json(data)
    assert caught.value.path == path
    assert message in caught.value.message
