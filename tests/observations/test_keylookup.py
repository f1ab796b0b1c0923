"""Looking rows up by many keys at once: keys that need quoting in an array literal, and the match memo."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.observations.importing.keylookup import IN_LISTS, KeyLookup
from careloop.observations.importing.matching import match_patients
from careloop.observations.importing.parsed import PatientRef
from careloop.observations.importing.postgres.keylookup import bigint_array, text_array
from careloop.observations.importing.store import open_store
from careloop.observations.models import PatientIdentifier
from careloop.patients.models import Patient
from tests.factories import make_patient

AWKWARD = ["plain", "with,comma", 'with"quote', "back\\slash", "{braces}", "NULL", " spaced ", "中文号"]


def store_lookup() -> KeyLookup:
    """The lookup of the store for the database under test (on PostgreSQL, by arrays)."""
    with open_store() as store:
        return store.lookup


@pytest.fixture(params=["store", "in_lists"])
def lookup(request) -> KeyLookup:
    return store_lookup() if request.param == "store" else IN_LISTS


@pytest.mark.django_db
def test_keys_that_need_quoting_find_exactly_their_rows(org, doctor, lookup):
    patient = make_patient(doctor)
    PatientIdentifier.objects.bulk_create(
        PatientIdentifier(organization=org, patient=patient, system="HIS", value=value)
        for value in [*AWKWARD, "not-asked"]
    )
    found = []
    for keys in lookup.filters("value", AWKWARD):
        queryset = PatientIdentifier.objects.filter(organization=org, **keys).values_list(
            "value", "patient_id"
        )
        found += lookup.rows(queryset)
    assert sorted(found) == sorted((value, patient.pk) for value in AWKWARD)


@pytest.mark.django_db
def test_integer_keys(org, doctor, lookup):
    patients = [make_patient(doctor) for _ in range(3)]
    wanted = [patients[0].pk, patients[2].pk]
    found = []
    for keys in lookup.filters("id", wanted):
        found += lookup.rows(Patient.objects.filter(**keys).values_list("id", "sex"))
    assert sorted(pk for pk, _sex in found) == sorted(wanted)


@pytest.mark.django_db
def test_many_keys_are_looked_up_in_few_queries_and_none_in_none(org, doctor, lookup):
    patient = make_patient(doctor)
    wanted = [patient.pk, *range(10**9, 10**9 + 2000)]  # 2001 keys: IN lists of 900 take 3 queries
    with CaptureQueriesContext(connection) as queries:
        found = [
            row
            for keys in lookup.filters("id", wanted)
            for row in lookup.rows(Patient.objects.filter(**keys).values_list("id"))
        ]
        assert [
            row
            for keys in lookup.filters("id", [])
            for row in lookup.rows(Patient.objects.filter(**keys).values_list("id"))
        ] == []
    assert found == [(patient.pk,)]
    assert len(queries) <= 3


@pytest.mark.django_db
def test_refs_matched_in_an_earlier_chunk_are_not_looked_up_again(org, doctor):
    patient = make_patient(doctor)
    PatientIdentifier.objects.create(organization=org, patient=patient, system="HIS", value="MRN-1")
    ref = PatientRef(mrn="MRN-1", mrn_system="HIS")
    known: dict[PatientRef, int] = {}
    assert match_patients(org.pk, [ref], known) == {ref: patient.pk}
    assert known == {ref: patient.pk}
    with CaptureQueriesContext(connection) as queries:
        again = match_patients(org.pk, [ref], known)
    assert again == {ref: patient.pk}
    assert again.by_id_number == set()  # already remembered: not stored a second time
    assert len(queries) == 0


@pytest.mark.parametrize(
    ("keys", "literal"),
    [
        ([], "{}"),
        (["plain"], '{"plain"}'),
        (["a", "b,c", " d "], '{"a","b,c"," d "}'),  # every element quoted: commas and spaces stay inside
        (["NULL", "{x}"], '{"NULL","{x}"}'),  # quoted, NULL is the text, braces are not a nested array
        (['say "hi"', "back\\slash"], '{"say \\"hi\\"","back\\\\slash"}'),
        (["中文号"], '{"中文号"}'),
    ],
)
def test_text_array_literals_quote_every_key_and_escape_quotes_and_backslashes(keys, literal):
    assert text_array(keys) == literal


@pytest.mark.parametrize(
    ("numbers", "literal"), [([], "{}"), ([7], "{7}"), ([1, -2, 2**63 - 1], "{1,-2,9223372036854775807}")]
)
def test_bigint_array_literals(numbers, literal):
    assert bigint_array(numbers) == literal
