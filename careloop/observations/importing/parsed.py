"""The neutral shape every importer produces, whatever the wire format (HL7 v2, FHIR, CSV/Excel).

Parsers turn bytes into these records and `Problem`s; they never touch the database. The import
pipeline matches patients, normalizes units, flags values and merges the records set-based.
Pure: no Django import.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, final


class PatientRef(NamedTuple):
    """How a source names a patient. Matching tries the ID number first, then the source's MRN.

    A NamedTuple, not a frozen dataclass: a chunk's refs are hashed and compared many times while
    they are matched, and a tuple does that in C (about ten times faster).
    """

    id_number: str = ""  # 居民身份证号 as sent (normalized by the matcher)
    mrn: str = ""  # the source system's own patient id (PID-3 / Patient.identifier)
    mrn_system: str = ""  # the assigning authority / identifier system of the MRN
    name: str = ""
    birth_date: datetime.date | None = None
    sex: str = ""  # FHIR AdministrativeGender: male / female / other / unknown


class ResultRecord(NamedTuple):
    """One observation as reported (FHIR Observation / HL7 OBX / one CSV cell).

    A NamedTuple: a feed builds one per result, and a tuple is the cheapest typed record to build.
    """

    patient: PatientRef
    code: str  # LOINC code
    value: str  # as reported, text; numeric parsing happens in the pipeline
    unit: str  # as reported ("mmol/L", "mg/dl", "%", "斤"...); "" when the source sent none
    effective_at: datetime.datetime  # timezone-aware
    source_system: str  # e.g. "HIS-A" / MSH-4 / the FHIR meta.source or identifier system
    source_id: str  # stable id of this result in the source (Observation.id, filler order + OBX set id)
    status: str = "final"  # final / corrected / amended / preliminary / cancelled / entered-in-error
    source_kind: str = "hospital_system"  # exam_report / hospital_system / device / self_report / staff
    report_source_id: str = ""  # the DiagnosticReport / ORC-OBR this result belongs to, if any
    reference_range: str = ""  # as sent by the lab, kept for display
    abnormal_flag: str = ""  # as sent by the lab (OBX-8, Observation.interpretation)
    location: str = ""  # where it came from, for messages: "line 12", "message 3, OBX 4", "row 7"
    # A 64-bit hash of the source line this result is all of (FHIR NDJSON), so that a re-import can skip the
    # line when it is stored exactly as it is; None where a result is not a whole line of its own.
    digest: int | None = None


@dataclass(frozen=True)
class ReportRecord:
    """An exam report (体检报告 / FHIR DiagnosticReport / HL7 OBR) grouping results."""

    patient: PatientRef
    source_system: str
    source_id: str
    issued_at: datetime.datetime
    institution: str = ""
    package: str = ""  # 体检套餐
    conclusion: str = ""
    status: str = "final"
    location: str = ""


@dataclass(frozen=True)
class EncounterRecord:
    """An admission, discharge or update (HL7 ADT^A01/A03/A08, FHIR Encounter)."""

    patient: PatientRef
    source_system: str
    source_id: str  # visit number (PV1-19) / Encounter.id
    event: str  # admit / discharge / update
    encounter_class: str  # outpatient / inpatient / emergency / checkup / home
    admitted_at: datetime.datetime | None
    discharged_at: datetime.datetime | None = None
    department: str = ""
    diagnoses: str = ""
    procedures: str = ""
    location: str = ""


class ContactRecord(NamedTuple):
    """A next of kin or emergency contact (HL7 NK1, FHIR Patient.contact), kept as a family contact."""

    name: str
    relationship: str  # patients.choices.RELATIONSHIPS: spouse / father / mother / ... / other
    mobile: str = ""  # as sent; stored only encrypted


@dataclass(frozen=True)
class PersonRecord:
    """What a source says of a patient on its own (HL7 ADT PID/NK1, FHIR Patient): their identifiers and
    demographics as of `sent_at`. A person nobody matches is registered (or proposed, by the organization's
    feed policy); a matched one is updated with what changed."""

    patient: PatientRef
    event: str  # what the source said it was: "A01", "A08", "A31"... for HL7, "Patient" for FHIR
    source_system: str
    source_id: str  # the message control id (MSH-10) / the Patient's id
    sent_at: datetime.datetime | None  # when the source said this (EVN-2 / MSH-7 / meta.lastUpdated)
    mobile: str = ""  # as sent (PID-13 / telecom phone); stored only encrypted
    address: str = ""  # one line (PID-11 / Patient.address)
    contacts: tuple[ContactRecord, ...] = ()
    location: str = ""  # "message 1 / PID", "entry 3", "line 5"


@dataclass(frozen=True)
class MergeRecord:
    """The source merged two of its records of one person (HL7 ADT^A40): `merged` (the prior identifiers)
    is `survivor` from now on."""

    survivor: PatientRef
    merged: PatientRef
    source_system: str
    source_id: str  # the message control id
    sent_at: datetime.datetime | None
    location: str = ""


class Reason(str):
    """A refusal reason: the English sentence, carrying its template and parameters so the UI can
    translate it (`problemkinds.reason_text`). Anywhere else it is just the English sentence."""

    template: str
    params: dict[str, str]


def because(template: str, **params: object) -> Reason:
    """The reason sentence `template % params`, translatable later (the template is the msgid).

    Pure modules cannot call gettext; `careloop makemessages` extracts the first argument of every
    `because(...)` call (see careloop/accounts/management/commands/makemessages.py). Parameters are
    named (`%(unit)s`) so a translation may reorder them.
    """
    text = {name: str(value) for name, value in params.items()}
    reason = Reason(template % text if params else template)
    reason.template, reason.params = template, text
    return reason


def reason_parts(reason: str) -> tuple[str, dict[str, str]]:
    """A reason's template and parameters, or ("", {}) for a sentence not built with `because`."""
    if isinstance(reason, Reason):
        return reason.template, reason.params
    return "", {}


