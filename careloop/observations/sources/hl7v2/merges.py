"""ADT^A40 (merge patient, patient identifier list) -> MergeRecord: each PID (the record that stays) with
the MRG after it (MRG-1, or the older MRG-4: the identifiers of the record merged into it; MRG-7 its name).
Pure: no Django import.
"""

import datetime

from careloop.observations.importing.parsed import MergeRecord, ParseResult, PatientRef, Problem, because
from careloop.observations.sources.hl7v2.header import Header
from careloop.observations.sources.hl7v2.patient import identifiers, read_pid, xpn_name
from careloop.observations.sources.hl7v2.person import message_time
from careloop.observations.sources.hl7v2.segments import Segment
from careloop.observations.sources.hl7v2.timestamps import field_time


def read_a40(
    segments: list[Segment], header: Header, where: str, tz: datetime.tzinfo, result: ParseResult
) -> None:
    problems = result.problems
    evn = next((segment for segment in segments if segment.name == "EVN"), None)
    recorded_at = field_time(evn, 2, tz, problems) if evn is not None else None
    sent_at = recorded_at or message_time(header, where, tz, problems)
    pid: Segment | None = None
    pairs = 0
    for segment in segments:
        if segment.name == "PID":
            pid = segment
        elif segment.name == "MRG":
            if pid is None:
                reason = because("an MRG segment without the PID of the record it is merged into")
                problems.append(Problem(segment.where, "MRG", "", reason, "sequence"))
                continue
            pairs += 1
            _read_pair(pid, segment, header, sent_at, result)
            pid = None
    if not pairs and not problems:
        reason = because("no PID and MRG segments: the message names no records to merge")
        problems.append(Problem(where, "MRG", "", reason, "missing"))


def _read_pair(
    pid: Segment, mrg: Segment, header: Header, sent_at: datetime.datetime | None, result: ParseResult
) -> None:
    survivor = read_pid(pid, header.source_system, result.problems)
    id_number, mrn, mrn_system = identifiers(mrg, ((1, True), (4, True)), header.source_system)
    if not id_number and not mrn:
        reason = because("no identifier of the record to merge (MRG-1 is empty)")
        result.problems.append(Problem(mrg.where, "MRG-1", "", reason, "missing"))
        return
    if survivor is None:
        return
    merged = PatientRef(id_number=id_number, mrn=mrn, mrn_system=mrn_system, name=xpn_name(mrg, 7))
    result.merges.append(
        MergeRecord(survivor, merged, header.source_system, header.control_id, sent_at, mrg.where)
    )
