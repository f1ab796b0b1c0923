"""ORU^R01 -> results and reports: per order an OBR (ReportRecord) and its OBX (ResultRecord).

Field positions follow HL7 v2.5.1 chapter 7; they are the same in 2.3 to 2.8 for the fields read here.
"""

import datetime
import re
from dataclasses import dataclass

from careloop.observations.importing.parsed import (
    ParseResult,
    PatientRef,
    Problem,
    ReportRecord,
    ResultRecord,
    because,
)
from careloop.observations.sources.hl7v2.header import Header
from careloop.observations.sources.hl7v2.patient import read_pid
from careloop.observations.sources.hl7v2.segments import Parts, Segment, unescape
from careloop.observations.sources.hl7v2.timestamps import TimestampError, field_time, parse_timestamp

# HL7 table 0085 (observation result status) -> FHIR ObservationStatus, as in the HL7 v2-to-FHIR
# mapping; I (pending), N (not asked), O (order detail) carry no result and are refused.
RESULT_STATUSES = {
    "F": "final",
    "C": "corrected",
    "P": "preliminary",
    "X": "cancelled",
    "U": "final",
    "R": "preliminary",
    "S": "preliminary",
    "D": "entered-in-error",
    "W": "entered-in-error",
}
NO_VALUE_STATUSES = {"X", "D", "W"}  # a result withdrawn or not obtained has no OBX-5
VALUE_TYPES = {"NM", "SN", "ST", "TX", "FT", "CE", "CWE", "CF", "CNE"}
_NUMBER = re.compile(r"^\s*(?:[<>]=?)?\s*[+-]?(?:\d+\.?\d*|\.\d+)\s*$")


@dataclass
class _Order:
    report_id: str
    observed_at: datetime.datetime | None  # OBR-7, the fallback for OBX-14
    time_refused: bool  # OBR-7 was sent but unreadable (already reported)


def read_oru(
    segments: list[Segment], header: Header, where: str, tz: datetime.tzinfo, result: ParseResult
) -> None:
    """PID, then per order an OBR and its OBX. A PID or OBR with a problem refuses the OBX under
    it without a Problem each: the one Problem on the PID or OBR says why."""
    problems = result.problems
    if not any(segment.name == "PID" for segment in segments):
        problems.append(
            Problem(where, "PID", "", because("no PID segment: the results name no patient"), "missing")
        )
        return
    source = header.source_system
    patient: PatientRef | None = None
    seen_pid = False
    order: _Order | None = None
    order_refused = False
    for segment in segments:
        if segment.name == "PID":
            seen_pid = True
            patient = read_pid(segment, source, problems)
            order, order_refused = None, False
        elif segment.name == "OBR":
            order = read_obr(segment, header, patient, tz, result)
            order_refused = order is None
        elif segment.name == "OBX":
            if not seen_pid or (order is None and not order_refused):
                before = "PID" if not seen_pid else "OBR"
                problems.append(
                    Problem(
                        segment.where,
                        before,
                        "",
                        because("OBX before any %(segment)s segment", segment=before),
                        "sequence",
                    )
                )
            elif patient is not None and order is not None:
                record = read_obx(segment, order, patient, source, tz, problems)
                if record is not None:
                    result.results.append(record)


def read_obr(
    obr: Segment, header: Header, patient: PatientRef | None, tz: datetime.tzinfo, result: ParseResult
) -> _Order | None:
    """OBR -> the order the following OBX belong to, and a ReportRecord. The filler order number
    (OBR-3) identifies the report in the lab; the placer number (OBR-2) when no filler is sent.
    Issued at OBR-22 (results reported), else OBR-7 (observation time), else MSH-7."""
    report_id = obr.text(3) or obr.text(2)
    if not report_id:
        result.problems.append(
            Problem(
                obr.where, "OBR-3", "", because("no filler (OBR-3) or placer (OBR-2) order number"), "missing"
            )
        )
        return None
    before = len(result.problems)
    observed_at = field_time(obr, 7, tz, result.problems)
    time_refused = len(result.problems) > before
    issued_at = field_time(obr, 22, tz, result.problems) or observed_at
    if issued_at is None:
        try:
            issued_at = parse_timestamp(header.sent_at, tz)
        except TimestampError:
            issued_at = None
    if patient is not None and issued_at is not None:
        service = obr.components(4)
        result.reports.append(
            ReportRecord(
                patient=patient,
                source_system=header.source_system,
                source_id=report_id,
                issued_at=issued_at,
                institution=header.source_system,
                package=service.get(2) or service.get(1),
                status=RESULT_STATUSES.get(obr.text(25).upper(), "final"),
                location=obr.where,
            )
        )
    return _Order(report_id, observed_at, time_refused)


