"""ADT^A01 / A03 / A08 -> EncounterRecord (PV1, EVN, DG1, PR1) and the patient's demographics (PID)."""

import datetime

from careloop.observations.importing.parsed import EncounterRecord, ParseResult, Problem, because
from careloop.observations.sources.hl7v2.header import Header
from careloop.observations.sources.hl7v2.patient import read_pid
from careloop.observations.sources.hl7v2.segments import Segment
from careloop.observations.sources.hl7v2.timestamps import field_time

ADT_EVENTS = {"A01": "admit", "A03": "discharge", "A08": "update"}
# HL7 table 0004 (patient class), the three we map.
PATIENT_CLASSES = {"I": "inpatient", "O": "outpatient", "E": "emergency"}


def read_adt(
    segments: list[Segment], header: Header, where: str, tz: datetime.tzinfo, result: ParseResult
) -> None:
    """ADT -> EncounterRecord (PV1) and the patient's demographics (PID)."""
    problems = result.problems
    by_name: dict[str, list[Segment]] = {}
    for segment in segments:
        by_name.setdefault(segment.name, []).append(segment)
    pid = by_name.get("PID", [None])[0]
    pv1 = by_name.get("PV1", [None])[0]
    if pid is None:
        problems.append(
            Problem(where, "PID", "", because("no PID segment: the visit names no patient"), "missing")
        )
    if pv1 is None:
        problems.append(Problem(where, "PV1", "", because("no PV1 segment: there is no visit"), "missing"))
    if pid is None or pv1 is None:
        return
    patient = read_pid(pid, header.source_system, problems)
    before = len(problems)
    visit = pv1.text(19)
    if not visit:
        problems.append(Problem(pv1.where, "PV1-19", "", because("no visit number (PV1-19)"), "missing"))
    patient_class = pv1.text(2).upper()
    encounter_class = PATIENT_CLASSES.get(patient_class, "")
    if not encounter_class:
        problems.append(
            Problem(
                pv1.where, "PV1-2", patient_class, because("patient class must be I, O or E"), "unknown_code"
            )
        )
    evn = by_name.get("EVN", [None])[0]
    event_at = None
    if evn is not None:
        event_at = field_time(evn, 6, tz, problems) or field_time(evn, 2, tz, problems)
    admitted_at = field_time(pv1, 44, tz, problems)
    discharged_at = field_time(pv1, 45, tz, problems)
    event = ADT_EVENTS[header.trigger]
    if event == "admit" and admitted_at is None and not pv1.text(44):
        admitted_at = event_at
    if event == "discharge" and discharged_at is None and not pv1.text(45):
        discharged_at = event_at
        if discharged_at is None:
            problems.append(
                Problem(pv1.where, "PV1-45", "", because("a discharge without a discharge time"), "missing")
            )
    if patient is None or len(problems) > before:
        return
    location = pv1.components(3)
    result.patients.append(patient)
    result.encounters.append(
        EncounterRecord(
            patient=patient,
            source_system=header.source_system,
            source_id=visit,
            event=event,
            encounter_class=encounter_class,
            admitted_at=admitted_at,
            discharged_at=discharged_at,
            department=location.get(1) or location.get(4),
            diagnoses=_coded_list(by_name.get("DG1", []), 3, 4),
            procedures=_coded_list(by_name.get("PR1", []), 3, 4),
            location=pv1.where,
        )
    )


def _coded_list(segments: list[Segment], coded: int, description: int) -> str:
    """DG1-3 / PR1-3 "code text" (the description field, DG1-4 / PR1-4, when the coded one has
    no text), joined with "; "."""
    items = []
    for segment in segments:
        parts = segment.components(coded)
        text = parts.get(2) or segment.text(description)
        item = " ".join(p for p in (parts.get(1), text) if p)
        if item:
            items.append(item)
    return "; ".join(items)
