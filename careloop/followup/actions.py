"""Changes of state in follow-up: one `do_*` per change, each writing its audit entry in the same transaction.

Views, commands and the sweep all come through here; `dry_run` shows what `do_enrol` would create.
"""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.models import Organization, User
from careloop.followup.models import Enrolment, Protocol, SweepState, Task
from careloop.followup.planning import PlannedTask, planned
from careloop.followup.schedule import rescheduled
from careloop.followup.shipped import SHIPPED, shipped_protocol
from careloop.patients.models import Patient

OPEN_STATUSES = ("active", "lost")


class EnrolmentRefused(ValueError):
    """The enrolment cannot be made as asked; the message says why."""


def do_install_shipped(organization: Organization) -> list[Protocol]:
    """Install (or bring up to date) the shipped protocols; the current version of each.

    Idempotent. A changed definition replaces the latest version in place only while no enrolment uses
    it; otherwise it becomes the next version, and the enrolments keep the one they were made with.
    """
    current = []
    with transaction.atomic():
        for key in SHIPPED:
            shipped = shipped_protocol(key)
            latest = Protocol.objects.filter(organization=organization, key=key).order_by("-version").first()
            if latest is not None and latest.definition == shipped.definition:
                current.append(latest)
                continue
            if latest is not None and not latest.enrolments.exists():
                latest.definition = shipped.definition
                latest.name_zh, latest.name_en = shipped.name_zh, shipped.name_en
                latest.save(update_fields=["definition", "name_zh", "name_en"])
            else:
                latest = Protocol.objects.create(
                    organization=organization,
                    key=key,
                    version=latest.version + 1 if latest else 1,
                    name_zh=shipped.name_zh,
                    name_en=shipped.name_en,
                    # A new version of a protocol in use stays in use; a first install takes the file's.
                    status=latest.status if latest else shipped.status,
                    definition=shipped.definition,
                )
                Protocol.objects.filter(organization=organization, key=key, status="active").exclude(
                    pk=latest.pk
                ).update(status="retired")
            audit.record(
                "protocol.install",
                organization_id=organization.pk,
                obj=latest,
                detail={"key": key, "version": latest.version, "status": latest.status},
            )
            current.append(latest)
    return current


def do_set_protocol_status(user: User | None, protocol: Protocol, status: str) -> Protocol:
    """Switch a protocol version on ("active"), off ("draft") or retire it; enrolments made stay."""
    if status not in ("draft", "active", "retired"):
        raise ValueError(f"unknown protocol status {status!r}")
    if status == "active" and not protocol.parsed.steps:
        raise EnrolmentRefused("a protocol without steps cannot be switched on")
    with transaction.atomic():
        before = protocol.status
        protocol.status = status
        protocol.save(update_fields=["status"])
        audit.record(
            "protocol.status",
            organization_id=protocol.organization_id,
            obj=protocol,
            actor=user,
            detail={"key": protocol.key, "version": protocol.version, "status": [before, status]},
        )
    return protocol


def horizon(today: datetime.date) -> datetime.date:
    """The last due date a task is made for now: the worklist's "upcoming" reach."""
    return today + datetime.timedelta(days=settings.FOLLOWUP_HORIZON_DAYS)


def made_through(organization_id: int, today: datetime.date) -> datetime.date:
    """How far an enrolment's tasks are made at once: the horizon, or further if the sweep has already
    gone further (it makes only what falls due after the day it reached)."""
    swept = SweepState.objects.filter(organization_id=organization_id).values_list(
        "planned_through", flat=True
    )
    return max([horizon(today), *swept])


def dry_run(
    protocol: Protocol, anchor: datetime.date, until: datetime.date, *, today: datetime.date | None = None
) -> list[PlannedTask]:
    """Exactly the tasks enrolling today with this anchor makes, through `until`, before anyone enrols."""
    today = today or timezone.localdate()
    return planned(protocol.parsed, anchor, until=until, closing_from=today)


def do_enrol(
    user: User | None,
    patient: Patient,
    protocol: Protocol,
    anchor: datetime.date,
    trigger: Mapping[str, Any] | None = None,
    *,
    today: datetime.date | None = None,
) -> Enrolment:
    """Enrol the patient and make the tasks due within the horizon at once (the sweep makes the later ones).

    `trigger` is what enrolled them, kept as provenance: {"kind": "manual"} when None.
    """
    if protocol.organization_id != patient.organization_id:
        raise EnrolmentRefused("the protocol belongs to another organization")
    if protocol.status != "active":
        raise EnrolmentRefused("the protocol is not in use")
    today = today or timezone.localdate()
    with transaction.atomic():
        # Locks the patient row: two enrolments racing for one patient take turns at this check.
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        if Enrolment.objects.filter(
            patient=patient, protocol__key=protocol.key, status__in=OPEN_STATUSES
        ).exists():
            raise EnrolmentRefused("the patient is already enrolled in this protocol")
        enrolment = Enrolment.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            protocol=protocol,
            anchor=anchor,
            started_on=today,
            enrolled_by=user,
            trigger=dict(trigger or {"kind": "manual"}),
        )
        until = made_through(patient.organization_id, today)
        tasks = planned(protocol.parsed, anchor, until=until, closing_from=today)
        Task.objects.bulk_create(
            task_rows(enrolment, patient.responsible_doctor_id, tasks), ignore_conflicts=True
        )
        audit.record(
            "enrolment.create",
            organization_id=patient.organization_id,
            obj=enrolment,
            patient_id=patient.pk,
            actor=user,
            detail={
                "protocol": protocol.key,
                "version": protocol.version,
                "anchor": anchor.isoformat(),
                "trigger": enrolment.trigger,
                "tasks": len(tasks),
            },
        )
    return enrolment


