"""The structured JSON form of a rule: one JSON object per node, the shape an API or a rule builder sends.

    literal      140, 6.5, "高血压", true            (a JSON number, string or boolean)
    field        {"field": "age"}
    call         {"call": "latest", "args": ["8480-6"]}          (args: literals, always present)
    comparison   {"op": ">=", "left": <operand>, "right": <operand>}     op: == != < <= > >=
    in a list    {"op": "in", "left": <operand>, "right": [<literal>, ...]}
    not          {"not": <condition>}
    and          {"all": [<condition>, <condition>, ...]}       (two or more)
    or           {"any": [<condition>, <condition>, ...]}       (two or more)

An operand is a literal, a field or a call; a condition is any node. Objects take exactly the keys shown.
`to_json` and `parse_json` are inverse: `to_json(parse_json(data)) == data` for every valid `data`. A
JSON integer stays an integer and a JSON float a float, so the rule reads back identical.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from careloop.rules.errors import RuleError
from careloop.rules.nodes import (
    COMPARISONS,
    And,
    Call,
    Compare,
    Expr,
    Field,
    In,
    Literal,
    Not,
    Operand,
    Or,
    Value,
)
from careloop.rules.validation import validate
from careloop.rules.vocabulary import VOCABULARY, Vocabulary

JSON = None | bool | int | float | str | list["JSON"] | dict[str, "JSON"]


def to_json(rule: Expr) -> JSON:
    match rule:
        case Literal(value=value):
            return value
        case Field(name=name):
            return {"field": name}
        case Call(name=name, args=args):
            return {"call": name, "args": [arg.value for arg in args]}
        case Compare(op=op, left=left, right=right):
            return {"op": op, "left": to_json(left), "right": to_json(right)}
        case In(item=item, values=values):
            return {"op": "in", "left": to_json(item), "right": [value.value for value in values]}
        case Not(item=item):
            return {"not": to_json(item)}
        case And(items=items):
            return {"all": [to_json(item) for item in items]}
        case Or(items=items):
            return {"any": [to_json(item) for item in items]}


def parse_json(data: object, vocabulary: Vocabulary = VOCABULARY) -> Expr:
    """The rule of a JSON value (as `json.loads` returns it), checked against the vocabulary."""
    return validate(read_json(data), vocabulary)


def read_json(data: object, path: str = "$") -> Expr:
    """The rule's shape only, not yet checked against the vocabulary."""
    if not isinstance(data, Mapping):
        return _literal(data, path)
    keys = set(data)
    if keys == {"field"}:
        return Field(_name(data["field"], f"{path}.field"))
    if keys == {"call", "args"}:
        args = _list(data["args"], f"{path}.args")
        return Call(
            _name(data["call"], f"{path}.call"),
            tuple(_literal(arg, f"{path}.args[{i}]") for i, arg in enumerate(args)),
        )
    if keys == {"op", "left", "right"}:
        op, left = data["op"], _operand(data["left"], f"{path}.left")
        if op == "in":
            values = _list(data["right"], f"{path}.right")
            return In(left, tuple(_literal(value, f"{path}.right[{i}]") for i, value in enumerate(values)))
        if op not in COMPARISONS:
            raise RuleError(f"op is one of {', '.join(COMPARISONS)} or in, not {op!r}", path=f"{path}.op")
        return Compare(str(op), left, _operand(data["right"], f"{path}.right"))
    if keys == {"not"}:
        return Not(read_json(data["not"], f"{path}.not"))
    if keys in ({"all"}, {"any"}):
        key = next(iter(keys))
        items = tuple(
            read_json(item, f"{path}.{key}[{i}]") for i, item in enumerate(_list(data[key], f"{path}.{key}"))
        )
        return And(items) if key == "all" else Or(items)
    written = ", ".join(sorted(map(str, keys))) or "none"
    raise RuleError(
        f"an object with the keys {written} is not a rule node: a node has the keys field; call and args; "
        "op, left and right; not; all; or any",
        path=path,
    )


def _operand(data: object, path: str) -> Operand:
    node = read_json(data, path)
    if not isinstance(node, Literal | Field | Call):
        raise RuleError("a comparison compares a literal, a field or a call, not a condition", path=path)
    return node


def _literal(data: object, path: str) -> Literal:
    value: Value
    if isinstance(data, bool | int | str) or (isinstance(data, float) and math.isfinite(data)):
        value = data
    else:
        raise RuleError(f"a literal is a number, a string, true or false, not {data!r}", path=path)
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        raise RuleError("a string in a rule holds no line break", path=path)
    return Literal(value)


def _name(data: object, path: str) -> str:
    if not isinstance(data, str) or not data:
        raise RuleError(f"a name is a non-empty string, not {data!r}", path=path)
    return data


def _list(data: object, path: str) -> list[object]:
    if not isinstance(data, list):
        raise RuleError(f"a list is expected here, not {data!r}", path=path)
    return data
