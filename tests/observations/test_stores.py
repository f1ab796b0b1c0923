"""Merging rows through the store: new keys inserted, corrections versioned, the same meaning left alone."""

import datetime

import pytest
from django.db import DataError, connection, transaction

from careloop.bulkinsert import column_name, concrete_field
from careloop.observations.importing.matching import match_patients, remember_identifiers
from careloop.observations.importing.parsed import PatientRef
from careloop.observations.importing.postgres.statements import statements
from careloop.observations.importing.rows import (
    ObservationRow,
    meaning,
    one_per_key,
    same_meaning,
    same_value,
)
from careloop.observations.importing.store import merge_observations, open_store
from careloop.observations.models import Observation, ObservationVersion
from tests.factories import make_patient
from tests.observations.helpers import merge_row

NOW = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


def row(patient_id: int, source_id: str, value: float, **changes: object) -> ObservationRow:
    return ObservationRow(*merge_row(patient_id, source_id, value, **changes))


@pytest.mark.parametrize(
    ("keys", "kept"),
    [
        ([], []),
        ([("HIS", "r1"), ("HIS", "r2")], [0, 1]),
        ([("HIS", "r1"), ("HIS", "r2"), ("HIS", "r1")], [2, 1]),  # the last wins, in the first's place
        ([("HIS", "r1"), ("LIS", "r1")], [0, 1]),  # one id in two systems: two keys
        ([("HIS", "r1"), ("LIS", "r1"), ("LIS", "r1")], [0, 2]),
    ],
)
def test_rows_sharing_a_natural_key_are_told_and_the_last_of_them_kept(keys, kept):
    rows = [row(1, source_id, 5.0 + i, source_system=system) for i, (system, source_id) in enumerate(keys)]
    assert one_per_key(rows) == [rows[i] for i in kept]


@pytest.mark.django_db
def test_second_import_of_the_same_rows_writes_nothing(org, doctor):
    patient = make_patient(doctor)
    rows = [row(patient.pk, f"r{i}", 5.0 + i / 10) for i in range(20)]
    with transaction.atomic():
        first = merge_observations(org.pk, None, rows)
    assert (first.created, first.updated, first.unchanged) == (20, 0, 0)
    with transaction.atomic():
        second = merge_observations(org.pk, None, rows)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 20)
    assert Observation.objects.count() == 20


@pytest.mark.django_db
def test_a_corrected_value_updates_the_row_and_keeps_the_old_one(org, doctor):
    patient = make_patient(doctor)
    merge_observations(org.pk, None, [row(patient.pk, "r1", 5.2)])
    corrected = [row(patient.pk, "r1", 7.4, status="corrected")]
    counts = merge_observations(org.pk, None, corrected)
    assert (counts.created, counts.updated) == (0, 1)
    obs = Observation.objects.get()
    assert (obs.value, obs.flag, obs.status, obs.version) == (7.4, "high", "corrected", 2)
    old = ObservationVersion.objects.get()
    assert (old.value, old.flag, old.version) == (5.2, "normal", 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "respelt",
    [
        {"flag": "critical_high"},  # judged again today: limits changed since
        {"value_reported": "5.20"},
        {"unit_reported": "mmol/l"},
        {"reference_range_reported": "3.9 - 6.1"},
        {"source_digest": 42},
    ],
)
def test_a_row_that_means_the_same_stays_as_it_is_stored_its_flag_too(org, doctor, respelt):
    patient = make_patient(doctor)
    stored = row(patient.pk, "r1", 5.2)
    merge_observations(org.pk, None, [stored])
    counts = merge_observations(org.pk, None, [stored._replace(**respelt)])
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 1)
    observation = Observation.objects.get()
    kept = {**stored._asdict(), **({"source_digest": 42} if "source_digest" in respelt else {})}
    assert {name: getattr(observation, name) for name in ObservationRow._fields} == kept
    assert observation.version == 1
    assert not ObservationVersion.objects.exists()


