"""Imports in several chunks: what one chunk learns reaches the next; merges that overlap the next chunk."""

from typing import Any

import orjson
import pytest
from django.db import connection, connections

from careloop.observations.importing import chunk as chunk_steps
from careloop.observations.importing import pipeline
from careloop.observations.importing.postgres import store as postgres_store
from careloop.observations.importing.rows import ObservationRow
from careloop.observations.importing.store import merge_observations
from careloop.observations.models import ImportBatch, Observation, ObservationVersion, UnmatchedResult
from careloop.observations.sources.fhir import iter_ndjson
from tests.factories import make_patient
from tests.observations.helpers import merge_row as merge_tuple

MRN_SYSTEM = "http://his.example.cn/mrn"


def merge_row(patient_id: int, source_id: str, value: float) -> ObservationRow:
    return ObservationRow(*merge_tuple(patient_id, source_id, value))


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
def test_results_naming_a_patient_by_the_mrn_its_patient_line_brings_in_the_same_chunk_are_matched(
    org, doctor
):
    patient = make_patient(doctor)
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson")
    batch, problems = pipeline.run_import(batch, iter_ndjson(feed(patient.id_number), "HIS"))
    assert problems == []
    assert (batch.created, batch.unmatched) == (4, 0)
    assert Observation.objects.filter(patient=patient).count() == 4


@pytest.mark.django_db
def test_a_chunk_that_looks_new_but_meets_a_stored_key_late_is_still_merged(org, doctor):
    """Key 90 of a chunk that starts with new keys is stored already: it is versioned, the rest inserted."""
    patient = make_patient(doctor)
    merge_observations(org.pk, None, [merge_row(patient.pk, "r90", 5.0)])
    counts = merge_observations(org.pk, None, [merge_row(patient.pk, f"r{n}", 5.5) for n in range(100)])
    assert (counts.created, counts.updated, counts.unchanged) == (99, 1, 0)
    assert Observation.objects.filter(organization=org).count() == 100
    assert ObservationVersion.objects.get().value == 5.0


def results(first: int, count: int) -> list[bytes]:
    return [observation(n, {"reference": "Patient/p1"}) for n in range(first, first + count)]


def patient_line(id_number: str) -> bytes:
    return feed(id_number).splitlines()[0]


@pytest.mark.django_db(transaction=True)
def test_a_source_that_breaks_keeps_the_chunks_read_before_it_and_is_closed(org, doctor):
    """keep_good: each chunk before the break is committed; the source's clean-up runs."""
    patient = make_patient(doctor)
    lines = [patient_line(patient.id_number), *results(1, 4)]
    closed = []

    def chunks():
        try:
            yield from iter_ndjson(b"\n".join(lines), "HIS", chunk_size=2)
            raise OSError("the file went away at line 6")
        finally:
            closed.append(True)

    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson")
    with pytest.raises(OSError, match="line 6"):
        pipeline.run_import(batch, chunks())
    assert closed == [True]
    assert Observation.objects.filter(patient=patient).count() == 4
    batch.refresh_from_db()
    assert batch.created == 4
    # The connection is usable again: nothing was left half-way in the merge's thread.
    assert Observation.objects.filter(patient=patient, source_id="o1").exists()


@pytest.mark.django_db(transaction=True)
def test_all_or_nothing_rolls_back_chunks_already_merged(org, doctor):
    """A refusal in the last chunk undoes the rows that earlier chunks merged in the same transaction."""
    patient = make_patient(doctor)
    broken = observation(9, {"reference": "Patient/p1"}, value=1200.0)  # implausible cholesterol
    lines = [patient_line(patient.id_number), *results(1, 4), broken]
    batch = ImportBatch.objects.create(
        organization=org, kind="fhir", filename="feed.ndjson", mode="all_or_nothing"
    )
    batch, problems = pipeline.run_import(batch, iter_ndjson(b"\n".join(lines), "HIS", chunk_size=2))
    assert batch.status == "refused"
    assert [p.location for p in problems] == ["line 6"]
    assert not Observation.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("chunk_size", [10, 2], ids=["in-place", "overlapped"])
