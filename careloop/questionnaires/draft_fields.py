"""What the builder's forms post, as plain text, turned into the FHIR JSON of an item or of the scoring rules.

Typing follows the R4 rules the reader enforces: a bound has the item's own type (minValue on an integer
item is valueInteger), an enableWhen answer has the type of the question it looks at (answerCoding for a
choice with coded options), `exists` takes answerBoolean. Text that cannot be typed raises `DraftError`
naming the field, and nothing of the edit is kept. Pure: no Django import.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from careloop.questionnaires.drafting import DraftError, Tree, item_of, rename_link_id, with_scoring_json
from careloop.questionnaires.fhir_reading import MAX_VALUE, MIN_VALUE, ORDINAL_VALUE

BOUND_KIND = {"integer": "Integer", "decimal": "Decimal", "date": "Date", "dateTime": "DateTime"}
CHOICE_TYPES = ("choice", "open-choice")
LENGTH_TYPES = ("string", "text", "open-choice")
TRUE_WORDS = {"true": True, "yes": True, "是": True, "false": False, "no": False, "否": False}
# The item keys the builder's item form owns; any other key (code, readOnly...) is kept as it was.
EDITED_KEYS = (
    "text",
    "prefix",
    "type",
    "required",
    "repeats",
    "maxLength",
    "answerOption",
    "enableWhen",
    "enableBehavior",
)


@dataclass(frozen=True)
class OptionRow:
    """`kind` is "coding", "string" or "integer": the answerOption's value[x], kept as it was read."""

    code: str
    display: str = ""
    score: str = ""
    kind: str = "coding"
    system: str = ""


@dataclass(frozen=True)
class ConditionRow:
    question: str
    operator: str
    answer: str


@dataclass(frozen=True)
class ItemEdit:
    link_id: str
    type: str
    text: str = ""
    prefix: str = ""
    required: bool = False
    repeats: bool = False
    max_length: str = ""
    min_value: str = ""
    max_value: str = ""
    options: tuple[OptionRow, ...] = ()
    conditions: tuple[ConditionRow, ...] = ()
    behavior: str = "all"


def apply_item_edit(tree: Tree, link_id: str, edit: ItemEdit) -> Tree:
    """The tree with item `link_id` as the form says; rows left blank are dropped (that is how a row is
    deleted), and fields that do not apply to the item's type (options on a date) are left out."""
    tree = rename_link_id(tree, link_id, edit.link_id)
    tree = copy.deepcopy(tree)
    item = item_of(tree, edit.link_id)
    for key in EDITED_KEYS:
        item.pop(key, None)
    if edit.prefix.strip():
        item["prefix"] = edit.prefix.strip()
    if edit.text.strip():  # R4 allows no empty strings: an item without text has no `text`
        item["text"] = edit.text.strip()
    item["type"] = edit.type
    conditions = [row for row in edit.conditions if row.question.strip()]
    if conditions:
        item["enableWhen"] = [enable_when_json(tree, row) for row in conditions]
        if len(conditions) > 1:  # R4 requires enableBehavior with more than one condition (que-12)
            item["enableBehavior"] = edit.behavior if edit.behavior in ("all", "any") else "all"
    if edit.required:
        item["required"] = True
    if edit.repeats:
        item["repeats"] = True
    if edit.type in LENGTH_TYPES and edit.max_length.strip():
        item["maxLength"] = _whole(edit.max_length, "maximum length")
    if edit.type in CHOICE_TYPES:
        options = [option_json(row) for row in edit.options if row.code.strip()]
        if options:
            item["answerOption"] = options
    bounds = [e for e in item.get("extension", []) if e.get("url") not in (MIN_VALUE, MAX_VALUE)]
    if edit.type in BOUND_KIND:
        for url, text, label in (
            (MIN_VALUE, edit.min_value, "minimum"),
            (MAX_VALUE, edit.max_value, "maximum"),
        ):
            if text.strip():
                kind = BOUND_KIND[edit.type]
                bounds.append({"url": url, f"value{kind}": _typed(kind, text, label)})
    if bounds:
        item["extension"] = bounds
    else:
        item.pop("extension", None)
    return tree


def option_json(row: OptionRow) -> dict[str, Any]:
    option: dict[str, Any] = {}
    if row.score.strip():
        option["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": _number(row.score, "score")}]
    code = row.code.strip()
    if row.kind == "string":
        option["valueString"] = code
    elif row.kind == "integer":
        option["valueInteger"] = _whole(code, "option value")
    else:
        coding = {"system": row.system.strip(), "code": code, "display": row.display.strip()}
        option["valueCoding"] = {key: value for key, value in coding.items() if value}
    return option


def enable_when_json(tree: Tree, row: ConditionRow) -> dict[str, Any]:
    """One condition, its answer typed after the question it looks at."""
    question = row.question.strip()
    condition: dict[str, Any] = {"question": question, "operator": row.operator}
    try:
        target = item_of(tree, question)
    except DraftError:
        # Reported by the definition checks, naming the item that carries the condition.
        condition["answerString"] = row.answer.strip()
        return condition
    text, kind = row.answer.strip(), target.get("type", "")
    if row.operator == "exists" or kind == "boolean":
        if text.lower() not in TRUE_WORDS:
            raise DraftError(f"the condition on {question} needs the answer true or false")
        condition["answerBoolean"] = TRUE_WORDS[text.lower()]
    elif kind in ("integer", "decimal", "date", "dateTime"):
        typed = "Decimal" if kind == "decimal" else BOUND_KIND[kind]
        condition[f"answer{typed}"] = _typed(typed, text, f"condition on {question}")
    elif kind in CHOICE_TYPES:
        condition.update(_option_answer(target, text, question))
    else:
        condition["answerString"] = text
    return condition


