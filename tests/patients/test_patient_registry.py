"""Registering and finding patients: identifiers checked, encrypted at rest, searchable by blind index."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careloop.accounts.models import AuditEntry, Department
from careloop.patients.cardnumbers import card_number
from careloop.patients.models import MembershipCard, Patient, PatientTag, Tag
from tests.factories import make_patient, make_user, resident_id

ID_NUMBER = "11010519491231002X"  # GB 11643's own example: born 1949-12-31, female
MOBILE = "13812345678"


@pytest.fixture
def en_client():
    return Client(headers={"Accept-Language": "en"})


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "张三",
        "sex": "female",
        "birth_date": "",
        "id_type": "resident",
        "id_number": ID_NUMBER,
        "mobile": MOBILE,
        "address": "北京市东城区",
    }
    return {**data, **overrides}


def register(client, **overrides):
    return client.post(reverse("patients:register"), form_data(**overrides))


def errors_of(response) -> dict[str, list[str]]:
    assert response.status_code == 200, "expected the form back with errors"
    return {field: [str(e) for e in errors] for field, errors in response.context["form"].errors.items()}


def raw_row(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, mobile FROM patients_patient WHERE id = %s", [pk])
        row: tuple[str, str] = cursor.fetchone()
    return row


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"id_number": "110105194912310021"}, "id_number", "The check digit of the ID number is wrong"),
        ({"id_number": "11010519491231002"}, "id_number", "must have 18 characters; it has 17"),
        ({"id_number": "11010119990230001X"}, "id_number", "(19990230) is not a real date"),
        ({"mobile": "138123456789"}, "mobile", "must have 11 digits; it has 12"),
        ({"mobile": "12812345678"}, "mobile", "starts with 13 to 19"),
        (
            {"birth_date": "1950-01-01"},
            "birth_date",
            "Does not match the birth date in the ID number (1949-12-31)",
        ),
        ({"sex": "male"}, "sex", "Does not match the sex encoded in the ID number"),
        ({"id_number": "", "birth_date": ""}, "birth_date", "Enter the birth date, or a resident ID number"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(
    en_client, receptionist, overrides, field, message
):
    en_client.force_login(receptionist)
    errors = errors_of(register(en_client, **overrides))
    assert any(message in text for text in errors[field]), errors
    assert not Patient.objects.exists()
    assert not AuditEntry.objects.filter(action="patient.create").exists()


@pytest.mark.django_db
def test_wrong_check_digit_message_does_not_reveal_the_expected_digit(en_client, receptionist):
    en_client.force_login(receptionist)
    errors = errors_of(register(en_client, id_number="110105194912310021"))
    assert "X" not in " ".join(errors["id_number"])


@pytest.mark.django_db
def test_valid_registration_is_saved_with_identifiers_encrypted_at_rest(en_client, receptionist):
    en_client.force_login(receptionist)
    response = register(en_client, id_number="11010519491231002x", mobile="+86 138 1234 5678")
    patient = Patient.objects.get()
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    assert (patient.id_number, patient.mobile) == (ID_NUMBER, MOBILE)  # normalized
    assert patient.birth_date == datetime.date(1949, 12, 31)  # filled from the ID number
    assert (patient.name_initials, patient.mobile_last4) == ("zs", "5678")
    stored_id, stored_mobile = raw_row(patient.pk)
    assert stored_id.startswith("enc1:") and stored_mobile.startswith("enc1:")
    for stored in (stored_id, stored_mobile):
        assert ID_NUMBER not in stored and MOBILE not in stored and "19491231" not in stored
    assert ID_NUMBER not in patient.id_number_index and MOBILE not in patient.mobile_index
    entry = AuditEntry.objects.get(action="patient.create")
    assert (entry.patient_id, entry.actor_id) == (patient.pk, receptionist.pk)


@pytest.mark.django_db
def test_duplicate_id_number_is_refused(en_client, receptionist):
    en_client.force_login(receptionist)
    register(en_client)
    errors = errors_of(register(en_client, name="张三丰", id_number=ID_NUMBER.lower(), mobile="13900000000"))
    assert errors["id_number"] == ["A patient with this ID number is already registered."]
    assert Patient.objects.count() == 1


@pytest.mark.django_db
def test_same_id_number_may_be_registered_in_another_organization(en_client, receptionist, other_org):
    make_patient(
        make_user(other_org, "receptionist"), id_number=ID_NUMBER, birth_date=datetime.date(1949, 12, 31)
    )
    en_client.force_login(receptionist)
    assert register(en_client).status_code == 302


@pytest.fixture
def registry(doctor):
    """Three patients of one organization, one with a membership card."""
    zhang = make_patient(
        doctor, name="张三", mobile=MOBILE, id_number=ID_NUMBER, birth_date=datetime.date(1949, 12, 31)
    )
    li = make_patient(doctor, name="李四", mobile="13900005678")
    wang = make_patient(doctor, name="王五", mobile="13700001234")
    MembershipCard.objects.create(organization=doctor.organization, patient=wang, number=card_number(777))
    return {"zhang": zhang, "li": li, "wang": wang}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "found", "kind"),
    [
        (ID_NUMBER, ["zhang"], "id_number"),
        (ID_NUMBER.lower(), ["zhang"], "id_number"),
        (MOBILE, ["zhang"], "mobile"),
        ("138 1234 5678", ["zhang"], "mobile"),
        ("5678", ["li", "zhang"], "mobile_last4"),  # last four digits are shared: both shown
        ("1234", ["wang"], "mobile_last4"),
        ("zs", ["zhang"], "pinyin"),
        ("zhangsan", ["zhang"], "pinyin"),
        ("张三", ["zhang"], "name"),
        (card_number(777), ["wang"], "card"),
        ("11010519491231003X", [], "id_number"),
        ("13812345679", [], "mobile"),
    ],
)
def test_search_by_identifier_pinyin_and_card(logged_in, doctor, registry, query, found, kind):
    response = logged_in(doctor).post(reverse("patients:list"), {"q": query}, follow=True)
    assert response.context["search_kind"] == kind
    assert sorted(p.pk for p in response.context["page"]) == sorted(registry[k].pk for k in found)


@pytest.mark.django_db
def test_list_shows_masked_mobile_never_the_full_identifiers(logged_in, nurse, registry):
    page = logged_in(nurse).get(reverse("patients:list")).content.decode()
    assert "138****5678" in page
    assert MOBILE not in page and ID_NUMBER not in page


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [("id_number", ID_NUMBER), ("mobile", MOBILE)])
def test_reveal_returns_the_full_value_to_a_doctor_and_is_audited(logged_in, doctor, registry, field, value):
    patient = registry["zhang"]
    response = logged_in(doctor).post(reverse("patients:reveal", args=[patient.pk, field]))
    assert response.status_code == 200
    assert value in response.content.decode()
    entry = AuditEntry.objects.get(action="patient.reveal")
    assert (entry.actor_id, entry.patient_id, entry.detail) == (doctor.pk, patient.pk, {"field": field})
    assert value not in str(entry.detail)


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "status"), [("id_number", 403), ("mobile", 200)])
def test_nurse_may_reveal_the_mobile_but_not_the_id_number(logged_in, nurse, registry, field, status):
    response = logged_in(nurse).post(reverse("patients:reveal", args=[registry["zhang"].pk, field]))
    assert response.status_code == status
    assert ID_NUMBER not in response.content.decode()
    assert AuditEntry.objects.filter(action="patient.reveal").count() == (1 if status == 200 else 0)


@pytest.mark.django_db
def test_reveal_needs_post(logged_in, doctor, registry):
    assert (
        logged_in(doctor)
        .get(reverse("patients:reveal", args=[registry["zhang"].pk, "id_number"]))
        .status_code
        == 405
    )


def _make_patients(doctor, count: int) -> None:
    org = doctor.organization
    department = Department.objects.create(organization=org, name=f"科室{count}")
    tags = [Tag.objects.create(organization=org, name=f"标签{count}-{i}") for i in range(3)]
    for i in range(count):
        birth = datetime.date(1950 + i % 40, 1 + i % 12, 1 + i % 28)
        patient = make_patient(
            doctor,
            name=f"患者{count}{i}",
            id_number=resident_id(birth, sequence=(count * 50 + i) % 1000),
            birth_date=birth,
            department=department,
            responsible_doctor=doctor,
        )
        for tag in tags[: 1 + i % 3]:
            PatientTag.objects.create(patient=patient, tag=tag)
        MembershipCard.objects.create(
            organization=org, patient=patient, number=card_number(count * 1000 + i + 1)
        )


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("patients:list")).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_list_page_has_a_constant_query_count(logged_in, doctor, django_assert_num_queries):
    client = logged_in(doctor)
    _make_patients(doctor, 5)
    _list_queries(
        client
    )  # a session's first request refreshes its expiry (at most once a minute); not counted
    few = _list_queries(client)
    assert few <= 20
    _make_patients(doctor, 25)  # 30 in all, more than a page
    with django_assert_num_queries(few):
        page = client.get(reverse("patients:list"))
    assert len(page.context["page"]) == 25
    assert page.content.decode().count('class="tag"') >= 25  # tags, cards and doctors were rendered
