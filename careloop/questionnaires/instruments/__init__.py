"""The standard instruments CareLoop ships, as FHIR R4 Questionnaire JSON, one file per language.

Wording, scores, bands and rules come from ../shared/reference/instruments.md only; each file's
`description` and `copyright` carry its citation, sources, confidence and licence. Files are named
`<instrument>.<language>.json`. AUDIT-C is English only: the reference found no validated
Simplified-Chinese wording. The Chinese files are `draft` until a clinician has checked the wording
against the official Pfizer translation (reference §0, §8).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from careloop.questionnaires.definition import Questionnaire
from careloop.questionnaires.fhir_reading import parse_questionnaire

FOLDER = Path(__file__).parent
SHIPPED = (
    ("phq-9", "en"),
    ("phq-9", "zh"),
    ("phq-2", "en"),
    ("phq-2", "zh"),
    ("gad-7", "en"),
    ("gad-7", "zh"),
    ("gad-2", "en"),
    ("gad-2", "zh"),
    ("audit-c", "en"),
)


def instrument_json(name: str, language: str) -> dict[str, object]:
    """The shipped file as JSON; a fresh copy each call, so callers may change it."""
    data: dict[str, object] = json.loads((FOLDER / f"{name}.{language}.json").read_text(encoding="utf-8"))
    return data


@cache
def instrument(name: str, language: str) -> Questionnaire:
    if (name, language) not in SHIPPED:
        raise KeyError(f"{name} is not shipped in {language}")
    return parse_questionnaire(instrument_json(name, language))
