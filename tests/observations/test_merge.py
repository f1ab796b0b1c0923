import datetime

import pytest
from django.db import DataError, InternalError, connection, transaction
from django.utils import timezone

from careloop.bulkinsert import column_name, concrete_field
from careloop.observations.importing.matching import match_patients, remember_identifiers
from careloop.observations.importing.merge import (
    COLUMNS,
    CONTENT,
    MERGE_COLUMNS,
    REFRESHED,
    VERSIONED,
    MergeRows,
    _latest,
    _one_per_key,
    _same,
    merge_observations,
    start_merge,
)
from careloop.observations.importing.parsed import PatientRef
from careloop.observations.importing.postgres import copy_rows
from careloop.observations.importing.postgres import merge as merge_postgres
from careloop.observations.models import Observation, ObservationVersion
from tests.factories import make_patient
from tests.observations.helpers import merge_row

row = merge_row


@pytest.fixture(params=[False, True], ids=["careful", "expect-new"])
def expect_new(request):
    """Both ways of inserting (see merge_postgres): the outcome is the same whichever is tried first."""
    return request.param


@pytest.mark.parametrize(
    ("keys", "unique", "kept"),
    [
        ([], True, []),
        ([("HIS", "r1"), ("HIS", "r2")], True, [0, 1]),
        ([("HIS", "r1"), ("HIS", "r2"), ("HIS", "r1")], False, [2, 1]),  # the last wins, in the first's place
        ([("HIS", "r1"), ("LIS", "r1")], True, [0, 1]),  # one id in two systems: two keys
        ([("HIS", "r1"), ("LIS", "r1"), ("LIS", "r1")], False, [0, 2]),
    ],
)
def test_rows_sharing_a_natural_key_are_told_and_the_last_of_them_kept(keys, unique, kept):
    rows = [row(1, source_id, 5.0 + i, source_system=system) for i, (system, source_id) in enumerate(keys)]
    assert (_one_per_key(rows) is rows) is unique
    assert _one_per_key(rows) == list(_latest(rows).values()) == [rows[i] for i in kept]


@pytest.mark.django_db
def test_second_import_of_the_same_rows_writes_nothing(org, doctor, expect_new):
    patient = make_patient(doctor)
    rows = [row(patient.pk, f"r{i}", 5.0 + i / 10) for i in range(20)]
    with transaction.atomic():
        first = merge_observations(org.pk, None, rows, expect_new=expect_new)
    assert (first.created, first.updated, first.unchanged) == (20, 0, 0)
    with transaction.atomic():
        second = merge_observations(org.pk, None, rows, expect_new=expect_new)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 20)
    assert Observation.objects.count() == 20


@pytest.mark.django_db
def test_a_corrected_value_updates_the_row_and_keeps_the_old_one(org, doctor, expect_new):
    patient = make_patient(doctor)
    merge_observations(org.pk, None, [row(patient.pk, "r1", 5.2)])
    corrected = [row(patient.pk, "r1", 7.4, status="corrected")]
    counts = merge_observations(org.pk, None, corrected, expect_new=expect_new)
    assert (counts.created, counts.updated) == (0, 1)
    obs = Observation.objects.get()
    assert (obs.value, obs.flag, obs.status, obs.version) == (7.4, "high", "corrected", 2)
    old = ObservationVersion.objects.get()
    assert (old.value, old.flag, old.version) == (5.2, "normal", 1)


@pytest.mark.django_db
def test_duplicates_inside_one_chunk_count_once_and_the_last_wins(org, doctor, expect_new):
    patient = make_patient(doctor)
    twice = [row(patient.pk, "r1", 5.0), row(patient.pk, "r1", 5.5)]
    counts = merge_observations(org.pk, None, twice, expect_new=expect_new)
    assert counts.created == 1
    assert Observation.objects.get().value == 5.5


@pytest.mark.django_db
def test_a_chunk_of_new_and_stored_keys_expected_new_is_merged_whole(org, doctor):
    """The COPY straight into the table fails on the stored key and is undone: nothing is written twice or
    lost."""
    patient = make_patient(doctor)
    merge_observations(org.pk, None, [row(patient.pk, "r1", 5.0), row(patient.pk, "r2", 5.1)])
    chunk = [row(patient.pk, "r0", 4.9), row(patient.pk, "r1", 5.0), row(patient.pk, "r2", 6.3)]
    with transaction.atomic():
        counts = merge_observations(org.pk, None, chunk, expect_new=True)
    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 1)
    stored = dict(Observation.objects.values_list("source_id", "value"))
    assert stored == {"r0": 4.9, "r1": 5.0, "r2": 6.3}
    assert list(ObservationVersion.objects.values_list("value", flat=True)) == [5.1]


