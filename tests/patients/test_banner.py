"""The patient banner (careloop/patients/banner.py, {% patient_banner %}): what must not be missed."""

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import AuditEntry
from careloop.alerts.actions import do_raise_alert
from careloop.followup.actions import do_enrol, do_install_shipped, do_set_protocol_status
from careloop.followup.models import ContactRecord, Enrolment, Task
from careloop.patients.banner import banner_for
from careloop.patients.masking import dial_string
from careloop.patients.models import Allergy
from tests.factories import make_user

TODAY = timezone.localdate()


def enrol(user, patient, key: str) -> Enrolment:
    installed = {p.key: p for p in do_install_shipped(patient.organization)}
    protocol = installed[key]
    if protocol.status != "active":
        do_set_protocol_status(None, protocol, "active")
    return do_enrol(user, patient, protocol, TODAY, today=TODAY)


def give_history(user, patient, *, alerts: int = 1, contacts: int = 1) -> dict[str, Any]:
    """A patient worth a banner: a severe penicillin allergy, a moderate and a mild one, open alerts,
    an active and a lost enrolment with tasks, and contacts, the newest one unanswered."""
    severe = Allergy.objects.create(
        patient=patient, substance="青霉素", category="drug", reaction="过敏性休克", severity="severe"
    )
    moderate = Allergy.objects.create(
        patient=patient, substance="花粉", category="environment", severity="moderate"
    )
    Allergy.objects.create(patient=patient, substance="芒果", category="food", severity="mild")
    raised = [
        do_raise_alert(
            organization_id=patient.organization_id,
            patient=patient,
            kind="questionnaire",
            severity="urgent" if n == 0 else "normal",
            title=f"警报 {n}",
            source_type="test",
            source_id=str(n),
            reason=f"r{n}",
        )[0]
        for n in range(alerts)
    ]
    active = enrol(user, patient, "post-discharge")  # its first call falls due within days
    lost = enrol(user, patient, "hypertension")
    Enrolment.objects.filter(pk=lost.pk).update(status="lost")
    now = timezone.now()
    for n in range(contacts):
        ContactRecord.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            enrolment=active,
            outcome="reached" if n else "no_answer",
            occurred_at=now - datetime.timedelta(days=n),
            recorded_by=user,
        )
    return {"severe": severe, "moderate": moderate, "alerts": raised, "active": active, "lost": lost}


def test_severe_and_moderate_allergies_are_on_the_banner_and_mild_ones_are_not(nurse, patient):
    rows = give_history(nurse, patient)
    banner = banner_for(patient, nurse, "zh")
    assert banner.severe_allergies == [rows["severe"]]
    assert banner.moderate_allergies == [rows["moderate"]]


def test_open_alerts_most_pressing_first_only_for_those_who_see_alerts(nurse, org, patient):
    rows = give_history(nurse, patient, alerts=2)
    assert [alert.pk for alert, _words in banner_for(patient, nurse, "zh").alerts] == [
        a.pk for a in rows["alerts"]
    ]
    assert banner_for(patient, make_user(org, "receptionist"), "zh").alerts == []


def test_open_plans_carry_their_next_pending_task_and_the_lost_one_says_so(nurse, patient):
    rows = give_history(nurse, patient)
    plans = {plan.enrolment.pk: plan for plan in banner_for(patient, nurse, "zh").plans}
    assert set(plans) == {rows["active"].pk, rows["lost"].pk}
    assert plans[rows["lost"].pk].lost and not plans[rows["active"].pk].lost
    first = Task.objects.filter(enrolment=rows["active"], status="pending").order_by("due", "id").first()
    assert plans[rows["active"].pk].next_task == first
    assert first is not None


def test_an_ended_enrolment_is_not_a_plan(nurse, patient):
    rows = give_history(nurse, patient)
    Enrolment.objects.filter(pk=rows["active"].pk).update(status="ended")
    assert [plan.enrolment.pk for plan in banner_for(patient, nurse, "zh").plans] == [rows["lost"].pk]


