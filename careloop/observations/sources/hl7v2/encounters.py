"""ADT -> the patient as of the message (PID, NK1: a PersonRecord) and the visit (PV1, EVN, DG1, PR1: an
EncounterRecord).

Every accepted ADT says who the patient is now, so each gives a PersonRecord. A01 (admit), A04 (register an
outpatient: an admission too), A03 (discharge) and A08 (update) also give the visit; an A08 without a visit
number only updates the person, as do A05 (pre-admit), A28 (add person) and A31 (update person).
"""

import datetime

from careloop.observations.importing.parsed import EncounterRecord, ParseResult, PatientRef, Problem, because
from careloop.observations.sources.hl7v2.header import Header
from careloop.observations.sources.hl7v2.patient import read_pid
from careloop.observations.sources.hl7v2.person import message_time, read_person
from careloop.observations.sources.hl7v2.segments import Segment
from careloop.observations.sources.hl7v2.timestamps import field_time

# The ADT triggers we accept, and the visit event of those that carry one.
ADT_TRIGGERS = ("A01", "A03", "A04", "A05", "A08", "A28", "A31")
ENCOUNTER_EVENTS = {"A01": "admit", "A03": "discharge", "A04": "admit", "A08": "update"}
NEEDS_VISIT = frozenset({"A01", "A03", "A04"})  # the rest may come without a PV1
# HL7 table 0004 (patient class), the three we map.
PATIENT_CLASSES = {"I": "inpatient", "O": "outpatient", "E": "emergency"}


def read_adt(
    segments: list[Segment], header: Header, where: str, tz: datetime.tzinfo, result: ParseResult
) -> None:
    """ADT -> a PersonRecord (PID, NK1) and, for a visit event, an EncounterRecord (PV1)."""
    problems = result.problems
    by_name: dict[str, list[Segment]] = {}
    for segment in segments:
        by_name.setdefault(segment.name, []).append(segment)
    pid = by_name.get("PID", [None])[0]
    pv1 = by_name.get("PV1", [None])[0]
    evn = by_name.get("EVN", [None])[0]
    if pid is None:
        reason = (
            because("no PID segment: the visit names no patient")
            if pv1 is not None
            else because("no PID segment: the message names no patient")
        )
        problems.append(Problem(where, "PID", "", reason, "missing"))
    if pv1 is None and header.trigger in NEEDS_VISIT:
        problems.append(Problem(where, "PV1", "", because("no PV1 segment: there is no visit"), "missing"))
    if pid is None:
        return
    patient = read_pid(pid, header.source_system, problems)
    recorded_at = field_time(evn, 2, tz, problems) if evn is not None else None
    if patient is not None:
        sent_at = recorded_at or message_time(header, where, tz, problems)
        result.people.append(read_person(pid, patient, by_name.get("NK1", []), header, sent_at))
    event = ENCOUNTER_EVENTS.get(header.trigger)
    if event is None or pv1 is None or (header.trigger not in NEEDS_VISIT and not pv1.text(19)):
        return
    _read_encounter(pv1, by_name, header, event, patient, recorded_at, tz, result)


def _read_encounter(
    pv1: Segment,
    by_name: dict[str, list[Segment]],
    header: Header,
    event: str,
    patient: PatientRef | None,
    recorded_at: datetime.datetime | None,
    tz: datetime.tzinfo,
    result: ParseResult,
) -> None:
    """PV1 -> EncounterRecord, appended when the patient is known and the visit has no problem. `recorded_at`
    is EVN-2, read already; EVN-6 (when the event occurred) comes first."""
    problems = result.problems
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
    occurred_at = field_time(evn, 6, tz, problems) if evn is not None else None
    event_at = occurred_at or recorded_at
    # An unreadable EVN-2 (reported with the person) refuses the visit only where the visit needed it.
    lost_event_time = occurred_at is None and evn is not None and bool(evn.text(2)) and recorded_at is None
    admitted_at = field_time(pv1, 44, tz, problems)
    discharged_at = field_time(pv1, 45, tz, problems)
    if event == "admit" and admitted_at is None and not pv1.text(44):
        admitted_at = event_at
    if event == "discharge" and discharged_at is None and not pv1.text(45):
        discharged_at = event_at
        if discharged_at is None:
            problems.append(
                Problem(pv1.where, "PV1-45", "", because("a discharge without a discharge time"), "missing")
            )
    if patient is None or len(problems) > before or lost_event_time:
        return
    location = pv1.components(3)
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
