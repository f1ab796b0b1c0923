"""Checks a rule against the vocabulary, so a wrong rule is refused on save and never runs.

A rule must name known facts with the right arguments, compare values of one type, and be a condition
wherever a condition is expected (the whole rule, each side of `and` / `or`, under `not`). Each problem is
a `RuleError` pointing at the part that is wrong: its span when the rule was parsed from text, and always
its JSON path.
"""

from __future__ import annotations

import difflib
import re

from careloop.rules.errors import RuleError
from careloop.rules.formatting import format
from careloop.rules.nodes import And, Call, Compare, Expr, Field, In, Literal, Not, Operand, Or, Value
from careloop.rules.vocabulary import VOCABULARY, Entry, Parameter, Type, Vocabulary

WORDS = {
    Type.NUMBER: "a number",
    Type.DAYS: "a number of days",
    Type.STRING: "text",
    Type.BOOLEAN: "true or false",
}
ORDERED = frozenset({Type.NUMBER, Type.DAYS})


def validate(rule: Expr, vocabulary: Vocabulary = VOCABULARY) -> Expr:
    """The rule itself when it is valid; else the first problem, in the order the rule is written."""
    found = problems(rule, vocabulary)
    if found:
        raise found[0]
    return rule


def problems(rule: Expr, vocabulary: Vocabulary = VOCABULARY) -> list[RuleError]:
    """Every problem of the rule, so that an editor can underline them all at once."""
    checker = _Checker(vocabulary)
    checker.condition(rule, "$")
    return checker.found


def literal_type(value: Value) -> Type:
    if isinstance(value, bool):  # before int: bool is an int in Python
        return Type.BOOLEAN
    if isinstance(value, int | float):
        return Type.NUMBER
    return Type.STRING


class _Checker:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.found: list[RuleError] = []

    def error(self, message: str, node: Expr, path: str) -> None:
        self.found.append(RuleError(message, node.span, path=path))

    def condition(self, node: Expr, path: str) -> None:
        match node:
            case And(items=items) | Or(items=items):
                key = "all" if isinstance(node, And) else "any"
                if len(items) < 2:
                    self.error(f'"{key}" needs at least two conditions', node, path)
                for i, item in enumerate(items):
                    self.condition(item, f"{path}.{key}[{i}]")
            case Not(item=item):
                self.condition(item, f"{path}.not")
            case Compare():
                self.compare(node, path)
            case In():
                self.in_list(node, path)
            case _:
                found = self.type_of(node, path)
                if found is not None and found is not Type.BOOLEAN:
                    self.error(
                        f"{_show(node)} is {WORDS[found]}, not a condition: compare it (for example with >=)",
                        node,
                        path,
                    )

    def type_of(self, node: Operand, path: str) -> Type | None:
        """The operand's type, or None when it is wrong (and the problem is already recorded)."""
        if isinstance(node, Literal):
            return literal_type(node.value)
        entry = self.vocabulary.get(node.name)
        if entry is None:
            kind = "function" if isinstance(node, Call) else "field"
            self.error(f"unknown {kind} {node.name}{self.suggestion(node.name)}", node, path)
            return None
        if isinstance(node, Field) and entry.function:
            self.error(f"{node.name} is a function: write {entry.signature}", node, path)
            return None
        if isinstance(node, Call) and not entry.function:
            self.error(f"{node.name} is a field: write {node.name} without parentheses", node, path)
            return None
        if isinstance(node, Call) and not self.arguments(node, entry, path):
            return None
        return entry.type

    def suggestion(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self.vocabulary.entries), n=1)
        return f" (did you mean {self.vocabulary.entries[close[0]].signature}?)" if close else ""

    def arguments(self, node: Call, entry: Entry, path: str) -> bool:
        if len(node.args) != len(entry.params):
            count = len(entry.params)
            self.error(
                f"{entry.signature} takes {count} argument{'s' if count != 1 else ''}, not {len(node.args)}",
                node,
                path,
            )
            return False
        ok = True
        for i, (arg, param) in enumerate(zip(node.args, entry.params, strict=True)):
            if not self.argument(arg, param, entry, f"{path}.args[{i}]"):
                ok = False
        return ok

    def argument(self, arg: Literal, param: Parameter, entry: Entry, path: str) -> bool:
        found = literal_type(arg.value)
        if not _compatible(found, param.type, literal=True):
            wanted = WORDS[param.type]
            self.error(f"{entry.signature}: {param.name} is {wanted}, not {WORDS[found]}", arg, path)
            return False
        if param.pattern and not re.fullmatch(param.pattern, str(arg.value)):
            wanted = param.hint or f"text matching {param.pattern}"
            self.error(f"{entry.signature}: {param.name} is {wanted}, not {_show(arg)}", arg, path)
            return False
        return True

    def compare(self, node: Compare, path: str) -> None:
        left = self.type_of(node.left, f"{path}.left")
        right = self.type_of(node.right, f"{path}.right")
        if isinstance(node.left, Literal) and isinstance(node.right, Literal):
            self.error("compares two fixed values: one side must be a fact", node, path)
            return
        if left is None or right is None:
            return
        literal = isinstance(node.left, Literal) or isinstance(node.right, Literal)
        if not _compatible(left, right, literal):
            self.error(f"cannot compare {WORDS[left]} with {WORDS[right]}", node, path)
        elif node.op not in ("==", "!=") and left not in ORDERED:
            self.error(f"{WORDS[left]} can only be compared with == or !=", node, path)
        else:
            self.allowed_values(node.left, node.right, f"{path}.left")
            self.allowed_values(node.right, node.left, f"{path}.right")

    def in_list(self, node: In, path: str) -> None:
        item = self.type_of(node.item, f"{path}.left")
        if isinstance(node.item, Literal):
            self.error('a fixed value before "in": it must be a fact', node.item, f"{path}.left")
            return
        if not node.values:
            self.error("the list is empty, so the condition is never true", node, f"{path}.right")
            return
        if item is None:
            return
        if item is Type.BOOLEAN:
            self.error('true or false: write == true or == false, not "in"', node, path)
            return
        for i, value in enumerate(node.values):
            value_path = f"{path}.right[{i}]"
            found = literal_type(value.value)
            if not _compatible(item, found, literal=True):
                self.error(f"a list for {WORDS[item]} holds {WORDS[found]}", value, value_path)
            else:
                self.allowed_values(value, node.item, value_path)

    def allowed_values(self, value: Operand, fact: Operand, path: str) -> None:
        """A string fact with fixed values (sex, trend) compared with a literal outside them."""
        if not isinstance(value, Literal) or isinstance(fact, Literal):
            return
        entry = self.vocabulary.get(fact.name)
        if entry and entry.values and value.value not in entry.values:
            quoted = [f'"{choice}"' for choice in entry.values]
            choices = ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]
            self.error(f"{entry.signature} is {choices}, not {_show(value)}", value, path)


def _compatible(one: Type, other: Type, literal: bool) -> bool:
    """Days and numbers meet only through a literal: `latest_days(x) > 30`, never `> age`."""
    return one == other or (literal and {one, other} == {Type.NUMBER, Type.DAYS})


def _show(node: Expr) -> str:
    return format(node)
