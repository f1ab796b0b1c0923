"""The escalation ladder: a pending task no one has answered climbs its protocol's ladder (portal → SMS →
phone call → the supervisor) as the rungs' days pass, set-based: one UPDATE per (protocol version, rung),
whatever the number of tasks.

Rung k is reached once the task has been open (its `opens` date) for the sum of the first k rungs'
`after_days` (trigger_rules.rung_after_days) and no contact made for it reached the patient (a
ContactRecord with an outcome in REACHED). The rungs are taken from the top down, so a task long overdue
goes straight to the highest rung it has reached, written once (a first sweep over many overdue tasks
writes each row once, not once per rung); a second sweep finds nothing to climb.

The rung sets the task's channel and its assignee as a step's assignee is resolved: a role's queue, the
patient's responsible doctor (or the role when there is none), a named user (or the role when that user
is not on the staff). The supervisor of the product's example is the "admin" role's queue: departments
name no head, and the organization's administrators are those who assign work.
"""

import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Subquery

from careloop.accounts.models import User
from careloop.followup.contact_models import REACHED, ContactRecord
from careloop.followup.models import Enrolment, Protocol, Task
from careloop.followup.protocol_reading import Rung
from careloop.followup.trigger_rules import rung_after_days


def escalate(org_id: int, today: datetime.date) -> int:
    """Move each unanswered task up to the highest rung it has reached; the number of tasks moved."""
    reached = ContactRecord.objects.filter(task_id=OuterRef("pk"), outcome__in=REACHED)
    climbed = 0
    for protocol in Protocol.objects.filter(organization_id=org_id):
        ladder = protocol.parsed.escalation
        rungs = list(enumerate(zip(ladder, rung_after_days(ladder), strict=True), start=1))
        for number, (_rung, days) in reversed(rungs):
            tasks = Task.objects.filter(
                organization_id=org_id,
                enrolment__protocol=protocol,
                status="pending",
                rung__lt=number,
                opens__lte=today - datetime.timedelta(days=days),
            ).exclude(Exists(reached))
            # Everything the rungs up to this one set, later rungs winning: the supervisor's rung names
            # an assignee, and the call it takes over stays a call.
            changes: dict[str, Any] = {}
            for lower, _days in (step for _number, step in rungs[:number]):
                changes.update(_changes(org_id, lower))
            climbed += tasks.update(rung=number, **changes)
    return climbed


def _changes(org_id: int, rung: Rung) -> dict[str, Any]:
    """The columns a rung sets: its channel, its assignee."""
    changes: dict[str, Any] = {}
    if rung.channel:
        changes["channel"] = rung.channel
    assignee = rung.assignee
    if assignee is None:
        return changes
    changes["assignee_role"] = assignee.role
    if assignee.kind == "responsible_doctor":
        doctor = Enrolment.objects.filter(pk=OuterRef("enrolment_id")).values(
            "patient__responsible_doctor_id"
        )
        changes["assignee_user_id"] = Subquery(doctor[:1])
    elif assignee.kind == "user":
        user = User.objects.filter(organization_id=org_id, username=assignee.username, is_active=True).first()
        changes["assignee_user_id"] = user.pk if user is not None else None
    else:
        changes["assignee_user_id"] = None
    return changes
