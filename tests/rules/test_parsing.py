"""Reading the text form of a rule (careloop/rules/parsing.py): shapes, precedence, syntax errors."""

import pytest

from careloop.rules import And, Call, Compare, Field, In, Literal, Not, Or, RuleError, parse, parse_syntax

AGE = Field("age")
SBP = Call("latest", (Literal("8480-6"),))
HTN = Call("has_condition", (Literal("I10"),))
DEAD = Field("deceased")
MOVED = Field("moved")


def ge(left, right):
    return Compare(">=", left, Literal(right))


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("age >= 65", ge(AGE, 65)),
        (
            'age >= 65 and has_condition("I10") and latest("8480-6") >= 140',
            And((ge(AGE, 65), HTN, ge(SBP, 140))),
        ),
        ("65 <= age", Compare("<=", Literal(65), AGE)),
        ('sex == "female"', Compare("==", Field("sex"), Literal("female"))),
        ('sex != "male"', Compare("!=", Field("sex"), Literal("male"))),
        ("age < 18", Compare("<", AGE, Literal(18))),
        ("age > 80", Compare(">", AGE, Literal(80))),
        ('latest("1558-6") >= 7.0', ge(Call("latest", (Literal("1558-6"),)), 7.0)),
        ("days_since_contact > -1", Compare(">", Field("days_since_contact"), Literal(-1))),
        ("deceased", DEAD),
        ("deceased == false", Compare("==", DEAD, Literal(False))),
        ("true", Literal(True)),
        ('has_tag("高血压")', Call("has_tag", (Literal("高血压"),))),
        ('has_tag("say \\"hi\\" \\\\ ok")', Call("has_tag", (Literal('say "hi" \\ ok'),))),
        ("bmi() >= 28", ge(Call("bmi"), 28)),
        ("open_alerts() > 0", Compare(">", Call("open_alerts"), Literal(0))),
        ('discharged_within(30, "")', Call("discharged_within", (Literal(30), Literal("")))),
        ('sex in ["male", "female"]', In(Field("sex"), (Literal("male"), Literal("female")))),
        (
            'band("44261-6") in ["moderate","severe"]',
            In(Call("band", (Literal("44261-6"),)), (Literal("moderate"), Literal("severe"))),
        ),
        ("  age\n  >= 65  ", ge(AGE, 65)),  # layout is free, line breaks included
    ],
)
def test_a_rule_reads_into_its_tree(text, rule):
    assert parse(text) == rule


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        # not binds tighter than and, and tighter than or; a comparison binds tighter than not.
        ("not deceased and moved", And((Not(DEAD), MOVED))),
        ("not age >= 65", Not(ge(AGE, 65))),
        ("deceased or moved and age >= 65", Or((DEAD, And((MOVED, ge(AGE, 65)))))),
        ("deceased and moved or age >= 65", Or((And((DEAD, MOVED)), ge(AGE, 65)))),
        ("(deceased or moved) and age >= 65", And((Or((DEAD, MOVED)), ge(AGE, 65)))),
        ("not (deceased or moved)", Not(Or((DEAD, MOVED)))),
        ("not not deceased", Not(Not(DEAD))),
        # A chain is one n-ary node; written parentheses stay a node of their own.
        ("deceased or moved or true", Or((DEAD, MOVED, Literal(True)))),
        ("deceased and (moved and true)", And((DEAD, And((MOVED, Literal(True)))))),
        ("((deceased))", DEAD),
    ],
)
def test_precedence_is_or_then_and_then_not_then_comparison(text, rule):
    assert parse(text) == rule


def test_a_name_that_starts_with_a_keyword_is_a_name():
    assert parse_syntax("android and order") == And((Field("android"), Field("order")))


def test_a_number_with_a_point_is_a_float_and_without_one_an_int():
    rule = parse('latest("1558-6") >= 7.0 and age >= 7')
    assert isinstance(rule, And)
    rights = [item.right for item in rule.items if isinstance(item, Compare)]
    assert [type(right.value) for right in rights if isinstance(right, Literal)] == [float, int]


def test_each_node_knows_where_it_was_written():
    rule = parse('age >= 65 and\n  has_tag("高血压")')
    assert isinstance(rule, And)
    tag = rule.items[1]
    assert tag.span is not None
    assert (tag.span.line, tag.span.column, tag.span.end_column, tag.span.text) == (
        2,
        3,
        17,
        'has_tag("高血压")',
    )


@pytest.mark.parametrize(
    ("text", "line", "column", "found", "message"),
    [
        ("age >=", 1, 7, "", "the rule ends too early; expected one of: a field or function name, a number"),
        ("age >= 65 65", 1, 11, "65", 'unexpected 65; expected one of: "and", "or", the end of the rule'),
        (
            "age && moved",
            1,
            5,
            "&",
            'unexpected character &; expected one of: "(", a comparison (== != < <= > >=), "in", "and", "or",'
            ' the end of the rule (write "and")',
        ),
        ("age = 65", 1, 5, "=", 'write "==" to compare'),
        ("!deceased", 1, 1, "!", 'write "not", or "!=" to compare'),
        ("has_tag('x')", 1, 9, "'", "strings take double quotes"),
        ('has_tag("x)', 1, 9, '"', "the string is not closed"),
        ("(age >= 65", 1, 11, "", 'the rule ends too early; expected ")"'),
        ("age >= 65)", 1, 10, ")", "unexpected ); expected the end of the rule"),
        (
            "latest(age) > 1",
            1,
            8,
            "age",
            'expected one of: a number, a string in double quotes, "true", "false", ")"',
        ),
        ("sex in male", 1, 8, "male", 'expected "["'),
        (
            "age >= 65 AND moved",
            1,
            11,
            "AND",
            'unexpected AND; expected one of: "and", "or", the end of the rule'
            " (keywords are written in lower case)",
        ),
        ("deceased and\n  or moved", 2, 3, "or", "unexpected or; expected one of: a field or function name"),
        ("", 1, 1, "", "the rule ends too early"),
        (
            'has_tag("a\\tb")',
            1,
            9,
            '"a\\tb"',
            'unknown escape \\t in a string: only \\" and \\\\ are escapes',
        ),
        ("age >= 1e3", 1, 9, "e3", "unexpected e3"),
    ],
)
def test_a_syntax_error_says_where_and_what_could_come_there(text, line, column, found, message):
    with pytest.raises(RuleError) as caught:
        parse(text)
    error = caught.value
    assert (error.line, error.column, error.text) == (line, column, found)
    assert message in error.message
    assert str(error).startswith(f"line {line}, column {column}: ")
