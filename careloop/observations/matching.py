"""Which of our patients a source means: by resident ID number (blind index), then by the source's MRN.

Set-based: one query per kind of identifier for a whole chunk of records, never one per record.
"""

from collections.abc import Iterable

from careloop.observations.models import PatientIdentifier
from careloop.observations.records import PatientRef
from careloop.patients.idcard import normalize_resident_id
from careloop.patients.identity import id_number_index
from careloop.patients.models import Patient

# SQLite allows 999 parameters in older builds; stay under it for IN lists.
IN_CHUNK = 900


def _chunks(items: list, size: int = IN_CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def match_patients(organization_id: int, refs: Iterable[PatientRef]) -> dict[PatientRef, int]:
    """Patient id for every ref that matches one of the organization's patients; others are absent."""
    refs = set(refs)
    by_index: dict[str, list[PatientRef]] = {}
    for ref in refs:
        if ref.id_number:
            by_index.setdefault(id_number_index(normalize_resident_id(ref.id_number)), []).append(ref)
    found: dict[PatientRef, int] = {}
    for chunk in _chunks(list(by_index)):
        rows = Patient.objects.filter(organization_id=organization_id, id_number_index__in=chunk).values_list(
            "id_number_index", "id"
        )
        for index, patient_id in rows:
            for ref in by_index[index]:
                found[ref] = patient_id
    by_mrn: dict[tuple[str, str], list[PatientRef]] = {}
    for ref in refs:
        if ref not in found and ref.mrn:
            by_mrn.setdefault((ref.mrn_system, ref.mrn), []).append(ref)
    systems: dict[str, list[str]] = {}
    for system, value in by_mrn:
        systems.setdefault(system, []).append(value)
    for system, values in systems.items():
        for chunk in _chunks(values):
            rows = PatientIdentifier.objects.filter(
                organization_id=organization_id, system=system, value__in=chunk
            ).values_list("value", "patient_id")
            for value, patient_id in rows:
                for ref in by_mrn[(system, value)]:
                    found[ref] = patient_id
    return found


def remember_identifiers(organization_id: int, matches: dict[PatientRef, int]) -> int:
    """Store each matched ref's MRN so later messages that carry only the MRN find the patient."""
    pairs = {(ref.mrn_system, ref.mrn): pid for ref, pid in matches.items() if ref.mrn}
    if not pairs:
        return 0
    rows = [
        PatientIdentifier(organization_id=organization_id, system=system, value=value, patient_id=pid)
        for (system, value), pid in pairs.items()
    ]
    created = PatientIdentifier.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)
