"""Imports in several chunks: what one chunk learns reaches the next; merges that overlap the next chunk."""

import threading
from typing import Any

import orjson
import pytest
from django.db import connection, connections

from careloop.observations.importing import overlap, pipeline
from careloop.observations.importing.chunk import match_chunk
from careloop.observations.importing.merge import merge_observations
from careloop.observations.models import ImportBatch, Observation, ObservationVersion, UnmatchedResult
from careloop.observations.sources.fhir import iter_ndjson
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


@pytest.mark.django_db
def test_a_database_error_in_the_merge_reaches_the_caller_as_djangos(org, doctor, monkeypatch):
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        pytest.skip("the merge runs beside the caller on PostgreSQL only")
    import psycopg

    from careloop.observations.importing.postgres import merge as merge_postgres

    def failing(*args, **kwargs):
        raise psycopg.errors.DiskFull("could not extend file")

    monkeypatch.setattr(merge_postgres, "_merge_staged", failing)
    patient = make_patient(doctor)
    with pytest.raises(DatabaseError, match="could not extend file"):
        merge_observations(org.pk, None, [merge_row(patient.pk, "r1", 5.0)])


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("mode", "during"), [("keep_good", "off"), ("all_or_nothing", "on")])
def test_only_the_steps_of_a_keep_good_import_commit_without_waiting_for_the_flush(org, doctor, mode, during):
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    patient = make_patient(doctor)
    seen: list[str] = []

    def chunks():
        for chunk in iter_ndjson(feed(patient.id_number), "HIS", chunk_size=2):
            seen.append(synchronous_commit())  # parsed inside a step's transaction
            yield chunk

    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson", mode=mode)
    batch, problems = pipeline.run_import(batch, chunks())
    assert problems == [] and batch.created == 4
    assert during in seen[1:]  # the first chunk is parsed before the first step
    assert synchronous_commit() == "on"  # the setting ended with the step; the last commit waited


@pytest.fixture
def readers(monkeypatch):
    """Per chunk matched: whether it was read on the second connection, beside the merge."""
    seen: list[bool] = []

    def spying(*args, **kwargs):
        seen.append(args[5] is not None if len(args) > 5 else kwargs.get("reader") is not None)
        return match_chunk(*args, **kwargs)

    monkeypatch.setattr(overlap, "match_chunk", spying)
    return seen


def patient_with_mrn(key: str, id_number: str, mrn: str) -> bytes:
    identifiers = [
        {"system": "urn:oid:1.2.156.112604.1.2.1", "value": id_number},
        {"system": MRN_SYSTEM, "value": mrn, "type": {"coding": [{"code": "MR"}]}},
    ]
    return orjson.dumps({"resourceType": "Patient", "id": key, "identifier": identifiers})


@pytest.mark.django_db(transaction=True)
def test_patients_are_read_beside_the_merge_and_see_what_the_steps_before_committed(
    org, doctor, readers, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("the merge runs beside the caller on PostgreSQL only")
    first, second = make_patient(doctor), make_patient(doctor, name="李四")

    def by_mrn(mrn: str) -> dict[str, Any]:
        return {"identifier": {"system": MRN_SYSTEM, "value": mrn}}

    # Chunk 1 (read on the import's connection: no merge yet) learns M-1. Chunk 2 is read beside chunk 1's
    # merge and must see M-1 committed; it learns M-2 (a write: finished after the merge). Chunk 3 is read
    # beside chunk 2's merge and must see M-2.
    lines = [
        patient_with_mrn("p1", first.id_number, "M-1"),
        observation(1, {"reference": "Patient/p1"}),
        patient_with_mrn("p2", second.id_number, "M-2"),
        observation(2, by_mrn("M-1"), 9.9),
        observation(3, by_mrn("M-2")),
        observation(4, by_mrn("M-1")),
    ]
    opened = []  # the connections made, not those only named (a thread's own, never used, is named)
    create = connections.create_connection

    def creating(alias):
        wrapper = create(alias)
        connect = wrapper.connect

        def connecting():
            opened.append(wrapper)
            connect()

        monkeypatch.setattr(wrapper, "connect", connecting)
        return wrapper

    monkeypatch.setattr(connections, "create_connection", creating)
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson")
    batch, problems = pipeline.run_import(batch, iter_ndjson(b"\n".join(lines), "HIS", chunk_size=2))

    assert problems == []
    assert (batch.status, batch.created, batch.unmatched) == ("done", 4, 0)
    assert readers == [True, True]  # chunks 2 and 3 (chunk 1 went through look_up)
    assert sorted(Observation.objects.filter(patient=first).values_list("source_id", flat=True)) == [
        "o1",
        "o2",
        "o4",
    ]
    assert list(Observation.objects.filter(patient=second).values_list("source_id", flat=True)) == ["o3"]
    assert Observation.objects.get(source_id="o2").flag == "high"
    assert len(opened) == 1 and opened[0].connection is None  # one second connection, closed at the end


@pytest.mark.django_db(transaction=True)
def test_a_single_chunk_opens_no_second_connection(org, doctor, readers, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(connections, "create_connection", lambda alias: opened.append(alias))
    patient = make_patient(doctor)
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson")
    lines = feed(patient.id_number).split(b"\n")[:3]  # the Patient and two results naming it
    batch, problems = pipeline.run_import(batch, iter_ndjson(b"\n".join(lines), "HIS"))
    assert problems == [] and batch.created == 2
    assert (opened, readers) == ([], [])


@pytest.mark.django_db(transaction=True)
def test_the_reader_reads_in_a_thread_of_its_own_on_one_second_connection_and_closes_it_there():
    reader = overlap._Reader()
    reader.close()  # never used: nothing was opened, nothing to close

    def where(number, reading):
        if reading.vendor == "postgresql":  # (SQLite's test database lives in the first connection's memory)
            reading.ensure_connection()
        return number, threading.current_thread().name, reading

    reader = overlap._Reader()
    seen = [reader.submit(where, number).result() for number in (1, 2)]
    assert [number for number, _, _ in seen] == [1, 2]
    assert {name.split("_")[0] for _, name, _ in seen} == {"careloop-read"}
    first, second = (reading for _, _, reading in seen)
    assert first is second and first is not connections["default"]  # one second connection
    reader.close()
    assert first.connection is None
    with pytest.raises(RuntimeError):  # its thread is gone with it
        reader.submit(where, 3)
