"""Imports in several chunks: what one chunk learns reaches the next; a chunk that meets a stored key late."""

from typing import Any

import orjson
import pytest

from careloop.observations import pipeline
from careloop.observations.fhir import iter_ndjson
from careloop.observations.merge import merge_observations
from careloop.observations.models import ImportBatch, Observation, ObservationVersion, UnmatchedResult
from tests.factories import make_patient
from tests.observations.helpers import merge_row

MRN_SYSTEM = "http://his.example.cn/mrn"


def observation(number: int, subject: dict[str, Any], value: float = 4.9) -> bytes:
    return orjson.dumps(
        {
            "resourceType": "Observation",
            "id": f"o{number}",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
            "subject": subject,
            "effectiveDateTime": f"2025-03-0{number}T08:30:00+08:00",
            "valueQuantity": {"value": value, "unit": "mmol/L", "code": "mmol/L"},
        }
    )


def feed(id_number: str) -> bytes:
    """A Patient known by ID number and MRN, then results naming it by reference, then by its MRN alone."""
    patient = orjson.dumps(
        {
            "resourceType": "Patient",
            "id": "p1",
            "identifier": [
                {"system": "urn:oid:1.2.156.112604.1.2.1", "value": id_number},
                {"system": MRN_SYSTEM, "value": "M-1", "type": {"coding": [{"code": "MR"}]}},
            ],
        }
    )
    by_mrn = {"identifier": {"system": MRN_SYSTEM, "value": "M-1"}}
    lines = [
        patient,
        observation(1, {"reference": "Patient/p1"}),
        observation(2, {"reference": "Patient/p1"}),
    ]
    lines += [observation(3, by_mrn), observation(4, by_mrn)]
    return b"\n".join(lines)


@pytest.mark.django_db(transaction=True)  # as the worker and `careloop import` run: not in a transaction
@pytest.mark.parametrize("mode", ["keep_good", "all_or_nothing"])
def test_an_mrn_learnt_in_one_chunk_matches_results_in_the_next(org, doctor, mode):
    patient = make_patient(doctor)
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson", mode=mode)
    batch, problems = pipeline.run_import(batch, iter_ndjson(feed(patient.id_number), "HIS", chunk_size=2))

    assert problems == []
    assert (batch.status, batch.created, batch.unmatched) == ("done", 4, 0)
    assert Observation.objects.filter(patient=patient).count() == 4
    assert not UnmatchedResult.objects.exists()

    again = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson", mode=mode)
    again, _ = pipeline.run_import(again, iter_ndjson(feed(patient.id_number), "HIS", chunk_size=2))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


@pytest.mark.django_db
def test_a_chunk_that_looks_new_but_meets_a_stored_key_late_is_still_merged(org, doctor):
    """Key 90 of a chunk that starts with new keys is stored already: it is versioned, the rest inserted."""
    patient = make_patient(doctor)
    merge_observations(org.pk, None, [merge_row(patient.pk, "r90", 5.0)])
    counts = merge_observations(org.pk, None, [merge_row(patient.pk, f"r{n}", 5.5) for n in range(100)])
    assert (counts.created, counts.updated, counts.unchanged) == (99, 1, 0)
    assert Observation.objects.filter(organization=org).count() == 100
    assert ObservationVersion.objects.get().value == 5.0
