"""One HL7 v2.x message (text) -> the neutral records of `careloop.observations.importing.parsed`.

Supported: ORU^R01 (lab and exam results: PID, OBR, OBX) and ADT^A01 / A03 / A08 (admission,
discharge, update: PID, PV1, DG1, PR1). Everything else is answered with a Problem coded
"unsupported". A missing or unreadable part becomes a Problem that names the segment and field
("OBX-3") and where it is ("message 2 / OBX 4": the 4th OBX segment of the 2nd message). Results
with a problem are left out; the rest of the message is still returned.

Plain splitting on the message's own delimiters (MSH-1, MSH-2) rather than python-hl7: the
structure we read is flat, and splitting only the fields we use is several times faster.
Field positions follow HL7 v2.5.1 (chapters 2, 3 and 7); they are the same in 2.3 to 2.8 for the
fields read here. Pure: no Django import.
"""

import datetime
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from careloop.observations.importing.parsed import (
    EncounterRecord,
    ParseResult,
    PatientRef,
    Problem,
    Reason,
    ReportRecord,
    ResultRecord,
    because,
)
from careloop.patients.idcard import check_character

CHINA = ZoneInfo("Asia/Shanghai")

ADT_EVENTS = {"A01": "admit", "A03": "discharge", "A08": "update"}
# HL7 table 0001 (administrative sex) -> FHIR AdministrativeGender.
SEXES = {"M": "male", "F": "female", "O": "other", "U": "unknown", "A": "other", "N": "unknown"}
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
# HL7 table 0004 (patient class), the three we map.
PATIENT_CLASSES = {"I": "inpatient", "O": "outpatient", "E": "emergency"}
VALUE_TYPES = {"NM", "SN", "ST", "TX", "FT", "CE", "CWE", "CF", "CNE"}
# Identifier type codes (table 0203 and local practice) that mean the resident ID (居民身份证号).
RESIDENT_ID_TYPES = {"ID", "NNCHN", "NI"}
_RESIDENT_ID_SHAPE = re.compile(r"^[1-9]\d{16}[\dXx]$")
_NUMBER = re.compile(r"^\s*(?:[<>]=?)?\s*[+-]?(?:\d+\.?\d*|\.\d+)\s*$")
_TIMESTAMP = re.compile(
    r"^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?([+-]\d{4})?$"
)
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Delimiters:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    @property
    def encoding_characters(self) -> str:
        return self.component + self.repetition + self.escape + self.subcomponent


@dataclass(frozen=True)
class Header:
    """What an ACK needs from MSH, raw (still escaped) so it can be echoed back as sent."""

    delimiters: Delimiters
    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    sent_at: str  # MSH-7
    message_type: str  # MSH-9.1, e.g. "ORU"
    trigger: str  # MSH-9.2, e.g. "R01"
    control_id: str  # MSH-10
    processing_id: str  # MSH-11
    version: str  # MSH-12
    charset: str  # MSH-18

    @property
    def source_system(self) -> str:
        """MSH-4 sending facility, else MSH-3 sending application (first component, unescaped)."""
        for raw in (self.sending_facility, self.sending_application):
            name = unescape(raw.split(self.delimiters.component)[0], self.delimiters).strip()
            if name:
                return name
        return ""


class HeaderError(ValueError):
    def __init__(self, problem: Problem):
        super().__init__(problem.reason)
        self.problem = problem


class TimestampError(ValueError):
    """Why a timestamp was refused. `str()` is the English predicate ("is not an HL7 timestamp ...");
    `kind` (shape / offset / impossible / date) and `params` let the parser write the whole reason
    sentence as one translatable template (`_time_reason`, `_birth_date_reason`)."""

    def __init__(self, kind: str, message: str, **params: str):
        super().__init__(message)
        self.kind = kind
        self.params = params


# --- delimiters and escapes ------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _escape_pattern(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    return re.compile(f"{e}([^{e}\r]*){e}")


def unescape(text: str, d: Delimiters) -> str:
    """Decode HL7 escape sequences (v2.5.1 section 2.7): \\F\\ \\S\\ \\T\\ \\R\\ \\E\\, \\.br\\ and \\Xhh\\;
    highlighting and character-set switches are dropped, anything else is kept as sent."""
    if d.escape not in text:
        return text
    table = {"F": d.field, "S": d.component, "T": d.subcomponent, "R": d.repetition, "E": d.escape}

    def replace(match: re.Match[str]) -> str:
        body = match.group(1)
        if body in table:
            return table[body]
        if body in (".br", ".sp"):
            return "\n"
        if body in ("H", "N") or body[:1] in ("C", "M") or (body[:1] == "." and len(body) <= 3):
            return ""
        if body[:1] == "X" and len(body) > 1 and len(body) % 2 == 1:
            try:
                return bytes.fromhex(body[1:]).decode("utf-8", errors="replace")
            except ValueError:
                return match.group(0)
        return match.group(0)

    return _escape_pattern(d.escape).sub(replace, text)


