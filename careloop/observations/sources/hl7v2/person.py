"""ADT PID and NK1 -> PersonRecord: the patient's mobile, address and family contacts as of the message.

Field positions follow HL7 v2.5.1: PID-11 address (XAD), PID-13 / PID-14 home / business phone (XTN),
NK1-2 name (XPN), NK1-3 relationship (CE, table 0063), NK1-5 / NK1-6 phones (XTN). What the codes mean in
our terms is decided in `sources.people`, which the FHIR reader shares. Pure: no Django import.
"""

import datetime

from careloop.observations.importing.parsed import ContactRecord, PatientRef, PersonRecord, Problem
from careloop.observations.sources.hl7v2.header import Header
from careloop.observations.sources.hl7v2.patient import xpn_name
from careloop.observations.sources.hl7v2.segments import Parts, Segment
from careloop.observations.sources.hl7v2.timestamps import TimestampError, parse_timestamp, time_reason
from careloop.observations.sources.people import address_line, choose_mobile, relationship


def read_person(
    pid: Segment,
    patient: PatientRef,
    nk1s: list[Segment],
    header: Header,
    sent_at: datetime.datetime | None,
) -> PersonRecord:
    """The PID's patient as a PersonRecord of the message's trigger ("A01", "A31"...), sent at `sent_at`."""
    return PersonRecord(
        patient=patient,
        event=header.trigger,
        source_system=header.source_system,
        source_id=header.control_id,
        sent_at=sent_at,
        mobile=xtn_mobile(pid, 13, 14),
        address=xad_line(pid, 11),
        contacts=tuple(contact for contact in map(read_nk1, nk1s) if contact is not None),
        location=pid.where,
    )


def message_time(
    header: Header, where: str, tz: datetime.tzinfo, problems: list[Problem]
) -> datetime.datetime | None:
    """MSH-7, the time the message was made; None if it is empty, or unreadable (then with a Problem)."""
    raw = header.sent_at.strip()
    if not raw:
        return None
    try:
        return parse_timestamp(raw, tz)
    except TimestampError as error:
        problems.append(Problem(f"{where} / MSH 1", "MSH-7", raw, time_reason("MSH-7", error)))
        return None


def read_nk1(nk1: Segment) -> ContactRecord | None:
    """NK1 -> ContactRecord; None for one without a name (an organization, or an empty segment)."""
    name = xpn_name(nk1, 2)
    if not name:
        return None
    coded = nk1.components(3)
    return ContactRecord(
        name=name, relationship=relationship((coded.get(1), coded.get(4))), mobile=xtn_mobile(nk1, 5, 6)
    )


def xtn_mobile(segment: Segment, *fields: int) -> str:
    """The first mainland mobile among the repetitions of the XTN fields, in order; one whose equipment type
    (XTN-3) is CP, a cellular phone, before any other. The number is where the sender's HL7 version puts
    it: XTN-12 (unformatted), XTN-1 (before v2.5), or XTN-7 with its area code in XTN-6."""
    candidates = []
    for n in fields:
        for rep in segment.repetitions(n):
            parts = Parts(rep, segment.d)
            marked = parts.get(3).upper() == "CP"
            local = parts.get(7)
            for number in (parts.get(12), parts.get(1), parts.get(6) + local, local):
                candidates.append((number, marked))
    return choose_mobile(candidates)


def xad_line(segment: Segment, n: int) -> str:
    """An XAD field as one line: the home address (XAD-7 "H") or the first. Parts used: street (XAD-1),
    other designation (XAD-2), city (XAD-3), state or province (XAD-4), zip (XAD-5), county or district
    (XAD-9); the country is left out."""
    reps = [Parts(rep, segment.d) for rep in segment.repetitions(n)]
    if not reps:
        return ""
    parts = next((p for p in reps if p.get(7).upper() == "H"), reps[0])
    return address_line(
        state=parts.get(4),
        city=parts.get(3),
        district=parts.get(9),
        lines=(parts.get(1), parts.get(2)),
        postal_code=parts.get(5),
    )
