"""The one rule language of CareLoop: tags, protocol triggers and alerts are all rules over patient facts.

    rule = parse('age >= 65 and has_condition("I10") and latest("8480-6") >= 140')
    format(rule)            # the canonical text
    to_json(rule)           # the structured form; parse_json(to_json(rule)) == rule
    evaluate(rule, facts)   # for one patient; a Django layer compiles the same tree to SQL
    facts_read(rule)        # the facts it reads, for the facts refresh

Pure: no Django import anywhere in this package (tests/rules/test_pure_modules.py). The text grammar is
in `parsing`, the nodes in `nodes`, the facts schema in `vocabulary`, the checks in `validation`, the JSON
shape in `jsonform`, the missing-value semantics in `evaluation`, one patient's facts in `facts`.
"""

from careloop.rules.errors import RuleError
from careloop.rules.evaluation import Facts, evaluate
from careloop.rules.formatting import format
from careloop.rules.jsonform import parse_json, to_json
from careloop.rules.nodes import (
    And,
    Call,
    Compare,
    Expr,
    Fact,
    Field,
    In,
    Literal,
    Not,
    Operand,
    Or,
    Span,
    Value,
    children,
    facts_read,
    walk,
)
from careloop.rules.parsing import parse_syntax
from careloop.rules.validation import problems, validate
from careloop.rules.vocabulary import VOCABULARY, Vocabulary


def parse(text: str, vocabulary: Vocabulary = VOCABULARY) -> Expr:
    """The rule written in `text`, checked against the vocabulary; RuleError at the first problem."""
    return validate(parse_syntax(text), vocabulary)


__all__ = [
    "VOCABULARY",
    "And",
    "Call",
    "Compare",
    "Expr",
    "Fact",
    "Facts",
    "Field",
    "In",
    "Literal",
    "Not",
    "Operand",
    "Or",
    "RuleError",
    "Span",
    "Value",
    "Vocabulary",
    "children",
    "evaluate",
    "facts_read",
    "format",
    "parse",
    "parse_json",
    "parse_syntax",
    "problems",
    "to_json",
    "validate",
    "walk",
]
