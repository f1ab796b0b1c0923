"""A FHIR Observation -> ResultRecord(s), by two readings that must agree.

- `general_rows` reads every shape and judges everything: value[x] of any kind, comparators, panels
  (one result per component), periods, contained or conditional subjects, and says what is wrong in a
  `FieldProblem`. It is the reference: what an Observation means is what it answers.
- `shaped_row` reads only the shape a bulk export sends for most lines (a LOINC code, a numeric
  valueQuantity without comparator, an effectiveDateTime with seconds and offset, a "Patient/<id>"
  subject), decoded straight into shape.py's Structs without building a dict. It answers None for
  anything it does not judge, and `general_rows` then gives the answer or the Problem. It exists for
  speed alone (most of a bulk import's parsing time is here, and it reads a line in well under the
  general path's time); it decides which lines go fast, never what a line means.

tests/observations/test_fhir_shape.py holds the two equal line by line, and test_fhir_mapping checks
every result of the general path against the fast one wherever both read it.
"""

import datetime
from typing import Any

from careloop.observations.importing.parsed import PatientRef, ResultRecord, because
from careloop.observations.sources.fhir.dates import COMMON_SHAPES, BadDate, fromisoformat, parse_datetime
from careloop.observations.sources.fhir.fields import (
    LOINC,
    FieldProblem,
    first_time,
    interpretation_code,
    is_exam,
    loinc_code,
    reference_range_text,
    value_and_unit,
)
from careloop.observations.sources.fhir.keys import SourceKeys
from careloop.observations.sources.fhir.references import REMEMBERED_REFERENCES, Subjects
from careloop.observations.sources.fhir.shape import (
    NOT_COMMON,
    CommonObservation,
    decode_line,
    decode_repeated,
    from_dict,
)

# Bounds of what a reader remembers between lines. Results of one specimen share their time and a lab's
# values and ranges repeat, so a small memory answers most lines; clearing it keeps a reader's size fixed.
TIMES_KEPT = 4096
FLOAT_TEXTS_KEPT = 10_000
REPEATED_KEPT = 10_000


