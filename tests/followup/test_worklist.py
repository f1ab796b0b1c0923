"""The worklist, the task page and recording a contact's outcome (views.py, worklist.py, contacts.py)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import AuditEntry
from careloop.alerts.actions import do_raise_alert
from careloop.alerts.models import Alert
from careloop.followup.actions import do_enrol, do_install_shipped, do_set_protocol_status
from careloop.followup.contact_models import ContactRecord
from careloop.followup.contacts import ContactInput, do_record_contact
from careloop.followup.models import Enrolment, Task
from careloop.followup.outcomes import Consequence, consequence
from careloop.followup.worklist import Filters, Worklist
from tests.factories import make_organization, make_patient, make_user


@pytest.fixture
def protocols(org, admin_user):
    installed = {p.key: p for p in do_install_shipped(org)}
    do_set_protocol_status(admin_user, installed["post-discharge"], "active")
    return installed


def discharged(nurse, patient, protocols, days_ago):
    """Enrolled in the post-discharge protocol, its tasks in the nurses' queue (the day-3 call is the
    responsible doctor's in the shipped protocol)."""
    today = timezone.localdate()
    enrolment = do_enrol(
        nurse, patient, protocols["post-discharge"], today - datetime.timedelta(days=days_ago)
    )
    Task.objects.filter(enrolment=enrolment).update(assignee_role="nurse", assignee_user=None)
    return enrolment


def first_task(enrolment):
    return Task.objects.filter(enrolment=enrolment, status="pending").order_by("due").first()


@pytest.mark.parametrize(
    ("outcome", "status", "unreached", "expected"),
    [
        ("reached", "active", 0, Consequence(True, "")),
        ("reached", "lost", 0, Consequence(True, "active")),
        ("hospitalised", "lost", 0, Consequence(True, "active")),
        ("no_answer", "active", 1, Consequence(False, "")),
        ("busy", "active", 2, Consequence(False, "")),
        ("switched_off", "active", 3, Consequence(False, "lost")),
        ("wrong_number", "lost", 4, Consequence(False, "")),
        ("refused", "active", 0, Consequence(True, "ended", "refused")),
        ("deceased", "active", 0, Consequence(True, "ended", "deceased", True, "deceased")),
        ("moved", "lost", 2, Consequence(True, "ended", "moved", True, "moved")),
    ],
)
def test_what_an_outcome_does(outcome, status, unreached, expected):
    assert consequence(outcome, status, unreached) == expected


def test_an_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match="unknown outcome"):
        consequence("gone fishing", "active", 0)


def test_three_unreached_attempts_make_the_enrolment_lost_and_alert_the_doctor(
    nurse, doctor, patient, protocols
):
    patient.responsible_doctor = doctor
    patient.save()
    enrolment = discharged(nurse, patient, protocols, 3)
    task = first_task(enrolment)
    for attempt in range(3):
        do_record_contact(nurse, task, ContactInput("no_answer"))
        enrolment.refresh_from_db()
        assert enrolment.status == ("lost" if attempt == 2 else "active")
    task.refresh_from_db()
    assert task.status == "pending" and task.due == timezone.localdate() + datetime.timedelta(days=1)
    alert = Alert.objects.get(kind="lost_to_followup")
    assert alert.patient == patient and alert.assigned_to == doctor
    do_record_contact(nurse, task, ContactInput("reached", note="已接通"))
    enrolment.refresh_from_db()
    task.refresh_from_db()
    assert enrolment.status == "active" and task.status == "done"
    assert AuditEntry.objects.filter(action="contact.record").count() == 4


