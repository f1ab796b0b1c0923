import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careloop.accounts.models import AuditEntry, Organization
from careloop.patients.cardnumbers import card_number, is_valid_card_number
from careloop.patients.identity import fill_derived_fields
from careloop.patients.membership.actions import CARD_SEQUENCE
from careloop.patients.models import (
    CardSequence,
    Condition,
    Encounter,
    Lifestyle,
    MembershipCard,
    Patient,
    PatientTag,
    Tag,
)
from careloop.patients.search import search
from tests.factories import make_user

TODAY = "2026-11-24"


def seed(*extra, patients=60, organization="clinic"):
    call_command(
        "seed",
        "--patients",
        str(patients),
        "--years",
        "3",
        "--seed",
        "11",
        "--organization",
        organization,
        "--today",
        TODAY,
        *extra,
        verbosity=0,
    )
    return Organization.objects.get(code=organization)


@pytest.mark.django_db
def test_seed_makes_the_organization_with_departments_doctors_and_patients_with_records():
    org = seed()
    assert set(org.departments.values_list("name", flat=True)) == {"全科", "心内科", "内分泌科", "慢病管理科"}
    assert org.staff.filter(role="doctor").count() == 2
    patients = Patient.objects.filter(organization=org)
    assert patients.count() == 60
    assert Lifestyle.objects.filter(patient__organization=org).count() == 60
    assert Condition.objects.filter(patient__organization=org).count() > 30
    assert Encounter.objects.filter(patient__organization=org).count() > 200
    assert not patients.filter(responsible_doctor=None).exists()
    assert not patients.filter(department=None).exists()
    assert patients.filter(created_at__date__lt=datetime.date(2026, 11, 24)).count() == 60


@pytest.mark.django_db
def test_derived_columns_are_what_registration_would_fill_and_identifiers_are_encrypted_at_rest():
    org = seed()
    for patient in Patient.objects.filter(organization=org)[:20]:
        stored = (patient.name_initials, patient.name_pinyin, patient.id_number_index, patient.mobile_last4)
        fill_derived_fields(patient)
        assert stored == (
            patient.name_initials,
            patient.name_pinyin,
            patient.id_number_index,
            patient.mobile_last4,
        )
        assert patient.name_initials and patient.id_number_index
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, mobile FROM patients_patient WHERE mobile <> '' LIMIT 5")
        for id_number, mobile in cursor.fetchall():
            assert id_number.startswith("enc1:") and mobile.startswith("enc1:")


@pytest.mark.django_db
def test_tags_come_from_conditions_and_age_with_their_source():
    org = seed()
    names = set(Tag.objects.filter(organization=org).values_list("name", flat=True))
    assert {"高血压", "高脂血症"} <= names
    hypertensive = Patient.objects.filter(organization=org, conditions__icd10_code="I10")
    tagged = Patient.objects.filter(organization=org, patient_tags__tag__name="高血压")
    assert set(hypertensive) == set(tagged)
    assert set(PatientTag.objects.values_list("source", flat=True)) <= {"import", "manual"}


@pytest.mark.django_db
def test_cards_use_the_shared_sequence_so_a_card_issued_later_does_not_collide():
    org = seed()
    numbers = set(MembershipCard.objects.filter(organization=org).values_list("number", flat=True))
    assert 5 < len(numbers) < 30
    assert all(is_valid_card_number(n) for n in numbers)
    next_value = CardSequence.objects.get(name=CARD_SEQUENCE).next_value
    assert next_value == len(numbers) + 1
    assert card_number(next_value) not in numbers


@pytest.mark.django_db
def test_one_audit_entry_records_the_seed_run_without_identifiers():
    org = seed()
    entries = AuditEntry.objects.filter(organization=org)
    assert list(entries.values_list("action", flat=True)) == ["patients.seed"]
    assert entries.get().detail["patients"] == 60
    assert entries.get().object_type == "Organization"


@pytest.mark.django_db
def test_seeding_an_organization_that_has_patients_is_refused_and_writes_nothing():
    seed()
    with pytest.raises(CommandError, match=r"already has 60 patients.*--append"):
        seed()
    assert Patient.objects.count() == 60
    assert AuditEntry.objects.filter(action="patients.seed").count() == 1


@pytest.mark.django_db
def test_append_adds_new_patients_and_skips_the_ones_already_there():
    org = seed()
    seed("--append")  # the same seed again: every ID number is already there
    assert Patient.objects.filter(organization=org).count() == 60
    call_command(
        "seed", "--patients", "10", "--seed", "99", "--organization", "clinic", "--append", verbosity=0
    )
    assert Patient.objects.filter(organization=org).count() == 70


@pytest.mark.django_db
def test_search_by_pinyin_initials_and_by_id_number_finds_seeded_patients(logged_in):
    org = seed()
    patient = Patient.objects.filter(organization=org).order_by("pk")[5]
    in_org = Patient.objects.filter(organization=org)
    found, kind = search(in_org, patient.name_initials)
    assert kind == "pinyin" and patient in found
    found, kind = search(in_org, patient.id_number)
    assert kind == "id_number" and list(found) == [patient]
    page = logged_in(make_user(org, "doctor")).post(
        reverse("patients:list"), {"q": patient.name_initials}, follow=True
    )
    assert patient.name in page.content.decode()


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_number_of_patients():
    seed(
        patients=5, organization="warm-up"
    )  # makes the rows shared by all organizations (card sequence, ...)
    counts = []
    for size, code in [(20, "small"), (80, "large")]:
        with CaptureQueriesContext(connection) as queries:
            seed(patients=size, organization=code)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] < 60


@pytest.mark.django_db
def test_bad_sizes_are_refused_with_a_message():
    with pytest.raises(CommandError, match="at least 1"):
        seed(patients=0)