class ObservationReader:
    """Reads one import's Observations; not thread-safe."""

    def __init__(self, keys: SourceKeys, subjects: Subjects, tz: datetime.tzinfo, source_kind: str):
        self.keys = keys
        self.subjects = subjects
        self.tz = tz
        self.source_kind = source_kind
        self._times: dict[str, datetime.datetime] = {}  # effectiveDateTime text -> parsed
        self._float_texts: dict[float, str] = {}  # a reported float -> its text
        # (category, referenceRange, interpretation) as sent -> what they say (_read_repeated)
        self._repeated: dict[tuple[bytes, bytes, bytes], tuple[str, str, str]] = {}

    def rows(self, resource: dict[str, Any], where: str, full_url: str = "") -> list[ResultRecord]:
        """The result(s) of one parsed Observation (a Bundle's entry or an unusual line)."""
        row = None if full_url else self.common_row(resource, where)
        return [row] if row is not None else self.general_rows(resource, where, full_url)

    # -- the fast reading ------------------------------------------------------------------------------
    def common_row(
        self, resource: dict[str, Any], where: str, digest: int | None = None
    ) -> ResultRecord | None:
        """`shaped_row` of a parsed resource; None if it is not of the common shape."""
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
        """The row `general_rows` would give for an Observation of the common shape; None for any other.

        shape.py's types have checked what a field must hold; what depends on the import (the sources and
        subjects met so far) or on more than a type is checked here. `digest` is the hash of the line the
        resource is all of (iter_ndjson), kept with the result.
        """
        first = resource.code.coding[0]
        code = first.code
        if first.system != LOINC or not code or self.subjects.refs.report_of:
            return None
        effective = resource.effectiveDateTime
        when = self._times.get(effective) or self._remember_time(effective)
        if when is None:
            return None
        meta = resource.meta
        source = None if meta is None else meta.source
        system = self.keys.default_system if source is None else self.keys.systems.get(source)
        if system is None:
            return None  # the general path works it out and remembers it
        reference = resource.subject.reference
        patient = self.subjects.by_reference.get((system, reference)) or self._remember_subject(
            system, reference
        )
        if patient is None:
            return None
        repeated = (
            bytes(resource.category),
            bytes(resource.referenceRange),
            bytes(resource.interpretation),
        )
        said = self._repeated.get(repeated) or self._read_repeated(repeated)
        if said is None:
            return None
        kind, reference_range, interpretation = said
        quantity = resource.valueQuantity
        value = quantity.value
        # A lab's values repeat, so a float's text is worked out once per value; the text is then one
        # object, hashed once where normalizing looks it up. Not zero: -0.0 and 0.0 are one key and print
        # unlike.
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
            resource.id,
            resource.status or "final",
            kind,
            "",
            reference_range,
            interpretation,
            where,
            digest,
        )

    def _remember_time(self, effective: str) -> datetime.datetime | None:
        """An effectiveDateTime of the two shapes servers send, parsed and kept; None for another shape."""
        # parse_datetime's own first test, inlined: a call costs as much as the conversion.
        size = len(effective)
        shaped = size == 20 or (size == 25 and effective[20:22] <= "14")
        if not shaped or effective[4:23:3] not in COMMON_SHAPES:
            return None
        try:
            when = fromisoformat(effective)
        except ValueError:
            return None
        if len(self._times) > TIMES_KEPT:
            self._times.clear()
        self._times[effective] = when
        return when

    def _remember_subject(self, system: str, reference: str) -> PatientRef | None:
        """The patient a "Patient/<id>" reference names, kept; None for any other reference.

        A feed of many patients meets most references once: resolved here, not in the general path. (A
        subject's identifier outranks its reference, and a known Patient outranks both.)
        """
        if (
            reference[:8] != "Patient/"
            or len(reference) == 8
            or "/" in reference[8:]
            or reference in self.subjects.refs.patients
        ):
            return None
        patient = PatientRef("", reference[8:], system)  # what `Subjects.of` answers for "Patient/<id>"
        by_reference = self.subjects.by_reference
        if len(by_reference) >= REMEMBERED_REFERENCES:
            by_reference.clear()
        by_reference[(system, reference)] = patient
        return patient

    def _remember_float(self, value: float) -> str:
        if len(self._float_texts) >= FLOAT_TEXTS_KEPT:
            self._float_texts.clear()
        self._float_texts[value] = text = str(value)
        return text

    def _read_repeated(self, repeated: tuple[bytes, bytes, bytes]) -> tuple[str, str, str] | None:
        """What a line's category, referenceRange and interpretation (as sent) say: the source kind, the
        range text and the interpretation; kept. None if one of them is not of the common shape."""
        try:
            parts = decode_repeated(*repeated)
        except NOT_COMMON:
            return None
        kind = self.source_kind
        for category in parts.category:
            for coding in category.coding:
                if coding.code == "exam":
                    kind = "exam_report"
        reference_range = ""
        if parts.referenceRange:
            first = parts.referenceRange[0]
            bounds = {
                "low": {"value": None if first.low is None else first.low.value},
                "high": {"value": None if first.high is None else first.high.value},
                "text": first.text,
            }
            reference_range = reference_range_text([bounds])
        interpretation = ""
        if parts.interpretation:
            concept = parts.interpretation[0]
            for coding in concept.coding:
                if coding.code:
                    interpretation = coding.code
                    break
            else:
                interpretation = concept.text or ""
        said = (kind, reference_range, interpretation)
        if len(self._repeated) >= REPEATED_KEPT:
            self._repeated.clear()
        self._repeated[repeated] = said
        return said

    # -- the general reading ---------------------------------------------------------------------------
    def general_rows(self, resource: dict[str, Any], where: str, full_url: str = "") -> list[ResultRecord]:
        """The result(s) of one Observation: every shape, every check."""
        get = resource.get
        concept = get("code")
        coding = concept.get("coding") if concept else None
        first = coding[0] if coding else None
        if first is not None and first.get("system") == LOINC and first.get("code"):
            code = first["code"]
        else:
            code = loinc_code(concept, "code")
        system, source_id = self.keys.key_of(resource)
        subject = get("subject")
        reference = subject.get("reference") if subject else None
        patient = self.subjects.by_reference.get((system, reference)) if reference else None
        if patient is None:
            patient = self.subjects.of(resource, system)
            if reference and reference[0] != "#":
                self.subjects.remember(system, reference, patient)
        effective = get("effectiveDateTime")
        if effective is not None:
            try:
                when = parse_datetime(effective, self.tz)
            except BadDate as error:
                raise FieldProblem("effectiveDateTime", effective, error.reason) from None
        else:
            found = first_time(resource, ("effectivePeriod", "effectiveInstant", "issued"), self.tz)
            if found is None:
                reason = because("is missing (also no effectivePeriod or issued)")
                raise FieldProblem("effectiveDateTime", "", reason, "missing")
            when = found
        report = ""
        report_of = self.subjects.refs.report_of
        if report_of:
            resource_id = get("id")
            report = report_of.get(full_url) or (
                report_of.get("Observation/" + resource_id, "") if resource_id else ""
            )
        status = get("status") or "final"
        categories = get("category")
        kind = "exam_report" if categories and is_exam(categories) else self.source_kind
        ranges = get("referenceRange")
        reference_range = reference_range_text(ranges) if ranges else ""
        interpretation = get("interpretation")
        flag = interpretation_code(interpretation) if interpretation else ""
        components = get("component")
        if components and not any(name.startswith("value") for name in resource):
            template = ResultRecord(
                patient,
                code,
                "",
                "",
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
            return self._component_rows(components, template)
        value, unit = value_and_unit(resource, "")
        return [
            ResultRecord(
                patient, code, value, unit, when, system, source_id, status, kind, report, reference_range,
                flag, where, None,
            )
        ]  # fmt: skip

    def _component_rows(self, components: list[dict[str, Any]], panel: ResultRecord) -> list[ResultRecord]:
        """A panel (blood pressure 85354-9): one result per coded component, keyed under the panel's id;
        a component's own range and interpretation outrank the panel's."""
        rows: list[ResultRecord] = []
        for index, component in enumerate(components):
            prefix = f"component[{index}]."
            part = loinc_code(component.get("code"), prefix + "code")
            value, unit = value_and_unit(component, prefix)
            rows.append(
                panel._replace(
                    code=part,
                    value=value,
                    unit=unit,
                    source_id=f"{panel.source_id}#{part}",
                    reference_range=reference_range_text(component.get("referenceRange"))
                    or panel.reference_range,
                    abnormal_flag=interpretation_code(component.get("interpretation")) or panel.abnormal_flag,
                )
            )
        return rows