def test_a_deceased_patient_ends_every_plan_and_leaves_the_worklist(nurse, patient, protocols):
    post = discharged(nurse, patient, protocols, 3)
    chronic = do_enrol(nurse, patient, protocols["hypertension"], timezone.localdate())
    do_record_contact(nurse, first_task(post), ContactInput("deceased"))
    patient.refresh_from_db()
    assert patient.deceased_on == timezone.localdate()
    assert set(Enrolment.objects.values_list("status", "ended_reason")) == {("ended", "deceased")}
    assert not Task.objects.filter(enrolment__in=[post, chronic], status="pending").exists()


def test_a_reached_patient_with_a_next_date_gets_a_new_contact_on_that_day(nurse, patient, protocols):
    task = first_task(discharged(nurse, patient, protocols, 3))
    day = timezone.localdate() + datetime.timedelta(days=14)
    do_record_contact(nurse, task, ContactInput("reached", next_contact_on=day))
    extra = Task.objects.get(step="extra")
    assert (extra.due, extra.assignee_user, extra.status) == (day, nurse, "pending")


def test_the_worklist_puts_alerted_patients_first_then_the_most_overdue(org, nurse, doctor, protocols):
    today = timezone.localdate()
    old, alerted, fresh = (make_patient(doctor, name=n) for n in ("王一", "李二", "赵三"))
    discharged(nurse, old, protocols, 9)  # d3 task overdue
    discharged(nurse, alerted, protocols, 3)
    discharged(nurse, fresh, protocols, 4)
    do_raise_alert(
        organization_id=org.pk, kind="questionnaire", severity="high", title="x", source_type="t",
        source_id="1", reason="r", patient=alerted,
    )  # fmt: skip
    rows, more = Worklist(nurse, today).page(1)
    names = [row.task.enrolment.patient.name for row in rows]
    assert names[0] == "李二" and rows[0].has_alert
    assert names.index("王一") < names.index("赵三")
    assert not more


def test_the_worklist_page_answers_in_a_fixed_number_of_queries(
    client, org, nurse, doctor, protocols, django_assert_max_num_queries
):
    for number in range(30):
        discharged(nurse, make_patient(doctor, name=f"患者{number}"), protocols, 3 + number % 5)
    client.force_login(nurse)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("followup:worklist"))
    assert response.status_code == 200
    assert response.content.count(b'class="task-row') == 50  # a page; the rest behind "next"
    assert b'id="next-page"' in response.content


def test_the_worklist_shows_only_this_organizations_tasks(client, nurse, doctor, protocols):
    other = make_organization("另一家")
    other_nurse = make_user(other, role="nurse", username="other-nurse")
    discharged(nurse, make_patient(doctor), protocols, 3)
    client.force_login(other_nurse)
    response = client.get(reverse("followup:worklist"))
    assert b'class="task-row' not in response.content
    task = Task.objects.get(step="call-d3")
    assert client.get(reverse("followup:task", args=[task.pk])).status_code == 404


def test_the_task_page_records_an_outcome_and_opens_the_next_task(client, nurse, doctor, protocols):
    first = first_task(discharged(nurse, make_patient(doctor, name="王一"), protocols, 9))
    second = first_task(discharged(nurse, make_patient(doctor, name="李二"), protocols, 3))
    client.force_login(nurse)
    page = client.get(reverse("followup:task", args=[first.pk]))
    assert page.status_code == 200 and b'id="call-script"' in page.content
    response = client.post(
        reverse("followup:task", args=[first.pk]), {"outcome": "reached", "channel": "phone", "note": "好"}
    )
    assert response.status_code == 302 and response.url == reverse("followup:task", args=[second.pk])
    contact = ContactRecord.objects.get()
    assert (contact.task_id, contact.outcome, contact.recorded_by) == (first.pk, "reached", nurse)


def test_an_outcome_is_required_and_a_far_date_refused(client, nurse, doctor, protocols):
    task = first_task(discharged(nurse, make_patient(doctor), protocols, 3))
    client.force_login(nurse)
    far = (timezone.localdate() + datetime.timedelta(days=800)).isoformat()
    response = client.post(
        reverse("followup:task", args=[task.pk]), {"channel": "phone", "next_contact_on": far}
    )
    assert response.status_code == 400
    assert not ContactRecord.objects.exists()


