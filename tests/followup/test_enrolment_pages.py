"""The patient's Follow-up tab: enrolling by hand with its dry run, ending a plan, correcting its anchor
(enrolment_tab.py, enrolment_views.py)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import AuditEntry
from careloop.followup.actions import do_enrol, do_install_shipped, do_set_protocol_status
from careloop.followup.contact_models import ContactRecord
from careloop.followup.models import Enrolment, Task
from tests.factories import make_organization, make_patient, make_user

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def protocols(org, admin_user):
    installed = {p.key: p for p in do_install_shipped(org)}
    do_set_protocol_status(admin_user, installed["post-discharge"], "active")
    return installed


def _tab(client, patient):
    return client.get(reverse("patients:tab", args=[patient.pk, "followup"]))


def test_the_preview_shows_exactly_the_tasks_and_dates_enrolling_makes(logged_in, doctor, patient, protocols):
    today = timezone.localdate()
    discharged = today - 3 * DAY
    response = logged_in(doctor).post(
        reverse("followup:enrol_preview", args=[patient.pk]),
        {"protocol": protocols["post-discharge"].pk, "anchor": discharged.isoformat()},
    )
    assert response.status_code == 200
    rows = [(row.task.step, row.task.due, row.task.opens, row.task.closes) for row in response.context["now"]]
    assert rows == [
        ("call-d3", today, today - DAY, today + 11 * DAY),
        ("call-d7", today + 4 * DAY, today + 4 * DAY, today + 4 * DAY),
        ("call-d30", today + 27 * DAY, today + 12 * DAY, today + 27 * DAY),
    ]
    body = response.content.decode()
    assert f'data-step="call-d3" data-number="0" data-due="{today.isoformat()}"' in body
    assert not Enrolment.objects.exists()  # a dry run writes nothing


def test_the_preview_refuses_an_anchor_more_than_a_year_away(logged_in, doctor, patient, protocols):
    far = timezone.localdate() - 400 * DAY
    response = logged_in(doctor).post(
        reverse("followup:enrol_preview", args=[patient.pk]),
        {"protocol": protocols["post-discharge"].pk, "anchor": far.isoformat()},
    )
    assert response.status_code == 400
    assert 'id="enrol-preview-errors"' in response.content.decode()


def test_enrolling_makes_the_enrolment_its_tasks_and_the_audit_entry(logged_in, doctor, patient, protocols):
    today = timezone.localdate()
    client = logged_in(doctor)
    response = client.post(
        reverse("followup:enrol", args=[patient.pk]),
        {"protocol": protocols["post-discharge"].pk, "anchor": (today - 3 * DAY).isoformat()},
    )
    assert response.status_code == 302
    assert response.url == reverse("patients:tab", args=[patient.pk, "followup"])
    enrolment = Enrolment.objects.get(patient=patient)
    assert enrolment.trigger == {"kind": "manual"} and enrolment.enrolled_by == doctor
    assert sorted(Task.objects.filter(enrolment=enrolment).values_list("step", flat=True)) == [
        "call-d3",
        "call-d30",
        "call-d7",
    ]
    entry = AuditEntry.objects.filter(action="enrolment.create").latest("id")
    assert entry.patient_id == patient.pk and entry.actor_id == doctor.pk
    body = _tab(client, patient).content.decode()
    assert f'id="enrolment-{enrolment.pk}"' in body
    assert body.count('class="plan-task"') == 3
    assert 'data-kind="manual"' in body


def test_enrolling_twice_is_refused_with_a_message(logged_in, doctor, patient, protocols):
    today = timezone.localdate()
    do_enrol(doctor, patient, protocols["post-discharge"], today)
    client = logged_in(doctor)
    preview = client.post(
        reverse("followup:enrol_preview", args=[patient.pk]),
        {"protocol": protocols["post-discharge"].pk, "anchor": today.isoformat()},
    )
    assert 'data-refusal="already_enrolled"' in preview.content.decode()
    response = client.post(
        reverse("followup:enrol", args=[patient.pk]),
        {"protocol": protocols["post-discharge"].pk, "anchor": today.isoformat()},
        follow=True,
    )
    assert Enrolment.objects.filter(patient=patient).count() == 1
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_a_protocol_switched_off_or_of_another_organization_is_not_a_choice(
    logged_in, doctor, patient, protocols
):
    theirs = next(p for p in do_install_shipped(make_organization("别家")) if p.key == "hypertension")
    client = logged_in(doctor)
    for protocol in (protocols["post-surgery"], theirs):
        response = client.post(
            reverse("followup:enrol", args=[patient.pk]),
            {"protocol": protocol.pk, "anchor": timezone.localdate().isoformat()},
            follow=True,
        )
        assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Enrolment.objects.exists()


def test_ending_a_plan_cancels_its_pending_tasks(logged_in, doctor, patient, protocols):
    enrolment = do_enrol(doctor, patient, protocols["post-discharge"], timezone.localdate())
    prefix = f"end-{enrolment.pk}"
    response = logged_in(doctor).post(
        reverse("followup:enrolment_end", args=[enrolment.pk]), {f"{prefix}-reason": "moved", "confirm": "on"}
    )
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.ended_reason) == ("ended", "moved")
    assert set(Task.objects.filter(enrolment=enrolment).values_list("status", flat=True)) == {"cancelled"}
    assert AuditEntry.objects.filter(action="enrolment.end", patient_id=patient.pk).exists()


def test_the_sweeps_reason_is_not_offered_by_hand(logged_in, doctor, patient, protocols):
    enrolment = do_enrol(doctor, patient, protocols["post-discharge"], timezone.localdate())
    logged_in(doctor).post(
        reverse("followup:enrolment_end", args=[enrolment.pk]), {f"end-{enrolment.pk}-reason": "plan_ended"}
    )
    enrolment.refresh_from_db()
    assert enrolment.status == "active"


def test_moving_the_anchor_previews_then_moves_the_pending_tasks(logged_in, doctor, patient, protocols):
    today = timezone.localdate()
    enrolment = do_enrol(doctor, patient, protocols["post-discharge"], today - 3 * DAY)
    client = logged_in(doctor)
    field = f"anchor-{enrolment.pk}-anchor"
    corrected = today - 2 * DAY
    preview = client.post(
        reverse("followup:anchor_preview", args=[enrolment.pk]), {field: corrected.isoformat()}
    )
    assert preview.status_code == 200
    moved = {row.task.step: row.due for row in preview.context["moved"]}
    assert moved == {"call-d3": today + DAY, "call-d7": today + 5 * DAY, "call-d30": today + 28 * DAY}
    assert Task.objects.get(enrolment=enrolment, step="call-d3").due == today  # nothing written yet
    response = client.post(
        reverse("followup:anchor_move", args=[enrolment.pk]), {field: corrected.isoformat()}
    )
    assert response.status_code == 302
    assert Task.objects.get(enrolment=enrolment, step="call-d3").due == today + DAY
    enrolment.refresh_from_db()
    assert enrolment.anchor == corrected
    assert AuditEntry.objects.filter(action="enrolment.move_anchor", patient_id=patient.pk).exists()


def test_the_tab_shows_the_contacts_recorded_for_each_task_and_the_lost_status(
    logged_in, doctor, nurse, patient, protocols
):
    enrolment = do_enrol(doctor, patient, protocols["post-discharge"], timezone.localdate() - 3 * DAY)
    Enrolment.objects.filter(pk=enrolment.pk).update(status="lost")
    task = Task.objects.get(enrolment=enrolment, step="call-d3")
    ContactRecord.objects.create(
        organization=patient.organization, patient=patient, task=task, enrolment=enrolment,
        outcome="no_answer", recorded_by=nurse,
    )  # fmt: skip
    body = _tab(logged_in(nurse), patient).content.decode()
    assert 'data-status="lost"' in body
    assert 'class="task-contact" data-outcome="no_answer"' in body
    assert reverse("followup:task", args=[task.pk]) in body
    assert 'id="enrol-form"' not in body  # a nurse works the tasks; enrolling is for those who assign


def test_a_nurse_may_not_enrol_end_or_move(logged_in, nurse, doctor, patient, protocols):
    enrolment = do_enrol(doctor, patient, protocols["post-discharge"], timezone.localdate())
    client = logged_in(nurse)
    data = {"protocol": protocols["post-discharge"].pk, "anchor": timezone.localdate().isoformat()}
    assert client.post(reverse("followup:enrol_preview", args=[patient.pk]), data).status_code == 403
    assert client.post(reverse("followup:enrol", args=[patient.pk]), data).status_code == 403
    assert client.post(reverse("followup:enrolment_end", args=[enrolment.pk])).status_code == 403
    assert client.post(reverse("followup:anchor_preview", args=[enrolment.pk])).status_code == 403
    assert client.post(reverse("followup:anchor_move", args=[enrolment.pk])).status_code == 403


def test_a_receptionist_does_not_see_the_tab(logged_in, org, patient, protocols):
    assert _tab(logged_in(make_user(org, "receptionist")), patient).status_code == 403


def test_another_organizations_patient_and_enrolment_are_not_found(logged_in, doctor, protocols):
    other = make_organization("别家")
    their_doctor = make_user(other, "doctor")
    theirs = next(p for p in do_install_shipped(other) if p.key == "hypertension")
    their_patient = make_patient(their_doctor)
    their_enrolment = do_enrol(their_doctor, their_patient, theirs, timezone.localdate())
    client = logged_in(doctor)
    assert client.post(reverse("followup:enrol_preview", args=[their_patient.pk])).status_code == 404
    assert client.post(reverse("followup:enrol", args=[their_patient.pk])).status_code == 404
    for name in ("enrolment_end", "anchor_preview", "anchor_move"):
        assert client.post(reverse(f"followup:{name}", args=[their_enrolment.pk])).status_code == 404
    their_enrolment.refresh_from_db()
    assert their_enrolment.status == "active"
