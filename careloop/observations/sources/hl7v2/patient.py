"""PID -> PatientRef: which identifier is the resident ID number, which the MRN; name, birth date, sex.

People's names (XPN: PID-5, NK1-2) are read by `xpn_name`.
"""

import re

from careloop.observations.importing.parsed import PatientRef, Problem, because
from careloop.observations.sources.hl7v2.segments import Parts, Segment
from careloop.observations.sources.hl7v2.timestamps import TimestampError, birth_date_reason, parse_date
from careloop.patients.idcard import check_character

# HL7 table 0001 (administrative sex) -> FHIR AdministrativeGender.
SEXES = {"M": "male", "F": "female", "O": "other", "U": "unknown", "A": "other", "N": "unknown"}
# Identifier type codes (table 0203 and local practice) that mean the resident ID (居民身份证号).
RESIDENT_ID_TYPES = {"ID", "NNCHN", "NI"}
_RESIDENT_ID_SHAPE = re.compile(r"^[1-9]\d{16}[\dXx]$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def read_pid(pid: Segment, source_system: str, problems: list[Problem]) -> PatientRef | None:
    """PID -> PatientRef; None (with a Problem) when it names no identifier we can match on.

    PID-3 repetitions (then PID-2 and PID-19, used by older senders): an identifier typed ID / NNCHN / NI,
    assigned by an authority named like 身份证, or shaped like a resident ID with a valid GB 11643
    check character is the ID number; otherwise the first MR (then PI, then any) is the MRN, its
    system the assigning authority, or the sending facility when none is given.
    """
    # PID-19 (SSN) may carry the ID number, never an MRN.
    id_number, mrn, mrn_system = identifiers(pid, ((3, True), (2, True), (19, False)), source_system)
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
            problems.append(Problem(pid.where, "PID-7", raw_birth, birth_date_reason(error)))
    return PatientRef(
        id_number=id_number,
        mrn=mrn,
        mrn_system=mrn_system,
        name=xpn_name(pid, 5),
        birth_date=birth_date,
        sex=SEXES.get(pid.text(8).upper(), "unknown" if pid.text(8) else ""),
    )


def identifiers(
    segment: Segment, fields: tuple[tuple[int, bool], ...], source_system: str
) -> tuple[str, str, str]:
    """(ID number, MRN, MRN system) from the CX repetitions of `fields` ((field, may hold an MRN), in
    order): see read_pid. Empty strings for what is not there."""
    id_number = ""
    mrns: list[tuple[int, str, str]] = []
    for n, may_be_mrn in fields:
        for rep in segment.repetitions(n):
            parts = Parts(rep, segment.d)
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
    if not mrns:
        return id_number, "", ""
    _, mrn, mrn_system = min(mrns, key=lambda item: item[0])
    return id_number, mrn, mrn_system


def _is_resident_id(value: str) -> bool:
    value = value.upper()
    return bool(_RESIDENT_ID_SHAPE.match(value)) and check_character(value[:17]) == value[17]


def xpn_name(segment: Segment, n: int) -> str:
    """An XPN field (PID-5, NK1-2): the legal name (type L) or the first. Chinese senders usually put the
    whole name in XPN.1; when family and given are split, Chinese names join without a space."""
    reps = [Parts(rep, segment.d) for rep in segment.repetitions(n)]
    if not reps:
        return ""
    parts = next((p for p in reps if p.get(7) == "L"), reps[0])
    family, given = parts.get(1), parts.get(2)
    if not given:
        return family
    if not family:
        return given
    return family + given if _CJK.search(family + given) else f"{family} {given}"