@final  # the pipeline tells a Problem from a normalized row by `type(outcome) is Problem`
@dataclass(frozen=True)
class Problem:
    """Something refused, with enough to find and fix it: where, which field, what value, why."""

    location: str  # "line 12", "message 3 / OBX 4", "row 7"
    field: str  # "valueQuantity.unit", "OBX-6", "column C (单位)"
    value: str
    reason: str  # a short sentence for people, in English; built with `because` it can be translated
    code: str = (
        "invalid"  # machine-readable: malformed / unknown_code / unknown_unit / implausible / missing / ...
    )


@dataclass
class ParseResult:
    results: list[ResultRecord] = field(default_factory=list)
    reports: list[ReportRecord] = field(default_factory=list)
    encounters: list[EncounterRecord] = field(default_factory=list)
    people: list[PersonRecord] = field(default_factory=list)  # sent on their own (FHIR Patient, ADT PID)
    merges: list[MergeRecord] = field(default_factory=list)  # HL7 ADT^A40
    problems: list[Problem] = field(default_factory=list)
    # Lines not yet read into results, until the pipeline has looked for them among the stored ones.
    held: "HeldLines | None" = None
    skipped: int = 0  # lines found stored exactly as they are, and so not read (see HeldLines)


@dataclass
class HeldLines:
    """A chunk's Observation lines not yet read into results (FHIR NDJSON, when re-importing).

    An import that finds a line's observation stored with the line's digest skips the line whole: it is
    the line that made the row, so parsing, matching, normalizing and merging it again would change
    nothing. `read` turns the others into the chunk's results, read as they would have been where they
    stood; it must be called once, before the chunk is used.
    """

    # Per line: the source system and id its result is most likely stored under ("" for none), its digest.
    keys: list[tuple[str, str, int]]
    read: Callable[[set[int]], None]  # reads every line but those at the given positions into the chunk
