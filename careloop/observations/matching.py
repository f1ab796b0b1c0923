"""Which of our patients a source means: by resident ID number (blind index), then by the source's MRN.

Set-based: one query per kind of identifier for a whole chunk of records, never one per record.
"""

from collections.abc import Iterable

from careloop.observations.keylookup import key_filters
from careloop.observations.models import PatientIdentifier
from careloop.observations.records import PatientRef
from careloop.patients.idcard import normalize_resident_id
from careloop.patients.identity import id_number_index
from careloop.patients.models import Patient


class Matches(dict[PatientRef, int]):
    """Patient id per matched ref; `by_id_number` are the refs found by ID number (their MRN may be new to us)."""

    by_id_number: set[PatientRef]


def match_patients(organization_id: int, refs: Iterable[PatientRef]) -> Matches:
    """Patient id for every ref that matches one of the organization's patients; others are absent."""
    refs = set(refs)
    by_index: dict[str, list[PatientRef]] = {}
    for ref in refs:
        if ref.id_number:
            by_index.setdefault(id_number_index(normalize_resident_id(ref.id_number)), []).append(ref)
    found = Matches()
    for keys in key_filters("id_number_index", list(by_index)):
        rows = Patient.objects.filter(organization_id=organization_id, **keys).values_list(
            "id_number_index", "id"
        )
        for index, patient_id in rows:
            for ref in by_index[index]:
                found[ref] = patient_id
    found.by_id_number = set(found)
    by_mrn: dict[tuple[str, str], list[PatientRef]] = {}
    for ref in refs:
        if ref not in found and ref.mrn:
            by_mrn.setdefault((ref.mrn_system, ref.mrn), []).append(ref)
    systems: dict[str, list[str]] = {}
    for system, value in by_mrn:
        systems.setdefault(system, []).append(value)
    for system, values in systems.items():
        for keys in key_filters("value", values):
            rows = PatientIdentifier.objects.filter(
                organization_id=organization_id, system=system, **keys
            ).values_list("value", "patient_id")
            for value, patient_id in rows:
                for ref in by_mrn[(system, value)]:
                    found[ref] = patient_id
    return found


def remember_identifiers(organization_id: int, matches: Matches) -> int:
    """Store the MRN of refs matched by ID number, so later messages that carry only the MRN find the patient.

    Refs matched by their MRN are already known: writing them again would cost a conflict per row.
    """
    pairs = {(ref.mrn_system, ref.mrn): matches[ref] for ref in matches.by_id_number if ref.mrn}
    if not pairs:
        return 0
    rows = [
        PatientIdentifier(organization_id=organization_id, system=system, value=value, patient_id=pid)
        for (system, value), pid in pairs.items()
    ]
    created = PatientIdentifier.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)