def test_bulk_reassignment_gives_the_chosen_tasks_to_another_nurse(client, org, nurse, doctor, protocols):
    colleague = make_user(org, role="nurse", username="colleague")
    for number in range(3):
        discharged(nurse, make_patient(doctor, name=f"患者{number}"), protocols, 3)
    ids = list(Task.objects.filter(status="pending").values_list("pk", flat=True)[:2])
    client.force_login(doctor)
    response = client.post(reverse("followup:reassign"), {"tasks": ids, "assignee": colleague.pk})
    assert response.status_code == 302
    assert Task.objects.filter(assignee_user=colleague).count() == 2
    assert AuditEntry.objects.filter(action="task.assign").exists()
    client.force_login(nurse)  # a nurse works the list but does not hand tasks out
    assert client.post(reverse("followup:reassign"), {"tasks": ids, "assignee": nurse.pk}).status_code == 403


def test_a_recording_goes_with_the_outcome_and_a_refused_one_records_nothing(
    client, nurse, doctor, protocols
):
    import io
    import wave

    from django.core.files.uploadedfile import SimpleUploadedFile

    from careloop.followup.contact_models import Recording

    task = first_task(discharged(nurse, make_patient(doctor), protocols, 3))
    client.force_login(nurse)
    url = reverse("followup:task", args=[task.pk])
    fake = SimpleUploadedFile("call.mp3", b"%PDF-1.4 not audio", content_type="audio/mpeg")
    refused = client.post(url, {"outcome": "reached", "channel": "phone", "note": "记下", "recording": fake})
    assert refused.status_code == 400 and b'id="recording-error"' in refused.content
    assert "记下".encode() in refused.content  # what was typed comes back
    assert not ContactRecord.objects.exists()
    sound = io.BytesIO()
    with wave.open(sound, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * 8000)
    wav = SimpleUploadedFile("call.wav", sound.getvalue(), content_type="audio/wav")
    client.post(url, {"outcome": "reached", "channel": "phone", "recording": wav})
    recording = Recording.objects.get()
    assert recording.contact.task_id == task.pk and recording.duration_seconds == pytest.approx(1.0)


def test_the_counters_leave_out_patients_who_left_care_with_or_without_filters(nurse, doctor, protocols):
    today = timezone.localdate()
    staying, leaving = make_patient(doctor, name="留下"), make_patient(doctor, name="离开")
    discharged(nurse, staying, protocols, 3)
    discharged(nurse, leaving, protocols, 3)
    everyone = Worklist(nurse, today).counts()
    # Recorded on the patient by other means than a call (an edit, a feed): the sweep ends the plan
    # later; until then the list and its counters leave the patient out already.
    leaving.deceased_on = today
    leaving.save()
    after = Worklist(nurse, today).counts()
    assert (after.today, after.upcoming) == (everyone.today // 2, everyone.upcoming // 2)
    filtered = Worklist(nurse, today, Filters(channel="phone")).counts()
    assert (filtered.today, filtered.upcoming) == (after.today, after.upcoming)
    names = {row.task.enrolment.patient.name for row in Worklist(nurse, today).page(1)[0]}
    assert names == {"留下"}


def test_a_withdrawn_care_consent_ends_the_plans_at_once(nurse, doctor, protocols):
    from careloop.patients.membership.actions import do_record_consent
    from careloop.patients.models import ConsentEvent

    patient = make_patient(doctor)
    enrolment = discharged(nurse, patient, protocols, 3)
    do_record_consent(doctor, patient, ConsentEvent(purpose="care", granted=False, method="verbal"))
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.ended_reason) == ("ended", "consent_withdrawn")
    assert not Worklist(nurse, timezone.localdate()).tasks().filter(enrolment=enrolment).exists()
