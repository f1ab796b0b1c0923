"""Adaptive frequency (随访频次动态调整): a contact that reached the patient and finds them not controlled
brings the next contact forward, as the protocol's `adapt` entries say (hypertension and diabetes: within
2 weeks of an uncontrolled visit, followup-norms §1.3, §2).

Read after the contact is recorded, from the patient's facts as they stand (careloop.facts snapshots, the
same facts the rules read everywhere). A recheck is made only when no open task of the plan already falls
due by then: the regular visit may come soon enough.
"""

import datetime

from careloop.accounts.models import User
from careloop.facts.snapshots import snapshot_for
from careloop.followup.models import Enrolment, Task
from careloop.followup.protocol_reading import Adaptation
from careloop.patients.models import Patient
from careloop.rules import evaluate, parse


def make_rechecks(enrolment: Enrolment, patient: Patient, today: datetime.date) -> list[Task]:
    """The recheck tasks the patient's facts now call for (made and returned)."""
    adaptations = enrolment.protocol.parsed.adaptations
    if not adaptations:
        return []
    facts = snapshot_for(Patient.objects.filter(pk=patient.pk), today)[patient.pk]
    made = []
    for adaptation in adaptations:
        if not evaluate(parse(adaptation.rule), facts):
            continue
        due = today + datetime.timedelta(days=adaptation.within_days)
        if Task.objects.filter(enrolment=enrolment, status="pending", due__lte=due).exists():
            continue
        made.append(
            Task.objects.create(
                organization_id=enrolment.organization_id,
                enrolment=enrolment,
                step=adaptation.key,
                number=Task.objects.filter(enrolment=enrolment, step=adaptation.key).count(),
                due=due,
                opens=today,
                closes=due,
                channel=adaptation.channel,
                content_kind="script",
                assignee_role=adaptation.assignee.role,
                assignee_user_id=_assignee(adaptation, enrolment, patient),
            )
        )
    return made


def _assignee(adaptation: Adaptation, enrolment: Enrolment, patient: Patient) -> int | None:
    """Resolved as a step's assignee is (actions.task_rows): the role's queue when no one is named."""
    assignee = adaptation.assignee
    if assignee.kind == "responsible_doctor":
        return patient.responsible_doctor_id
    if assignee.kind == "user":
        return (
            User.objects.filter(
                organization_id=enrolment.organization_id, username=assignee.username, is_active=True
            )
            .values_list("pk", flat=True)
            .first()
        )
    return None
