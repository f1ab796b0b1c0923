"""Which of our patients a source means, in the order matchorder.py writes down: by resident ID number
(blind index), then by the source's MRN.

A ref whose identifier finds a patient but whose name, sex or birth date contradicts that patient
(patients/sameperson.py) matches nobody: what it brings waits for a person to decide, marked so.
Set-based: one query per kind of identifier for a whole chunk of records, never one per record.
"""

import datetime
from collections.abc import Iterable, Sequence

from careloop.observations.importing.keylookup import IN_LISTS, KeyLookup
from careloop.observations.importing.matchorder import (
    CONTRADICTION,
    MATCHED,
    Candidate,
    Decision,
    Sent,
    identify,
    why_unknown,
)
from careloop.observations.importing.parsed import PatientRef
from careloop.observations.models import PatientIdentifier
from careloop.patients.idcard import normalize_resident_id
from careloop.patients.identity import id_number_index
from careloop.patients.models import Patient
from careloop.patients.sameperson import Demographics


class Matches(dict[PatientRef, int]):
    """Patient id per matched ref.

    `by_id_number` are the refs found by ID number: their MRN may be new to us. `demographics` holds the
    sex and birth date of the patients looked up (not of those an earlier chunk matched): normalizing
    needs them, and the lookup reads them in the same query. `contradicting` are the refs whose
    identifier found a patient they contradict: they are not matched. `why` says why a person record's
    ref waits when the registry could not take it (matchorder.settle_unknown_person).
    """

    by_id_number: set[PatientRef]
    demographics: dict[int, tuple[str, datetime.date | None]]
    contradicting: set[PatientRef]
    why: dict[PatientRef, str]

    def __init__(self) -> None:
        super().__init__()
        self.by_id_number = set()
        self.demographics = {}
        self.contradicting = set()
        self.why = {}

    def why_not(self, ref: PatientRef) -> str:
        """Why `ref`, not matched, waits (UnmatchedResult.why)."""
        if ref in self.why:
            return self.why[ref]
        return "contradiction" if ref in self.contradicting else why_unmatched(ref)

    def settle(self, ref: PatientRef, decision: Decision) -> None:
        """Keep what the matching order decided for `ref`."""
        if decision.outcome == MATCHED:
            assert decision.patient_id is not None
            self[ref] = decision.patient_id
            if decision.via == "id_number":
                self.by_id_number.add(ref)
        elif decision.outcome == CONTRADICTION:
            self.contradicting.add(ref)


# An import remembers at most this many matched refs across its chunks.
KNOWN_LIMIT = 500_000


def sent_by(ref: PatientRef) -> Sent:
    """What `ref` says of its person, as the matching order reads it."""
    index = id_number_index(normalize_resident_id(ref.id_number)) if ref.id_number else ""
    return Sent(Demographics(ref.name, ref.sex, ref.birth_date), index, bool(ref.mrn))


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
    """The matching order (matchorder.identify) for `refs`: one query for their ID numbers, one per
    source system for the MRNs of those no ID number found."""
    sent = {ref: sent_by(ref) for ref in refs}
    by_index: dict[str, list[PatientRef]] = {}
    for ref, said in sent.items():
        if said.id_number_index:
            by_index.setdefault(said.id_number_index, []).append(ref)
    by_id_number: dict[PatientRef, Candidate] = {}
    for keys in lookup.filters("id_number_index", list(by_index)):
        patients = Patient.objects.filter(organization_id=organization_id, **keys)
        by_patient = patients.values_list("id_number_index", "id", "name", "sex", "birth_date")
        for index, patient_id, name, sex, birth in lookup.rows(by_patient):
            found.demographics[patient_id] = (sex, birth)
            for ref in by_index[index]:
                by_id_number[ref] = Candidate(patient_id, Demographics(name, sex, birth), index)
    # system -> MRN -> the refs that name it (usually one)
    by_mrn: dict[str, dict[str, list[PatientRef]]] = {}
    for ref in refs:
        if ref.mrn and ref not in by_id_number:
            by_mrn.setdefault(ref.mrn_system, {}).setdefault(ref.mrn, []).append(ref)
    by_their_mrn: dict[PatientRef, Candidate] = {}
    for system, values in by_mrn.items():
        for keys in lookup.filters("value", list(values)):
            identifiers = PatientIdentifier.objects.filter(
                organization_id=organization_id, system=system, **keys
            )
            by_value = identifiers.values_list(
                "value",
                "patient_id",
                "patient__name",
                "patient__sex",
                "patient__birth_date",
                "patient__id_number_index",
            )
            for value, patient_id, name, sex, birth, index in lookup.rows(by_value):
                found.demographics[patient_id] = (sex, birth)
                for ref in values[value]:
                    by_their_mrn[ref] = Candidate(patient_id, Demographics(name, sex, birth), index)
    for ref, said in sent.items():
        found.settle(ref, identify(said, by_id_number.get(ref), by_their_mrn.get(ref)))
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


def match_registered(
    refs: Iterable[PatientRef], registered: Sequence[tuple[PatientRef, Patient]], found: Matches
) -> None:
    """Match the `refs` nobody matched to the patients just `registered` (people.py), in the same order as
    a lookup would: by ID number, then by the MRN the registering ref named them by."""
    by_index = {p.id_number_index: p for _ref, p in registered if p.id_number_index}
    by_mrn = {(ref.mrn_system, ref.mrn): p for ref, p in registered if ref.mrn}
    for ref in set(refs):
        if ref in found or ref in found.contradicting:
            continue
        said = sent_by(ref)
        patient = by_index.get(said.id_number_index) if said.id_number_index else None
        via_mrn = by_mrn.get((ref.mrn_system, ref.mrn)) if ref.mrn and patient is None else None
        if patient is None and via_mrn is None:
            continue
        found.settle(ref, identify(said, _candidate(patient), _candidate(via_mrn)))


def _candidate(patient: Patient | None) -> Candidate | None:
    if patient is None:
        return None
    demographics = Demographics(patient.name, patient.sex, patient.birth_date)
    return Candidate(patient.pk, demographics, patient.id_number_index)


def why_unmatched(ref: PatientRef) -> str:
    """Why a ref that matched none of the organization's patients did not (UnmatchedResult.why)."""
    return why_unknown(sent_by(ref))


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
