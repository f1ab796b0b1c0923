"""Results for unknown patients wait in the queue once, however often the source sends them."""

import orjson
import pytest
from django.utils import timezone

from careloop.observations.importing.parking import park
from careloop.observations.importing.pipeline import run_import
from careloop.observations.models import ImportBatch, UnmatchedResult
from careloop.observations.sources.fhir import iter_ndjson


def feed(value: float = 4.9) -> bytes:
    lines = [
        orjson.dumps(
            {
                "resourceType": "Observation",
                "id": f"o{n}",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
                "subject": {"reference": "Patient/stranger"},
                "effectiveDateTime": f"2025-03-0{n}T08:30:00+08:00",
                "valueQuantity": {"value": value, "unit": "mmol/L", "code": "mmol/L"},
            }
        )
        for n in (1, 2)
    ]
    return b"\n".join(lines)


def imported(org, data: bytes) -> ImportBatch:
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson")
    return run_import(batch, iter_ndjson(data, "HIS"))[0]


@pytest.mark.django_db
def test_the_same_file_twice_parks_its_unknown_patients_results_once(org):
    first = imported(org, feed())
    again = imported(org, feed())
    assert (first.unmatched, again.unmatched) == (2, 2)  # both times: two results wait for a patient
    assert UnmatchedResult.objects.filter(organization=org).count() == 2
    assert set(UnmatchedResult.objects.values_list("source_system", "source_id")) == {
        ("HIS", "o1"),
        ("HIS", "o2"),
    }


@pytest.mark.django_db
def test_a_corrected_value_sent_again_replaces_the_waiting_one(org):
    imported(org, feed(4.9))
    corrected = imported(org, feed(5.3))
    waiting = UnmatchedResult.objects.get(source_id="o1")
    assert waiting.record["value"] == "5.3"
    assert waiting.batch_id == corrected.pk
    assert UnmatchedResult.objects.count() == 2


@pytest.mark.django_db
def test_an_entry_already_filed_under_a_patient_is_not_parked_again(org, other_org):
    imported(org, feed())
    UnmatchedResult.objects.filter(source_id="o1").update(resolved_at=timezone.now())
    imported(org, feed(5.3))
    assert UnmatchedResult.objects.filter(organization=org).count() == 2
    assert UnmatchedResult.objects.get(source_id="o1").record["value"] == "4.9"  # left as it was filed
    imported(other_org, feed())  # another organization's queue is its own
    assert UnmatchedResult.objects.filter(organization=other_org).count() == 2


@pytest.mark.django_db
def test_records_without_a_source_id_are_parked_as_they_come(org):
    rows = [UnmatchedResult(organization=org, kind="result", record={"value": "1"}) for _ in range(2)]
    assert park(org.pk, rows) == 2
    assert park(org.pk, [UnmatchedResult(organization=org, kind="result", record={"value": "1"})]) == 1
    assert UnmatchedResult.objects.count() == 3


@pytest.mark.django_db
def test_entries_parked_before_get_their_source_key_from_their_record(org):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("careloop.observations.migrations.0003_unmatched_source_key")
    UnmatchedResult.objects.create(
        organization=org, kind="result", record={"source_system": "HIS", "source_id": "o9", "value": "1"}
    )
    UnmatchedResult.objects.create(organization=org, kind="result", record={"value": "2"})
    migration.source_keys_from_records(apps, None)
    assert sorted(UnmatchedResult.objects.values_list("source_system", "source_id")) == [
        ("", ""),
        ("HIS", "o9"),
    ]
