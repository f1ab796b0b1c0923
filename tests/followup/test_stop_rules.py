"""Stop rules in the sweep (careloop/followup/stopping.py): deceased, moved, goal met and plan ended end
the open enrolments of the protocols that stop on them, cancel their pending tasks, keep the done ones,
and are counted in the sweep's audit entry; a second sweep writes nothing."""

import pytest
from django.utils import timezone

from careloop.accounts.models import AuditEntry
from careloop.facts.models import LatestIndicator
from careloop.followup.actions import do_enrol
from careloop.followup.models import Enrolment, Task
from careloop.followup.sweep import run_sweep
from careloop.patients.models import Patient
from tests.factories import make_patient
from tests.followup.helpers import DAY, TODAY, at, protocol, step

pytestmark = pytest.mark.django_db
MANUAL = {"kind": "manual"}


def statuses(enrolment):
    enrolment.refresh_from_db()
    tasks = dict(enrolment.tasks.values_list("step", "status"))
    return enrolment.status, enrolment.ended_reason, tasks


@pytest.mark.parametrize(("field", "reason"), [("deceased_on", "deceased"), ("moved_away_on", "moved")])
def test_a_death_or_a_move_ends_the_plans_that_stop_on_it(org, nurse, patient, field, reason):
    stops = protocol(
        org, MANUAL, anchor="enrolment_date", stop_rules=[{"kind": "deceased"}, {"kind": "moved"}]
    )
    keeps = protocol(org, MANUAL, anchor="enrolment_date")
    steps = [step("d0", "0d", window={"after": 5}), step("d1", "1d", window={"after": 5})]
    stops.definition["steps"] = keeps.definition["steps"] = steps
    stops.save()
    keeps.save()
    stopping = do_enrol(nurse, patient, stops, TODAY, today=TODAY)
    keeping = do_enrol(nurse, patient, keeps, TODAY, today=TODAY)
    Task.objects.filter(enrolment=stopping, step="d0").update(status="done")
    Patient.objects.filter(pk=patient.pk).update(**{field: TODAY})
    result = run_sweep(TODAY)
    assert statuses(stopping) == ("ended", reason, {"d0": "done", "d1": "cancelled"})
    assert statuses(keeping) == ("active", "", {"d0": "pending", "d1": "pending"})
    assert result.ended == 1
    assert AuditEntry.objects.get(action="followup.sweep").detail["ended_by"] == {reason: 1}
    assert run_sweep(TODAY).written == 0


def test_death_is_the_reason_when_a_patient_also_moved(org, nurse, patient):
    chosen = protocol(
        org, MANUAL, anchor="enrolment_date", stop_rules=[{"kind": "moved"}, {"kind": "deceased"}]
    )
    enrolment = do_enrol(nurse, patient, chosen, TODAY, today=TODAY)
    Patient.objects.filter(pk=patient.pk).update(deceased_on=TODAY, moved_away_on=TODAY)
    run_sweep(TODAY)
    enrolment.refresh_from_db()
    assert enrolment.ended_reason == "deceased"


def test_a_goal_met_ends_the_enrolments_whose_rule_holds_today(org, nurse, doctor):
    rule = 'latest("8480-6") < 140'
    chosen = protocol(org, MANUAL, anchor="enrolment_date", stop_rules=[{"kind": "goal_met", "rule": rule}])
    controlled, high, unknown = (make_patient(doctor, name=f"病人{n}") for n in range(3))
    for person, value in ((controlled, 128), (high, 152)):
        LatestIndicator.objects.create(
            organization=org,
            patient=person,
            code="8480-6",
            value=value,
            observed_at=at(TODAY - DAY),
            changed_at=timezone.now(),
        )
    enrolments = {p.pk: do_enrol(nurse, p, chosen, TODAY, today=TODAY) for p in (controlled, high, unknown)}
    result = run_sweep(TODAY)
    assert result.ended == 1
    ended = dict(Enrolment.objects.values_list("patient_id", "ended_reason"))
    assert ended == {controlled.pk: "goal_met", high.pk: "", unknown.pk: ""}
    assert set(enrolments[controlled.pk].tasks.values_list("status", flat=True)) <= {"cancelled"}


def test_a_plan_ends_once_its_last_task_is_past_and_none_is_left_to_do(org, nurse, doctor):
    chosen = protocol(org, MANUAL, steps=[step("d3", "3d", window={"after": 2})], anchor="enrolment_date")
    done, overdue = (make_patient(doctor, name=f"病人{n}") for n in range(2))
    finished = do_enrol(nurse, done, chosen, TODAY, today=TODAY)
    waiting = do_enrol(nurse, overdue, chosen, TODAY, today=TODAY)
    assert run_sweep(TODAY + 3 * DAY).ended == 0  # the day-3 task is due today
    finished.tasks.update(status="done")
    result = run_sweep(TODAY + 4 * DAY)
    assert statuses(finished) == ("ended", "plan_ended", {"d3": "done"})
    # An overdue task is still to do: the plan is not over until someone does it (or it is cancelled).
    assert statuses(waiting) == ("active", "", {"d3": "pending"})
    assert result.ended == 1
    entry = AuditEntry.objects.filter(action="followup.sweep").last()
    assert entry is not None and entry.detail["ended_by"] == {"plan_ended": 1}
    assert run_sweep(TODAY + 4 * DAY).written == 0


def test_a_plan_recurring_without_end_never_ends_by_itself(org, nurse, patient):
    chosen = protocol(
        org, MANUAL, steps=[step("monthly", "1d", recurrence=[{"every": "1m"}])], anchor="enrolment_date"
    )
    enrolment = do_enrol(nurse, patient, chosen, TODAY - 400 * DAY, today=TODAY)
    enrolment.tasks.update(status="done")
    run_sweep(TODAY)
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
