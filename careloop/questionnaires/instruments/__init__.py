"""The standard instruments and forms CareLoop ships, as FHIR R4 Questionnaire JSON, one file per language.

Wording, scores, bands and rules of the validated instruments come from ../shared/reference/instruments.md
only; each file's `description` and `copyright` carry its citation, sources, confidence and licence.
Files are named `<instrument>.<language>.json`. AUDIT-C is English only: the reference found no validated
Simplified-Chinese wording. The Chinese files are `draft` until a clinician has checked the wording
against the official Pfizer translation (reference §0, §8).

The forms after them are not published instruments: CareLoop's own plain wording, built from the record
forms and practice in ../shared/reference/followup-norms.md (§1-§3 the chronic-disease check-ins, §6 the
post-discharge check) or from the headings of a medical history (the intake form). They carry no total,
band or cut-off, so they are `active` in both languages; zh and en share every linkId and option code.
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
    ("hypertension-checkin", "zh"),
    ("hypertension-checkin", "en"),
    ("diabetes-checkin", "zh"),
    ("diabetes-checkin", "en"),
    ("post-discharge", "zh"),
    ("post-discharge", "en"),
    ("satisfaction", "zh"),
    ("satisfaction", "en"),
    ("intake", "zh"),
    ("intake", "en"),
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
