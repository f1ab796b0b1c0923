"""HL7 ADT^A40 in an import: the source merged two of its records of one person, so CareLoop merges its two
patients the same way (patients.merging.do_merge_patients: reversible, audited with the message), or, where
it knows only one of them, learns that the other's identifiers name that one too.

Run once every record of the import before the A40 is stored (the pipeline finishes the chunks before a
chunk with merges first), so that what moves to the surviving patient is all there; the chunk's own records
and the import's memory of whom it matched are then pointed at the survivor (`redirect`).
"""

from django.db import transaction

from careloop.observations.importing.matching import Matches, remember_mrns
from careloop.observations.importing.parsed import MergeRecord, PatientRef, Problem, because
from careloop.observations.models import ImportBatch
from careloop.patients.merging import MergeRefused, do_merge_patients
from careloop.patients.models import Patient

# The survivor keeps its own details; a field it has empty is taken from the record merged into it.
_FILLED_FROM_MERGED = ("id_number", "mobile", "address", "ethnicity", "occupation", "insurance_type")


def apply_merges(
    batch: ImportBatch, merges: list[MergeRecord], matches: Matches
) -> tuple[dict[int, int], list[Problem]]:
    """Merge what each A40 names; returns the merged patients' ids (-> their survivors') and the problems."""
    done: dict[int, int] = {}
    problems: list[Problem] = []
    for merge in merges:
        survivor_id, merged_id = matches.get(merge.survivor), matches.get(merge.merged)
        if merge.survivor in matches.contradicting or merge.merged in matches.contradicting:
            problems.append(_problem(merge, because(
                "the name, sex or birth date sent differ from those of the patient with this identifier, "
                "so the records were not merged"), "contradiction"))  # fmt: skip
        elif survivor_id is None and merged_id is None:
            problems.append(
                _problem(merge, because("neither record to merge is a patient here"), "unmatched")
            )
        elif survivor_id is None or merged_id is None:
            # One record is ours: the other's identifiers now name it too.
            known = survivor_id if survivor_id is not None else merged_id
            other = merge.merged if survivor_id is not None else merge.survivor
            assert known is not None
            if other.mrn:
                remember_mrns(batch.organization_id, {(other.mrn_system, other.mrn): known})
        elif survivor_id != merged_id:
            try:
                _merge(batch, merge, survivor_id, merged_id)
                done[merged_id] = survivor_id
            except MergeRefused as refused:
                problems.append(_problem(merge, because("not merged: %(why)s", why=str(refused)), "invalid"))
    return done, problems


def _merge(batch: ImportBatch, merge: MergeRecord, survivor_id: int, merged_id: int) -> None:
    with transaction.atomic():
        pair = Patient.objects.select_for_update().in_bulk([survivor_id, merged_id])
        survivor, merged = pair[survivor_id], pair[merged_id]
        take = [name for name in _FILLED_FROM_MERGED if not getattr(survivor, name) and getattr(merged, name)]
        source = {
            "source": "feed",
            "batch": batch.pk,
            "event": "A40",
            "source_system": merge.source_system,
            "message": merge.source_id,
        }
        do_merge_patients(None, survivor, merged, take=take, source=source)


def _problem(merge: MergeRecord, reason: str, code: str) -> Problem:
    return Problem(merge.location, "MRG", "", reason, code)


def redirect(known: dict[PatientRef, int], merged: dict[int, int]) -> None:
    """Point every ref `known` to name a merged patient at the one it was merged into."""
    for ref, patient_id in known.items():
        if patient_id in merged:
            known[ref] = merged[patient_id]


def merge_refs(merges: list[MergeRecord]) -> list[PatientRef]:
    return [ref for merge in merges for ref in (merge.survivor, merge.merged)]