@pytest.mark.parametrize(
    ("change", "same"),
    [
        ({}, True),
        ({"value": 5.2 + 1e-12}, True),  # a float that went through the database and back
        ({"flag": "critical_high"}, True),
        ({"value_reported": "5.20", "unit_reported": "mmol/l"}, True),
        ({"value": 5.3}, False),
        ({"unit": "mg/dL"}, False),
        ({"comparator": "<"}, False),
        ({"status": "corrected"}, False),
        ({"effective_at": NOW}, False),
        ({"code": "2345-7"}, False),
        ({"patient_id": 2}, False),
    ],
)
def test_what_makes_a_row_changed_is_its_meaning(change, same):
    stored = row(1, "r1", 5.2)
    assert same_meaning(meaning(stored), stored._replace(**change)) is same


@pytest.mark.parametrize(
    ("stored", "new", "same"),
    [
        (5.0, 5.0 + 1e-12, True),
        (5.0, 5.1, False),
        (None, 5.0, False),  # a value where there was none
        (5.0, None, False),
        (None, None, True),
        ("mmol/L", "mmol/L", True),
        ("mmol/L", "mg/dL", False),
        (7, 7, True),
    ],
)
def test_what_counts_as_a_changed_column(stored, new, same):
    assert same_value(stored, new) is same


@pytest.mark.django_db
def test_duplicates_inside_one_chunk_count_once_and_the_last_wins(org, doctor):
    patient = make_patient(doctor)
    twice = [row(patient.pk, "r1", 5.0), row(patient.pk, "r1", 5.5)]
    counts = merge_observations(org.pk, None, twice)
    assert counts.created == 1
    assert Observation.objects.get().value == 5.5


@pytest.mark.django_db(transaction=True)
def test_a_store_that_overlaps_commits_each_merge_before_counts_answer(org, doctor):
    patient = make_patient(doctor)
    merge_observations(org.pk, None, [row(patient.pk, "r1", 5.0), row(patient.pk, "r2", 5.1)])
    chunk = [row(patient.pk, "r0", 4.9), row(patient.pk, "r1", 5.0), row(patient.pk, "r2", 6.3)]
    with open_store(overlap=True) as store:
        counts = store.start_merge(org.pk, None, chunk, NOW).counts()
        assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 1)
        stored = dict(Observation.objects.values_list("source_id", "value"))  # on the import's connection
    assert stored == {"r0": 4.9, "r1": 5.0, "r2": 6.3}
    assert list(ObservationVersion.objects.values_list("value", flat=True)) == [5.1]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("overlap", [False, True], ids=["in-place", "overlapped"])
def test_a_look_up_of_held_lines_sees_the_merges_started_before_it(org, doctor, overlap):
    patient = make_patient(doctor)
    keys = [("LIS-A", "r0", 10), ("LIS-A", "r1", 11), ("LIS-A", "r2", 12)]
    with open_store(overlap=overlap) as store:
        assert store.look_up_held(org.pk, keys).positions() == set()
        store.start_merge(org.pk, None, [row(patient.pk, "r0", 5.0, source_digest=10)], NOW)
        merging = store.start_merge(
            org.pk, None, [row(patient.pk, "r1", 5.0, source_digest=11), row(patient.pk, "r2", 5.0)], NOW
        )
        found = store.look_up_held(org.pk, keys)  # with `overlap`, before the merge is waited for
        merging.counts()
        assert found.positions() == {0, 1}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("overlap", [False, True], ids=["in-place", "overlapped"])
def test_a_merge_that_fails_raises_djangos_error_and_the_store_goes_on(org, doctor, overlap):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores a text of any length")
    patient = make_patient(doctor)
    too_long = row(patient.pk, "r2", 5.0, code="9" * 500)
    with open_store(overlap=overlap) as store:
        # The first merge runs in place; an overlapping store merges the next ones beside the caller.
        assert store.start_merge(org.pk, None, [row(patient.pk, "r0", 5.0)], NOW).counts().created == 1
        with pytest.raises(DataError):
            store.start_merge(org.pk, None, [row(patient.pk, "r1", 5.0), too_long], NOW).counts()
        assert store.start_merge(org.pk, None, [row(patient.pk, "r1", 5.0)], NOW).counts().created == 1
    assert sorted(Observation.objects.values_list("source_id", flat=True)) == ["r0", "r1"]


@pytest.mark.django_db
def test_same_source_id_in_another_organization_is_another_result(org, other_org, doctor):
    from tests.factories import make_user

    patient = make_patient(doctor)
    other = make_patient(make_user(other_org, "doctor"))
    merge_observations(org.pk, None, [row(patient.pk, "r1", 5.0)])
    counts = merge_observations(other_org.pk, None, [row(other.pk, "r1", 5.0)])
    assert counts.created == 1


