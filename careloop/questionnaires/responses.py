"""Check a patient's answers against a Questionnaire, and write them as an R4 QuestionnaireResponse.

Answers are a plain mapping linkId -> list of values, one entry per answered question. Because every
linkId is unique and repeating groups are refused by the definition, this flat form says everything a
QuestionnaireResponse would, and forms and SMS replies can fill it without building FHIR trees.

The Python value for each item type:
  boolean: bool · decimal: int or float · integer: int · date: datetime.date · dateTime: an aware
  datetime.datetime · string, text: str · choice: the option's value (Coding, str or int) ·
  open-choice: an option's Coding, or free str · quantity: definition.Quantity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from careloop.questionnaires.definition import Coding, Item, Quantity, Questionnaire
from careloop.questionnaires.enablewhen import enabled_link_ids
from careloop.questionnaires.fhir_writing import coding_json, primitive_json

Answers = Mapping[str, Sequence[object]]


@dataclass(frozen=True)
class AnswerError:
    """A problem with one item's answer. `code` names the kind for a screen to word in its language
    ("required", "below_min", "above_max", "too_long", "blank", "not_option", or "" for the rest, which
    only a program sending answers can cause); `limit` is the bound that was crossed."""

    link_id: str
    message: str
    code: str = ""
    limit: object = None

    def __str__(self) -> str:
        return f"{self.link_id}: {self.message}"


def validate_answers(
    questionnaire: Questionnaire, answers: Answers, *, complete: bool = True
) -> list[AnswerError]:
    """Every problem with `answers`; `complete=False` accepts unanswered required items (a saved draft)."""
    errors: list[AnswerError] = []
    enabled = enabled_link_ids(questionnaire, answers)
    for link_id in sorted(set(answers) - {item.link_id for item, _ in questionnaire.walk()}):
        errors.append(AnswerError(link_id, "is not an item of this questionnaire"))
    for item, _ in questionnaire.walk():
        values = list(answers.get(item.link_id, ()))
        if not values:
            if complete and item.required and item.link_id in enabled and item.takes_answers:
                errors.append(AnswerError(item.link_id, "is required and has no answer", "required"))
            continue
        if not item.takes_answers:
            errors.append(AnswerError(item.link_id, f"is a {item.type} item and takes no answer"))
        elif item.link_id not in enabled:
            errors.append(
                AnswerError(item.link_id, "is not enabled by the answers given, so it takes no answer")
            )
        elif len(values) > 1 and not item.repeats:
            errors.append(AnswerError(item.link_id, f"takes one answer, got {len(values)}"))
        else:
            errors.extend(
                AnswerError(item.link_id, problem[0], problem[1], problem[2])
                for value in values
                if (problem := _value_problem(item, value))
            )
    return errors


Problem = tuple[str, str, object]  # (message, code, limit) as in AnswerError


def _value_problem(item: Item, value: object) -> Problem | None:
    """Why one value does not fit its item, or None when it does."""
    if item.type in ("choice", "open-choice"):
        if item.option_for(value) is not None:
            return None
        if item.type == "open-choice" and isinstance(value, str):
            return _length_problem(item, value)
        return f"{_describe(value)} is not one of the answer options", "not_option", None
    expected = {
        "boolean": bool,
        "decimal": int | float,
        "integer": int,
        "date": date,
        "dateTime": datetime,
        "string": str,
        "text": str,
        "quantity": Quantity,
    }[item.type]
    if not isinstance(value, expected) or _wrong_subtype(item.type, value):
        return f"{_describe(value)} is not a {item.type} value", "", None
    if item.type == "dateTime" and isinstance(value, datetime) and value.tzinfo is None:
        return "a dateTime answer needs a time zone", "", None
    if isinstance(value, str):
        return _length_problem(item, value)
    if item.min_value and value < item.min_value.value:  # type: ignore[operator]  # bound has the item's type
        return (
            f"{_describe(value)} is below the minimum {item.min_value.value}",
            "below_min",
            item.min_value.value,
        )
    if item.max_value and value > item.max_value.value:  # type: ignore[operator]
        return (
            f"{_describe(value)} is above the maximum {item.max_value.value}",
            "above_max",
            item.max_value.value,
        )
    return None


def _wrong_subtype(item_type: str, value: object) -> bool:
    # bool is an int and datetime a date in Python; FHIR keeps them apart.
    if item_type in ("decimal", "integer"):
        return isinstance(value, bool)
    return item_type == "date" and isinstance(value, datetime)


def _length_problem(item: Item, value: str) -> Problem | None:
    if not value.strip():
        return "an answer cannot be blank", "blank", None
    if item.max_length is not None and len(value) > item.max_length:
        return (
            f"is {len(value)} characters long; at most {item.max_length} are allowed",
            "too_long",
            item.max_length,
        )
    return None


def _describe(value: object) -> str:
    return f"code {value.code}" if isinstance(value, Coding) else repr(value)


def build_response(
    questionnaire: Questionnaire,
    answers: Answers,
    *,
    status: str = "completed",
    authored: datetime | None = None,
    subject_reference: str | None = None,
) -> dict[str, Any]:
    """An R4 QuestionnaireResponse holding `answers` (validate them first); items follow the definition."""
    response: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "status": status}
    if questionnaire.url:
        version = f"|{questionnaire.version}" if questionnaire.version else ""
        response["questionnaire"] = f"{questionnaire.url}{version}"
    if subject_reference:
        response["subject"] = {"reference": subject_reference}
    if authored:
        response["authored"] = authored.isoformat()
    response["item"] = _response_items(questionnaire.items, answers)
    return response


def _response_items(items: Sequence[Item], answers: Answers) -> list[dict[str, Any]]:
    written = []
    for item in items:
        entry: dict[str, Any] = {"linkId": item.link_id}
        if item.text is not None:
            entry["text"] = item.text
        values = answers.get(item.link_id, ())
        if values:
            entry["answer"] = [_answer_json(item, value) for value in values]
        children = _response_items(item.items, answers)
        if children:
            entry["item"] = children
        if values or children:
            written.append(entry)
    return written


def _answer_json(item: Item, value: object) -> dict[str, Any]:
    option = item.option_for(value)
    if option is not None:
        value = option.value  # the option's own Coding, so the response carries its display text
    if isinstance(value, Coding):
        return {"valueCoding": coding_json(value)}
    if isinstance(value, Quantity):
        quantity = {"value": value.value, "unit": value.unit, "system": value.system, "code": value.code}
        return {"valueQuantity": {key: part for key, part in quantity.items() if part is not None}}
    kind = {
        "boolean": "Boolean",
        "decimal": "Decimal",
        "integer": "Integer",
        "date": "Date",
        "dateTime": "DateTime",
    }.get(item.type)
    if kind is None:
        kind = "Integer" if isinstance(value, int) else "String"
    return {f"value{kind}": primitive_json(value)}  # type: ignore[arg-type]  # validated answer
