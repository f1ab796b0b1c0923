"""What a resource's references mean: its `subject` as a PatientRef, and the report an Observation is in.

A subject reference is resolved against, in turn:
1. the Patients seen so far in the same Bundle or NDJSON set (`References.patients`), by the reference
   as written, a fullUrl, or its "Patient/<id>" tail;
2. a contained Patient ("#p1");
3. the reference's own `identifier`, or a transaction's conditional "Patient?identifier=<system>|<value>";
4. "Patient/<id>" alone, which becomes the MRN <id> in the source system -- the same MRN a Patient without
   identifiers of its own gets (patients.patient_ref), so both meet in matching.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

from careloop.observations.importing.parsed import PatientRef, because
from careloop.observations.sources.fhir.fields import FieldProblem
from careloop.observations.sources.fhir.patients import patient_ref, ref_from_identifiers

# How many resolved patient references a reader keeps (a reference seen again is answered from memory).
REMEMBERED_REFERENCES = 200_000


def reference_tail(reference: str) -> str:
    """ "http://x/fhir/Patient/7/_history/2" -> "Patient/7"; a relative reference stays as it is."""
    parts = reference.split("/_history/", 1)[0].rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else reference


class References:
    """What one import (a Bundle, or one or more NDJSON files read in turn) has seen so far."""

    def __init__(self) -> None:
        self.patients: dict[str, PatientRef] = {}  # "Patient/7", a fullUrl, "urn:uuid:..." -> ref
        self.report_of: dict[str, str] = {}  # "Observation/9" or a fullUrl -> the report's source_id


class Subjects:
    """Resolves subjects against an import's `References`; remembers what each reference answered."""

    def __init__(self, references: References | None = None):
        self.refs = references if references is not None else References()
        # (source system, subject.reference) -> what `of` answered; emptied when a Patient arrives, since a
        # reference answered by its "Patient/<id>" fallback may then mean that Patient.
        self.by_reference: dict[tuple[str, str], PatientRef] = {}
        self._fallback: dict[tuple[str, str], PatientRef] = {}

    def remember(self, system: str, reference: str, patient: PatientRef) -> None:
        if len(self.by_reference) >= REMEMBERED_REFERENCES:
            self.by_reference.clear()
        self.by_reference[(system, reference)] = patient

    def of(self, resource: dict[str, Any], system: str, field: str = "subject") -> PatientRef:
        """The patient `resource.<field>` names (module doc); FieldProblem if it names none."""
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
                        return patient_ref(contained, system, contained=True)
                raise FieldProblem(
                    field + ".reference", reference, because("points to no contained Patient"), "missing"
                )
        identifier = subject.get("identifier")
        if identifier:
            return ref_from_identifiers([identifier], system)
        if not reference:
            raise FieldProblem(field, "", because("has neither a reference nor an identifier"), "missing")
        if reference.startswith("Patient?identifier="):
            token = unquote(reference[len("Patient?identifier=") :].split("&", 1)[0])
            id_system, _, value = token.rpartition("|")
            return ref_from_identifiers([{"system": id_system, "value": value}], system)
        if reference.startswith("urn:"):
            raise FieldProblem(
                field + ".reference", reference, because("points to no Patient in this Bundle"), "missing"
            )
        tail = reference_tail(reference)
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

    def register(self, resource: dict[str, Any], ref: PatientRef, full_url: str = "") -> None:
        """A Patient arrived: references to it (by id, fullUrl or its tail) now answer `ref`."""
        self.by_reference.clear()
        patient_id = resource.get("id")
        if patient_id:
            self.refs.patients["Patient/" + patient_id] = ref
        if full_url:
            self.refs.patients[full_url] = ref
            if not full_url.startswith("urn:"):
                self.refs.patients[reference_tail(full_url)] = ref

    def context_free(self) -> bool:
        """Whether an Observation means the same whatever came before it in the import: not once the
        import's own Patients name subjects (a reference could then mean another patient than it would
        alone), nor once its DiagnosticReports group results."""
        return not self.refs.report_of and not self.refs.patients

    @contextmanager
    def alone(self) -> Iterator[None]:
        """Resolve in the body as if no Patient or DiagnosticReport had come yet (`context_free`)."""
        refs, by_reference = self.refs, self.by_reference
        self.refs, self.by_reference = References(), {}
        try:
            yield
        finally:
            self.refs, self.by_reference = refs, by_reference