def read_obx(
    obx: Segment,
    order: _Order,
    patient: PatientRef,
    source_system: str,
    tz: datetime.tzinfo,
    problems: list[Problem],
) -> ResultRecord | None:
    """OBX -> ResultRecord, or None after adding the Problems.

    source_id is "<report id>/<OBX-3 identifier>[/<OBX-4 sub-id>]". A lab re-sends a result (a
    correction, a repeated interface run) under the same filler order number and test code, while
    the message control id changes on every send and the OBX set id (OBX-1) shifts when results
    are added to or removed from the report. OBX-4 tells apart repeats of one code in one report.
    """
    before = len(problems)
    coded = obx.components(3)
    identifier = coded.get(1)
    if coded.get(3).upper() == "LN" and identifier:
        code = identifier
    elif coded.get(6).upper() == "LN" and coded.get(4):
        code = coded.get(4)  # the LOINC code sent as the alternate identifier
    else:
        # A local code, kept as sent for the catalogue's alias mapping. Its coding system (OBX-3.3)
        # has no field in ResultRecord yet.
        code = identifier or coded.get(2)
    if not code:
        problems.append(
            Problem(obx.where, "OBX-3", "", because("no observation identifier (OBX-3)"), "missing")
        )
    status_code = obx.text(11).upper() or "F"
    status = RESULT_STATUSES.get(status_code)
    if status is None:
        problems.append(
            Problem(
                obx.where, "OBX-11", status_code, because("result status carries no result"), "unknown_code"
            )
        )
    value = _value(obx, obx.text(2).upper(), problems)
    if not value and status_code not in NO_VALUE_STATUSES:
        problems.append(Problem(obx.where, "OBX-5", "", because("no observation value (OBX-5)"), "missing"))
    if obx.text(14):
        effective_at = field_time(obx, 14, tz, problems)
    else:
        effective_at = order.observed_at
        if effective_at is None and not order.time_refused:
            problems.append(
                Problem(obx.where, "OBX-14", "", because("no observation time in OBX-14 or OBR-7"), "missing")
            )
    if len(problems) > before or effective_at is None or status is None:
        return None
    sub_id = obx.text(4)
    unit = obx.components(6)
    return ResultRecord(
        patient=patient,
        code=code,
        value=value,
        unit=unit.get(1) or unit.get(2),
        effective_at=effective_at,
        source_system=source_system,
        source_id=f"{order.report_id}/{identifier or code}" + (f"/{sub_id}" if sub_id else ""),
        status=status,
        report_source_id=order.report_id,
        reference_range=unescape(obx.field(7).split(obx.d.repetition)[0], obx.d).strip(),
        abnormal_flag=",".join(flag.strip() for flag in obx.repetitions(8) if flag.strip()),
        location=obx.where,
    )


def _value(obx: Segment, value_type: str, problems: list[Problem]) -> str:
    """OBX-5 as text by value type (OBX-2): SN "<^0.1" -> "<0.1", "^10^-^20" -> "10-20"; coded
    values give their text; NM must be a number; text types keep every repetition, one a line."""
    if value_type and value_type not in VALUE_TYPES:
        problems.append(
            Problem(obx.where, "OBX-2", value_type, because("value type is not accepted"), "unsupported")
        )
        return ""
    reps = obx.repetitions(5)
    if not reps:
        return ""
    if value_type == "SN":
        return Parts(reps[0], obx.d).joined(4)
    if value_type in ("CE", "CWE", "CF", "CNE"):
        parts = Parts(reps[0], obx.d)
        return parts.get(2) or parts.get(1)
    if value_type == "NM":
        value = unescape(reps[0], obx.d).strip()
        if value and not _NUMBER.match(value):
            problems.append(
                Problem(obx.where, "OBX-5", value, because("value type is NM but the value is not a number"))
            )
        return value
    return "\n".join(unescape(rep, obx.d).strip() for rep in reps).strip()
