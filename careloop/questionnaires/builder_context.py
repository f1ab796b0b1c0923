"""What the builder's templates show of a draft: its items as editable rows, its scoring rules as form
rows (each list with one blank row to add to), and the phone preview rendered with the staff form's rows.
"""

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from careloop.questionnaires.definition import ITEM_TYPES, OPERATORS, DefinitionError
from careloop.questionnaires.draft_fields import BOUND_KIND, CHOICE_TYPES, LENGTH_TYPES, condition_answer_text
from careloop.questionnaires.drafting import Tree, scoring_json, walk
from careloop.questionnaires.fhir_reading import MAX_VALUE, MIN_VALUE, ORDINAL_VALUE, parse_questionnaire
from careloop.questionnaires.forms import FilledForm, form_rows, read_answers
from careloop.questionnaires.scoring_rules import FLAG_OPERATORS, SEXES

# In the order an author thinks of them, questions first; every type the core reads is offered.
TYPE_ORDER = (
    "choice",
    "open-choice",
    "boolean",
    "integer",
    "decimal",
    "quantity",
    "string",
    "text",
    "date",
    "dateTime",
    "group",
    "display",
)
assert set(TYPE_ORDER) == ITEM_TYPES  # a type added to the core must be offered here too
TYPE_LABELS = {
    "choice": _("Choice"),
    "open-choice": _("Choice or own words"),
    "boolean": _("Yes / no"),
    "integer": _("Whole number"),
    "decimal": _("Number"),
    "quantity": _("Quantity with unit"),
    "string": _("Short text"),
    "text": _("Long text"),
    "date": _("Date"),
    "dateTime": _("Date and time"),
    "group": _("Group of items"),
    "display": _("Text shown, no answer"),
}


def item_rows(tree: Tree, problems: dict[str, list[str]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def visit(items: list[Tree], depth: int, in_group: bool) -> None:
        for index, item in enumerate(items):
            kind = item.get("type", "")
            bounds = {e.get("url"): e for e in item.get("extension", []) if isinstance(e, dict)}
            rows.append(
                {
                    "item": item,
                    "link_id": item.get("linkId", ""),
                    "type": kind,
                    "type_label": TYPE_LABELS.get(kind, kind),
                    "depth": depth,
                    "first": index == 0,
                    "last": index == len(items) - 1,
                    "can_nest": index > 0 and items[index - 1].get("type") == "group",
                    "in_group": in_group,
                    "problems": problems.get(item.get("linkId", ""), []),
                    "takes_answers": kind not in ("group", "display"),
                    "has_options": kind in CHOICE_TYPES,
                    "has_length": kind in LENGTH_TYPES,
                    "bounded": kind in BOUND_KIND,
                    "min_value": _bound_text(bounds.get(MIN_VALUE)),
                    "max_value": _bound_text(bounds.get(MAX_VALUE)),
                    "options": [*(_option_row(o) for o in item.get("answerOption", [])), {"kind": "coding"}],
                    "conditions": [
                        *({**c, "answer": condition_answer_text(c)} for c in item.get("enableWhen", [])),
                        {"operator": "="},
                    ],
                }
            )
            visit(item.get("item", []), depth + 1, True)

    visit(tree.get("item", []), 0, False)
    return rows


def _bound_text(extension: dict[str, Any] | None) -> str:
    if not extension:
        return ""
    return next((str(v) for k, v in extension.items() if k.startswith("value")), "")


def _option_row(option: dict[str, Any]) -> dict[str, Any]:
    scores = [e.get("valueDecimal") for e in option.get("extension", []) if e.get("url") == ORDINAL_VALUE]
    row: dict[str, Any] = {"score": "" if not scores else str(scores[0])}
    if "valueCoding" in option:
        coding = option["valueCoding"]
        row.update(kind="coding", code=coding.get("code", ""), display=coding.get("display", ""))
        row["system"] = coding.get("system", "")
    elif "valueString" in option:
        row.update(kind="string", code=option["valueString"])
    else:
        row.update(kind="integer", code=str(option.get("valueInteger", "")))
    return row


def questions(tree: Tree) -> list[dict[str, str]]:
    """The items a condition or a rule can look at: those that take an answer."""
    return [
        {"link_id": item.get("linkId", ""), "text": item.get("text") or "", "type": item.get("type", "")}
        for item, _depth in walk(tree)
        if item.get("type") not in ("group", "display")
    ]


def scoring_rows(tree: Tree) -> dict[str, Any]:
    rules = scoring_json(tree) or {}
    blank_band = {"min": "", "max": "", "code": "", "en": "", "zh": ""}
    scores = [
        {**score, "bands": [*score.get("bands", []), blank_band]}
        for score in [*rules.get("scores", []), {"code": "", "items": [], "bands": []}]
    ]
    flags = [
        {**flag, "when": [*flag.get("when", []), {"item": "", "operator": ">=", "score": ""}]}
        for flag in [*rules.get("flags", []), {"code": "", "en": "", "zh": "", "when": []}]
    ]
    scorable = [
        {"link_id": item.get("linkId", ""), "text": item.get("text") or ""}
        for item, _depth in walk(tree)
        if item.get("type") == "choice" and not item.get("repeats")
    ]
    return {
        "scores": scores,
        "flags": flags,
        "scorable": scorable,
        "flag_operators": FLAG_OPERATORS,
        "sexes": SEXES,
    }


def preview(tree: Tree, answers: QueryDict | None = None) -> dict[str, Any]:
    """The draft as the answer form shows it; with `answers`, as it shows after those answers (so that a
    condition can be tried out). None for `rows` while the draft cannot be read."""
    try:
        definition = parse_questionnaire(tree)
    except DefinitionError:
        return {"rows": None, "title": tree.get("title", "")}
    form = read_answers(definition, answers) if answers is not None else FilledForm()
    return {"rows": form_rows(definition, form), "title": definition.title or ""}


BUILDER_CHOICES = {"item_types": [(kind, TYPE_LABELS[kind]) for kind in TYPE_ORDER], "operators": OPERATORS}
