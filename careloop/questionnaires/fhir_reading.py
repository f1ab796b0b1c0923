"""Read FHIR R4 Questionnaire JSON into `definition` records, collecting every problem before failing.

Each item is read on its own here; rules that span items (enableWhen targets, operators against the
question's type, scoring rules naming items) are checked afterwards in `definition_checks`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from careloop.questionnaires.definition import (
    ITEM_TYPES,
    OPERATORS,
    AnswerOption,
    Bound,
    Coding,
    DefinitionError,
    EnableAnswer,
    EnableWhen,
    Item,
    OptionValue,
    Problem,
    Questionnaire,
)
from careloop.questionnaires.definition_checks import check_across_items
from careloop.questionnaires.scoring_rules import SCORING_EXTENSION, read_scoring_rules

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ANONYMOUS_EXTENSION = "https://careloop.org/fhir/StructureDefinition/anonymous-answers"
STATUSES = ("draft", "active", "retired", "unknown")
ROOT = "Questionnaire"

ROOT_TEXT_FIELDS = (
    "id",
    "url",
    "version",
    "name",
    "title",
    "language",
    "date",
    "publisher",
    "description",
    "copyright",
)
ROOT_KEYS = {"resourceType", "status", "item", "code", "extension", *ROOT_TEXT_FIELDS}
ITEM_KEYS = {
    "linkId",
    "type",
    "text",
    "prefix",
    "code",
    "required",
    "repeats",
    "readOnly",
    "maxLength",
    "answerOption",
    "enableWhen",
    "enableBehavior",
    "extension",
    "item",
}
ENABLE_ANSWER_KINDS = ("Boolean", "Decimal", "Integer", "Date", "DateTime", "String", "Coding")
# minValue / maxValue may only take the item's own type (a decimal item also accepts an integer bound).
BOUND_KINDS = {
    "integer": ("Integer",),
    "decimal": ("Decimal", "Integer"),
    "date": ("Date",),
    "dateTime": ("DateTime",),
}


def parse_questionnaire(data: object) -> Questionnaire:
    """FHIR R4 Questionnaire JSON -> `Questionnaire`; raises `DefinitionError` listing every problem."""
    problems: list[Problem] = []
    if not isinstance(data, dict) or data.get("resourceType") != "Questionnaire":
        raise DefinitionError([Problem(ROOT, "resourceType must be Questionnaire")])
    for key in sorted(set(data) - ROOT_KEYS):
        problems.append(Problem(ROOT, f"element {key!r} is not supported"))
    status = data.get("status")
    if status not in STATUSES:
        problems.append(Problem(ROOT, f"status must be one of {', '.join(STATUSES)}"))
    texts = {field: _optional_text(data, field, ROOT, problems) for field in ROOT_TEXT_FIELDS}
    scoring, anonymous = None, False
    for extension in _list(data, "extension", ROOT, problems):
        url = extension.get("url") if isinstance(extension, dict) else None
        if url == SCORING_EXTENSION:
            scoring = read_scoring_rules(extension.get("valueString"), problems)
        elif url == ANONYMOUS_EXTENSION and isinstance(extension.get("valueBoolean"), bool):
            anonymous = extension["valueBoolean"]
        elif url == ANONYMOUS_EXTENSION:
            problems.append(Problem(ROOT, "the anonymous-answers extension needs a valueBoolean"))
        else:
            problems.append(Problem(ROOT, f"extension {_url(extension)} is not supported"))
    items = tuple(_item(raw, ROOT, problems) for raw in _list(data, "item", ROOT, problems))
    questionnaire = Questionnaire(
        status=str(status),
        items=items,
        code=_codings(data, ROOT, problems),
        scoring=scoring,
        anonymous=anonymous,
        **texts,
    )
    problems.extend(check_across_items(questionnaire))
    if problems:
        raise DefinitionError(problems)
    return questionnaire


def _item(raw: object, parent: str, problems: list[Problem]) -> Item:
    if not isinstance(raw, dict) or not isinstance(raw.get("linkId"), str) or not raw["linkId"]:
        problems.append(Problem(parent, "a child item has no linkId"))
        return Item(link_id="?", type="display")
    where = raw["linkId"]
    for key in sorted(set(raw) - ITEM_KEYS):
        problems.append(Problem(where, f"element {key!r} is not supported"))
    item_type = raw.get("type")
    if item_type not in ITEM_TYPES:
        problems.append(Problem(where, f"type {item_type!r} is not a supported item type"))
        item_type = "display"
    max_length = raw.get("maxLength")
    if max_length is not None and (not _is_integer(max_length) or max_length < 1):
        problems.append(Problem(where, "maxLength must be a positive integer"))
        max_length = None
    bounds: dict[str, Bound | None] = {MIN_VALUE: None, MAX_VALUE: None}
    for extension in _list(raw, "extension", where, problems):
        url = extension.get("url") if isinstance(extension, dict) else None
        if url in bounds:
            bounds[url] = _bound(extension, item_type, where, problems)
        else:
            problems.append(Problem(where, f"extension {_url(extension)} is not supported"))
    behavior = raw.get("enableBehavior")
    if behavior not in (None, "all", "any"):
        problems.append(Problem(where, "enableBehavior must be all or any"))
    return Item(
        link_id=where,
        type=item_type,
        text=_optional_text(raw, "text", where, problems),
        prefix=_optional_text(raw, "prefix", where, problems),
        code=_codings(raw, where, problems),
        required=_flag(raw, "required", where, problems),
        repeats=_flag(raw, "repeats", where, problems),
        read_only=_flag(raw, "readOnly", where, problems),
        max_length=max_length,
        answer_options=tuple(
            _option(o, where, problems) for o in _list(raw, "answerOption", where, problems)
        ),
        enable_when=tuple(
            _enable_when(c, where, problems) for c in _list(raw, "enableWhen", where, problems)
        ),
        enable_behavior=behavior if behavior in ("all", "any") else None,
        min_value=bounds[MIN_VALUE],
        max_value=bounds[MAX_VALUE],
        items=tuple(_item(child, where, problems) for child in _list(raw, "item", where, problems)),
    )


def _option(raw: object, where: str, problems: list[Problem]) -> AnswerOption:
    if not isinstance(raw, dict):
        problems.append(Problem(where, "an answerOption is not an object"))
        return AnswerOption("?")
    value: OptionValue = "?"
    if "valueCoding" in raw:
        value = _coding(raw["valueCoding"], where, problems, score_carrier=True)
    elif isinstance(raw.get("valueString"), str):
        value = raw["valueString"]
    elif _is_integer(raw.get("valueInteger")):
        value = raw["valueInteger"]
    else:
        problems.append(Problem(where, "an answerOption needs valueCoding, valueString or valueInteger"))
    unknown = set(raw) - {"valueCoding", "valueString", "valueInteger", "extension"}
    for key in sorted(unknown):
        problems.append(Problem(where, f"answerOption element {key!r} is not supported"))
    # The score may sit on the answerOption or on its valueCoding (LHC-Forms puts it there).
    carriers = [raw, raw["valueCoding"]] if isinstance(raw.get("valueCoding"), dict) else [raw]
    scores = []
    for carrier in carriers:
        for extension in _list(carrier, "extension", where, problems):
            url = extension.get("url") if isinstance(extension, dict) else None
            if url in (ORDINAL_VALUE, ITEM_WEIGHT):
                score = extension.get("valueDecimal")
                if _is_number(score):
                    scores.append(score)
                else:
                    problems.append(Problem(where, f"{url} needs a numeric valueDecimal"))
            else:
                problems.append(Problem(where, f"answerOption extension {_url(extension)} is not supported"))
    if len(set(scores)) > 1:
        problems.append(Problem(where, f"answerOption {_label(value)} has conflicting scores {scores}"))
    return AnswerOption(value, scores[0] if scores else None)


def _enable_when(raw: object, where: str, problems: list[Problem]) -> EnableWhen:
    if not isinstance(raw, dict) or not isinstance(raw.get("question"), str):
        problems.append(Problem(where, "an enableWhen has no question"))
        return EnableWhen("?", "exists", "Boolean", True)
    operator = raw.get("operator")
    if operator not in OPERATORS:
        problems.append(Problem(where, f"enableWhen operator {operator!r} is not a FHIR operator"))
        operator = "exists"
    answers = [key for key in raw if key.startswith("answer")]
    kind = answers[0].removeprefix("answer") if len(answers) == 1 else ""
    if kind not in ENABLE_ANSWER_KINDS:
        problems.append(Problem(where, f"enableWhen on {raw['question']} needs one supported answer[x]"))
        return EnableWhen(raw["question"], operator, "Boolean", True)
    answer = _typed_value(kind, raw[answers[0]], where, problems)
    return EnableWhen(raw["question"], operator, kind, answer)


def _typed_value(kind: str, value: object, where: str, problems: list[Problem]) -> EnableAnswer:
    """A FHIR primitive or Coding of the given value[x] kind; a mistyped value is reported."""
    if kind == "Coding":
        return _coding(value, where, problems)
    if kind == "Boolean" and isinstance(value, bool):
        return value
    if kind == "Integer" and _is_integer(value):
        return value  # type: ignore[return-value]  # _is_integer checked it is an int
    if kind == "Decimal" and _is_number(value):
        return value  # type: ignore[return-value]  # _is_number checked it is an int or float
    if kind == "String" and isinstance(value, str):
        return value
    try:
        if kind == "Date" and isinstance(value, str):
            return date.fromisoformat(value)
        if kind == "DateTime" and isinstance(value, str):
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                problems.append(Problem(where, f"dateTime {value!r} needs a time zone"))
            return moment
    except ValueError:
        pass
    problems.append(Problem(where, f"{value!r} is not a valid {kind.lower()} value"))
    return False


def _bound(extension: dict[str, Any], item_type: str, where: str, problems: list[Problem]) -> Bound | None:
    values = [key for key in extension if key.startswith("value")]
    kind = values[0].removeprefix("value") if len(values) == 1 else ""
    if kind not in BOUND_KINDS.get(item_type, ()):
        problems.append(Problem(where, f"{_url(extension)} does not fit a {item_type} item"))
        return None
    value = _typed_value(kind, extension[values[0]], where, problems)
    assert isinstance(value, int | float | date)  # the kinds allowed above give only these
    return Bound(kind, value)


def _coding(raw: object, where: str, problems: list[Problem], *, score_carrier: bool = False) -> Coding:
    """A Coding; only an answerOption's valueCoding may carry an extension (its score, read by _option)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
        problems.append(Problem(where, "a Coding needs a code"))
        return Coding(None, "?")
    system, display = raw.get("system"), raw.get("display")
    if not isinstance(system, str | None) or not isinstance(display, str | None):
        problems.append(Problem(where, f"Coding {raw['code']} has a non-text system or display"))
        return Coding(None, raw["code"])
    allowed = {"system", "code", "display", "extension"} if score_carrier else {"system", "code", "display"}
    for key in sorted(set(raw) - allowed):
        problems.append(Problem(where, f"Coding element {key!r} is not supported"))
    return Coding(system, raw["code"], display)


def _codings(raw: dict[str, Any], where: str, problems: list[Problem]) -> tuple[Coding, ...]:
    return tuple(_coding(entry, where, problems) for entry in _list(raw, "code", where, problems))


def _list(raw: dict[str, Any], key: str, where: str, problems: list[Problem]) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        problems.append(Problem(where, f"{key} must be a list"))
        return []
    return value


def _optional_text(raw: dict[str, Any], key: str, where: str, problems: list[Problem]) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        problems.append(Problem(where, f"{key} must be text"))
        return None
    return value


def _flag(raw: dict[str, Any], key: str, where: str, problems: list[Problem]) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        problems.append(Problem(where, f"{key} must be true or false"))
        return False
    return value


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _url(extension: object) -> str:
    url = extension.get("url") if isinstance(extension, dict) else None
    return repr(url) if isinstance(url, str) else "without a url"


def _label(value: OptionValue) -> str:
    return value.code if isinstance(value, Coding) else repr(value)
