"""Probable duplicates across the registry: found by blocking keys, explained, listed on a page and by
`careloop duplicates`."""

import datetime

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.patients import duplicates
from careloop.patients.duplicates import probable_pairs
from careloop.patients.sameperson import SAME_MOBILE_AND_NAME, SAME_NAME_AND_BIRTH, SOUNDS_ALIKE_AND_BIRTH
from tests.factories import make_patient

BORN = datetime.date(1958, 6, 7)


@pytest.fixture
def registry(doctor):
    """Three probable pairs, strongest first, and people who only look alike."""

    def patient(name: str, sex: str, born: datetime.date, mobile: str = ""):
        return make_patient(doctor, name=name, sex=sex, birth_date=born, mobile=mobile)

    li_born, li_typed = datetime.date(1940, 1, 2), datetime.date(1941, 1, 2)
    made = {
        "wang": patient("王晓明", "male", BORN, "13800000001"),
        "wang_again": patient("王晓明", "male", BORN, "13800000001"),
        "wang_homophone": patient("王小明", "male", BORN, "13900000009"),
        "li": patient("李秀英", "female", li_born, "13700000003"),
        "li_wrong_birth": patient("李秀英", "female", li_typed, "13700000003"),
        # Alike but not the same person: another sex on the same day; a family's shared mobile.
        "wang_sister": patient("王晓明", "female", BORN),
        "li_husband": patient("张国强", "male", datetime.date(1938, 3, 4), "13700000003"),
    }
    return {name: patient.pk for name, patient in made.items()}


@pytest.mark.django_db
def test_pairs_are_found_explained_and_ordered_by_strength(org, registry):
    found = {(pair.first_id, pair.second_id): pair.reasons for pair in probable_pairs(org.pk)}
    r = registry
    assert found == {
        (r["wang"], r["wang_again"]): [SAME_NAME_AND_BIRTH, SAME_MOBILE_AND_NAME],
        (r["wang"], r["wang_homophone"]): [SOUNDS_ALIKE_AND_BIRTH],
        (r["wang_again"], r["wang_homophone"]): [SOUNDS_ALIKE_AND_BIRTH],
        (r["li"], r["li_wrong_birth"]): [SAME_MOBILE_AND_NAME],
    }
    ranked = [(pair.first_id, pair.second_id) for pair in probable_pairs(org.pk)]
    assert ranked[0] == (r["wang"], r["wang_again"]) and ranked[-1] == (r["li"], r["li_wrong_birth"])


@pytest.mark.django_db
def test_a_key_shared_by_too_many_people_pairs_nobody(org, doctor, monkeypatch):
    monkeypatch.setattr(duplicates, "GROUP_LIMIT", 2)
    for _ in range(3):
        make_patient(doctor, name="王晓明", sex="male", birth_date=BORN)
    assert probable_pairs(org.pk) == []


@pytest.mark.django_db
def test_another_organizations_patients_are_never_paired(org, other_org, doctor):
    from tests.factories import make_user

    make_patient(doctor, name="王晓明", sex="male", birth_date=BORN)
    make_patient(make_user(other_org, "doctor"), name="王晓明", sex="male", birth_date=BORN)
    assert probable_pairs(org.pk) == [] and probable_pairs(other_org.pk) == []


@pytest.mark.django_db
def test_the_page_lists_the_pairs_masked_and_audits_the_read(org, registry, receptionist):
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(receptionist)
    page = client.get(reverse("patients:duplicates")).content.decode()
    assert page.count('class="pair"') == 4
    assert "姓名和出生日期相同" in page and "13800000001" not in page and "138****0001" in page
    assert reverse("patients:detail", args=[registry["wang_homophone"]]) in page
    listed = AuditEntry.objects.get(action="patient.list", actor=receptionist)
    assert set(listed.detail["patients"]) == set(registry.values()) - {
        registry["wang_sister"],
        registry["li_husband"],
    }


@pytest.mark.django_db
def test_the_page_is_for_those_who_register_patients(logged_in, nurse):
    assert logged_in(nurse).get(reverse("patients:duplicates")).status_code == 403


@pytest.mark.django_db
def test_the_command_prints_the_same_pairs(org, registry, capsys):
    call_command("duplicates", organization=org.code)
    out = capsys.readouterr().out
    assert out.count("<->") == 4
    assert f"#{registry['wang']} 王晓明" in out
    assert "13800000001" not in out
    assert AuditEntry.objects.filter(action="patient.list", detail__search="duplicates").exists()
