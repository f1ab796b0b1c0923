"""The escalation ladder (careloop/followup/escalation.py): a pending task no one has answered climbs a
rung after each rung's days, its channel and assignee as the rung says; a contact that reached the
patient stops it; a second sweep the same day climbs nothing."""

import pytest

from careloop.followup.actions import do_enrol
from careloop.followup.contact_models import ContactRecord
from careloop.followup.models import Task
from careloop.followup.sweep import run_sweep
from tests.followup.helpers import DAY, TODAY, protocol, step

pytestmark = pytest.mark.django_db
LADDER = [
    {"after_days": 2, "channel": "sms"},
    {"after_days": 2, "channel": "phone"},
    {"after_days": 2, "assignee": {"kind": "role", "role": "admin"}},
]


@pytest.fixture
def task(org, nurse, patient):
    """A portal task opening today, assigned to a named nurse, on the issue's example ladder."""
    portal = step("d0", "0d", channel="portal", window={"after": 30})
    portal["assignee"] = {"kind": "user", "username": nurse.username}
    chosen = protocol(org, {"kind": "manual"}, steps=[portal], anchor="enrolment_date", escalation=LADDER)
    enrolment = do_enrol(nurse, patient, chosen, TODAY, today=TODAY)
    return enrolment.tasks.get()


def state(task):
    task.refresh_from_db()
    return task.rung, task.channel, task.assignee_role, task.assignee_user_id


def test_an_unanswered_task_climbs_one_rung_after_each_rungs_days(task, nurse):
    assert state(task) == (0, "portal", "nurse", nurse.pk)
    assert run_sweep(TODAY + DAY).escalated == 0
    assert run_sweep(TODAY + 2 * DAY).escalated == 1
    assert state(task) == (1, "sms", "nurse", nurse.pk)
    assert run_sweep(TODAY + 2 * DAY).written == 0
    assert run_sweep(TODAY + 3 * DAY).escalated == 0
    run_sweep(TODAY + 4 * DAY)
    assert state(task) == (2, "phone", "nurse", nurse.pk)
    run_sweep(TODAY + 6 * DAY)
    assert state(task) == (3, "phone", "admin", None)  # the supervisor: the admin role's queue
    assert run_sweep(TODAY + 30 * DAY).escalated == 0  # the top of the ladder


def test_a_task_left_long_climbs_the_whole_ladder_in_one_sweep(task):
    assert run_sweep(TODAY + 9 * DAY).escalated == 1  # one task, written once, straight to the top
    assert state(task)[:3] == (3, "phone", "admin")


def test_a_contact_that_reached_the_patient_stops_the_climb_and_one_that_did_not_does_not(task, org, nurse):
    ContactRecord.objects.create(
        organization=org,
        patient_id=task.enrolment.patient_id,
        task=task,
        channel="portal",
        outcome="no_answer",
    )
    run_sweep(TODAY + 2 * DAY)
    assert state(task)[0] == 1
    ContactRecord.objects.create(
        organization=org, patient_id=task.enrolment.patient_id, task=task, channel="sms", outcome="reached"
    )
    assert run_sweep(TODAY + 9 * DAY).escalated == 0
    assert state(task)[0] == 1


def test_a_done_task_does_not_climb(task):
    Task.objects.filter(pk=task.pk).update(status="done")
    assert run_sweep(TODAY + 9 * DAY).escalated == 0


def test_a_rung_may_hand_the_task_to_the_responsible_doctor(org, nurse, doctor, patient):
    patient.responsible_doctor = doctor
    patient.save(update_fields=["responsible_doctor"])
    ladder = [{"after_days": 1, "assignee": {"kind": "responsible_doctor"}}]
    chosen = protocol(
        org, {"kind": "manual"}, steps=[step("d0", "0d")], anchor="enrolment_date", escalation=ladder
    )
    task = do_enrol(nurse, patient, chosen, TODAY, today=TODAY).tasks.get()
    run_sweep(TODAY + DAY)
    assert state(task) == (1, "phone", "doctor", doctor.pk)
