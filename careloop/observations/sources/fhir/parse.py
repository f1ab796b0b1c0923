"""FHIR R4 Observation, DiagnosticReport, Encounter and Patient (parsed JSON dicts) -> the neutral records.

Plain dict access and plain checks, no fhir.resources/pydantic: this is the hot path of bulk imports
(../shared/PERFORMANCE.md section 1). An NDJSON line of the common Observation shape is not even made a
dict: it is decoded into the msgspec Structs of `shape.py` and read by `shaped_row`; any other line is
parsed whole and read the general way. A resource that cannot be imported becomes one `Problem` naming the
field path ("valueQuantity.value", "effectiveDateTime", "subject") and why; it never stops the others.

Keys, so that importing twice changes nothing: source_system is the resource's meta.source without its
fragment (servers put a request id after '#'), else the caller's source system; source_id is the
resource id, else its first identifier value. A corrected Observation keeps its id, hence its key.

Patients: a subject reference is resolved against the Patients seen so far in the same Bundle or NDJSON
set (`References`), then the reference's own `identifier`, then "Patient/<id>" becomes the MRN <id> in
the source system -- the same MRN a Patient without identifiers of its own gets, so both meet in matching.
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

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
from careloop.observations.sources.fhir.dates import (
    COMMON_SHAPES,
    SHANGHAI,
    BadDate,
    fromisoformat,
    parse_date,
    parse_datetime,
)
from careloop.observations.sources.fhir.patients import person_name, ref_from_identifiers
from careloop.observations.sources.fhir.shape import NOT_COMMON, CommonObservation, decode_line, from_dict

LOINC = "http://loinc.org"
# How many resolved patient references a parser keeps (a reference seen again is answered from memory).
REMEMBERED_REFERENCES = 200_000
# How many texts of reported floats a parser keeps.
FLOAT_TEXTS_KEPT = 10_000
# The observation table's key columns hold this much (the pipeline cuts longer keys).
SOURCE_SYSTEM_LENGTH = 60
SOURCE_ID_LENGTH = 120
SUPPORTED = ("Patient", "DiagnosticReport", "Observation", "Encounter")
# v3 ActCode encounter classes (https://terminology.hl7.org/ValueSet-v3-ActEncounterCode.html) we can place.
ENCOUNTER_CLASSES = {
    "IMP": "inpatient",
    "ACUTE": "inpatient",
    "NONAC": "inpatient",
    "AMB": "outpatient",
    "EMER": "emergency",
    "HH": "home",
}
_ADMITTED = frozenset({"arrived", "triaged", "in-progress", "onleave"})
_VOIDED = frozenset({"cancelled", "entered-in-error"})


class FieldProblem(Exception):
    """One field of one resource is wrong; the caller adds where the resource was.

    The reason is a `because(...)` sentence, so that staff can read it in their language.
    """

    def __init__(self, field: str, value: object, reason: Reason, code: str = "invalid"):
        super().__init__(reason)
        self.field, self.value, self.reason, self.code = (
            field,
            "" if value is None else str(value),
            reason,
            code,
        )


def _time(resource: dict[str, Any], names: tuple[str, ...], tz: datetime.tzinfo) -> datetime.datetime | None:
    """The first present of the named time fields ("effectivePeriod" means its start)."""
    for name in names:
        value = resource.get(name)
        if value is None:
            continue
        field = name
        if name.endswith("Period"):
            value, field = value.get("start"), name + ".start"
            if value is None:
                continue
        try:
            return parse_datetime(value, tz)
        except BadDate as error:
            raise FieldProblem(field, value, error.reason) from None
    return None


def _concept_text(concept: dict[str, Any] | None) -> str:
    if not concept:
        return ""
    if concept.get("text"):
        text: str = concept["text"]
        return text
    for coding in concept.get("coding") or ():
        if coding.get("display") or coding.get("code"):
            display: str = coding.get("display") or coding["code"]
            return display
    return ""


def _loinc(concept: dict[str, Any] | None, field: str) -> str:
    if not concept:
        raise FieldProblem(field, "", because("is missing"), "missing")
    codings = concept.get("coding") or ()
    for coding in codings:
        if coding.get("system") == LOINC and coding.get("code"):
            code: str = coding["code"]
            return code
    sent = ", ".join(f"{c.get('system', '')}|{c.get('code', '')}" for c in codings) or concept.get("text", "")
    reason = because("has no LOINC code (system %(system)s)", system=LOINC)
    raise FieldProblem(field + ".coding", sent, reason, "unknown_code")


def _number(value: object, field: str) -> str:
    kind = type(value)
    if kind is float or kind is int:
        return str(value)
    if value is None:
        raise FieldProblem(field, "", because("is missing"), "missing")
    raise FieldProblem(field, value, because("must be a JSON number, got %(type)s", type=kind.__name__))


def _value(holder: dict[str, Any], prefix: str) -> tuple[str, str]:
    """(value, unit) as reported from value[x]; UCUM code preferred over the display unit."""
    quantity = holder.get("valueQuantity")
    if quantity is not None:
        value = _number(quantity.get("value"), prefix + "valueQuantity.value")
        comparator = quantity.get("comparator")
        return (comparator + value if comparator else value), quantity.get("code") or quantity.get(
            "unit"
        ) or ""
    text = holder.get("valueString")
    if text is not None:
        if type(text) is not str or not text.strip():
            raise FieldProblem(prefix + "valueString", text, because("must be non-empty text"))
        return text, ""
    concept = holder.get("valueCodeableConcept")
    if concept is not None:
        text = _concept_text(concept)
        if not text:
            raise FieldProblem(
                prefix + "valueCodeableConcept", "", because("has neither text nor a coding"), "missing"
            )
        return text, ""
    integer = holder.get("valueInteger")
    if integer is not None:
        return _number(integer, prefix + "valueInteger"), ""
    absent = _concept_text(holder.get("dataAbsentReason"))
    if absent:
        reason = because("is missing (dataAbsentReason: %(absent)s)", absent=absent)
    else:
        reason = because("is missing")
    raise FieldProblem(prefix + "value[x]", "", reason, "missing")


def _reference_range(ranges: list[dict[str, Any]] | None) -> str:
    if not ranges:
        return ""
    first = ranges[0]
    if first.get("text"):
        text: str = first["text"]
        return text
    low = (first.get("low") or {}).get("value")
    high = (first.get("high") or {}).get("value")
    if low is not None and high is not None:
        return f"{low}-{high}"
    if high is not None:
        return f"<={high}"
    if low is not None:
        return f">={low}"
    return ""


def _interpretation(concepts: list[dict[str, Any]] | None) -> str:
    if not concepts:
        return ""
    concept = concepts[0]
    for coding in concept.get("coding") or ():
        if coding.get("code"):
            code: str = coding["code"]
            return code
    return concept.get("text") or ""


def _is_exam(categories: list[dict[str, Any]] | None) -> bool:
    for concept in categories or ():
        for coding in concept.get("coding") or ():
            if coding.get("code") == "exam":
                return True
    return False


def _reference_tail(reference: str) -> str:
    """ "http://x/fhir/Patient/7/_history/2" -> "Patient/7"; a relative reference stays as it is."""
    parts = reference.split("/_history/", 1)[0].rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else reference


class References:
    """What one import (a Bundle, or one or more NDJSON files read in turn) has seen so far."""

    def __init__(self) -> None:
        self.patients: dict[str, PatientRef] = {}  # "Patient/7", a fullUrl, "urn:uuid:..." -> ref
        self.report_of: dict[str, str] = {}  # "Observation/9" or a fullUrl -> the report's source_id


# resourceType -> the ResourceMapper method that reads it
_HANDLERS = {
    "Observation": "observation",
    "DiagnosticReport": "report",
    "Encounter": "encounter",
    "Patient": "patient",
}


class ResourceMapper:
    """Maps parsed resources into a ParseResult. One per import; not thread-safe."""

    def __init__(
        self,
        source_system: str,
        default_tz: datetime.tzinfo = SHANGHAI,
        source_kind: str = "hospital_system",
        references: References | None = None,
    ):
        self.source_system = source_system
        self.tz = default_tz
        self.source_kind = source_kind
        self.refs = references if references is not None else References()
        self._report_of = self.refs.report_of  # the same dict, one attribute lookup closer
        self._fallback: dict[tuple[str, str], PatientRef] = {}
        # (source system, subject.reference) -> what `subject` answered; emptied when a Patient arrives.
        self._by_reference: dict[tuple[str, str], PatientRef] = {}
        self._systems: dict[str, str] = {}  # meta.source -> source system
        self._range_texts: dict[tuple[Any, ...], str] = {}
        self._float_texts: dict[float, str] = {}  # a reported float -> its text, bounded
        self._times: dict[str, datetime.datetime] = {}  # effectiveDateTime text -> parsed, bounded
        self._unsupported: dict[str, list[Any]] = {}  # resourceType -> [first location, count]

    # -- dispatch ---------------------------------------------------------------------------------------
    def add(self, resource: object, where: str, out: ParseResult, full_url: str = "") -> None:
        """Map one resource into `out`; a refused resource becomes one Problem there instead."""
        if type(resource) is not dict:
            out.problems.append(Problem(where, "", "", because("is not a JSON object"), "malformed"))
            return
        kind = resource.get("resourceType")
        # The method's name, not the bound method kept on self: that made a reference cycle, and the
        # mapper with its caches waited for the garbage collector instead of going with its import.
        handler = _HANDLERS.get(kind) if type(kind) is str else None
        if handler is None:
            self.unsupported(str(kind or "(no resourceType)"), where)
            return
        try:
            getattr(self, handler)(resource, where, out, full_url)
        except FieldProblem as problem:
            out.problems.append(Problem(where, problem.field, problem.value, problem.reason, problem.code))
        except (AttributeError, TypeError, KeyError, IndexError) as error:
            # A field of the wrong JSON shape (a list where an object belongs...): refuse, keep going.
            reason = because(
                "%(kind)s has a field of the wrong shape (%(error)s)",
                kind=kind,
                error=f"{type(error).__name__}: {error}",
            )
            out.problems.append(Problem(where, str(kind), "", reason, "malformed"))

    def unsupported(self, kind: str, where: str) -> None:
        seen = self._unsupported.get(kind)
        if seen is None:
            self._unsupported[kind] = [where, 1]
        else:
            seen[1] += 1

    def unsupported_problems(self) -> list[Problem]:
        """One Problem per resource type that was skipped, with the count and where the first one was."""
        return [
            Problem(
                first,
                "resourceType",
                kind,
                because(
                    "%(count)s %(kind)s resource(s) not imported: only %(supported)s are (%(first)s first)",
                    count=count,
                    kind=kind,
                    supported=", ".join(SUPPORTED),
                    first=first,
                ),
                "unsupported",
            )
            for kind, (first, count) in self._unsupported.items()
        ]

    # -- common parts -----------------------------------------------------------------------------------
    def _key(self, resource: dict[str, Any]) -> tuple[str, str]:
        system = self._key_system(resource)
        source_id = resource.get("id")
        if source_id:
            return system, source_id
        for identifier in resource.get("identifier") or ():
            if identifier.get("value"):
                return system, identifier["value"]
        reason = because("is missing, and there is no identifier to import it by")
        raise FieldProblem("id", "", reason, "missing")

    def subject(self, resource: dict[str, Any], system: str, field: str = "subject") -> PatientRef:
        subject = resource.get(field)
        if not subject:
            raise FieldProblem(field, "", because("is missing: the patient is required"), "missing")
        reference = subject.get("reference")
        if reference:
            found = self.refs.patients.get(reference)
            if found is not None:
                return found
            if reference[0] == "#":
                for contained in resource.get("contained") or ():
                    if contained.get("id") == reference[1:] and contained.get("resourceType") == "Patient":
                        return self._patient_ref(contained, system, contained=True)
                raise FieldProblem(
                    field + ".reference", reference, because("points to no contained Patient"), "missing"
                )
        identifier = subject.get("identifier")
        if identifier:
            return ref_from_identifiers([identifier], system)
        if not reference:
            raise FieldProblem(field, "", because("has neither a reference nor an identifier"), "missing")
        if reference.startswith("Patient?identifier="):
            # A transaction's conditional reference: "Patient?identifier=<system>|<value>".
            token = unquote(reference[len("Patient?identifier=") :].split("&", 1)[0])
            id_system, _, value = token.rpartition("|")
            return ref_from_identifiers([{"system": id_system, "value": value}], system)
        if reference.startswith("urn:"):
            raise FieldProblem(
                field + ".reference", reference, because("points to no Patient in this Bundle"), "missing"
            )
        tail = _reference_tail(reference)
        found = self.refs.patients.get(tail)
        if found is not None:
            return found
        kind, _, patient_id = tail.partition("/")
        if kind != "Patient" or not patient_id:
            raise FieldProblem(field + ".reference", reference, because("must point to a Patient"))
        ref = self._fallback.get((system, patient_id))
        if ref is None:
            if len(self._fallback) >= REMEMBERED_REFERENCES:
                self._fallback.clear()
            ref = self._fallback[(system, patient_id)] = PatientRef(mrn=patient_id, mrn_system=system)
        return ref

    def _patient_ref(self, resource: dict[str, Any], system: str, contained: bool = False) -> PatientRef:
        birth = None
        if resource.get("birthDate") is not None:
            try:
                birth = parse_date(resource["birthDate"])
            except BadDate as error:
                raise FieldProblem("birthDate", resource["birthDate"], error.reason) from None
        sex = resource.get("gender") or ""
        if sex not in ("", "male", "female", "other", "unknown"):
            raise FieldProblem("gender", sex, because("must be male, female, other or unknown"))
        return ref_from_identifiers(
            resource.get("identifier") or (),
            system,
            "" if contained else resource.get("id") or "",  # a contained id means nothing outside
            name=person_name(resource.get("name") or ()),
            birth_date=birth,
            sex=sex,
        )

    # -- the four resources -----------------------------------------------------------------------------
    def patient(self, resource: dict[str, Any], where: str, out: ParseResult, full_url: str = "") -> None:
        system = self._key_system(resource)
        ref = self._patient_ref(resource, system)
        if not (ref.id_number or ref.mrn):
            reason = because("is missing, and there is no id to match the patient by")
            raise FieldProblem("identifier", "", reason, "missing")
        self.register_patient(resource, ref, full_url)
        out.patients.append(ref)

    def register_patient(self, resource: dict[str, Any], ref: PatientRef, full_url: str = "") -> None:
        self._by_reference.clear()  # a reference answered by fallback before may now mean this Patient
        patient_id = resource.get("id")
        if patient_id:
            self.refs.patients["Patient/" + patient_id] = ref
        if full_url:
            self.refs.patients[full_url] = ref
            if not full_url.startswith("urn:"):
                self.refs.patients[_reference_tail(full_url)] = ref

    def _key_system(self, resource: dict[str, Any]) -> str:
        """meta.source without its fragment, else the caller's source system; remembered per meta.source."""
        meta = resource.get("meta")
        if not meta:
            return self.source_system
        source = meta.get("source")
        system = self._systems.get(source)
        if system is None:
            system = (source or "").split("#", 1)[0] or self.source_system
            if len(self._systems) > 10_000:
                self._systems.clear()
            self._systems[source] = system
        return system

    def observation(self, resource: dict[str, Any], where: str, out: ParseResult, full_url: str = "") -> None:
        row = None if full_url else self.common_row(resource, where)
        if row is not None:
            out.results.append(row)
            return
        out.results.extend(self.observation_rows(resource, where, full_url))

    def common_row(
        self, resource: dict[str, Any], where: str, digest: int | None = None
    ) -> ResultRecord | None:
        """`shaped_row` of a parsed resource (a Bundle's entry); None if it is not of the common shape."""
        try:
            shaped = from_dict(resource)
        except NOT_COMMON:
            return None
        return self.shaped_row(shaped, where, digest)

    def common_line(self, line: bytes, where: str, digest: int | None = None) -> ResultRecord | None:
        """`shaped_row` of an NDJSON line; None if it is not of the common shape (or not JSON)."""
        try:
            shaped = decode_line(line)
        except NOT_COMMON:
            return None
        return self.shaped_row(shaped, where, digest)

    def shaped_row(
        self, resource: CommonObservation, where: str, digest: int | None = None
    ) -> ResultRecord | None:
        """An Observation of the shape bulk exports send, as a row; None for anything else.

        `digest` is the hash of the line the resource is all of (iter_ndjson), kept with the result.

        Only for speed (this is most of the parser's time): it answers None rather than judge anything
        unusual (a comparator, a period, a panel, a bad date...), and `observation_rows` then gives the
        full answer or the Problem. Tests hold the two paths equal.
        """
        concept, subject, quantity = resource.code, resource.subject, resource.valueQuantity
        effective, source_id = resource.effectiveDateTime, resource.id
        if (
            resource.resourceType != "Observation"
            or concept is None
            or not concept.coding
            or subject is None
            or quantity is None
            or effective is None
            or not source_id
            or self._report_of
        ):
            return None
        first = concept.coding[0]
        code, reference, value = first.code, subject.reference, quantity.value
        if first.system != LOINC or not code or not reference or value is None or quantity.comparator:
            return None
        # Results of one specimen share their time: the last few thousand conversions are kept.
        when = self._times.get(effective)
        if when is None:
            # parse_datetime's own first test, inlined: a call costs as much as the conversion.
            size = len(effective)
            shaped = size == 20 or (size == 25 and effective[20:22] <= "14")
            if not shaped or effective[4:23:3] not in COMMON_SHAPES:
                return None
            try:
                when = fromisoformat(effective)
            except ValueError:
                return None
            if len(self._times) > 4096:
                self._times.clear()
            self._times[effective] = when
        meta = resource.meta
        source = None if meta is None else meta.source
        system = self.source_system if source is None else self._systems.get(source)
        if system is None:
            return None  # the general path works it out and remembers it
        patient = self._by_reference.get((system, reference))
        if patient is None:
            # A feed of many patients meets most references once: resolve here, not in the slow path.
            # (A subject's identifier outranks its reference, and a known Patient outranks both.)
            if (
                subject.identifier
                or reference[:8] != "Patient/"
                or len(reference) == 8
                or "/" in reference[8:]
                or reference in self.refs.patients
            ):
                return None
            patient = PatientRef("", reference[8:], system)  # what `subject` answers for "Patient/<id>"
            if len(self._by_reference) >= REMEMBERED_REFERENCES:
                self._by_reference.clear()
            self._by_reference[(system, reference)] = patient
        kind = self.source_kind
        for category in resource.category:
            for coding in category.coding:
                if coding.code == "exam":
                    kind = "exam_report"
        reference_range = ""
        if resource.referenceRange:
            bounds = resource.referenceRange[0]
            low = None if bounds.low is None else bounds.low.value
            high = None if bounds.high is None else bounds.high.value
            key = (bounds.text, low, high, type(low), type(high))  # 4 and 4.0 hash alike, print unlike
            reference_range = self._range_texts.get(key) or self._remember_range(key)
        interpretation = ""
        if resource.interpretation:
            concept = resource.interpretation[0]
            interpretation = next((c.code for c in concept.coding if c.code), None) or concept.text or ""
        # A float's text is worked out once per value (a lab's values repeat): printing it cost as much as
        # reading the rest of the row, and the text it gives is one object, hashed once, where it is looked
        # up again (normalize). Not zero: -0.0 and 0.0 are one key and print unlike.
        if type(value) is float and value:
            text = self._float_texts.get(value) or self._remember_float(value)
        else:
            text = str(value)
        return ResultRecord(
            patient,
            code,
            text,
            quantity.code or quantity.unit or "",
            when,
            system,
            source_id,
            resource.status or "final",
            kind,
            "",
            reference_range,
            interpretation,
            where,
            digest,
        )

    def _remember_float(self, value: float) -> str:
        """The text of a reported float, kept for the next time it comes."""
        if len(self._float_texts) >= FLOAT_TEXTS_KEPT:
            self._float_texts.clear()
        self._float_texts[value] = text = str(value)
        return text

    def _remember_range(self, key: tuple[Any, ...]) -> str:
        """`_reference_range`'s text for a first range of (text, low, high, ...)."""
        if len(self._range_texts) > 10_000:
            self._range_texts.clear()
        text, low, high = key[:3]
        bounds = {"low": {"value": low}, "high": {"value": high}, "text": text}
        self._range_texts[key] = reference_range = _reference_range([bounds])
        return reference_range

    def stored_key(self, resource: Any) -> tuple[str, str] | None:
        """The (source system, source id) under which `common_row` would store this line's one result;
        None where the line may make no such result, or a key too long to store."""
        if type(resource) is not dict or resource.get("resourceType") != "Observation":
            return None
        source_id = resource.get("id")
        if type(source_id) is not str or not source_id or len(source_id) > SOURCE_ID_LENGTH:
            return None
        meta = resource.get("meta")
        if meta and (type(meta) is not dict or type(meta.get("source", "")) is not str):
            return None
        system = self._key_system(resource)
        if len(system) > SOURCE_SYSTEM_LENGTH:
            return None
        return system, source_id

    def context_free(self) -> bool:
        """Whether an Observation line means the same whatever came before it in the import.

        Not once the import's own Patient resources name subjects (a reference could then mean another
        patient than it would alone), nor once its DiagnosticReports group results.
        """
        return not self._report_of and not self.refs.patients

    @contextmanager
    def alone(self) -> Iterator[None]:
        """Read lines in the body as if no Patient or DiagnosticReport had come yet (`context_free`): as
        they would have been read where they stood, before the resources after them."""
        refs, by_reference = self.refs, self._by_reference
        self.refs, self._by_reference = References(), {}
        self._report_of = self.refs.report_of
        try:
            yield
        finally:
            self.refs, self._by_reference = refs, by_reference
            self._report_of = refs.report_of

    def observation_rows(
        self, resource: dict[str, Any], where: str, full_url: str = ""
    ) -> list[ResultRecord]:
        """The result(s) of one Observation: every shape, every check."""
        get = resource.get
        concept = get("code")
        coding = concept.get("coding") if concept else None
        first = coding[0] if coding else None
        if first is not None and first.get("system") == LOINC and first.get("code"):
            code = first["code"]
        else:
            code = _loinc(concept, "code")
        system = self._key_system(resource)
        source_id = get("id")
        if not source_id:
            system, source_id = self._key(resource)
        subject = get("subject")
        reference = subject.get("reference") if subject else None
        patient = self._by_reference.get((system, reference)) if reference else None
        if patient is None:
            patient = self.subject(resource, system)
            if reference and reference[0] != "#":
                if len(self._by_reference) >= REMEMBERED_REFERENCES:
                    self._by_reference.clear()
                self._by_reference[(system, reference)] = patient
        effective = get("effectiveDateTime")
        if effective is not None:
            try:
                when = parse_datetime(effective, self.tz)
            except BadDate as error:
                raise FieldProblem("effectiveDateTime", effective, error.reason) from None
        else:
            found = _time(resource, ("effectivePeriod", "effectiveInstant", "issued"), self.tz)
            if found is None:
                reason = because("is missing (also no effectivePeriod or issued)")
                raise FieldProblem("effectiveDateTime", "", reason, "missing")
            when = found
        report = ""
        if self.refs.report_of:
            report = self.refs.report_of.get(full_url) or self.refs.report_of.get(
                "Observation/" + source_id, ""
            )
        status = get("status") or "final"
        categories = get("category")
        kind = "exam_report" if categories and _is_exam(categories) else self.source_kind
        ranges = get("referenceRange")
        reference_range = _reference_range(ranges) if ranges else ""
        interpretation = get("interpretation")
        flag = _interpretation(interpretation) if interpretation else ""
        quantity = get("valueQuantity")
        if quantity is not None:
            value = quantity.get("value")
            kind_of_value = type(value)
            if kind_of_value is float or kind_of_value is int:
                value = str(value)
                comparator = quantity.get("comparator")
                if comparator:
                    value = comparator + value
                unit = quantity.get("code") or quantity.get("unit") or ""
            else:
                value, unit = _value(resource, "")
        else:
            components = get("component")
            if components and not any(name.startswith("value") for name in resource):
                return self._component_rows(
                    components,
                    patient,
                    when,
                    system,
                    source_id,
                    status,
                    kind,
                    report,
                    reference_range,
                    flag,
                    where,
                )
            value, unit = _value(resource, "")
        return [
            ResultRecord(
                patient,
                code,
                value,
                unit,
                when,
                system,
                source_id,
                status,
                kind,
                report,
                reference_range,
                flag,
                where,
                None,
            )
        ]

    def _component_rows(
        self,
        components: list[dict[str, Any]],
        patient: PatientRef,
        when: datetime.datetime,
        system: str,
        source_id: str,
        status: str,
        kind: str,
        report: str,
        ranges: str,
        flag: str,
        where: str,
    ) -> list[ResultRecord]:
        """A panel (blood pressure 85354-9): one result per coded component, keyed under the panel's id."""
        rows: list[ResultRecord] = []
        for index, component in enumerate(components):
            prefix = f"component[{index}]."
            part = _loinc(component.get("code"), prefix + "code")
            value, unit = _value(component, prefix)
            part_range = _reference_range(component.get("referenceRange")) or ranges
            part_flag = _interpretation(component.get("interpretation")) or flag
            rows.append(
                ResultRecord(patient, part, value, unit, when, system, f"{source_id}#{part}",
                 status, kind, report, part_range, part_flag, where, None)
            )  # fmt: skip
        return rows

    def report(self, resource: dict[str, Any], where: str, out: ParseResult, full_url: str = "") -> None:
        system, source_id = self._key(resource)
        patient = self.subject(resource, system)
        issued = _time(resource, ("issued", "effectiveDateTime", "effectivePeriod"), self.tz)
        if issued is None:
            raise FieldProblem("issued", "", because("is missing (also no effectiveDateTime)"), "missing")
        performers = resource.get("performer") or ()
        code = resource.get("code") or {}
        out.reports.append(
            ReportRecord(
                patient,
                system,
                source_id,
                issued,
                institution=performers[0].get("display") or "" if performers else "",
                package=code.get("text") or _concept_text(code),
                conclusion=resource.get("conclusion") or "",
                status=resource.get("status") or "final",
                location=where,
            )
        )
        for result in resource.get("result") or ():
            reference = result.get("reference")
            if reference:
                self.refs.report_of[reference] = source_id

    def encounter(self, resource: dict[str, Any], where: str, out: ParseResult, full_url: str = "") -> None:
        system, source_id = self._key(resource)
        status = resource.get("status") or ""
        if status in _VOIDED:
            reason = because("is %(status)s: the encounter is not imported", status=status)
            raise FieldProblem("status", status, reason, "unsupported")
        patient = self.subject(resource, system)
        code = (resource.get("class") or {}).get("code") or ""
        encounter_class = ENCOUNTER_CLASSES.get(code)
        if encounter_class is None:
            known = ", ".join(ENCOUNTER_CLASSES)
            reason = because("is not an encounter class we place (%(known)s)", known=known)
            raise FieldProblem("class.code", code, reason, "unknown_code")
        period = resource.get("period") or {}
        admitted = discharged = None
        try:
            if period.get("start"):
                admitted = parse_datetime(period["start"], self.tz)
        except BadDate as error:
            raise FieldProblem("period.start", period["start"], error.reason) from None
        try:
            if period.get("end"):
                discharged = parse_datetime(period["end"], self.tz)
        except BadDate as error:
            raise FieldProblem("period.end", period["end"], error.reason) from None
        event = "discharge" if status == "finished" else "admit" if status in _ADMITTED else "update"
        locations = resource.get("location") or ()
        department = (locations[0].get("location") or {}).get("display") if locations else ""
        department = department or (resource.get("serviceProvider") or {}).get("display") or ""
        reasons = [_concept_text(concept) for concept in resource.get("reasonCode") or ()]
        reasons += [
            (item.get("condition") or {}).get("display") or "" for item in resource.get("diagnosis") or ()
        ]
        out.encounters.append(
            EncounterRecord(
                patient,
                system,
                source_id,
                event,
                encounter_class,
                admitted,
                discharged,
                department=department,
                diagnoses="; ".join(reason for reason in reasons if reason),
                location=where,
            )
        )