def _option_answer(target: Tree, text: str, question: str) -> dict[str, Any]:
    """The option of `target` whose code, display or value is `text`, as answer[x]; free text on an
    open-choice question."""
    for option in target.get("answerOption", []):
        if "valueCoding" in option:
            coding = option["valueCoding"]
            if text in (coding.get("code"), coding.get("display")):
                return {"answerCoding": {k: coding[k] for k in ("system", "code", "display") if k in coding}}
        elif "valueString" in option and option["valueString"] == text:
            return {"answerString": text}
        elif "valueInteger" in option and str(option["valueInteger"]) == text:
            return {"answerInteger": option["valueInteger"]}
    if target.get("type") == "open-choice":
        return {"answerString": text}
    raise DraftError(f"{text!r} is not an option of {question}: give an option's code")


def condition_answer_text(condition: dict[str, Any]) -> str:
    """A stored condition's answer as the builder's form shows it (the inverse of enable_when_json)."""
    for key, value in condition.items():
        if key == "answerCoding":
            return str(value.get("code", ""))
        if key == "answerBoolean":
            return "true" if value else "false"
        if key.startswith("answer"):
            return str(value)
    return ""


def _typed(kind: str, text: str, label: str) -> object:
    text = text.strip()
    if kind == "Integer":
        return _whole(text, label)
    if kind == "Decimal":
        return _number(text, label)
    try:
        if kind == "Date":
            return date.fromisoformat(text).isoformat()
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DraftError(f"{label}: {text!r} is not a valid {kind.lower()}") from None
    if moment.tzinfo is None:
        raise DraftError(f"{label}: {text!r} needs a time zone, such as +08:00")
    return moment.isoformat()


def _whole(text: str, label: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise DraftError(f"{label}: {text.strip()!r} is not a whole number") from None


def _number(text: str, label: str) -> int | float:
    """A JSON number as typed: "2" stays 2 and "2.5" is 2.5, so the export repeats what was entered."""
    text = text.strip()
    try:
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    except ValueError:
        raise DraftError(f"{label}: {text!r} is not a number") from None


@dataclass(frozen=True)
class BandRow:
    min: str
    max: str
    code: str
    en: str = ""
    zh: str = ""
    sex: str = ""
    policy: str = ""
    alert: str = ""  # "urgent" or "high": an answer in the band alerts a clinician (scoring_rules.py)


@dataclass(frozen=True)
class ScoreEdit:
    code: str
    items: tuple[str, ...]
    bands: tuple[BandRow, ...] = ()
    display: str = ""
    system: str = ""


@dataclass(frozen=True)
class FlagCondition:
    item: str
    operator: str
    score: str


@dataclass(frozen=True)
class FlagEdit:
    code: str
    en: str
    zh: str = ""
    when: tuple[FlagCondition, ...] = field(default=())
    alert: str = ""


def apply_scoring_edit(tree: Tree, scores: list[ScoreEdit], flags: list[FlagEdit]) -> Tree:
    """The tree with these scoring rules (a score or flag without a code is dropped, as is a blank row)."""
    rules: dict[str, Any] = {"scores": [], "flags": []}
    for score in scores:
        if not score.code.strip():
            continue
        entry: dict[str, Any] = {"code": score.code.strip(), "items": list(score.items), "bands": []}
        for key, value in (("display", score.display), ("system", score.system)):
            if value.strip():
                entry[key] = value.strip()
        for band in score.bands:
            if not band.code.strip():
                continue
            written: dict[str, Any] = {
                "min": _whole(band.min, f"band {band.code} lowest total"),
                "max": _whole(band.max, f"band {band.code} highest total"),
                "code": band.code.strip(),
                "en": band.en.strip() or band.code.strip(),
                "zh": band.zh.strip() or None,
            }
            for key, value in (("sex", band.sex), ("policy", band.policy), ("alert", band.alert)):
                if value.strip():
                    written[key] = value.strip()
            entry["bands"].append(written)
        rules["scores"].append(entry)
    for flag in flags:
        if not flag.code.strip():
            continue
        when = [
            {
                "item": c.item.strip(),
                "operator": c.operator,
                "score": _number(c.score, f"flag {flag.code} score"),
            }
            for c in flag.when
            if c.item.strip()
        ]
        if not when:
            raise DraftError(f"flag {flag.code} needs at least one condition")
        rules["flags"].append(
            {
                "code": flag.code.strip(),
                "en": flag.en.strip() or flag.code.strip(),
                "zh": flag.zh.strip() or None,
                "when": when,
                **({"alert": flag.alert.strip()} if flag.alert.strip() else {}),
            }
        )
    return with_scoring_json(tree, rules)
