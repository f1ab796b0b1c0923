"""Parsed FHIR R4 resources -> a ParseResult: one reader per resource type, one Problem per refusal.

Plain dict access and plain checks, no fhir.resources/pydantic: this is the hot path of bulk imports.
A resource that cannot be imported becomes one `Problem` naming the field path ("valueQuantity.value",
"effectiveDateTime", "subject") and why; it never stops the others. Types we do not import are counted
and reported once per type (`unsupported_problems`).

The readers: observation.py (results), report.py, encounter.py, patients.py (a Patient's identifiers and
demographics, and the person: phone, address, contacts); keys.py says under which (source system, source id)
each is stored, references.py whom a subject names.
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from careloop.observations.importing.parsed import ParseResult, Problem, because
from careloop.observations.sources.fhir.dates import SHANGHAI
from careloop.observations.sources.fhir.encounter import read_encounter
from careloop.observations.sources.fhir.fields import FieldProblem
from careloop.observations.sources.fhir.keys import SourceKeys
from careloop.observations.sources.fhir.observation import ObservationReader
from careloop.observations.sources.fhir.patients import patient_ref, person_record
from careloop.observations.sources.fhir.references import References, Subjects
from careloop.observations.sources.fhir.report import read_report

SUPPORTED = ("Patient", "DiagnosticReport", "Observation", "Encounter")

# resourceType -> the ResourceMapper method that reads it. The method's name, not a bound method kept on
# the mapper: that would make a reference cycle, and a mapper with its memories would wait for the
# garbage collector instead of going with its import.
_HANDLERS = {
    "Observation": "observation",
    "DiagnosticReport": "report",
    "Encounter": "encounter",
    "Patient": "patient",
}


class ResourceMapper:
    """Maps parsed resources into a ParseResult. One per import; not thread-safe.

    `hash_key`: the organization's index key, for the ids derived from identifiers (keys.keyed_id).
    """

    def __init__(
        self,
        source_system: str,
        default_tz: datetime.tzinfo = SHANGHAI,
        source_kind: str = "hospital_system",
        references: References | None = None,
        hash_key: bytes = b"",
    ):
        self.tz = default_tz
        self.keys = SourceKeys(source_system, hash_key)
        self.subjects = Subjects(references)
        self.observations = ObservationReader(self.keys, self.subjects, default_tz, source_kind)
        self._unsupported: dict[str, tuple[str, int]] = {}  # resourceType -> (first location, count)

    def add(self, resource: object, where: str, out: ParseResult, full_url: str = "") -> None:
        """Map one resource into `out`; a refused resource becomes one Problem there instead."""
        if type(resource) is not dict:
            out.problems.append(Problem(where, "", "", because("is not a JSON object"), "malformed"))
            return
        kind = resource.get("resourceType")
        handler = _HANDLERS.get(kind) if type(kind) is str else None
        if handler is None:
            self._count_unsupported(str(kind or "(no resourceType)"), where)
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

    def observation(self, resource: dict[str, Any], where: str, out: ParseResult, full_url: str = "") -> None:
        out.results.extend(self.observations.rows(resource, where, full_url))

    def report(self, resource: dict[str, Any], where: str, out: ParseResult, full_url: str = "") -> None:
        out.reports.append(read_report(resource, where, self.keys, self.subjects, self.tz))

    def encounter(self, resource: dict[str, Any], where: str, out: ParseResult, full_url: str = "") -> None:
        out.encounters.append(read_encounter(resource, where, self.keys, self.subjects, self.tz))

    def patient(self, resource: dict[str, Any], where: str, out: ParseResult, full_url: str = "") -> None:
        system = self.keys.system_of(resource)
        ref = patient_ref(resource, system)
        if not (ref.id_number or ref.mrn):
            reason = because("is missing, and there is no id to match the patient by")
            raise FieldProblem("identifier", "", reason, "missing")
        person = person_record(resource, ref, system, where, self.tz)
        self.subjects.register(resource, ref, full_url)
        out.people.append(person)

    def _count_unsupported(self, kind: str, where: str) -> None:
        first, count = self._unsupported.get(kind, (where, 0))
        self._unsupported[kind] = (first, count + 1)

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

    def context_free(self) -> bool:
        """Whether an Observation line means the same whatever came before it (Subjects.context_free)."""
        return self.subjects.context_free()

    @contextmanager
    def alone(self) -> Iterator[None]:
        """Read in the body as if no Patient or DiagnosticReport had come yet: as lines would have been
        read where they stood, before the resources after them."""
        with self.subjects.alone():
            yield
