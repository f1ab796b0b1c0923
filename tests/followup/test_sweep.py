"""The daily sweep (careloop/followup/sweep.py): due tasks made set-based, nothing written twice, superseded
tasks missed, stop rules applied, one organization at a time when asked."""

import datetime
import io

import pytest
from django.core.management import call_command

from careloop.accounts.models import AuditEntry
from careloop.followup.actions import do_enrol, do_install_shipped, dry_run, horizon
from careloop.followup.models import Enrolment, SweepState, Task
from careloop.followup.sweep import run_sweep
from careloop.patients.models import ConsentEvent
from tests.factories import make_patient, make_user

TODAY = datetime.date(2026, 12, 7)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def protocols(org):
    installed = {p.key: p for p in do_install_shipped(org)}
    installed["post-discharge"].status = "active"
    installed["post-discharge"].save()
    return installed


def enrol_without_tasks(patient, protocol, anchor, started_on=None):
    """An enrolment as an import or a crashed request leaves it: no tasks made yet."""
    return Enrolment.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        protocol=protocol,
        anchor=anchor,
        started_on=started_on or anchor,
    )


def rows():
    return sorted(
        Task.objects.values_list(
            "enrolment_id", "step", "number", "due", "opens", "closes", "channel", "content_kind",
            "content_ref", "assignee_role", "assignee_user_id", "status",
        )
    )  # fmt: skip


def test_the_sweep_makes_the_tasks_the_dry_run_shows_and_a_second_run_writes_nothing(
    doctor, patient, protocols
):
    patient.responsible_doctor = doctor
    patient.save(update_fields=["responsible_doctor"])
    discharged = TODAY - 2 * DAY
    enrolment = enrol_without_tasks(patient, protocols["post-discharge"], discharged, started_on=TODAY)
    first = run_sweep(TODAY)
    shown = dry_run(protocols["post-discharge"], discharged, horizon(TODAY), today=TODAY)
    assert [(t.step, t.number, t.due) for t in Task.objects.order_by("due")] == [
        (t.step, t.number, t.due) for t in shown
    ]
    assert first.created == 3
    assert Task.objects.get(step="call-d3").assignee_user_id == doctor.pk
    assert Task.objects.get(step="call-d7").assignee_role == "nurse"
    before = (rows(), AuditEntry.objects.count(), list(Enrolment.objects.values()))
    second = run_sweep(TODAY)
    assert second.written == 0
    assert (rows(), AuditEntry.objects.count(), list(Enrolment.objects.values())) == before
    assert enrolment.tasks.count() == 3


def test_tasks_are_made_only_as_they_come_within_the_horizon(nurse, patient, protocols):
    enrolment = do_enrol(nurse, patient, protocols["hypertension"], TODAY, today=TODAY)
    assert enrolment.tasks.count() == 0  # the first visit is three months away
    assert run_sweep(TODAY + 30 * DAY).created == 0
    assert run_sweep(TODAY + 70 * DAY).created == 1
    assert list(enrolment.tasks.values_list("step", "number", "due")) == [
        ("visit", 0, datetime.date(2027, 3, 7))
    ]


def test_an_overdue_task_stays_open_until_the_next_occurrence_opens_then_it_is_missed(
    nurse, patient, protocols
):
    enrolment = do_enrol(nurse, patient, protocols["hypertension"], TODAY, today=TODAY)
    run_sweep(datetime.date(2027, 3, 1))
    run_sweep(datetime.date(2027, 4, 1))  # overdue since 8 March: still the nurse's to do
    assert enrolment.tasks.get(number=0).status == "pending"
    result = run_sweep(datetime.date(2027, 6, 7))  # the June visit is open: March's is missed
    assert result.missed == 1
    assert dict(enrolment.tasks.values_list("number", "status")) == {0: "missed", 1: "pending"}
    assert run_sweep(datetime.date(2027, 6, 7)).written == 0


