"""A FHIR Encounter -> EncounterRecord: an admission, a discharge or an update of a visit."""

import datetime
from typing import Any

from careloop.observations.importing.parsed import EncounterRecord, because
from careloop.observations.sources.fhir.dates import BadDate, parse_datetime
from careloop.observations.sources.fhir.fields import FieldProblem, concept_text
from careloop.observations.sources.fhir.keys import SourceKeys
from careloop.observations.sources.fhir.references import Subjects

# v3 ActCode encounter classes (https://terminology.hl7.org/ValueSet-v3-ActEncounterCode.html) we can place.
ENCOUNTER_CLASSES = {
    "IMP": "inpatient",
    "ACUTE": "inpatient",
    "NONAC": "inpatient",
    "AMB": "outpatient",
    "EMER": "emergency",
    "HH": "home",
}
# Encounter.status values (R4 EncounterStatus) that mean the patient is in.
ADMITTED = frozenset({"arrived", "triaged", "in-progress", "onleave"})
VOIDED = frozenset({"cancelled", "entered-in-error"})


def _period_time(period: dict[str, Any], name: str, tz: datetime.tzinfo) -> datetime.datetime | None:
    text = period.get(name)
    if not text:
        return None
    try:
        return parse_datetime(text, tz)
    except BadDate as error:
        raise FieldProblem("period." + name, text, error.reason) from None


def read_encounter(
    resource: dict[str, Any], where: str, keys: SourceKeys, subjects: Subjects, tz: datetime.tzinfo
) -> EncounterRecord:
    """The visit: "finished" is a discharge, an admitted status an admission, anything else an update;
    a cancelled or voided one is refused, as is a class we cannot place."""
    system, source_id = keys.key_of(resource)
    status = resource.get("status") or ""
    if status in VOIDED:
        reason = because("is %(status)s: the encounter is not imported", status=status)
        raise FieldProblem("status", status, reason, "unsupported")
    patient = subjects.of(resource, system)
    code = (resource.get("class") or {}).get("code") or ""
    encounter_class = ENCOUNTER_CLASSES.get(code)
    if encounter_class is None:
        known = ", ".join(ENCOUNTER_CLASSES)
        reason = because("is not an encounter class we place (%(known)s)", known=known)
        raise FieldProblem("class.code", code, reason, "unknown_code")
    period = resource.get("period") or {}
    admitted = _period_time(period, "start", tz)
    discharged = _period_time(period, "end", tz)
    event = "discharge" if status == "finished" else "admit" if status in ADMITTED else "update"
    locations = resource.get("location") or ()
    department = (locations[0].get("location") or {}).get("display") if locations else ""
    department = department or (resource.get("serviceProvider") or {}).get("display") or ""
    reasons = [concept_text(concept) for concept in resource.get("reasonCode") or ()]
    reasons += [
        (item.get("condition") or {}).get("display") or "" for item in resource.get("diagnosis") or ()
    ]
    return EncounterRecord(
        patient,
        system,
        source_id,
        event,
        encounter_class,
        admitted,
        discharged,
        department=department,
        diagnoses="; ".join(reason for reason in reasons if reason),
        location=where,
    )