@pytest.mark.django_db
def test_a_query_made_while_the_copy_is_ended_beside_waits_for_it_and_sees_the_rows(org, doctor):
    if connection.vendor != "postgresql":
        pytest.skip("the merge runs beside the caller on PostgreSQL only")
    patient = make_patient(doctor)
    rows = [row(patient.pk, f"r{i}", 5.0) for i in range(500)]
    at, now = COLUMNS.index("effective_at"), timezone.now()
    written = (org.pk, None, 1, copy_rows.copy_time(now))
    timed = [(*r[:at], copy_rows.copy_time(r[at]), *r[at + 1 :], *written) for r in rows]
    with transaction.atomic():
        pending = start_merge(org.pk, None, MergeRows.of(timed, now), expect_new=True)
        # Against the contract (wait first), but it must not break the COPY under way: it waits for it.
        assert Observation.objects.filter(organization=org).count() == 500
        assert pending.counts().created == 500
    assert Observation.objects.filter(organization=org, batch=None, version=1).count() == 500


@pytest.mark.django_db(transaction=True)
def test_a_copy_straight_into_the_table_that_fails_otherwise_raises_and_frees_the_connection(org, doctor):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores a text of any length")
    patient = make_patient(doctor)
    too_long = row(patient.pk, "r2", 5.0, code="9" * 500)
    with pytest.raises(DataError), transaction.atomic():
        merge_observations(org.pk, None, [row(patient.pk, "r1", 5.0), too_long], expect_new=True)
    with transaction.atomic():
        assert merge_observations(org.pk, None, [row(patient.pk, "r1", 5.0)], expect_new=True).created == 1
    assert list(Observation.objects.values_list("source_id", flat=True)) == ["r1"]


@pytest.mark.django_db(transaction=True)
def test_a_copy_straight_into_the_table_that_cannot_start_raises_and_frees_the_connection(org, doctor):
    if connection.vendor != "postgresql":
        pytest.skip("the merge runs beside the caller on PostgreSQL only")
    patient = make_patient(doctor)
    with pytest.raises(InternalError, match="SAVEPOINT"):  # no transaction of the caller's to undo it in
        merge_observations(org.pk, None, [row(patient.pk, "r1", 5.0)], expect_new=True)
    assert not Observation.objects.exists()


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


@pytest.mark.parametrize(
    ("stored", "new", "same"),
    [
        (5.0, 5.0 + 1e-12, True),  # a float that went through the database and back
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
    assert _same(stored, new) is same


@pytest.mark.django_db
def test_copy_data_formatted_straight_is_what_psycopgs_copy_writes(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    no_value = row(
        2, "血糖-2", 0.0, value_reported="阴性", comparator="<", report_id=7, source_digest=-(2**63)
    )
    rows = [
        row(1, "r1", 5.25),
        tuple(None if name == "value" else item for name, item in zip(COLUMNS, no_value, strict=True)),
        row(3, "r3", -0.0, unit="", flag="", reference_range_reported="", source_digest=2**63 - 1),
    ]
    at = COLUMNS.index("effective_at")
    written = (4, None, 1, copy_rows.copy_time(EAST_8_NOON))
    rows = [(*r[:at], copy_rows.copy_time(r[at]), *r[at + 1 :], *written) for r in rows]
    straight = bytes(copy_rows.copy_data(rows, MERGE_COLUMNS))
    monkeypatch.setattr(copy_rows, "_format_row_binary", None)  # psycopg's documented way
    assert straight == bytes(copy_rows.copy_data(rows, MERGE_COLUMNS))
    assert straight.startswith(b"PGCOPY\n\xff\r\n\x00") and straight.endswith(b"\xff\xff")


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


@pytest.mark.parametrize(
    ("moment", "microseconds"),
    [
        (datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC), 0),
        (datetime.datetime(2000, 1, 1, 7, 59, 59, 999_999, tzinfo=EAST_8), -1),
        (datetime.datetime(2000, 1, 2, 0, 0, 1, 5, tzinfo=datetime.UTC), 86_401_000_005),
        (datetime.datetime(1999, 12, 31, 19, 0, tzinfo=WEST_5), 0),
    ],
)
def test_copy_time_counts_microseconds_from_postgresqls_epoch(moment, microseconds):
    assert copy_rows.copy_time(moment) == microseconds


def test_every_copy_and_the_staged_insert_name_the_columns_in_the_order_of_a_merge_row():
    sql = merge_postgres._statements(MERGE_COLUMNS, CONTENT, VERSIONED, REFRESHED)
    quote = connection.ops.quote_name
    table = quote(Observation._meta.db_table)
    in_row_order = ", ".join(quote(column_name(concrete_field(Observation, name))) for name in MERGE_COLUMNS)
    assert sql.copy_into_table == f"COPY {table} ({in_row_order}) FROM STDIN (FORMAT BINARY)"
    assert sql.copy_into_staging.endswith(f" ({in_row_order}) FROM STDIN (FORMAT BINARY)")
    assert sql.insert_new_skipping_stored.startswith(
        f"INSERT INTO {table} ({in_row_order}) SELECT {in_row_order} "
    )
    assert sql.make_staging.startswith("CREATE TEMPORARY TABLE IF NOT EXISTS careloop_observation_staging_")
