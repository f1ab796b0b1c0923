"""Which of our patients a source means: by resident ID number (blind index), then by the source's MRN.

A ref whose identifier finds a patient but whose name, sex or birth date contradicts that patient
(patients/sameperson.py) matches nobody: what it brings waits for a person to decide, marked so.
Set-based: one query per kind of identifier for a whole chunk of records, never one per record.
"""

import datetime
from collections.abc import Iterable

from careloop.observations.importing.keylookup import IN_LISTS, KeyLookup
from careloop.observations.importing.parsed import PatientRef
from careloop.observations.models import PatientIdentifier
from careloop.patients.idcard import normalize_resident_id
from careloop.patients.identity import id_number_index
from careloop.patients.models import Patient
from careloop.patients.sameperson import Demographics, contradictions


class Matches(dict[PatientRef, int]):
    """Patient id per matched ref.

    `by_id_number` are the refs found by ID number: their MRN may be new to us. `demographics` holds the
    sex and birth date of the patients looked up (not of those an earlier chunk matched): normalizing
    needs them, and the lookup reads them in the same query. `contradicting` are the refs whose
    identifier found a patient they contradict: they are not matched.
    """

    by_id_number: set[PatientRef]
    demographics: dict[int, tuple[str, datetime.date | None]]
    contradicting: set[PatientRef]

    def __init__(self) -> None:
        super().__init__()
        self.by_id_number = set()
        self.demographics = {}
        self.contradicting = set()

    def why_not(self, ref: PatientRef) -> str:
        """Why `ref`, not matched, waits (UnmatchedResult.why)."""
        return "contradiction" if ref in self.contradicting else why_unmatched(ref)

    def take(self, ref: PatientRef, patient_id: int, ours: Demographics) -> None:
        """`ref` matches the patient its identifier found, unless it contradicts them."""
        if contradictions(Demographics(ref.name, ref.sex, ref.birth_date), ours):
            self.contradicting.add(ref)
        else:
            self[ref] = patient_id


# An import remembers at most this many matched refs across its chunks.
KNOWN_LIMIT = 500_000


def match_patients(
    organization_id: int,
    refs: Iterable[PatientRef],
    known: dict[PatientRef, int] | None = None,
    lookup: KeyLookup = IN_LISTS,
) -> Matches:
    """Patient id for every ref that matches one of the organization's patients; others are absent.

    `known` carries what earlier chunks of the same import matched: those refs are not looked up again,
    and new matches are added to it. `lookup`: the store's (store.ObservationStore.lookup).
    """
    found = Matches()
    unique = set(refs)
    if known:
        for ref in unique:
            patient_id = known.get(ref)
            if patient_id is not None:
                found[ref] = patient_id
        unique.difference_update(found)
    _look_up(organization_id, unique, found, lookup)
    if known is not None and len(known) < KNOWN_LIMIT:
        known.update({ref: found[ref] for ref in unique if ref in found})
    return found


def _look_up(organization_id: int, refs: set[PatientRef], found: Matches, lookup: KeyLookup) -> None:
    by_index: dict[str, list[PatientRef]] = {}
    for ref in refs:
        if ref.id_number:
            by_index.setdefault(id_number_index(normalize_resident_id(ref.id_number)), []).append(ref)
    for keys in lookup.filters("id_number_index", list(by_index)):
        patients = Patient.objects.filter(organization_id=organization_id, **keys)
        by_patient = patients.values_list("id_number_index", "id", "name", "sex", "birth_date")
        for index, patient_id, name, sex, birth in lookup.rows(by_patient):
            found.demographics[patient_id] = (sex, birth)
            for ref in by_index[index]:
                found.take(ref, patient_id, Demographics(name, sex, birth))
    found.by_id_number = {ref for ref in refs if ref in found}
    # system -> MRN -> the refs that name it (usually one)
    by_mrn: dict[str, dict[str, list[PatientRef]]] = {}
    for ref in refs:
        if ref.mrn and ref not in found and ref not in found.contradicting:
            by_mrn.setdefault(ref.mrn_system, {}).setdefault(ref.mrn, []).append(ref)
    for system, values in by_mrn.items():
        for keys in lookup.filters("value", list(values)):
            identifiers = PatientIdentifier.objects.filter(
                organization_id=organization_id, system=system, **keys
            )
            by_value = identifiers.values_list(
                "value", "patient_id", "patient__name", "patient__sex", "patient__birth_date"
            )
            for value, patient_id, name, sex, birth in lookup.rows(by_value):
                found.demographics[patient_id] = (sex, birth)
                for ref in values[value]:
                    found.take(ref, patient_id, Demographics(name, sex, birth))
    # An MRN that one of these refs brings beside its ID number is not stored yet (remember_identifiers runs
    # after the match), yet a Patient line and the results naming it by that MRN may share a chunk.
    learnt = mrns_learnt(found)
    if learnt:
        for system, values in by_mrn.items():
            for value, named in values.items():
                learnt_id = learnt.get((system, value))
                if learnt_id is not None:
                    for ref in named:
                        if ref not in found.contradicting:
                            found.setdefault(ref, learnt_id)


def why_unmatched(ref: PatientRef) -> str:
    """Why a ref that matched none of the organization's patients did not (UnmatchedResult.why): the
    strongest identifier it carried found nobody."""
    if ref.id_number:
        return "unknown_id_number"
    if ref.mrn:
        return "unknown_mrn"
    return "no_identifier"


def mrns_learnt(matches: Matches) -> dict[tuple[str, str], int]:
    """(MRN system, MRN) -> patient id, for the refs matched by ID number that carry an MRN.

    Refs matched by their MRN are already known: writing them again would cost a conflict per row.
    """
    return {(ref.mrn_system, ref.mrn): matches[ref] for ref in matches.by_id_number if ref.mrn}


def remember_identifiers(organization_id: int, matches: Matches) -> int:
    """Store the MRNs learnt (`mrns_learnt`), so later messages that carry only the MRN find the patient."""
    return remember_mrns(organization_id, mrns_learnt(matches))


def remember_mrns(organization_id: int, pairs: dict[tuple[str, str], int]) -> int:
    """Store each (MRN system, MRN) -> patient id not stored yet; an MRN that names someone already keeps
    naming them. Returns how many were stored."""
    if not pairs:
        return 0
    rows = [
        PatientIdentifier(organization_id=organization_id, system=system, value=value, patient_id=pid)
        for (system, value), pid in pairs.items()
    ]
    created = PatientIdentifier.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)