def task_rows(
    enrolment: Enrolment,
    doctor_id: int | None,
    tasks: Iterable[PlannedTask],
    users: Mapping[str, int] | None = None,
) -> list[Task]:
    """The rows of one enrolment's tasks, their assignee resolved as the sweep's SQL resolves it:
    `doctor_id` is the patient's responsible doctor, `users` the active staff by username (read here
    when not given; a caller making many enrolments' rows reads them once)."""
    tasks = list(tasks)
    if users is None:
        usernames = {task.assignee_username for task in tasks if task.assignee_kind == "user"}
        users = dict(
            User.objects.filter(
                organization_id=enrolment.organization_id, username__in=usernames, is_active=True
            ).values_list("username", "id")
        )
    rows = []
    for task in tasks:
        user_id = None
        if task.assignee_kind == "responsible_doctor":
            user_id = doctor_id
        elif task.assignee_kind == "user":
            user_id = users.get(task.assignee_username)
        rows.append(
            Task(
                organization_id=enrolment.organization_id,
                enrolment=enrolment,
                step=task.step,
                number=task.number,
                due=task.due,
                opens=task.opens,
                closes=task.closes,
                channel=task.channel,
                content_kind=task.content_kind,
                content_ref=task.content_ref,
                assignee_role=task.assignee_role,
                assignee_user_id=user_id,
            )
        )
    return rows


def do_end_enrolment(user: User | None, enrolment: Enrolment, reason: str) -> Enrolment:
    """End the enrolment and cancel its pending tasks; done and missed tasks stay as they were."""
    if reason not in {code for code, _ in Enrolment._meta.get_field("ended_reason").choices or []}:
        raise ValueError(f"unknown reason {reason!r}")
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if enrolment.status == "ended":
            return enrolment
        enrolment.status = "ended"
        enrolment.ended_reason = reason
        enrolment.ended_at = timezone.now()
        enrolment.save(update_fields=["status", "ended_reason", "ended_at"])
        cancelled = Task.objects.filter(enrolment=enrolment, status="pending").update(status="cancelled")
        audit.record(
            "enrolment.end",
            organization_id=enrolment.organization_id,
            obj=enrolment,
            patient_id=enrolment.patient_id,
            actor=user,
            detail={"reason": reason, "cancelled_tasks": cancelled},
        )
    return enrolment


def do_move_anchor(
    user: User | None, enrolment: Enrolment, anchor: datetime.date, *, today: datetime.date | None = None
) -> int:
    """Move the anchor (a corrected discharge date): pending tasks take their dates from the new anchor,
    done, missed and cancelled ones keep theirs. Tasks the new anchor brings within the horizon are made
    now. The number of pending tasks moved."""
    today = today or timezone.localdate()
    with transaction.atomic():
        enrolment = (
            Enrolment.objects.select_for_update().select_related("protocol", "patient").get(pk=enrolment.pk)
        )
        if enrolment.status == "ended":
            raise EnrolmentRefused("the enrolment has ended")
        before = enrolment.anchor
        steps = enrolment.protocol.parsed.schedule
        pending = list(Task.objects.filter(enrolment=enrolment, status="pending"))
        moved = rescheduled(anchor, steps, [(task.step, task.number) for task in pending])
        for task in pending:
            found = moved.get((task.step, task.number))
            if found is not None:
                task.due, task.opens, task.closes = found.due, found.opens, found.closes
        Task.objects.bulk_update(pending, ["due", "opens", "closes"])
        enrolment.anchor = anchor
        enrolment.save(update_fields=["anchor"])
        until = made_through(enrolment.organization_id, today)
        tasks = planned(enrolment.protocol.parsed, anchor, until=until, closing_from=today)
        Task.objects.bulk_create(
            task_rows(enrolment, enrolment.patient.responsible_doctor_id, tasks), ignore_conflicts=True
        )
        audit.record(
            "enrolment.move_anchor",
            organization_id=enrolment.organization_id,
            obj=enrolment,
            patient_id=enrolment.patient_id,
            actor=user,
            detail={"anchor": [before.isoformat(), anchor.isoformat()], "moved_tasks": len(pending)},
        )
    return len(pending)