@pytest.mark.django_db
def test_patients_match_by_id_number_then_by_remembered_mrn(org, other_org, doctor):
    patient = make_patient(doctor)
    by_id = PatientRef(id_number=patient.id_number.lower(), mrn="MRN-7", mrn_system="HIS-A")
    stranger = PatientRef(id_number="110101199001011237", mrn="MRN-8", mrn_system="HIS-A")
    found = match_patients(org.pk, [by_id, stranger])
    assert found == {by_id: patient.pk}
    assert match_patients(other_org.pk, [by_id]) == {}
    remember_identifiers(org.pk, found)
    only_mrn = PatientRef(mrn="MRN-7", mrn_system="HIS-A")
    assert match_patients(org.pk, [only_mrn]) == {only_mrn: patient.pk}
    assert match_patients(org.pk, [PatientRef(mrn="MRN-7", mrn_system="HIS-B")]) == {}


@pytest.mark.django_db
def test_an_mrn_that_another_ref_of_the_same_records_brings_matches_before_it_is_stored(org, doctor):
    """A Patient line and results naming it by MRN alone, in one chunk: the MRN is not stored yet."""
    patient = make_patient(doctor)
    by_id = PatientRef(id_number=patient.id_number, mrn="MRN-7", mrn_system="HIS-A")
    only_mrn = PatientRef(mrn="MRN-7", mrn_system="HIS-A")
    other_system = PatientRef(mrn="MRN-7", mrn_system="HIS-B")
    found = match_patients(org.pk, [only_mrn, by_id, other_system])
    assert found == {by_id: patient.pk, only_mrn: patient.pk}
    assert found.by_id_number == {by_id}  # the MRN-only ref teaches nothing new


@pytest.mark.django_db
def test_a_stored_mrn_wins_over_the_same_mrn_another_ref_brings(org, doctor):
    first, second = make_patient(doctor), make_patient(doctor)
    remember_identifiers(org.pk, match_patients(org.pk, [PatientRef(first.id_number, "MRN-7", "HIS-A")]))
    only_mrn = PatientRef(mrn="MRN-7", mrn_system="HIS-A")
    found = match_patients(org.pk, [only_mrn, PatientRef(second.id_number, "MRN-7", "HIS-A")])
    assert found[only_mrn] == first.pk


EAST_8 = datetime.timezone(datetime.timedelta(hours=8))
WEST_5 = datetime.timezone(datetime.timedelta(hours=-5))
EAST_8_NOON = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=EAST_8)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),  # PostgreSQL's epoch: 0
        datetime.datetime(2000, 1, 1, 7, 59, 59, 999_999, tzinfo=EAST_8),  # a microsecond before it
        datetime.datetime(1936, 2, 29, 23, 0, tzinfo=WEST_5),
        datetime.datetime(2024, 3, 5, 8, 30, 12, 345_678, tzinfo=EAST_8),
        datetime.datetime(2099, 12, 31, 23, 59, 59, 999_999, tzinfo=datetime.UTC),
    ],
)
def test_a_time_is_stored_to_the_microsecond(org, doctor, moment):
    patient = make_patient(doctor)
    merge_observations(org.pk, None, [row(patient.pk, "r1", 5.0, effective_at=moment)])
    assert Observation.objects.get().effective_at == moment


def test_the_copies_and_the_insert_name_the_columns_in_the_order_of_a_copied_row():
    sql = statements()
    quote = connection.ops.quote_name
    table = quote(Observation._meta.db_table)
    copied = (*ObservationRow._fields, "organization", "batch", "version", "updated_at")
    in_row_order = ", ".join(quote(column_name(concrete_field(Observation, name))) for name in copied)
    assert sql.copy_into_table == f"COPY {table} ({in_row_order}) FROM STDIN (FORMAT BINARY)"
    assert sql.copy_into_staging.endswith(f" ({in_row_order}) FROM STDIN (FORMAT BINARY)")
    assert sql.insert_new.startswith(f"INSERT INTO {table} ({in_row_order}) SELECT {in_row_order} FROM ")
    assert sql.create_staging.startswith("CREATE TEMPORARY TABLE IF NOT EXISTS careloop_observation_staging_")