def escape(text: str, d: Delimiters) -> str:
    """Text -> an HL7 field value: delimiters escaped, line breaks as \\.br\\."""
    e = d.escape
    text = text.replace(e, f"{e}E{e}")
    for char, code in ((d.field, "F"), (d.component, "S"), (d.subcomponent, "T"), (d.repetition, "R")):
        text = text.replace(char, f"{e}{code}{e}")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", f"{e}.br{e}")


# --- timestamps -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # a message repeats its times; the results are immutable
def parse_timestamp(text: str, default_tz: datetime.tzinfo = CHINA) -> datetime.datetime:
    """HL7 TS/DTM "YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]" -> an aware datetime.

    Missing parts take their lowest value (a date alone is midnight). Without an offset the time
    is local time in `default_tz`. Raises TimestampError with the reason.
    """
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise TimestampError("shape", "is not an HL7 timestamp (YYYYMMDDHHMMSS[+ZZZZ])")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    tz: datetime.tzinfo = default_tz
    if offset:
        minutes = int(offset[1:3]) * 60 + int(offset[3:5])
        if int(offset[3:5]) >= 60 or minutes >= 24 * 60:
            raise TimestampError("offset", f"has an impossible UTC offset {offset}", offset=offset)
        tz = datetime.timezone(datetime.timedelta(minutes=minutes if offset[0] == "+" else -minutes))
    try:
        return datetime.datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError as error:
        raise TimestampError(
            "impossible", f"is not a real date or time ({error})", error=str(error)
        ) from None


def parse_date(text: str) -> datetime.date:
    """HL7 DT/TS used as a date (PID-7): at least YYYYMMDD; a time part is ignored."""
    stamp = parse_timestamp(text, datetime.UTC)
    if len(text.strip()) < 8:
        raise TimestampError("date", "needs year, month and day (YYYYMMDD)")
    return stamp.date()


# --- header and segments ----------------------------------------------------------------------


def read_header(text: str) -> Header:
    """MSH -> Header. Raises HeaderError when there is no readable MSH (the message gets AR)."""
    if not text.startswith("MSH"):
        raise HeaderError(
            Problem(
                "", "MSH", text[:3], because("the message does not start with an MSH segment"), "malformed"
            )
        )
    end = text.find("\r")
    line = text[: end if end >= 0 else len(text)]
    if len(line) < 8:
        raise HeaderError(
            Problem("", "MSH-2", line[3:], because("MSH is too short to carry its delimiters"), "malformed")
        )
    separator = line[3]
    fields = line.split(separator)
    chars = fields[1]
    if len(chars) < 4 or separator in chars or len(set(chars[:4])) < 4 or any(c.isalnum() for c in chars):
        raise HeaderError(
            Problem(
                "", "MSH-2", chars, because("encoding characters must be 4 distinct symbols"), "malformed"
            )
        )
    d = Delimiters(separator, chars[0], chars[1], chars[2], chars[3])
    fields.insert(0, "MSH")  # so that fields[n] is MSH-n
    fields[1] = separator

    def get(n: int) -> str:
        return fields[n] if n < len(fields) else ""

    message_type = get(9).split(d.component)
    return Header(
        delimiters=d,
        sending_application=get(3),
        sending_facility=get(4),
        receiving_application=get(5),
        receiving_facility=get(6),
        sent_at=get(7).split(d.component)[0],
        message_type=message_type[0].strip().upper(),
        trigger=(message_type[1] if len(message_type) > 1 else "").strip().upper(),
        control_id=unescape(get(10), d).strip(),
        processing_id=get(11),
        version=get(12).split(d.component)[0].strip(),
        charset=get(18).split(d.repetition)[0].strip(),
    )


class _Segment:
    """One segment's fields, split lazily; `field(n)` is the n-th field as raw text."""

    __slots__ = ("d", "fields", "name", "ordinal", "where")

    def __init__(self, fields: list[str], d: Delimiters, ordinal: int, message_where: str):
        self.fields = fields
        self.d = d
        self.name = fields[0]
        self.ordinal = ordinal
        self.where = f"{message_where} / {self.name} {ordinal}"

    def field(self, n: int) -> str:
        return self.fields[n] if n < len(self.fields) else ""

    def repetitions(self, n: int) -> list[str]:
        raw = self.field(n)
        return raw.split(self.d.repetition) if raw else []

    def components(self, n: int) -> "Parts":
        """Components of the first repetition of field n."""
        return Parts(self.field(n).split(self.d.repetition)[0], self.d)

    def text(self, n: int) -> str:
        """First component of the first repetition, unescaped and stripped."""
        raw = self.fields[n] if n < len(self.fields) else ""
        d = self.d
        if d.component in raw or d.repetition in raw or d.subcomponent in raw or d.escape in raw:
            return self.components(n).get(1)
        return raw.strip()  # the common case, without splitting


