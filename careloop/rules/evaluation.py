"""Whether a rule holds for one patient, given that patient's facts.

Missing values. A fact may be unknown (no blood pressure on record, sex not recorded): the facts answer
None. The language keeps two values, true and false, with these rules, chosen so that one SQL query over
the fact tables gives the same answers (each condition compiles to an EXISTS subquery or to a comparison
wrapped so that NULL reads false):

- a comparison with a missing side is false, whatever the operator: with `latest("8480-6")` unknown,
  `latest("8480-6") >= 140` and `latest("8480-6") < 140` are both false, and so is `!=`;
- `x in [...]` with `x` missing is false;
- a boolean fact standing alone is true only when it is known and true (`deceased` unknown is false);
- `not` negates the two-valued result: `not (latest("8480-6") >= 140)` is TRUE when the value is
  missing. So `not (x == v)` and `x != v` differ exactly when `x` is missing; write the one you mean;
- `and` / `or` combine the two-valued results as usual (no NULL propagates past a comparison).

In SQL: `EXISTS (SELECT 1 FROM latest_value WHERE patient = p AND code = '8480-6' AND value >= 140)`,
and `NOT EXISTS (...)` for the negation; a field on the patient row compiles to `COALESCE(cmp, FALSE)`.

Functions over sets answer false or zero, never None, when the set is empty: `has_condition` is false for
a patient without diagnoses, `open_alerts()` is 0.

`evaluate` expects a rule that passed validation (`parse`, `parse_json`); it does no type checks.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Protocol

from careloop.rules.nodes import And, Call, Compare, Expr, Field, In, Literal, Not, Operand, Or, Value

ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class Facts(Protocol):
    """What is true of one patient now. `careloop.rules.facts.Snapshot` is a plain implementation.

    Each answer has the vocabulary's type for that name (a number for `age`, a bool for `has_tag`),
    or None when it is not known.
    """

    def field(self, name: str) -> Value | None: ...

    def call(self, name: str, args: tuple[Value, ...]) -> Value | None: ...


def evaluate(rule: Expr, facts: Facts) -> bool:
    """Whether the rule holds for the patient whose facts these are (see the module doc for None)."""
    match rule:
        case And(items=items):
            return all(evaluate(item, facts) for item in items)
        case Or(items=items):
            return any(evaluate(item, facts) for item in items)
        case Not(item=item):
            return not evaluate(item, facts)
        case Compare(op=op, left=left, right=right):
            left_value, right_value = value_of(left, facts), value_of(right, facts)
            if left_value is None or right_value is None:
                return False
            return ORDER[op](left_value, right_value)
        case In(item=item, values=values):
            found = value_of(item, facts)
            return found is not None and any(found == value.value for value in values)
        case _:
            return value_of(rule, facts) is True


def value_of(operand: Operand, facts: Facts) -> Value | None:
    match operand:
        case Literal(value=value):
            return value
        case Field(name=name):
            return facts.field(name)
        case Call(name=name, args=args):
            return facts.call(name, tuple(arg.value for arg in args))
