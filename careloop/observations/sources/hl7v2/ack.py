"""The answer to a received HL7 v2 message: an original-mode ACK (HL7 v2.5.1 section 2.9.2).

AA: accepted. AE: the message was read but some of its content was refused (a result without a
value, a patient who could not be matched, ...); the good part was kept. AR: the message could not
be processed at all (no readable MSH, a message type, event or version we do not take); nothing was
kept. Each refusal becomes an ERR segment: ERR-2 where, ERR-3 the HL7 table 0357 error code, ERR-4
severity E, ERR-8 the reason for people. What was kept but not as sent (results that collapse into one
row, repeats.py) is said in an ERR of severity W, whatever the acknowledgement code. A message of more
than `max_segments` segments is answered AE and not parsed. Pure: no Django import.
"""

import datetime
import logging
import re
import uuid
from collections.abc import Callable, Sequence

from careloop.observations.importing.parsed import ParseResult, Problem, because
from careloop.observations.sources.hl7v2.decoding import UTF8, decode_message, encode
from careloop.observations.sources.hl7v2.header import Header, HeaderError, read_header
from careloop.observations.sources.hl7v2.messages import parse_message
from careloop.observations.sources.hl7v2.repeats import collapse_warnings
from careloop.observations.sources.hl7v2.segments import Delimiters, escape
from careloop.observations.sources.hl7v2.timestamps import CHINA

logger = logging.getLogger(__name__)

ACCEPT, ERROR, REJECT = "AA", "AE", "AR"
MAX_ERR_SEGMENTS = 50
MAX_SEGMENTS = 10_000  # a laboratory report is a few hundred; more is a mistake or an attack

# HL7 table 0357 (message error condition codes).
ERROR_CODES = {
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "203": "Unsupported version id",
    "204": "Unknown key identifier",
    "205": "Duplicate key identifier",
    "207": "Application internal error",
}
# Problem.code -> table 0357 code; anything not listed is 207.
_PROBLEM_CODES = {
    "sequence": "100",
    "malformed": "100",
    "missing": "101",
    "invalid": "102",
    "unknown_code": "103",
    "unknown_unit": "103",
    "unsupported": "200",
    "unmatched": "204",
    "unknown_patient": "204",
    "duplicate": "205",
}
_FIELD = re.compile(r"^([A-Z][A-Z0-9]{2})(?:-(\d+))?")
_ORDINAL = re.compile(r"/ ([A-Z][A-Z0-9]{2}) (\d+)$")
_REJECTING = {"unsupported", "malformed"}


def error_code(problem: Problem) -> str:
    """The HL7 table 0357 code for a Problem (MSH-9.2 and MSH-12 have their own codes)."""
    if problem.code == "unsupported" and problem.field == "MSH-12":
        return "203"
    if problem.code == "unsupported" and problem.field == "MSH-9" and problem.value[:3] in ("ORU", "ADT"):
        return "201"
    return _PROBLEM_CODES.get(problem.code, "207")


def acknowledgement_code(parsed: ParseResult, outcome: Sequence[Problem] = ()) -> str:
    """AA / AE / AR from what the parser found and what the import pipeline refused.

    AR when the message itself cannot be taken (its MSH, type, event or version); AE when any
    part of it was refused by the parser or the pipeline; AA otherwise.
    """
    if any(p.code in _REJECTING or p.field.startswith("MSH") for p in parsed.problems):
        return REJECT
    if parsed.problems or outcome:
        return ERROR
    return ACCEPT


def build_ack(
    header: Header | None,
    code: str,
    problems: Sequence[Problem] = (),
    *,
    now: datetime.datetime | None = None,
    control_id: str = "",
    warnings: Sequence[Problem] = (),
) -> str:
    """The ACK text for a message (segments ended by "\\r"): an ERR of severity E per problem when
    the code is not AA, then one of severity W per warning.

    MSH echoes the sender as receiver and back, keeps the version, processing id, character set
    and delimiters of the original; MSA-2 is the original control id. `header` is None when the
    original MSH could not be read (then MSA-2 is empty and the version 2.5.1).
    """
    d = header.delimiters if header else Delimiters()
    version = (header.version if header else "") or "2.5.1"
    trigger = header.trigger if header else ""
    now = now or datetime.datetime.now(CHINA)
    message_type = "ACK"
    if trigger:
        message_type += d.component + trigger + (d.component + "ACK" if _at_least(version, (2, 3, 1)) else "")
    msh = [
        "MSH",
        d.encoding_characters,
        header.receiving_application if header else "",
        header.receiving_facility if header else "",
        header.sending_application if header else "",
        header.sending_facility if header else "",
        now.strftime("%Y%m%d%H%M%S%z"),
        "",
        message_type,
        control_id or uuid.uuid4().hex[:20],
        (header.processing_id if header else "") or "P",
        version,
    ]
    if header and header.charset:
        msh += [""] * 5 + [header.charset]
    refused = code != ACCEPT
    msa = ["MSA", code, escape(header.control_id, d) if header else ""]
    if refused and problems:
        msa.append(escape(_user_message(problems[0])[:80], d))
    segments = [d.field.join(msh), d.field.join(msa)]
    listed = [(problem, "E") for problem in (problems if refused else ())]
    listed += [(warning, "W") for warning in warnings]
    old_style = not _at_least(version, (2, 5))
    segments += [_err(problem, d, old_style, severity) for problem, severity in listed[:MAX_ERR_SEGMENTS]]
    if len(listed) > MAX_ERR_SEGMENTS:
        more = Problem("", "", "", f"{len(listed) - MAX_ERR_SEGMENTS} more problems not listed", "")
        segments.append(_err(more, d, old_style, listed[MAX_ERR_SEGMENTS][1]))
    return "\r".join(segments) + "\r"