class Parts:
    """The components of one field repetition; `get(n)` is component n (1-based), first
    subcomponent, unescaped and stripped."""

    __slots__ = ("d", "raw")

    def __init__(self, raw: str, d: Delimiters):
        self.raw = raw.split(d.component)
        self.d = d

    def get(self, n: int) -> str:
        if n > len(self.raw):
            return ""
        value = self.raw[n - 1].split(self.d.subcomponent)[0]
        return unescape(value, self.d).strip() if self.d.escape in value else value.strip()

    def subcomponents(self, n: int) -> list[str]:
        if n > len(self.raw):
            return []
        return [unescape(sub, self.d).strip() for sub in self.raw[n - 1].split(self.d.subcomponent)]

    def joined(self, count: int) -> str:
        """The first `count` components run together (SN: "<" "0.1" -> "<0.1")."""
        return "".join(self.get(n) for n in range(1, count + 1))


def _segments(text: str, d: Delimiters, where: str) -> list[_Segment]:
    counts: dict[str, int] = {}
    segments = []
    for line in text.split("\r"):
        if not line.strip():
            continue
        fields = line.split(d.field)
        if fields[0] == "MSH":
            fields.insert(1, d.field)
        name = fields[0]
        counts[name] = counts.get(name, 0) + 1
        segments.append(_Segment(fields, d, counts[name], where))
    return segments


# --- the message ------------------------------------------------------------------------------


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
    reader = _READERS.get((header.message_type, header.trigger))
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
    reader(_segments(text, header.delimiters, where), header, where, default_tz, result)
    return result


def parse_file(data: bytes, default_tz: datetime.tzinfo = CHINA) -> ParseResult:
    """Every message of a file, numbered from 1, into one ParseResult.

    Character-set notes (a GB 18030 fallback) are not Problems: use `decoding.decode_file` and
    `parse_message` directly to show them.
    """
    from careloop.observations.sources.hl7v2.decoding import decode_file

    merged = ParseResult()
    for number, decoded in enumerate(decode_file(data), start=1):
        one = parse_message(decoded.text, number, default_tz)
        merged.results += one.results
        merged.reports += one.reports
        merged.encounters += one.encounters
        merged.patients += one.patients
        merged.problems += one.problems
    return merged


def _at(problem: Problem, where: str) -> Problem:
    return Problem(where, problem.field, problem.value, problem.reason, problem.code)


def _time(
    segment: _Segment, n: int, default_tz: datetime.tzinfo, problems: list[Problem]
) -> datetime.datetime | None:
    raw = segment.text(n)
    if not raw:
        return None
    try:
        return parse_timestamp(raw, default_tz)
    except TimestampError as error:
        field = f"{segment.name}-{n}"
        problems.append(Problem(segment.where, field, raw, _time_reason(field, error)))
        return None


def _time_reason(field: str, error: TimestampError) -> Reason:
    """ "OBX-14 is not an HL7 timestamp ...": one whole sentence per kind of error, for translators."""
    if error.kind == "offset":
        return because("%(field)s has an impossible UTC offset %(offset)s", field=field, **error.params)
    if error.kind == "impossible":
        # `error` is Python's own explanation ("month must be in 1..12"), kept as sent.
        return because("%(field)s is not a real date or time (%(error)s)", field=field, **error.params)
    if error.kind == "date":
        return because("%(field)s needs year, month and day (YYYYMMDD)", field=field)
    return because("%(field)s is not an HL7 timestamp (YYYYMMDDHHMMSS[+ZZZZ])", field=field)


def _birth_date_reason(error: TimestampError) -> Reason:
    """ "PID-7 birth date is not a real date ...", the same sentences as `_time_reason` for PID-7."""
    if error.kind == "offset":
        return because("PID-7 birth date has an impossible UTC offset %(offset)s", **error.params)
    if error.kind == "impossible":
        return because("PID-7 birth date is not a real date or time (%(error)s)", **error.params)
    if error.kind == "date":
        return because("PID-7 birth date needs year, month and day (YYYYMMDD)")
    return because("PID-7 birth date is not an HL7 timestamp (YYYYMMDDHHMMSS[+ZZZZ])")


