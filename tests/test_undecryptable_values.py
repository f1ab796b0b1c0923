"""One stored identifier that no key opens (a key dropped too early, a corrupt row) never breaks a page.

It reads as a marker shown as "cannot be decrypted", a warning without the value is logged, and saving
the row writes back the ciphertext that was there, never the marker.
"""

import copy
import logging
import pickle

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.urls import reverse
from django.utils import translation

from careloop.fieldcrypto import UNDECRYPTABLE_TEXT, FieldCipher, Undecryptable
from careloop.observations.models import UnmatchedResult
from careloop.patients.models import FamilyLink, Patient
from tests.factories import make_patient

OTHER_KEY = Fernet.generate_key().decode()
UNDER_ANOTHER_KEY = FieldCipher([OTHER_KEY], "i" * 32).encrypt("13812345678")
CORRUPT = "enc1:gAAAAABnot-a-token"
CANNOT = "cannot be decrypted"


def cannot_in(language: str) -> str:
    with translation.override(language):
        return translation.gettext(CANNOT)


def store_raw(model, pk: int, column: str, value: str) -> None:
    """Write a column as stored, past the field's encryption: what a bad key or a damaged row leaves."""
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(model._meta.db_table)
        cursor.execute(
            f"UPDATE {table} SET {connection.ops.quote_name(column)} = %s WHERE id = %s", [value, pk]
        )


def read_raw(model, pk: int, column: str) -> str:
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(model._meta.db_table)
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


@pytest.mark.parametrize("stored", [UNDER_ANOTHER_KEY, CORRUPT, "enc1:", "not encrypted at all"])
def test_a_value_no_key_opens_reads_as_the_marker_keeping_its_ciphertext(stored):
    value = FieldCipher([Fernet.generate_key().decode()], "i" * 32).read(stored)
    assert isinstance(value, Undecryptable)
    assert value == UNDECRYPTABLE_TEXT and value.stored == stored
    for duplicate in (copy.copy(value), copy.deepcopy(value), pickle.loads(pickle.dumps(value))):
        assert isinstance(duplicate, Undecryptable) and duplicate.stored == stored


def test_a_value_a_key_opens_reads_as_plain_text():
    cipher = FieldCipher([OTHER_KEY], "i" * 32)
    value = cipher.read(UNDER_ANOTHER_KEY)
    assert value == "13812345678" and not isinstance(value, Undecryptable)


@pytest.fixture
def damaged(doctor):
    """A patient whose ID number is under a key no longer configured and whose mobile is corrupt."""
    patient = make_patient(doctor, name="钱多多")
    make_patient(doctor, name="孙丽")
    store_raw(Patient, patient.pk, "id_number", UNDER_ANOTHER_KEY)
    store_raw(Patient, patient.pk, "mobile", CORRUPT)
    return patient


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_patient_list_and_page_show_the_marker_instead_of_failing(logged_in, doctor, damaged, language):
    client = logged_in(doctor)
    listing = client.get(reverse("patients:list"), HTTP_ACCEPT_LANGUAGE=language)
    assert listing.status_code == 200
    assert "孙丽" in listing.content.decode()
    assert cannot_in(language) in listing.content.decode()
    page = client.get(reverse("patients:detail", args=[damaged.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count(cannot_in(language)) >= 2  # the ID number and the mobile
    assert UNDER_ANOTHER_KEY not in html and CORRUPT not in html and UNDECRYPTABLE_TEXT not in html
    edit = client.get(reverse("patients:edit", args=[damaged.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert edit.status_code == 200 and cannot_in(language) in edit.content.decode()


@pytest.mark.django_db
def test_revealing_it_shows_the_marker_never_the_ciphertext(logged_in, doctor, damaged):
    response = logged_in(doctor).post(reverse("patients:reveal", args=[damaged.pk, "id_number"]))
    assert response.status_code == 200
    assert cannot_in("zh-hans") in response.content.decode()
    assert UNDER_ANOTHER_KEY not in response.content.decode()


@pytest.mark.django_db
def test_reading_it_logs_a_warning_without_the_value(damaged, caplog):
    with caplog.at_level(logging.WARNING, logger="careloop.encryption"):
        Patient.objects.get(pk=damaged.pk)
    messages = [record.getMessage() for record in caplog.records]
    assert any("patients.Patient.id_number" in m for m in messages), messages
    assert any("patients.Patient.mobile" in m for m in messages), messages
    assert not any(UNDER_ANOTHER_KEY in m or CORRUPT in m for m in messages)


@pytest.mark.django_db
def test_saving_the_patient_keeps_the_stored_ciphertext(logged_in, doctor, damaged):
    before = Patient.objects.values("id_number_index", "mobile_index", "mobile_last4").get(pk=damaged.pk)
    data = {
        "name": "钱多多",
        "sex": "male",
        "birth_date": "1960-05-17",
        "id_type": "resident",
        "id_number": "",  # empty keeps the stored number
        "mobile": "",
        "address": "新地址",
    }
    response = logged_in(doctor).post(reverse("patients:edit", args=[damaged.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Patient.objects.get(pk=damaged.pk).address == "新地址"
    assert read_raw(Patient, damaged.pk, "id_number") == UNDER_ANOTHER_KEY
    assert read_raw(Patient, damaged.pk, "mobile") == CORRUPT
    after = Patient.objects.values("id_number_index", "mobile_index", "mobile_last4").get(pk=damaged.pk)
    assert after == before  # still found by the number it was registered with


@pytest.mark.django_db
def test_a_family_member_with_an_undecryptable_mobile_is_shown_and_kept(logged_in, doctor, patient):
    link = FamilyLink.objects.create(
        patient=patient, related_name="张大", related_mobile="13900001111", relationship="child"
    )
    store_raw(FamilyLink, link.pk, "related_mobile", CORRUPT)
    client = logged_in(doctor)
    tab = client.get(reverse("patients:tab", args=[patient.pk, "family"]))
    assert tab.status_code == 200 and cannot_in("zh-hans") in tab.content.decode()
    url = reverse("patients:family_edit", args=[patient.pk, link.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"related_name": "张大", "related_mobile": "", "relationship": "spouse"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert FamilyLink.objects.get(pk=link.pk).relationship == "spouse"
    assert read_raw(FamilyLink, link.pk, "related_mobile") == CORRUPT


@pytest.mark.django_db
def test_the_unmatched_list_shows_a_parked_result_whose_identifier_cannot_be_read(logged_in, org, nurse):
    item = UnmatchedResult.objects.create(
        organization=org, patient_name="钱朵朵", record={}, patient_id_number="x"
    )
    store_raw(UnmatchedResult, item.pk, "patient_id_number", CORRUPT)
    response = logged_in(nurse).get(reverse("observations:unmatched"))
    assert response.status_code == 200
    assert cannot_in("zh-hans") in response.content.decode()
