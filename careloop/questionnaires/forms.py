"""The staff form for a questionnaire version: its items as form rows, and the POST read into answers.

Field names are `item-<linkId>`; a choice is posted as the index of its answerOption, so any option value
(Coding, string, integer) round-trips. An item that the answers disable takes no answer: what was typed
into it is dropped before validating, and it is not required.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.questionnaires.definition import Coding, Item, Quantity
from careloop.questionnaires.definition import Questionnaire as Definition
from careloop.questionnaires.enablewhen import enabled_link_ids
from careloop.questionnaires.responses import AnswerError

INPUT_TYPES = {"integer": "number", "decimal": "number", "date": "date", "dateTime": "datetime-local"}
REQUIRED = "is required and has no answer"


@dataclass
class FilledForm:
    """The answers read from a POST, and the problems of each item (by linkId) in the reader's words."""

    answers: dict[str, list[object]] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add_errors(self, errors: list[AnswerError]) -> None:
        for error in errors:
            message = _("This question needs an answer.") if error.message == REQUIRED else error.message
            self.errors.setdefault(error.link_id, []).append(message)


def field_name(item: Item) -> str:
    return f"item-{item.link_id}"


def read_answers(definition: Definition, data: QueryDict) -> FilledForm:
    form = FilledForm()
    for item, _parent in definition.walk():
        if not item.takes_answers:
            continue
        # A repeating choice is posted as one checkbox per chosen option; anything else as one value.
        several = item.repeats and item.type in ("choice", "open-choice")
        posted = data.getlist(field_name(item)) if several else [data.get(field_name(item), "")]
        texts = [text.strip() for text in posted if text.strip()]
        if texts:
            form.raw[item.link_id] = ",".join(texts)
            values = [_parse(item, text) for text in texts]
            if any(value is None for value in values):
                form.errors.setdefault(item.link_id, []).append(_problem(item))
            else:
                form.answers[item.link_id] = values
    # Drop the answers to items that the other answers disable, until no more are dropped.
    while True:
        enabled = enabled_link_ids(definition, form.answers)
        disabled = [link_id for link_id in form.answers if link_id not in enabled]
        if not disabled:
            return form
        for link_id in disabled:
            del form.answers[link_id]


def _parse(item: Item, text: str) -> object | None:
    try:
        if item.type in ("choice", "open-choice"):
            if text.isdigit() and int(text) < len(item.answer_options):
                return item.answer_options[int(text)].value
            return text if item.type == "open-choice" and not text.isdigit() else None
        if item.type == "boolean":
            return {"yes": True, "no": False}.get(text)
        if item.type == "integer":
            return int(text)
        if item.type in ("decimal", "quantity"):
            number = float(text)
            value: int | float = int(number) if number.is_integer() and "." not in text else number
            return Quantity(value) if item.type == "quantity" else value
        if item.type == "date":
            return datetime.date.fromisoformat(text)
        if item.type == "dateTime":
            return timezone.make_aware(datetime.datetime.fromisoformat(text))
    except ValueError:
        return None
    return text  # string, text


def _problem(item: Item) -> str:
    return {
        "integer": _("Enter a whole number."),
        "decimal": _("Enter a number."),
        "quantity": _("Enter a number."),
        "date": _("Enter a date."),
        "dateTime": _("Enter a date and time."),
    }.get(item.type, _("Choose one of the answers."))


def form_rows(definition: Definition, form: FilledForm) -> list[dict[str, Any]]:
    """The items in document order, each with what the template needs to render it."""
    enabled = enabled_link_ids(definition, form.answers)
    depth: dict[str, int] = {}
    rows = []
    for item, parent in definition.walk():
        depth[item.link_id] = 0 if parent is None else depth[parent.link_id] + 1
        raw = form.raw.get(item.link_id, "")
        rows.append(
            {
                "item": item,
                "name": field_name(item),
                "depth": depth[item.link_id],
                "kind": _kind(item),
                "input_type": INPUT_TYPES.get(item.type, "text"),
                "step": "any" if item.type in ("decimal", "quantity") else "1",
                "enabled": item.link_id in enabled,
                "required": item.required and item.link_id in enabled,
                "conditional": bool(item.enable_when),
                "options": [
                    {
                        "index": str(i),
                        "label": _option_label(option.value),
                        "checked": str(i) in raw.split(","),
                    }
                    for i, option in enumerate(item.answer_options)
                ],
                "raw": raw,
                "errors": form.errors.get(item.link_id, []),
            }
        )
    return rows


def _kind(item: Item) -> str:
    if item.type in ("group", "display", "boolean", "text"):
        return item.type
    if item.type in ("choice", "open-choice"):
        return "choice"
    return "input"


def _option_label(value: object) -> str:
    if isinstance(value, Coding):
        return value.display or value.code
    return str(value)