def _patient(pid: _Segment, source_system: str, problems: list[Problem]) -> PatientRef | None:
    """PID -> PatientRef; None (with a Problem) when it names no identifier we can match on.

    PID-3 repetitions (then PID-2 and PID-19, used by older senders): an identifier typed ID / NNCHN / NI,
    assigned by an authority named like 身份证, or shaped like a resident ID with a valid GB 11643
    check character is the ID number; otherwise the first MR (then PI, then any) is the MRN, its
    system the assigning authority, or the sending facility when none is given.
    """
    d = pid.d
    id_number = ""
    mrns: list[tuple[int, str, str]] = []
    sent = [(rep, True) for rep in pid.repetitions(3) + pid.repetitions(2)]
    sent += [
        (rep, False) for rep in pid.repetitions(19)
    ]  # PID-19 (SSN) may carry the ID number, never an MRN
    for rep, may_be_mrn in sent:
        parts = Parts(rep, d)
        value = parts.get(1)
        if not value:
            continue
        authority = next((a for a in parts.subcomponents(4)[:2] if a), "")
        kind = parts.get(5).upper()
        if (
            kind in RESIDENT_ID_TYPES
            or "身份证" in authority
            or (kind not in ("MR", "PI") and _is_resident_id(value))
        ):
            id_number = id_number or value
        elif may_be_mrn:
            rank = {"MR": 0, "PI": 1}.get(kind, 2)
            mrns.append((rank, value, authority or source_system))
    mrn, mrn_system = "", ""
    if mrns:
        _, mrn, mrn_system = min(mrns, key=lambda item: item[0])
    if not id_number and not mrn:
        problems.append(
            Problem(pid.where, "PID-3", "", because("no patient identifier (PID-3 is empty)"), "missing")
        )
        return None
    birth_date = None
    raw_birth = pid.text(7)
    if raw_birth:
        try:
            birth_date = parse_date(raw_birth)
        except TimestampError as error:
            problems.append(Problem(pid.where, "PID-7", raw_birth, _birth_date_reason(error)))
    return PatientRef(
        id_number=id_number,
        mrn=mrn,
        mrn_system=mrn_system,
        name=_name(pid),
        birth_date=birth_date,
        sex=SEXES.get(pid.text(8).upper(), "unknown" if pid.text(8) else ""),
    )


def _is_resident_id(value: str) -> bool:
    value = value.upper()
    return bool(_RESIDENT_ID_SHAPE.match(value)) and check_character(value[:17]) == value[17]


def _name(pid: _Segment) -> str:
    """PID-5 (XPN): the legal name (type L) or the first. Chinese senders usually put the whole
    name in XPN.1; when family and given are split, Chinese names join without a space."""
    reps = [Parts(rep, pid.d) for rep in pid.repetitions(5)]
    if not reps:
        return ""
    parts = next((p for p in reps if p.get(7) == "L"), reps[0])
    family, given = parts.get(1), parts.get(2)
    if not given:
        return family
    if not family:
        return given
    return family + given if _CJK.search(family + given) else f"{family} {given}"


# --- ORU^R01 ----------------------------------------------------------------------------------


@dataclass
class _Order:
    report_id: str
    observed_at: datetime.datetime | None  # OBR-7, the fallback for OBX-14
    time_refused: bool  # OBR-7 was sent but unreadable (already reported)


def _read_oru(
    segments: list[_Segment], header: Header, where: str, tz: datetime.tzinfo, result: ParseResult
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
            patient = _patient(segment, source, problems)
            order, order_refused = None, False
        elif segment.name == "OBR":
            order = _read_obr(segment, header, patient, tz, result)
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
                record = _read_obx(segment, order, patient, source, tz, problems)
                if record is not None:
                    result.results.append(record)


def _read_obr(
    obr: _Segment, header: Header, patient: PatientRef | None, tz: datetime.tzinfo, result: ParseResult
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
    observed_at = _time(obr, 7, tz, result.problems)
    time_refused = len(result.problems) > before
    issued_at = _time(obr, 22, tz, result.problems) or observed_at
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


def _read_obx(
    obx: _Segment,
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
        effective_at = _time(obx, 14, tz, problems)
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


def _value(obx: _Segment, value_type: str, problems: list[Problem]) -> str:
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


# --- ADT^A01 / A03 / A08 ----------------------------------------------------------------------


def _read_adt(
    segments: list[_Segment], header: Header, where: str, tz: datetime.tzinfo, result: ParseResult
) -> None:
    """ADT -> EncounterRecord (PV1) and the patient's demographics (PID)."""
    problems = result.problems
    by_name: dict[str, list[_Segment]] = {}
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
    patient = _patient(pid, header.source_system, problems)
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
        event_at = _time(evn, 6, tz, problems) or _time(evn, 2, tz, problems)
    admitted_at = _time(pv1, 44, tz, problems)
    discharged_at = _time(pv1, 45, tz, problems)
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


def _coded_list(segments: list[_Segment], coded: int, description: int) -> str:
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


_Reader = Callable[[list[_Segment], Header, str, datetime.tzinfo, ParseResult], None]
_READERS: dict[tuple[str, str], _Reader] = {("ORU", "R01"): _read_oru}
_READERS.update({("ADT", trigger): _read_adt for trigger in ADT_EVENTS})
