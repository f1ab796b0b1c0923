"""FHIR datatypes read out of a parsed resource (plain dicts): CodeableConcept, Quantity, value[x], Range.

A field that cannot be read raises `FieldProblem` with its path ("valueQuantity.value",
"component[1].code.coding") and a `because(...)` reason; the mapper adds where the resource was and
keeps reading the others.
"""

import datetime
from typing import Any

from careloop.observations.importing.parsed import Reason, because
from careloop.observations.sources.fhir.dates import BadDate, parse_datetime

LOINC = "http://loinc.org"


class FieldProblem(Exception):
    """One field of one resource is wrong; the caller adds where the resource was.

    The reason is a `because(...)` sentence, so that staff can read it in their language.
    """

    def __init__(self, field: str, value: object, reason: Reason, code: str = "invalid"):
        super().__init__(reason)
        self.field, self.value, self.reason, self.code = (
            field,
            "" if value is None else str(value),
            reason,
            code,
        )


def first_time(
    resource: dict[str, Any], names: tuple[str, ...], tz: datetime.tzinfo
) -> datetime.datetime | None:
    """The first present of the named time fields ("effectivePeriod" means its start)."""
    for name in names:
        value = resource.get(name)
        if value is None:
            continue
        field = name
        if name.endswith("Period"):
            value, field = value.get("start"), name + ".start"
            if value is None:
                continue
        try:
            return parse_datetime(value, tz)
        except BadDate as error:
            raise FieldProblem(field, value, error.reason) from None
    return None


def concept_text(concept: dict[str, Any] | None) -> str:
    """A CodeableConcept for people: its text, else the first coding's display, else its code."""
    if not concept:
        return ""
    if concept.get("text"):
        text: str = concept["text"]
        return text
    for coding in concept.get("coding") or ():
        if coding.get("display") or coding.get("code"):
            display: str = coding.get("display") or coding["code"]
            return display
    return ""


def loinc_code(concept: dict[str, Any] | None, field: str) -> str:
    """The first LOINC code of a CodeableConcept; a concept without one is refused."""
    if not concept:
        raise FieldProblem(field, "", because("is missing"), "missing")
    codings = concept.get("coding") or ()
    for coding in codings:
        if coding.get("system") == LOINC and coding.get("code"):
            code: str = coding["code"]
            return code
    sent = ", ".join(f"{c.get('system', '')}|{c.get('code', '')}" for c in codings) or concept.get("text", "")
    reason = because("has no LOINC code (system %(system)s)", system=LOINC)
    raise FieldProblem(field + ".coding", sent, reason, "unknown_code")


def number_text(value: object, field: str) -> str:
    """A JSON number as text (a number sent as a string or a boolean is refused)."""
    kind = type(value)
    if kind is float or kind is int:
        return str(value)
    if value is None:
        raise FieldProblem(field, "", because("is missing"), "missing")
    raise FieldProblem(field, value, because("must be a JSON number, got %(type)s", type=kind.__name__))


def value_and_unit(holder: dict[str, Any], prefix: str) -> tuple[str, str]:
    """(value, unit) as reported from value[x]; UCUM code preferred over the display unit."""
    quantity = holder.get("valueQuantity")
    if quantity is not None:
        value = number_text(quantity.get("value"), prefix + "valueQuantity.value")
        comparator = quantity.get("comparator")
        unit = quantity.get("code") or quantity.get("unit") or ""
        return (comparator + value if comparator else value), unit
    text = holder.get("valueString")
    if text is not None:
        if type(text) is not str or not text.strip():
            raise FieldProblem(prefix + "valueString", text, because("must be non-empty text"))
        return text, ""
    concept = holder.get("valueCodeableConcept")
    if concept is not None:
        text = concept_text(concept)
        if not text:
            raise FieldProblem(
                prefix + "valueCodeableConcept", "", because("has neither text nor a coding"), "missing"
            )
        return text, ""
    integer = holder.get("valueInteger")
    if integer is not None:
        return number_text(integer, prefix + "valueInteger"), ""
    absent = concept_text(holder.get("dataAbsentReason"))
    if absent:
        reason = because("is missing (dataAbsentReason: %(absent)s)", absent=absent)
    else:
        reason = because("is missing")
    raise FieldProblem(prefix + "value[x]", "", reason, "missing")


def reference_range_text(ranges: list[dict[str, Any]] | None) -> str:
    """The first referenceRange as a lab prints it: its text, else "low-high", "<=high" or ">=low"."""
    if not ranges:
        return ""
    first = ranges[0]
    if first.get("text"):
        text: str = first["text"]
        return text
    low = (first.get("low") or {}).get("value")
    high = (first.get("high") or {}).get("value")
    if low is not None and high is not None:
        return f"{low}-{high}"
    if high is not None:
        return f"<={high}"
    if low is not None:
        return f">={low}"
    return ""


def interpretation_code(concepts: list[dict[str, Any]] | None) -> str:
    """The first interpretation's first code ("H", "LL"...), else its text."""
    if not concepts:
        return ""
    concept = concepts[0]
    for coding in concept.get("coding") or ():
        if coding.get("code"):
            code: str = coding["code"]
            return code
    return concept.get("text") or ""


def is_exam(categories: list[dict[str, Any]] | None) -> bool:
    """Whether a category says the result is from a health check ("exam")."""
    for concept in categories or ():
        for coding in concept.get("coding") or ():
            if coding.get("code") == "exam":
                return True
    return False
