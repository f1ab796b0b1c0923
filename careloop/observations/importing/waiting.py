"""What waits in the unmatched queue for a person, brought in once the person is registered (by a feed or by
hand): the records whose ID number or MRN names the new patient and whose name, sex and birth date agree
with them. Those that contradict the patient stay waiting, marked so, for a person to decide.
"""

import datetime
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.db.models import Q
from django.utils import timezone

from careloop.encryption import cipher
from careloop.observations.importing.parsed import (
    ContactRecord,
    EncounterRecord,
    ParseResult,
    PatientRef,
    PersonRecord,
    ReportRecord,
)
from careloop.observations.importing.unmatched import record_from_json
from careloop.observations.models import UnmatchedResult
from careloop.patients.models import Patient
from careloop.patients.sameperson import Demographics, contradictions


class Filed(NamedTuple):
    """A queue entry brought into an import under its patient."""

    item_id: int
    kind: str  # UnmatchedResult.kind
    patient_id: int

    @property
    def counts(self) -> bool:
        """Whether it counts as a result or visit filed (a report rides along; a person record is settled)."""
        return self.kind not in ("report", "patient")


def waiting_for(
    organization_id: int, patients: Sequence[tuple[PatientRef, Patient]]
) -> list[UnmatchedResult]:
    """The open queue entries whose ID number is one of these patients', or whose MRN their ref names."""
    indexes = [patient.id_number_index for _ref, patient in patients if patient.id_number_index]
    named = Q(patient_id_number_index__in=indexes) if indexes else Q(pk__in=[])
    for ref, _patient in patients:
        if ref.mrn:
            named |= Q(patient_id_number_index="", patient_mrn_system=ref.mrn_system, patient_mrn=ref.mrn)
    waiting = UnmatchedResult.objects.select_for_update().filter(
        organization_id=organization_id, resolved_at__isnull=True
    )
    return list(waiting.filter(named))


def split_by_agreement(
    items: Iterable[UnmatchedResult], patient: Patient
) -> tuple[list[UnmatchedResult], list[UnmatchedResult]]:
    """The entries whose name, sex and birth date agree with `patient`'s, and those that contradict them
    (sameperson.contradictions); the latter are marked so."""
    ours = Demographics(patient.name, patient.sex, patient.birth_date)
    agreeing: list[UnmatchedResult] = []
    contradicting: list[UnmatchedResult] = []
    for item in items:
        sent = Demographics(item.patient_name, item.patient_sex, item.patient_birth_date)
        (contradicting if contradictions(sent, ours) else agreeing).append(item)
    if contradicting:
        UnmatchedResult.objects.filter(pk__in=[item.pk for item in contradicting]).update(why="contradiction")
    return agreeing, contradicting


def add_to_chunk(chunk: ParseResult, items: Iterable[UnmatchedResult], ref: PatientRef) -> None:
    """The parked records, as `ref`'s, appended to `chunk` to be imported with it."""
    for parked in items:
        if parked.kind == "patient":
            chunk.people.append(person_from_parked(parked, ref))
            continue
        record = record_from_json(parked.kind, parked.record, ref)
        if isinstance(record, ReportRecord):
            chunk.reports.append(record)
        elif isinstance(record, EncounterRecord):
            chunk.encounters.append(record)
        else:
            chunk.results.append(record)


def person_from_parked(parked: UnmatchedResult, ref: PatientRef) -> PersonRecord:
    """A parked person record (people.person_fields) back as the record a feed sent, for `ref`."""
    data = parked.record
    sent_at = data.get("sent_at")
    contacts = tuple(
        ContactRecord(c.get("name", ""), c.get("relationship", ""), cipher().read(c.get("mobile", "")))
        for c in data.get("contacts", ())
    )
    return PersonRecord(
        patient=ref,
        event=data.get("event", ""),
        source_system=data.get("source_system", ""),
        source_id=data.get("source_id", ""),
        sent_at=datetime.datetime.fromisoformat(sent_at) if sent_at else None,
        mobile=parked.patient_mobile,
        address=data.get("address", ""),
        contacts=contacts,
        location=data.get("location", ""),
    )


def file_for_registered(
    chunk: ParseResult, organization_id: int, registered: Sequence[tuple[PatientRef, Patient]]
) -> list[Filed]:
    """Bring what waited for the `registered` patients into `chunk`, each under its patient's ref; returns
    each entry brought, to be marked filed once the chunk is stored. A person
    record that waited (a held registration) is settled by the registration: it is marked filed too."""
    if not registered:
        return []
    by_index = {
        patient.id_number_index: (ref, patient) for ref, patient in registered if patient.id_number_index
    }
    by_mrn = {(ref.mrn_system, ref.mrn): (ref, patient) for ref, patient in registered if ref.mrn}
    per_patient: dict[int, tuple[PatientRef, Patient, list[UnmatchedResult]]] = {}
    for item in waiting_for(organization_id, registered):
        hit = by_index.get(item.patient_id_number_index) if item.patient_id_number_index else None
        hit = hit or by_mrn.get((item.patient_mrn_system, item.patient_mrn))
        if hit is not None:
            per_patient.setdefault(hit[1].pk, (*hit, []))[2].append(item)
    filed: list[Filed] = []
    for ref, patient, items in per_patient.values():
        agreeing, _contradicting = split_by_agreement(items, patient)
        add_to_chunk(chunk, [item for item in agreeing if item.kind != "patient"], ref)
        filed += [Filed(item.pk, item.kind, patient.pk) for item in agreeing]
    return filed


def mark_filed(filed: Sequence[Filed]) -> None:
    """Mark queue entries filed under their patients (by an import: no one resolved them by hand)."""
    now = timezone.now()
    by_patient: dict[int, list[int]] = {}
    for item_id, _kind, patient_id in filed:
        by_patient.setdefault(patient_id, []).append(item_id)
    for patient_id, item_ids in by_patient.items():
        UnmatchedResult.objects.filter(pk__in=item_ids).update(
            resolved_patient_id=patient_id, resolved_at=now
        )
