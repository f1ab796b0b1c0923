"""The merge page reached from the probable duplicates, the list of merges, and undoing from either."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.patients.merging import do_merge_patients
from careloop.patients.models import Patient, PatientMerge
from tests.factories import make_patient, make_user

BORN = datetime.date(1958, 6, 7)


@pytest.fixture
def pair(doctor):
    first = make_patient(doctor, name="王晓明", birth_date=BORN, mobile="13800000001")
    second = make_patient(doctor, name="王小明", birth_date=BORN, mobile="13900000009", address="幸福路1号")
    return first, second


@pytest.fixture
def chinese(doctor):
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(doctor)
    return client


def merge_url(first: Patient, second: Patient) -> str:
    return reverse("patients:merge", args=[first.pk, second.pk])


@pytest.mark.django_db
def test_the_duplicates_page_offers_a_merge_to_those_who_may(pair, chinese, logged_in, receptionist):
    page = chinese.get(reverse("patients:duplicates")).content.decode()
    assert merge_url(*pair) in page and reverse("patients:merges") in page
    page = logged_in(receptionist).get(reverse("patients:duplicates")).content.decode()
    assert merge_url(*pair) not in page


@pytest.mark.django_db
def test_the_merge_page_compares_the_two_masked_and_audits_the_read(pair, chinese, doctor):
    first, second = pair
    page = chinese.get(merge_url(first, second)).content.decode()
    assert "13800000001" not in page and "138****0001" in page and "139****0009" in page
    assert first.id_number not in page and second.id_number not in page
    # A radio for each field that differs (name, ID number, mobile, address), the first's value by default
    # unless only the second has one.
    assert page.count(f'name="keep_name" value="{first.pk}" checked') == 1
    assert f'name="keep_address" value="{second.pk}" checked' in page
    assert 'name="keep_sex"' not in page
    assert f'name="survivor" value="{first.pk}" checked' in page
    viewed = AuditEntry.objects.filter(action="patient.view", actor=doctor, detail__section="merge")
    assert set(viewed.values_list("patient_id", flat=True)) == {p.pk for p in pair}


@pytest.mark.django_db
def test_posting_the_choice_merges_and_offers_the_undo(pair, chinese):
    first, second = pair
    choice = {"survivor": second.pk, "keep_name": first.pk, "keep_mobile": first.pk}
    choice |= {"keep_id_number": second.pk, "keep_address": second.pk}
    response = chinese.post(merge_url(first, second), choice, follow=True)
    assert response.redirect_chain == [(reverse("patients:detail", args=[second.pk]), 302)]
    merge = PatientMerge.objects.get()
    assert (merge.survivor, merge.merged, merge.taken) == (second, first, ["name", "mobile"])
    second.refresh_from_db()
    assert (second.name, second.mobile, second.address) == ("王晓明", "13800000001", "幸福路1号")
    page = response.content.decode()
    assert reverse("patients:unmerge", args=[merge.pk]) in page and 'id="undo-merge"' in page
    assert "csrfmiddlewaretoken" in page.split('id="undo-merge"')[0].rsplit("<form", 1)[1]

    response = chinese.post(reverse("patients:unmerge", args=[merge.pk]), follow=True)
    assert response.redirect_chain == [(reverse("patients:merges"), 302)]
    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert Patient.objects.filter(merged_into__isnull=True).count() == 2


@pytest.mark.django_db
def test_a_pair_one_may_not_see_or_a_merged_record_is_not_found(pair, chinese, doctor, other_org):
    first, second = pair
    stranger = make_patient(make_user(other_org, "doctor"))
    assert chinese.get(merge_url(first, stranger)).status_code == 404
    assert chinese.get(merge_url(first, first)).status_code == 404
    do_merge_patients(doctor, first, second)
    assert chinese.get(merge_url(first, second)).status_code == 404
    assert chinese.post(merge_url(first, second), {"survivor": first.pk}).status_code == 404


@pytest.mark.django_db
def test_merging_and_its_list_are_for_those_with_the_permission(pair, logged_in, nurse, receptionist):
    for user in (nurse, receptionist):
        client = logged_in(user)
        assert client.get(merge_url(*pair)).status_code == 403
        assert client.get(reverse("patients:merges")).status_code == 403
    assert PatientMerge.objects.count() == 0


@pytest.mark.django_db
def test_the_list_shows_merges_newest_first_with_undo_for_those_not_undone(pair, chinese, doctor):
    first, second = pair
    third = make_patient(doctor, name="王晓明", birth_date=BORN)
    by_hand = do_merge_patients(doctor, first, second, take=["address"])
    by_feed = do_merge_patients(
        None, first, third, source={"source": "feed", "event": "A40", "message": "M7"}
    )
    chinese.post(reverse("patients:unmerge", args=[by_hand.pk]))
    page = chinese.get(reverse("patients:merges")).content.decode()
    assert page.index(f'id="merge-{by_feed.pk}"') < page.index(f'id="merge-{by_hand.pk}"')
    assert reverse("patients:unmerge", args=[by_feed.pk]) in page
    assert reverse("patients:unmerge", args=[by_hand.pk]) not in page
    assert "A40 M7" in page and "李医生" in page
    listed = AuditEntry.objects.filter(action="patient.list", detail__search="merges").latest("at")
    assert set(listed.detail["patients"]) == {first.pk, second.pk, third.pk}


@pytest.mark.django_db
def test_undoing_twice_says_so(pair, chinese, doctor):
    merge = do_merge_patients(doctor, *pair)
    chinese.post(reverse("patients:unmerge", args=[merge.pk]))
    response = chinese.post(reverse("patients:unmerge", args=[merge.pk]), follow=True)
    assert 'class="msg-error"' in response.content.decode()
    assert AuditEntry.objects.filter(action="patient.unmerge").count() == 1


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_more_merges(chinese, doctor):
    def merge_another_pair() -> None:
        do_merge_patients(doctor, make_patient(doctor, name="王晓明"), make_patient(doctor, name="王小明"))

    merge_another_pair()
    chinese.get(reverse("patients:merges"))  # the session's first request refreshes it: not counted
    with CaptureQueriesContext(connection) as one:
        chinese.get(reverse("patients:merges"))
    for _ in range(4):
        merge_another_pair()
    with CaptureQueriesContext(connection) as five:
        page = chinese.get(reverse("patients:merges")).content.decode()
    assert page.count('id="merge-') == 5
    assert len(five.captured_queries) == len(one.captured_queries)
