"""Installing protocols, enrolling, ending, moving the anchor, the dry run (careloop/followup/actions.py)."""

import datetime

import pytest

from careloop.accounts.models import AuditEntry
from careloop.followup.actions import (
    EnrolmentRefused,
    do_end_enrolment,
    do_enrol,
    do_install_shipped,
    do_move_anchor,
    do_set_protocol_status,
    dry_run,
    horizon,
)
from careloop.followup.models import Enrolment, Protocol, Task
from careloop.followup.shipped import SHIPPED
from tests.factories import make_patient

TODAY = datetime.date(2026, 12, 7)


@pytest.fixture
def protocols(org, admin_user):
    installed = {p.key: p for p in do_install_shipped(org)}
    do_set_protocol_status(admin_user, installed["post-discharge"], "active")
    return installed


def tasks_of(enrolment):
    return [
        (t.step, t.number, t.due, t.opens, t.closes, t.status)
        for t in Task.objects.filter(enrolment=enrolment).order_by("due", "step", "number")
    ]


def test_installing_twice_installs_once_and_switches_on_only_the_confirmed_protocols(org):
    first = do_install_shipped(org)
    second = do_install_shipped(org)
    assert [p.pk for p in first] == [p.pk for p in second]
    assert Protocol.objects.filter(organization=org).count() == len(SHIPPED)
    assert {p.key: p.status for p in first} == {
        "post-discharge": "draft",
        "post-discharge-chronic": "draft",
        "hypertension": "active",
        "diabetes": "active",
        "older-adult-annual-check": "active",
        "post-surgery": "draft",
    }
    assert AuditEntry.objects.filter(action="protocol.install", organization=org).count() == len(SHIPPED)


def test_a_changed_definition_of_a_protocol_in_use_becomes_a_new_version(org, nurse, patient, protocols):
    hypertension = protocols["hypertension"]
    enrolment = do_enrol(nurse, patient, hypertension, TODAY, today=TODAY)
    Protocol.objects.filter(pk=hypertension.pk).update(definition={**hypertension.definition, "steps": []})
    current = {p.key: p for p in do_install_shipped(org)}["hypertension"]
    assert current.version == 2 and current.status == "active"
    assert Protocol.objects.get(pk=hypertension.pk).status == "retired"
    enrolment.refresh_from_db()
    assert enrolment.protocol_id == hypertension.pk  # the enrolment keeps the version it was made with


def test_a_protocol_without_steps_cannot_be_switched_on(admin_user, protocols):
    with pytest.raises(EnrolmentRefused, match="without steps"):
        do_set_protocol_status(admin_user, protocols["post-surgery"], "active")


def test_enrolling_makes_exactly_the_tasks_the_dry_run_showed(nurse, doctor, patient, protocols):
    patient.responsible_doctor = doctor
    patient.save(update_fields=["responsible_doctor"])
    protocol = protocols["post-discharge"]
    discharged = TODAY - datetime.timedelta(days=1)
    shown = dry_run(protocol, discharged, horizon(TODAY), today=TODAY)
    enrolment = do_enrol(
        nurse, patient, protocol, discharged, {"kind": "discharge", "encounter": 7}, today=TODAY
    )
    made = [(t.step, t.number, t.due, t.opens, t.closes, "pending") for t in shown]
    assert tasks_of(enrolment) == made
    assert [(s, d) for s, _, d, *_ in made] == [
        ("call-d3", discharged + datetime.timedelta(days=3)),
        ("call-d7", discharged + datetime.timedelta(days=7)),
        ("call-d30", discharged + datetime.timedelta(days=30)),
    ]
    # The responsible doctor takes the doctor's call; the nurses' queue takes the others.
    assignees = dict(Task.objects.filter(enrolment=enrolment).values_list("step", "assignee_user_id"))
    assert assignees == {"call-d3": doctor.pk, "call-d7": None, "call-d30": None}
    assert enrolment.trigger == {"kind": "discharge", "encounter": 7}
    entry = AuditEntry.objects.get(action="enrolment.create")
    assert entry.patient_id == patient.pk and entry.detail["tasks"] == 3


def test_a_plan_does_not_owe_what_closed_before_it_began(nurse, patient, protocols):
    discharged = TODAY - datetime.timedelta(days=20)  # the day-3 and day-7 calls are over
    enrolment = do_enrol(nurse, patient, protocols["post-discharge"], discharged, today=TODAY)
    assert [step for step, *_ in tasks_of(enrolment)] == ["call-d30"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("draft", "not in use"),
        ("other_org", "another organization"),
        ("twice", "already enrolled"),
    ],
)
def test_an_enrolment_is_refused_saying_why(change, message, nurse, patient, protocols, other_org):
    protocol = protocols["hypertension"]
    if change == "draft":
        protocol = protocols["post-surgery"]
    elif change == "other_org":
        protocol = {p.key: p for p in do_install_shipped(other_org)}["hypertension"]
    else:
        do_enrol(nurse, patient, protocol, TODAY, today=TODAY)
    with pytest.raises(EnrolmentRefused, match=message):
        do_enrol(nurse, patient, protocol, TODAY, today=TODAY)


def test_ending_an_enrolment_cancels_its_pending_tasks_and_keeps_the_done_ones(nurse, patient, protocols):
    enrolment = do_enrol(nurse, patient, protocols["post-discharge"], TODAY, today=TODAY)
    Task.objects.filter(enrolment=enrolment, step="call-d3").update(status="done")
    do_end_enrolment(nurse, enrolment, "moved")
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.ended_reason) == ("ended", "moved")
    assert {s: st for s, _, _, _, _, st in tasks_of(enrolment)} == {
        "call-d3": "done",
        "call-d7": "cancelled",
        "call-d30": "cancelled",
    }
    assert AuditEntry.objects.get(action="enrolment.end").detail == {"reason": "moved", "cancelled_tasks": 2}
    # Ended, the patient may be enrolled again.
    do_enrol(nurse, patient, protocols["post-discharge"], TODAY, today=TODAY)


def test_moving_the_anchor_recomputes_pending_tasks_and_leaves_done_ones(nurse, patient, protocols):
    first = TODAY - datetime.timedelta(days=3)
    enrolment = do_enrol(nurse, patient, protocols["post-discharge"], first, today=TODAY)
    Task.objects.filter(enrolment=enrolment, step="call-d3").update(status="done")
    corrected = TODAY - datetime.timedelta(days=1)
    assert do_move_anchor(nurse, enrolment, corrected, today=TODAY) == 2
    tasks = {step: (due, status) for step, _, due, _, _, status in tasks_of(enrolment)}
    assert tasks == {
        "call-d3": (first + datetime.timedelta(days=3), "done"),
        "call-d7": (corrected + datetime.timedelta(days=7), "pending"),
        "call-d30": (corrected + datetime.timedelta(days=30), "pending"),
    }
    entry = AuditEntry.objects.get(action="enrolment.move_anchor")
    assert entry.detail["anchor"] == [first.isoformat(), corrected.isoformat()]


def test_tasks_and_enrolments_belong_to_the_patients_organization(nurse, patient, protocols, other_org):
    enrolment = do_enrol(nurse, patient, protocols["hypertension"], TODAY, today=TODAY)
    assert Enrolment.objects.get().organization_id == patient.organization_id
    assert set(Task.objects.values_list("organization_id", flat=True)) <= {patient.organization_id}
    other_patient = make_patient(nurse, name="李四")
    assert other_patient.organization_id == enrolment.organization_id
