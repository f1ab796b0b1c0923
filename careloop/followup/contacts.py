"""Record a contact with its outcome, and what the outcome does (outcomes.py decides; this applies it).

A reached patient's task is done; an unreached one's stays pending, due again on the next contact
date. Three unreachable attempts in a row make the enrolment 失访 and raise an alert to the responsible
doctor; a later contact that reaches the patient makes it active again. Deceased and moved end every
plan of the patient and are kept on the patient, so the worklist never shows them again.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.models import User
from careloop.alerts.actions import do_raise_alert
from careloop.followup.adaptive import make_rechecks
from careloop.followup.contact_models import ContactRecord
from careloop.followup.models import Enrolment, Task
from careloop.followup.outcomes import REACHED, UNREACHED, UNREACHED_LIMIT, consequence
from careloop.patients.models import Patient
from careloop.questionnaires.models import QuestionnaireAnswer

OPEN = ("active", "lost")
EXTRA_STEP = "extra"  # a contact staff agreed with the patient, outside the protocol's schedule


@dataclass(frozen=True)
class ContactInput:
    outcome: str
    channel: str = "phone"
    note: str = ""
    next_contact_on: datetime.date | None = None
    answer: QuestionnaireAnswer | None = None


def unreached_in_a_row(enrolment: Enrolment) -> int:
    """The enrolment's attempts since the last one that reached someone."""
    count = 0
    for outcome in ContactRecord.objects.filter(enrolment=enrolment).values_list("outcome", flat=True)[:20]:
        if outcome in REACHED:
            break
        count += outcome in UNREACHED
    return count


def do_record_contact(user: User, task: Task, given: ContactInput) -> ContactRecord:
    """Record an attempt on `task` and apply its consequence; returns the contact record."""
    today = timezone.localdate()
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("enrolment__patient").get(pk=task.pk)
        enrolment = task.enrolment
        patient = enrolment.patient
        contact = ContactRecord.objects.create(
            organization_id=task.organization_id,
            patient=patient,
            task=task,
            enrolment=enrolment,
            channel=given.channel,
            outcome=given.outcome,
            note=given.note,
            next_contact_on=given.next_contact_on,
            answer=given.answer,
            recorded_by=user,
        )
        effect = consequence(given.outcome, enrolment.status, unreached_in_a_row(enrolment))
        if effect.task_done:
            Task.objects.filter(pk=task.pk, status="pending").update(status="done", done_at=timezone.now())
            if given.next_contact_on and effect.enrolment != "ended":
                _add_extra_task(task, given.next_contact_on, user)
            if effect.enrolment != "ended":
                make_rechecks(enrolment, patient, today)
        elif task.status == "pending":
            # Tried again on the day agreed, tomorrow by default; the window stretches to reach it.
            again = given.next_contact_on or today + datetime.timedelta(days=1)
            Task.objects.filter(pk=task.pk).update(due=again, closes=max(task.closes, again))
        if effect.patient_state:
            _record_patient_state(patient, effect.patient_state, today)
        if effect.enrolment == "ended":
            ended = (
                Enrolment.objects.filter(patient=patient, status__in=OPEN)
                if effect.end_every_plan
                else Enrolment.objects.filter(pk=enrolment.pk, status__in=OPEN)
            )
            ids = list(ended.values_list("pk", flat=True))
            ended.update(status="ended", ended_reason=effect.end_reason, ended_at=timezone.now())
            Task.objects.filter(enrolment_id__in=ids, status="pending").update(status="cancelled")
        elif effect.enrolment:
            Enrolment.objects.filter(pk=enrolment.pk).update(status=effect.enrolment)
        audit.record(
            "contact.record",
            organization_id=task.organization_id,
            obj=contact,
            patient_id=patient.pk,
            actor=user,
            detail={
                "task": task.pk,
                "channel": given.channel,
                "outcome": given.outcome,
                "enrolment": effect.enrolment or "unchanged",
            },
        )
        if effect.enrolment == "lost":
            _raise_lost_alert(enrolment, patient, contact, user)
    return contact


def _add_extra_task(task: Task, due: datetime.date, user: User) -> None:
    number = Task.objects.filter(enrolment_id=task.enrolment_id, step=EXTRA_STEP).count()
    Task.objects.create(
        organization_id=task.organization_id,
        enrolment_id=task.enrolment_id,
        step=EXTRA_STEP,
        number=number,
        due=due,
        opens=due,
        closes=due + datetime.timedelta(days=7),
        channel=task.channel,
        content_kind="script",
        assignee_user=user,
    )


def _record_patient_state(patient: Patient, state: str, today: datetime.date) -> None:
    field = "deceased_on" if state == "deceased" else "moved_away_on"
    Patient.objects.filter(pk=patient.pk, **{f"{field}__isnull": True}).update(**{field: today})


def _raise_lost_alert(enrolment: Enrolment, patient: Patient, contact: ContactRecord, user: User) -> None:
    protocol = enrolment.protocol
    do_raise_alert(
        organization_id=enrolment.organization_id,
        kind="lost_to_followup",
        severity="normal",
        title=protocol.name_zh,
        source_type="enrolment",
        source_id=str(enrolment.pk),
        reason=f"lost:{contact.pk}",  # one alert per loss: a patient found and lost again raises anew
        patient=patient,
        detail={"protocol": {"zh": protocol.name_zh, "en": protocol.name_en}, "attempts": UNREACHED_LIMIT},
        actor=user,
    )
