"""The canonical text of a rule: what the editor shows and what is stored beside the JSON.

One space around operators, `, ` between arguments and list items, keywords in lower case, and
parentheses only where the tree needs them, plus around a comparison under `not` (`not (age >= 65)`),
which a reader might otherwise take for `(not age) >= 65`. Reading the canonical text gives the same
tree back: `parse(format(rule)) == rule`, and `format(parse(text))` is a fixpoint.
"""

from __future__ import annotations

import math
from decimal import Decimal

from careloop.rules.nodes import And, Call, Compare, Expr, Field, In, Literal, Not, Or, Value


def format(rule: Expr) -> str:
    match rule:
        case Literal(value=value):
            return format_value(value)
        case Field(name=name):
            return name
        case Call(name=name, args=args):
            return f"{name}({', '.join(format_value(arg.value) for arg in args)})"
        case Compare(op=op, left=left, right=right):
            return f"{format(left)} {op} {format(right)}"
        case In(item=item, values=values):
            return f"{format(item)} in [{', '.join(format_value(value.value) for value in values)}]"
        case Not(item=item):
            inner = format(item)
            return f"not ({inner})" if isinstance(item, And | Or | Compare | In) else f"not {inner}"
        case And(items=items):
            return " and ".join(
                f"({format(item)})" if isinstance(item, And | Or) else format(item) for item in items
            )
        case Or(items=items):
            return " or ".join(
                f"({format(item)})" if isinstance(item, Or) else format(item) for item in items
            )


def format_value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a number a rule can hold")
        # The grammar reads plain decimals only: spell 1e+20 out in full, and keep a float's ".0" so that
        # it reads back as the same float.
        plain = f"{Decimal(repr(value)):f}"
        return plain if "." in plain else f"{plain}.0"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