def _err(problem: Problem, d: Delimiters, old_style: bool, severity: str) -> str:
    """ERR: ERR-2 error location (segment^sequence^field), ERR-3 code^text^HL70357, ERR-4 severity,
    ERR-8 user message; ERR-1 (error code and location) too for receivers before v2.5."""
    number = error_code(problem)
    field = _FIELD.match(problem.field)
    ordinal = _ORDINAL.search(problem.location)
    location = ""
    if field:
        sequence = ordinal.group(2) if ordinal and ordinal.group(1) == field.group(1) else "1"
        location = d.component.join([field.group(1), sequence, field.group(2) or ""]).rstrip(d.component)
    eld = ""
    if old_style:
        s = d.subcomponent
        eld = (
            location
            + d.component * (3 - location.count(d.component))
            + f"{number}{s}{ERROR_CODES.get(number, '')}{s}HL70357"
        )
    coded = d.component.join([number, ERROR_CODES.get(number, ""), "HL70357"])
    return d.field.join(
        ["ERR", eld, location, coded, severity, "", "", "", escape(_user_message(problem), d)]
    )


def _user_message(problem: Problem) -> str:
    """Where, which field and why; the value only outside PID, where it may be an identifier."""
    text = problem.reason
    if problem.field:
        text = f"{problem.field}: {text}"
    if problem.value and not problem.field.startswith("PID"):
        text += f" (got {problem.value[:40]!r})"
    if problem.location:
        text = f"{problem.location}, {text}"
    return text


def _at_least(version: str, wanted: tuple[int, ...]) -> bool:
    try:
        parts = tuple(int(part) for part in version.split("."))
    except ValueError:
        return True
    return parts >= wanted


def respond(
    raw: bytes,
    process: Callable[[ParseResult], Sequence[Problem]],
    *,
    default_tz: datetime.tzinfo = CHINA,
    max_segments: int = MAX_SEGMENTS,
) -> bytes:
    """Decode, parse, hand the records to `process` (the import pipeline, which returns what it
    refused), and answer with the ACK in the sender's character set.

    `process` is not called for a message that gets AR, nor for one of more than `max_segments`
    segments (AE, not parsed). If it raises, the answer is AE with code 207 so the sender may try
    again; the log names only the control id and the exception type, since database errors can
    quote the values of a row.
    """
    decoded = decode_message(raw)
    try:
        header = read_header(decoded.text)
    except HeaderError as error:
        return encode(build_ack(None, REJECT, [error.problem]), UTF8)
    count = segment_count(decoded.text)
    if count > max_segments:
        reason = because(
            "the message has %(count)s segments, more than the %(limit)s accepted; "
            "send it in smaller messages",
            count=count,
            limit=max_segments,
        )
        return encode(
            build_ack(header, ERROR, [Problem("message 1", "", "", reason, "too_large")]), decoded.charset
        )
    parsed = parse_message(decoded.text, default_tz=default_tz)
    if acknowledgement_code(parsed) == REJECT:
        return encode(build_ack(header, REJECT, parsed.problems), decoded.charset)
    try:
        outcome = list(process(parsed))
    except Exception as error:
        logger.error("processing control id %s failed: %s", header.control_id, type(error).__name__)
        outcome = [Problem("message 1", "", "", "the message could not be stored; send it again", "internal")]
    code = acknowledgement_code(parsed, outcome)
    warnings = collapse_warnings(parsed)
    return encode(build_ack(header, code, [*parsed.problems, *outcome], warnings=warnings), decoded.charset)


def segment_count(text: str) -> int:
    """Segments in a message's text (CR, LF or CRLF ends one; blank lines count), without splitting it."""
    ends = text.count("\r") + text.count("\n") - text.count("\r\n")
    return ends + (0 if text.endswith(("\r", "\n")) else 1)
