"""Registering someone who is probably registered already: warned, shown the candidates masked, and only
registered once the clerk says it is someone else."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.patients.models import Patient
from tests.factories import make_patient

BIRTH = datetime.date(1960, 5, 17)
WANG_ID = "110101196005170039"  # born 1960-05-17, male


@pytest.fixture
def wang(doctor):
    return make_patient(
        doctor, name="王晓明", sex="male", birth_date=BIRTH, id_number=WANG_ID, mobile="13812345678"
    )


def form(**overrides: str) -> dict[str, str]:
    return {"name": "王小明", "sex": "male", "birth_date": "1960-05-17", "id_type": "resident", **overrides}


@pytest.mark.django_db
def test_a_homophone_on_the_same_birth_date_is_warned_with_the_candidate_masked(receptionist, wang):
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(receptionist)
    response = client.post(reverse("patients:register"), form())
    assert response.status_code == 200
    page = response.content.decode()
    assert "此人可能已经登记" in page and "姓名读音相同" in page
    assert reverse("patients:detail", args=[wang.pk]) in page
    assert WANG_ID not in page and "13812345678" not in page and "1101**********0039" in page
    assert Patient.objects.count() == 1
    listed = AuditEntry.objects.get(action="patient.list", actor=receptionist)
    assert listed.detail["patients"] == [wang.pk]

    response = client.post(reverse("patients:register"), form(not_a_duplicate="1"))
    assert response.status_code == 302
    assert Patient.objects.filter(name="王小明").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "warned"),
    [
        ({"name": "王晓明"}, True),
        ({"name": "王 晓明", "birth_date": "1960-05-18", "mobile": "13812345678"}, True),
        ({"name": "王小明", "sex": "female"}, False),
        ({"name": "王小明", "birth_date": "1961-05-17"}, False),
        ({"name": "李秀英", "sex": "female", "birth_date": "1938-02-01", "mobile": "13812345678"}, False),
    ],
)
def test_who_is_taken_for_the_same_person(receptionist, wang, overrides, warned):
    client = Client()
    client.force_login(receptionist)
    response = client.post(reverse("patients:register"), form(**overrides))
    assert (response.status_code == 200) is warned
    assert Patient.objects.count() == (1 if warned else 2)
