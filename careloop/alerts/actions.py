"""The alert inbox's changes of state: raise, acknowledge, assign, resolve.

Each writes its audit entry in the same transaction as the change. A change of status is one conditional
UPDATE (`... WHERE status = 'open'`), so two people acknowledging the same alert at once cannot both do it.
"""

import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.accounts import audit
from careloop.accounts.models import User
from careloop.accounts.roles import Perm
from careloop.alerts.models import SEVERITY_RANK, UNRESOLVED, Alert
from careloop.patients.models import Patient


class AlertRefused(ValueError):
    """The change does not apply to the alert as it is now; the message says why, for a person."""


@transaction.atomic
def do_raise_alert(
    *,
    organization_id: int,
    kind: str,
    severity: str,
    title: str,
    source_type: str,
    source_id: str,
    reason: str,
    patient: Patient | None = None,
    detail: dict[str, Any] | None = None,
    assigned_to: User | None = None,
    raised_at: datetime.datetime | None = None,
    actor: User | None = None,
) -> tuple[Alert, bool]:
    """The alert for (source, reason), made if it does not exist yet; True when it was made now.

    Without `assigned_to` the alert goes to the patient's responsible doctor, if an active one.
    """
    if severity not in SEVERITY_RANK:
        raise ValueError(f"unknown severity {severity!r}")
    if assigned_to is None and patient is not None:
        doctor = patient.responsible_doctor
        assigned_to = doctor if doctor is not None and doctor.is_active else None
    alert, created = Alert.objects.get_or_create(
        organization_id=organization_id,
        source_type=source_type,
        source_id=str(source_id),
        reason=reason,
        defaults={
            "patient": patient,
            "kind": kind,
            "severity": severity,
            "title": title[:200],
            "detail": detail or {},
            "assigned_to": assigned_to,
            "raised_at": raised_at or timezone.now(),
        },
    )
    if created:
        audit.record(
            "alert.raise",
            organization_id=organization_id,
            obj=alert,
            patient_id=alert.patient_id,
            actor=actor,
            detail={
                "kind": kind,
                "severity": severity,
                "source": f"{source_type}:{source_id}",
                "reason": reason,
                "assigned_to": alert.assigned_to_id,
            },
        )
    return alert, created


@transaction.atomic
def do_acknowledge(user: User, alert: Alert) -> Alert:
    """Someone has seen the alert and is on it; the time from raising to this is kept."""
    now = timezone.now()
    changed = Alert.objects.filter(pk=alert.pk, status="open").update(
        status="acknowledged", acknowledged_at=now, acknowledged_by=user
    )
    if not changed:
        raise AlertRefused(_("This alert is no longer open: someone has acknowledged or resolved it."))
    alert.refresh_from_db()
    waited = alert.time_to_acknowledge
    audit.record(
        "alert.acknowledge",
        organization_id=alert.organization_id,
        obj=alert,
        patient_id=alert.patient_id,
        actor=user,
        detail={"seconds_to_acknowledge": int(waited.total_seconds()) if waited else None},
    )
    return alert


@transaction.atomic
def do_assign(user: User, alert: Alert, assignee: User) -> Alert:
    """Hand the alert to another member of staff of its organization who may handle alerts."""
    if (
        assignee.organization_id != alert.organization_id
        or not assignee.is_active
        or not assignee.can(Perm.ALERT_HANDLE)
    ):
        raise AlertRefused(_("%(name)s cannot handle alerts.") % {"name": assignee.label})
    previous = Alert.objects.filter(pk=alert.pk).values_list("assigned_to_id", flat=True).first()
    changed = Alert.objects.filter(pk=alert.pk, status__in=UNRESOLVED).update(assigned_to=assignee)
    if not changed:
        raise AlertRefused(_("This alert is resolved; it cannot be assigned."))
    alert.refresh_from_db()
    audit.record(
        "alert.assign",
        organization_id=alert.organization_id,
        obj=alert,
        patient_id=alert.patient_id,
        actor=user,
        detail={"from": previous, "to": assignee.pk},
    )
    return alert


@transaction.atomic
def do_resolve(user: User, alert: Alert, note: str) -> Alert:
    """Close the alert, saying what was done; an open alert is acknowledged by the same act."""
    note = note.strip()
    if not note:
        raise AlertRefused(_("Say what was done about the alert."))
    now = timezone.now()
    was_open = alert.status == "open"
    changed = Alert.objects.filter(pk=alert.pk, status__in=UNRESOLVED).update(
        status="resolved",
        resolved_at=now,
        resolved_by=user,
        resolution_note=note,
        acknowledged_at=Coalesce(F("acknowledged_at"), Value(now)),
        acknowledged_by=Coalesce(F("acknowledged_by"), Value(user.pk)),
    )
    if not changed:
        raise AlertRefused(_("This alert is already resolved."))
    alert.refresh_from_db()
    # The note is clinical text: the audit entry says that it was written, not what it says, because
    # the audit reviewer reads entries but not the health record.
    audit.record(
        "alert.resolve",
        organization_id=alert.organization_id,
        obj=alert,
        patient_id=alert.patient_id,
        actor=user,
        detail={"was_open": was_open, "note_length": len(note)},
    )
    return alert
