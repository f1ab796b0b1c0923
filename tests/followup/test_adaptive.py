"""Adaptive frequency (adaptive.py): an uncontrolled visit brings a visit within 2 weeks (followup-norms
§1.3, §2), read from the protocol's `adapt` entries."""

import datetime

import pytest
from django.utils import timezone

from careloop.facts.models import LatestIndicator
from careloop.followup.actions import do_enrol, do_install_shipped
from careloop.followup.contacts import ContactInput, do_record_contact
from careloop.followup.models import Task
from careloop.followup.protocol_reading import ProtocolError, read_protocol
from careloop.followup.wording import step_label

SBP, DBP, FPG = "8480-6", "8462-4", "1558-6"


@pytest.fixture
def protocols(org):
    return {p.key: p for p in do_install_shipped(org)}


def visit_due_today(nurse, patient, protocol):
    """Enrolled three months ago: the first quarterly visit is the task at hand; it is done now."""
    today = timezone.localdate()
    enrolment = do_enrol(nurse, patient, protocol, today - datetime.timedelta(days=92))
    task = Task.objects.filter(enrolment=enrolment, status="pending").order_by("due").first()
    if task is None:  # its window may not have been made: make the visit due today
        task = Task.objects.create(
            organization_id=enrolment.organization_id, enrolment=enrolment, step="visit", number=0,
            due=today, opens=today, closes=today, channel="visit", content_kind="script",
            assignee_role="doctor",
        )  # fmt: skip
    Task.objects.filter(enrolment=enrolment).exclude(pk=task.pk).delete()
    return enrolment, task


def measured(patient, code, value, days_ago=0):
    when = timezone.now() - datetime.timedelta(days=days_ago)
    LatestIndicator.objects.update_or_create(
        patient=patient,
        code=code,
        defaults={
            "organization_id": patient.organization_id,
            "value": value,
            "observed_at": when,
            "changed_at": when,
        },
    )


@pytest.mark.parametrize(
    ("protocol", "readings", "recheck"),
    [
        ("hypertension", [(SBP, 152, 0), (DBP, 84, 0)], True),
        ("hypertension", [(SBP, 132, 0), (DBP, 92, 1)], True),  # diastolic alone
        ("hypertension", [(SBP, 132, 0), (DBP, 84, 0)], False),  # controlled
        ("hypertension", [(SBP, 160, 20), (DBP, 100, 20)], False),  # an old reading: not this visit's
        ("diabetes", [(FPG, 8.1, 0)], True),
        ("diabetes", [(FPG, 6.2, 0)], False),
    ],
)
def test_an_uncontrolled_visit_brings_a_visit_within_two_weeks(
    doctor, patient, protocols, protocol, readings, recheck
):
    enrolment, task = visit_due_today(doctor, patient, protocols[protocol])
    for code, value, days_ago in readings:
        measured(patient, code, value, days_ago)
    do_record_contact(doctor, task, ContactInput("reached"))
    made = Task.objects.filter(enrolment=enrolment, step="recheck-uncontrolled")
    assert made.exists() is recheck
    if recheck:
        [extra] = made
        today = timezone.localdate()
        assert (extra.due, extra.opens, extra.channel, extra.status) == (
            today + datetime.timedelta(days=14),
            today,
            "visit",
            "pending",
        )
        assert "2" in step_label(enrolment.protocol, extra.step, extra.number)


def test_no_recheck_when_a_visit_is_due_within_the_two_weeks_anyway(doctor, patient, protocols):
    enrolment, task = visit_due_today(doctor, patient, protocols["hypertension"])
    soon = timezone.localdate() + datetime.timedelta(days=10)
    Task.objects.create(
        organization_id=enrolment.organization_id, enrolment=enrolment, step="visit", number=1, due=soon,
        opens=soon, closes=soon, channel="visit", content_kind="script", assignee_role="doctor",
    )  # fmt: skip
    measured(patient, SBP, 165)
    do_record_contact(doctor, task, ContactInput("reached"))
    assert not Task.objects.filter(step="recheck-uncontrolled").exists()


def test_an_unreached_patient_gets_no_recheck(doctor, patient, protocols):
    _enrolment, task = visit_due_today(doctor, patient, protocols["hypertension"])
    measured(patient, SBP, 165)
    do_record_contact(doctor, task, ContactInput("no_answer"))
    assert not Task.objects.filter(step="recheck-uncontrolled").exists()


BASE = {
    "trigger": {"kind": "manual"},
    "anchor": "enrolment_date",
    "steps": [
        {
            "key": "visit", "offset": "3m", "channel": "visit",
            "assignee": {"kind": "role", "role": "doctor"},
            "content": {"kind": "script", "text": {"zh": "随访"}},
        }
    ],
}  # fmt: skip
ADAPT = {
    "key": "recheck", "when": 'latest("8480-6") >= 140', "within_days": 14, "channel": "visit",
    "content": {"kind": "script", "text": {"zh": "复查"}}, "assignee": {"kind": "role", "role": "doctor"},
    "name": {"zh": "复查"},
}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"when": 'latest("8480-6") >>= 140'}, "adapt[0].when"),
        ({"within_days": 0}, "adapt[0].within_days"),
        ({"key": "visit"}, "adapt[0].key"),
        ({"channel": "pigeon"}, "adapt[0].channel"),
    ],
)
def test_a_wrong_adapt_entry_is_named_by_its_path(change, path):
    with pytest.raises(ProtocolError) as refused:
        read_protocol({**BASE, "adapt": [{**ADAPT, **change}]})
    assert refused.value.path == path


def test_a_good_adapt_entry_reads():
    [adaptation] = read_protocol({**BASE, "adapt": [ADAPT]}).adaptations
    assert (adaptation.key, adaptation.within_days, adaptation.assignee.role) == ("recheck", 14, "doctor")
