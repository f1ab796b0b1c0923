"""Write a `Questionnaire` back as FHIR R4 JSON.

The output is canonical: defaults (required false, no maxLength, anonymous false...) are left out and
scores are always written as `ordinalValue` on the answerOption, so export -> import -> export gives the
same JSON.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from careloop.questionnaires.definition import (
    AnswerOption,
    Bound,
    Coding,
    EnableAnswer,
    EnableWhen,
    Item,
    Questionnaire,
)
from careloop.questionnaires.fhir_reading import (
    ANONYMOUS_EXTENSION,
    MAX_VALUE,
    MIN_VALUE,
    ORDINAL_VALUE,
    ROOT_TEXT_FIELDS,
)
from careloop.questionnaires.scoring_rules import SCORING_EXTENSION, write_scoring_rules


def to_fhir(questionnaire: Questionnaire) -> dict[str, Any]:
    data: dict[str, Any] = {"resourceType": "Questionnaire"}
    for field in ROOT_TEXT_FIELDS:
        value = getattr(questionnaire, field)
        if value is not None:
            data[field] = value
    data["status"] = questionnaire.status
    if questionnaire.code:
        data["code"] = [coding_json(c) for c in questionnaire.code]
    extensions: list[dict[str, Any]] = []
    if questionnaire.scoring is not None:
        rules = write_scoring_rules(questionnaire.scoring)
        extensions.append({"url": SCORING_EXTENSION, "valueString": rules})
    if questionnaire.anonymous:
        extensions.append({"url": ANONYMOUS_EXTENSION, "valueBoolean": True})
    if extensions:
        data["extension"] = extensions
    data["item"] = [_item(item) for item in questionnaire.items]
    return data


def coding_json(coding: Coding) -> dict[str, str]:
    data = {"system": coding.system, "code": coding.code, "display": coding.display}
    return {key: value for key, value in data.items() if value is not None}


def primitive_json(value: EnableAnswer) -> object:
    """A value as FHIR JSON: dates in ISO 8601, a Coding as an object, everything else as it is."""
    if isinstance(value, Coding):
        return coding_json(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _item(item: Item) -> dict[str, Any]:
    data: dict[str, Any] = {"linkId": item.link_id}
    if item.code:
        data["code"] = [coding_json(c) for c in item.code]
    if item.prefix is not None:
        data["prefix"] = item.prefix
    if item.text is not None:
        data["text"] = item.text
    data["type"] = item.type
    if item.enable_when:
        data["enableWhen"] = [_enable_when(c) for c in item.enable_when]
    if item.enable_behavior is not None:
        data["enableBehavior"] = item.enable_behavior
    for key, flag in (("required", item.required), ("repeats", item.repeats), ("readOnly", item.read_only)):
        if flag:
            data[key] = True
    if item.max_length is not None:
        data["maxLength"] = item.max_length
    if item.answer_options:
        data["answerOption"] = [_option(option) for option in item.answer_options]
    extensions = [
        _bound(url, bound)
        for url, bound in ((MIN_VALUE, item.min_value), (MAX_VALUE, item.max_value))
        if bound
    ]
    if extensions:
        data["extension"] = extensions
    if item.items:
        data["item"] = [_item(child) for child in item.items]
    return data


def _enable_when(condition: EnableWhen) -> dict[str, Any]:
    return {
        "question": condition.question,
        "operator": condition.operator,
        f"answer{condition.kind}": primitive_json(condition.answer),
    }


def _option(option: AnswerOption) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if option.score is not None:
        data["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": option.score}]
    if isinstance(option.value, Coding):
        data["valueCoding"] = coding_json(option.value)
    elif isinstance(option.value, str):
        data["valueString"] = option.value
    else:
        data["valueInteger"] = option.value
    return data


def _bound(url: str, bound: Bound) -> dict[str, Any]:
    return {"url": url, f"value{bound.kind}": primitive_json(bound.value)}