def test_the_last_contact_is_the_newest_with_its_outcome(nurse, patient):
    give_history(nurse, patient, contacts=3)
    contact = banner_for(patient, nurse, "zh").last_contact
    assert contact is not None and contact.outcome == "no_answer"


def test_a_patient_without_history_has_an_empty_banner(nurse, patient):
    banner = banner_for(patient, nurse, "zh")
    assert (banner.severe_allergies, banner.alerts, banner.plans, banner.last_contact) == ([], [], [], None)
    assert not banner.left_care


def test_the_banner_costs_the_same_few_queries_however_long_the_history(
    nurse, patient, django_assert_max_num_queries
):
    give_history(nurse, patient, alerts=15, contacts=40)
    for n in range(20):
        Allergy.objects.create(patient=patient, substance=f"药物{n}", category="drug", severity="severe")
    with django_assert_max_num_queries(8):
        banner = banner_for(patient, nurse, "zh")
    assert len(banner.severe_allergies) == 21 and len(banner.alerts) == 15


def test_the_patient_page_carries_one_banner_with_everything(nurse, patient, logged_in):
    rows = give_history(nurse, patient)
    html = logged_in(nurse).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert html.count('id="patient-banner"') == 1
    assert html.count('id="patient-alerts"') == 1  # inside the banner, not a second block
    assert f'data-allergy="{rows["severe"].pk}" data-severity="severe"' in html
    assert f'data-enrolment="{rows["lost"].pk}" data-status="lost"' in html
    assert 'data-outcome="no_answer"' in html
    next_task = Task.objects.filter(enrolment=rows["active"], status="pending").order_by("due", "id").first()
    assert next_task is not None and f'data-task="{next_task.pk}"' in html
    assert 'id="reveal-mobile"' in html


def test_the_page_query_count_does_not_grow_with_the_history(
    nurse, patient, logged_in, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = logged_in(nurse)
    url = reverse("patients:detail", args=[patient.pk])
    give_history(nurse, patient, alerts=1, contacts=1)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(30):
        ContactRecord.objects.create(organization_id=patient.organization_id, patient=patient, outcome="busy")
        Allergy.objects.create(patient=patient, substance=f"药物{n}", category="drug", severity="severe")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_deceased_and_moved_away_are_shown_as_a_state(nurse, patient, logged_in):
    patient.deceased_on = datetime.date(2026, 11, 30)
    patient.save(update_fields=["deceased_on"])
    html = logged_in(nurse).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert 'data-state="deceased"' in html and "2026-11-30" in html
    assert 'data-state="moved"' not in html


def test_revealing_the_mobile_gives_a_tel_link_and_an_audit_entry(nurse, patient, logged_in):
    response = logged_in(nurse).post(reverse("patients:reveal", args=[patient.pk, "mobile"]))
    html = response.content.decode()
    assert f'href="tel:{patient.mobile}"' in html and 'id="mobile-tel"' in html
    entry = AuditEntry.objects.get(action="patient.reveal")
    assert entry.patient_id == patient.pk and entry.detail == {"field": "mobile"}
    assert patient.mobile not in str(entry.detail)


def test_revealing_the_id_number_is_not_a_link(doctor, patient, logged_in):
    html = logged_in(doctor).post(reverse("patients:reveal", args=[patient.pk, "id_number"])).content.decode()
    assert "tel:" not in html and patient.id_number in html


@pytest.mark.parametrize(
    ("number", "dial"),
    [
        ("13800138000", "13800138000"),
        ("138 0013-8000", "13800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("(010) 6512-3456", "01065123456"),
        ("无", ""),
        ("", ""),
    ],
)
def test_dial_string_keeps_what_a_tel_link_may_carry(number, dial):
    assert dial_string(number) == dial
