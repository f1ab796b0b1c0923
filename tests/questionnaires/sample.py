"""A hand-made Questionnaire in the official FHIR R4 JSON structure, using every supported item type."""

import copy
from typing import Any

LOINC = "http://loinc.org"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
SEVERITY = "https://example.org/fhir/CodeSystem/severity"

_SAMPLE: dict[str, Any] = {
    "resourceType": "Questionnaire",
    "id": "sample-follow-up",
    "url": "https://example.org/fhir/Questionnaire/sample-follow-up",
    "version": "0.1",
    "name": "SampleFollowUp",
    "title": "Sample follow-up",
    "status": "draft",
    "language": "en",
    "date": "2026-12-01",
    "publisher": "Example",
    "item": [
        {
            "linkId": "about",
            "text": "About you",
            "type": "group",
            "item": [
                {
                    "linkId": "birth",
                    "text": "Date of birth",
                    "type": "date",
                    "extension": [{"url": MIN_VALUE, "valueDate": "1900-01-01"}],
                },
                {"linkId": "smoker", "text": "Do you smoke?", "type": "boolean", "required": True},
                {
                    "linkId": "per-day",
                    "text": "Cigarettes per day",
                    "type": "integer",
                    "required": True,
                    "enableWhen": [{"question": "smoker", "operator": "=", "answerBoolean": True}],
                    "extension": [
                        {"url": MIN_VALUE, "valueInteger": 1},
                        {"url": MAX_VALUE, "valueInteger": 100},
                    ],
                },
            ],
        },
        {
            "linkId": "temperature",
            "text": "Temperature",
            "type": "decimal",
            "extension": [
                {"url": MIN_VALUE, "valueDecimal": 30.0},
                {"url": MAX_VALUE, "valueDecimal": 45.5},
            ],
        },
        {"linkId": "seen", "text": "Last seen", "type": "dateTime"},
        {
            "linkId": "pain",
            "text": "Pain",
            "type": "choice",
            "answerOption": [
                {
                    "valueCoding": {"system": SEVERITY, "code": "none", "display": "None"},
                    "extension": [{"url": ORDINAL, "valueDecimal": 0}],
                },
                {
                    "valueCoding": {"system": SEVERITY, "code": "some", "display": "Some"},
                    "extension": [{"url": ORDINAL, "valueDecimal": 1}],
                },
            ],
        },
        {
            "linkId": "where",
            "text": "Where?",
            "type": "open-choice",
            "repeats": True,
            "maxLength": 20,
            "enableWhen": [
                {"question": "pain", "operator": "=", "answerCoding": {"system": SEVERITY, "code": "some"}}
            ],
            "answerOption": [{"valueString": "Head"}, {"valueString": "Chest"}],
        },
        {
            "linkId": "visits",
            "text": "Visits",
            "type": "choice",
            "answerOption": [{"valueInteger": 1}, {"valueInteger": 2}],
        },
        {"linkId": "notes", "text": "Notes", "type": "text", "maxLength": 10},
        {"linkId": "name", "text": "Name", "type": "string", "readOnly": True},
        {"linkId": "weight", "text": "Weight", "type": "quantity"},
        {"linkId": "thanks", "text": "Thank you", "type": "display"},
    ],
}


def sample() -> dict[str, Any]:
    """A fresh copy, so a test may change it."""
    return copy.deepcopy(_SAMPLE)
