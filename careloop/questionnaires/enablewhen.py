"""Whether an item is enabled, given the answers so far (FHIR R4 Questionnaire.item.enableWhen).

Semantics, from the R4 code system questionnaire-enable-operator:
- `exists`: whether the question has an answer equals the boolean given;
- `=`: at least one answer equals the value; `!=`: no answer equals it (so an unanswered question
  satisfies `!=`, as the definition reads);
- `>`, `<`, `>=`, `<=`: at least one answer compares so (numbers and dates only, see definition_checks).
- Several conditions combine by enableBehavior (`all` / `any`); R4 requires it when there are several,
  and CareLoop reads a missing one as `all`.
- An item under a disabled parent is disabled, and the answers of a disabled question count as absent
  (R4: "logic should proceed as though the item is not valued").
Codings are equal on system and code; values of different kinds are never equal nor ordered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from operator import ge, gt, le, lt
from typing import Any

from careloop.questionnaires.definition import Coding, EnableWhen, Questionnaire

Answers = Mapping[str, Sequence[object]]
# Ordering is only applied to two values of the same comparable kind (see _ordered).
COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {">": gt, "<": lt, ">=": ge, "<=": le}


def enabled_link_ids(questionnaire: Questionnaire, answers: Answers) -> frozenset[str]:
    """The linkIds of every enabled item."""
    memo: dict[str, bool] = {}
    return frozenset(
        item.link_id
        for item, _ in questionnaire.walk()
        if _enabled(questionnaire, item.link_id, answers, memo)
    )


def is_enabled(questionnaire: Questionnaire, link_id: str, answers: Answers) -> bool:
    return _enabled(questionnaire, link_id, answers, {})


def _enabled(questionnaire: Questionnaire, link_id: str, answers: Answers, memo: dict[str, bool]) -> bool:
    # The definition checks refuse cycles, so this recursion ends.
    if link_id not in memo:
        parent = questionnaire.parent_of(link_id)
        if parent is not None and not _enabled(questionnaire, parent.link_id, answers, memo):
            memo[link_id] = False
        else:
            item = questionnaire.item(link_id)
            results = [
                condition_holds(
                    condition,
                    answers.get(condition.question, ())
                    if _enabled(questionnaire, condition.question, answers, memo)
                    else (),
                )
                for condition in item.enable_when
            ]
            memo[link_id] = any(results) if item.enable_behavior == "any" else all(results)
    return memo[link_id]


def condition_holds(condition: EnableWhen, values: Sequence[object]) -> bool:
    """One enableWhen against the answers given to its question."""
    expected = condition.answer
    if condition.operator == "exists":
        return bool(values) == expected
    if condition.operator == "=":
        return any(_equal(value, expected) for value in values)
    if condition.operator == "!=":
        return not any(_equal(value, expected) for value in values)
    return any(_ordered(condition.operator, value, expected) for value in values)


def _kind(value: object) -> str:
    # bool is an int and datetime is a date in Python; FHIR keeps them apart.
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, datetime):
        return "dateTime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Coding):
        return "coding"
    return "other"


def _equal(value: object, expected: object) -> bool:
    if _kind(value) != _kind(expected):
        return False
    if isinstance(value, Coding) and isinstance(expected, Coding):
        return value.same_concept(expected)
    return value == expected


def _ordered(operator: str, value: object, expected: object) -> bool:
    kind = _kind(value)
    if kind != _kind(expected) or kind not in ("number", "date", "dateTime"):
        return False
    return bool(COMPARISONS[operator](value, expected))