def test_a_database_error_in_the_merge_reaches_the_caller_as_djangos(org, doctor, monkeypatch, chunk_size):
    from django.db import DatabaseError

    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL store's merge")
    import psycopg

    merge = postgres_store._Merge.__call__
    merged: list[int] = []

    def failing_second(*args, **kwargs):
        merged.append(1)
        if len(merged) == 2 or chunk_size == 10:
            raise psycopg.errors.DiskFull("could not extend file")
        return merge(*args, **kwargs)

    monkeypatch.setattr(postgres_store._Merge, "__call__", failing_second)
    patient = make_patient(doctor)
    lines = [patient_line(patient.id_number), *results(1, 4)]
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson")
    with pytest.raises(DatabaseError, match="could not extend file"):
        pipeline.run_import(batch, iter_ndjson(b"\n".join(lines), "HIS", chunk_size=chunk_size))
    # The connection is usable again.
    assert Observation.objects.filter(patient=patient).count() == (0 if chunk_size == 10 else 1)


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("mode", "during"), [("keep_good", "off"), ("all_or_nothing", "on")])
def test_only_the_steps_of_a_keep_good_import_commit_without_waiting_for_the_flush(
    org, doctor, mode, during, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    patient = make_patient(doctor)
    seen: list[str] = []
    prepare = chunk_steps.prepare_chunk

    def preparing(*args, **kwargs):
        seen.append(synchronous_commit())  # inside a step's transaction
        return prepare(*args, **kwargs)

    monkeypatch.setattr("careloop.observations.importing.pipeline.prepare_chunk", preparing)
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson", mode=mode)
    batch, problems = pipeline.run_import(batch, iter_ndjson(feed(patient.id_number), "HIS", chunk_size=2))
    assert problems == [] and batch.created == 4
    assert set(seen) == {during}
    assert synchronous_commit() == "on"  # the setting ended with the step; the last commit waited


def patient_with_mrn(key: str, id_number: str, mrn: str) -> bytes:
    identifiers = [
        {"system": "urn:oid:1.2.156.112604.1.2.1", "value": id_number},
        {"system": MRN_SYSTEM, "value": mrn, "type": {"coding": [{"code": "MR"}]}},
    ]
    return orjson.dumps({"resourceType": "Patient", "id": key, "identifier": identifiers})


@pytest.fixture
def opened(monkeypatch) -> list[Any]:
    """The second connections made and connected (not those only named)."""
    made: list[Any] = []
    create = connections.create_connection

    def creating(alias):
        wrapper = create(alias)
        connect = wrapper.connect

        def connecting():
            made.append(wrapper)
            connect()

        monkeypatch.setattr(wrapper, "connect", connecting)
        return wrapper

    monkeypatch.setattr(connections, "create_connection", creating)
    return made


@pytest.mark.django_db(transaction=True)
def test_chunks_merged_beside_the_next_see_what_the_steps_before_learnt(org, doctor, opened):
    first, second = make_patient(doctor), make_patient(doctor, name="李四")

    def by_mrn(mrn: str) -> dict[str, Any]:
        return {"identifier": {"system": MRN_SYSTEM, "value": mrn}}

    # Chunk 1 learns M-1 and is merged in place; chunk 2 is prepared while nothing merges, learns M-2 and
    # is merged beside chunk 3, which names both patients by the MRNs learnt before it.
    lines = [
        patient_with_mrn("p1", first.id_number, "M-1"),
        observation(1, {"reference": "Patient/p1"}),
        patient_with_mrn("p2", second.id_number, "M-2"),
        observation(2, by_mrn("M-1"), 9.9),
        observation(3, by_mrn("M-2")),
        observation(4, by_mrn("M-1")),
    ]
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson")
    batch, problems = pipeline.run_import(batch, iter_ndjson(b"\n".join(lines), "HIS", chunk_size=2))

    assert problems == []
    assert (batch.status, batch.created, batch.unmatched) == ("done", 4, 0)
    assert sorted(Observation.objects.filter(patient=first).values_list("source_id", flat=True)) == [
        "o1",
        "o2",
        "o4",
    ]
    assert list(Observation.objects.filter(patient=second).values_list("source_id", flat=True)) == ["o3"]
    assert Observation.objects.get(source_id="o2").flag == "high"
    if connection.vendor == "postgresql":
        assert len(opened) == 1 and opened[0].connection is None  # one second connection, closed at the end


@pytest.mark.django_db(transaction=True)
def test_a_single_chunk_opens_no_second_connection(org, doctor, opened):
    patient = make_patient(doctor)
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson")
    lines = feed(patient.id_number).split(b"\n")[:3]  # the Patient and two results naming it
    batch, problems = pipeline.run_import(batch, iter_ndjson(b"\n".join(lines), "HIS"))
    assert problems == [] and batch.created == 2
    assert opened == []
