"""One HL7 v2.x message (text) -> the neutral records of `careloop.observations.importing.parsed`.

Supported: ORU^R01 (lab and exam results: PID, OBR, OBX) and ADT (the patient as of the message: PID, NK1;
and the visit: PV1, EVN, DG1, PR1) with triggers A01 (admit), A03 (discharge), A04 (register an outpatient),
A08 (update patient information), and A05 (pre-admit), A28 (add person), A31 (update person), which say
only who the patient is; and ADT^A40 (merge two records of one patient: PID, MRG). Everything else is
answered with a Problem coded "unsupported". A missing or unreadable part becomes a Problem that names the
segment and field ("OBX-3") and where it is ("message 2 / OBX 4": the 4th OBX segment of the 2nd message).
Results with a problem are left out; the rest of the message is still returned.

The header (header.py) says the message type, and the type its reader: results.py (ORU), encounters.py
(ADT, with person.py for the patient's phone, address and next of kin), merges.py (A40), all reading the
PID with patient.py. Pure: no Django import.
"""

import datetime
from collections.abc import Callable

from careloop.observations.importing.parsed import ParseResult, Problem, because
from careloop.observations.sources.hl7v2.decoding import decode_file
from careloop.observations.sources.hl7v2.encounters import ADT_TRIGGERS, read_adt
from careloop.observations.sources.hl7v2.header import Header, HeaderError, read_header
from careloop.observations.sources.hl7v2.merges import read_a40
from careloop.observations.sources.hl7v2.results import read_oru
from careloop.observations.sources.hl7v2.segments import Segment, split_segments
from careloop.observations.sources.hl7v2.timestamps import CHINA

Reader = Callable[[list[Segment], Header, str, datetime.tzinfo, ParseResult], None]
# (MSH-9.1, MSH-9.2) -> the reader of that message type.
READERS: dict[tuple[str, str], Reader] = {("ORU", "R01"): read_oru}
READERS.update({("ADT", trigger): read_adt for trigger in ADT_TRIGGERS})
READERS[("ADT", "A40")] = read_a40


def parse_message(text: str, number: int = 1, default_tz: datetime.tzinfo = CHINA) -> ParseResult:
    """One message -> ParseResult. `number` is its position in the file or connection, for locations."""
    result = ParseResult()
    where = f"message {number}"
    if "\n" in text:
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    try:
        header = read_header(text)
    except HeaderError as error:
        result.problems.append(_at(error.problem, where))
        return result
    if not header.version.startswith("2."):
        result.problems.append(
            Problem(
                where, "MSH-12", header.version, because("only HL7 version 2.x is accepted"), "unsupported"
            )
        )
        return result
    if not header.control_id:
        result.problems.append(
            Problem(where, "MSH-10", "", because("the message control id is empty"), "missing")
        )
    reader = READERS.get((header.message_type, header.trigger))
    if reader is None:
        kind = f"{header.message_type}^{header.trigger}"
        result.problems.append(
            Problem(
                where,
                "MSH-9",
                kind,
                because("message type %(kind)s is not accepted", kind=kind),
                "unsupported",
            )
        )
        return result
    reader(split_segments(text, header.delimiters, where), header, where, default_tz, result)
    return result


def parse_file(data: bytes, default_tz: datetime.tzinfo = CHINA) -> ParseResult:
    """Every message of a file, numbered from 1, into one ParseResult.

    Character-set notes (a GB 18030 fallback) are not Problems: use `decoding.decode_file` and
    `parse_message` directly to show them.
    """
    merged = ParseResult()
    for number, decoded in enumerate(decode_file(data), start=1):
        one = parse_message(decoded.text, number, default_tz)
        merged.results += one.results
        merged.reports += one.reports
        merged.encounters += one.encounters
        merged.people += one.people
        merged.merges += one.merges
        merged.problems += one.problems
    return merged


def _at(problem: Problem, where: str) -> Problem:
    return Problem(where, problem.field, problem.value, problem.reason, problem.code)