def test_a_withdrawn_consent_ends_the_enrolment_and_cancels_its_pending_tasks(nurse, patient, protocols):
    enrolment = do_enrol(nurse, patient, protocols["post-discharge"], TODAY, today=TODAY)
    other = make_patient(nurse, name="李四")
    kept = do_enrol(nurse, other, protocols["post-discharge"], TODAY, today=TODAY)
    now = datetime.datetime(2026, 12, 7, 9, tzinfo=datetime.UTC)
    # Written by other means than the consent form (which ends the plans at once, test_worklist.py):
    # the sweep finds them. Withdrawn, then granted again: the newest event wins.
    ConsentEvent.objects.bulk_create(
        [
            ConsentEvent(patient=patient, purpose="care", granted=False, at=now),
            ConsentEvent(patient=other, purpose="care", granted=False, at=now),
            ConsentEvent(patient=other, purpose="care", granted=True, at=now + DAY),
        ]
    )
    assert run_sweep(TODAY).ended == 1
    enrolment.refresh_from_db()
    kept.refresh_from_db()
    assert (enrolment.status, enrolment.ended_reason, kept.status) == ("ended", "consent_withdrawn", "active")
    assert set(enrolment.tasks.values_list("status", flat=True)) == {"cancelled"}
    assert set(kept.tasks.values_list("status", flat=True)) == {"pending"}
    assert AuditEntry.objects.get(action="followup.sweep").detail["ended"] == 1


def test_the_command_sweeps_one_organization_when_asked(org, other_org, patient, protocols):
    other_protocol = {p.key: p for p in do_install_shipped(other_org)}["hypertension"]
    other_patient = make_patient(make_user(other_org), name="王五")
    enrol_without_tasks(patient, protocols["hypertension"], TODAY - 80 * DAY)
    enrol_without_tasks(other_patient, other_protocol, TODAY - 80 * DAY)
    out = io.StringIO()
    call_command("sweep", "--organization", org.code, "--today", TODAY.isoformat(), stdout=out)
    assert "tasks made: 1" in out.getvalue()
    assert set(Task.objects.values_list("organization_id", flat=True)) == {org.pk}
    assert AuditEntry.objects.filter(action="followup.sweep").get().organization_id == org.pk


def test_a_sweep_in_batches_ends_as_one_batch_does(nurse, protocols):
    for n in range(12):
        patient = make_patient(nurse, name=f"病人{n}")
        protocol = protocols["hypertension" if n % 2 else "post-discharge"]
        enrol_without_tasks(patient, protocol, TODAY - (n * 9) * DAY)
    result = run_sweep(TODAY, batch_enrolments=1)
    batched = rows()
    assert result.batches > 5
    Task.objects.all().delete()
    run_sweep(TODAY, batch_enrolments=1000, full=True)
    assert rows() == batched


def test_a_daily_run_makes_only_the_days_new_tasks_and_full_finds_what_others_wrote(patient, protocols):
    run_sweep(TODAY)
    assert SweepState.objects.get().planned_through == horizon(TODAY)
    # An enrolment written without its tasks (not through do_enrol) after the sweep reached the horizon:
    # a daily run looks only at what falls due after it, --full at everything.
    enrol_without_tasks(patient, protocols["post-discharge"], TODAY, started_on=TODAY)
    assert run_sweep(TODAY).written == 0
    assert run_sweep(TODAY + DAY).created == 0  # the day-3, day-7 and day-30 calls fall before the new slice
    assert run_sweep(TODAY + DAY, full=True).created == 3


def test_an_enrolment_made_after_the_sweep_went_ahead_gets_its_tasks_as_far_as_the_sweep_went(
    nurse, patient, protocols
):
    run_sweep(TODAY + 70 * DAY)  # tasks made through TODAY + 100 days
    enrolment = do_enrol(nurse, patient, protocols["hypertension"], TODAY, today=TODAY)
    # The first visit, 90 days on, is beyond today's horizon but within what the sweep has done.
    assert list(enrolment.tasks.values_list("step", "due")) == [("visit", datetime.date(2027, 3, 7))]
