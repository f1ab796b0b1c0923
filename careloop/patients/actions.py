"""Changes to patients and their records. Each is one transaction with its audit entry."""

from typing import Any, NamedTuple

from django.db import models, transaction
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.models import User
from careloop.patients import feedupdate
from careloop.patients.identity import fill_derived_fields
from careloop.patients.models import Patient, PatientTag, RecordItem, Tag
from careloop.patients.signals import patient_registered

# Fields whose old and new values are never written to the audit trail in clear.
SECRET_FIELDS = {"id_number", "mobile", "related_mobile"}


def changed_fields(before: dict[str, Any], after: models.Model) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, old in before.items():
        new = getattr(after, name)
        if old != new:
            changes[name] = "(changed)" if name in SECRET_FIELDS else [str(old), str(new)]
    return changes


class Registration(NamedTuple):
    patient: Patient
    filed: int  # results and visits that waited for this person, now filed under the patient


@transaction.atomic
def do_register_patient(user: User, patient: Patient, sent_by: int | None = None) -> Registration:
    """Register `patient` in the user's organization; what waited for the person is filed
    (signals.patient_registered). `sent_by`: the waiting record the registration was filled from."""
    assert user.organization_id is not None  # only staff of an organization may register patients
    patient.organization_id = user.organization_id
    fill_derived_fields(patient)
    _mark_hand_edited(patient, [name for name in feedupdate.FIELDS if getattr(patient, name)])
    patient.save()
    audit.record(
        "patient.create", organization_id=patient.organization_id, obj=patient, patient_id=patient.pk
    )
    answers = patient_registered.send(sender=Patient, user=user, patient=patient, sent_by=sent_by)
    return Registration(patient, sum(int(filed or 0) for _receiver, filed in answers))


@transaction.atomic
def do_update_patient(user: User, patient: Patient, before: dict[str, Any]) -> Patient:
    fill_derived_fields(patient)
    changes = changed_fields(before, patient)
    _mark_hand_edited(patient, [name for name in changes if name in feedupdate.FIELDS])
    patient.save()
    audit.record(
        "patient.update",
        organization_id=patient.organization_id,
        obj=patient,
        patient_id=patient.pk,
        detail={"changes": changes},
    )
    return patient


def _mark_hand_edited(patient: Patient, fields: list[str]) -> None:
    """Remember when staff set these fields, so that an older feed message does not undo them
    (feedupdate.feed_changes)."""
    patient.hand_edited = feedupdate.marked_edited(patient.hand_edited or {}, fields, timezone.now())


def record_view(user: User, patient: Patient, section: str) -> None:
    audit.record(
        "patient.view",
        organization_id=patient.organization_id,
        obj=patient,
        patient_id=patient.pk,
        detail={"section": section},
    )


def record_reveal(user: User, patient: Patient, field: str) -> None:
    audit.record(
        "patient.reveal",
        organization_id=patient.organization_id,
        obj=patient,
        patient_id=patient.pk,
        detail={"field": field},
    )


def record_list(user: User, patient_ids: list[int], search_kind: str, filters: list[str]) -> None:
    audit.record(
        "patient.list",
        organization_id=user.organization_id,
        detail={"patients": patient_ids, "search": search_kind, "filters": filters},
    )


@transaction.atomic
def do_save_record_item(
    user: User, patient: Patient, item: RecordItem, before: dict[str, Any] | None
) -> None:
    """Create or update one row of a health-record section (condition, medication, ...)."""
    creating = item.pk is None
    item.patient = patient
    item.save()
    audit.record(
        f"record.{type(item).__name__.lower()}.{'create' if creating else 'update'}",
        organization_id=patient.organization_id,
        obj=item,
        patient_id=patient.pk,
        detail={} if creating or before is None else {"changes": changed_fields(before, item)},
    )


@transaction.atomic
def do_delete_record_item(user: User, patient: Patient, item: RecordItem) -> None:
    audit.record(
        f"record.{type(item).__name__.lower()}.delete",
        organization_id=patient.organization_id,
        obj=item,
        patient_id=patient.pk,
        detail={"was": str(item)},
    )
    item.delete()


@transaction.atomic
def do_tag_patient(user: User, patient: Patient, tag: Tag) -> None:
    _, created = PatientTag.objects.get_or_create(patient=patient, tag=tag, defaults={"added_by": user})
    if created:
        audit.record("patient.tag", organization_id=patient.organization_id, obj=tag, patient_id=patient.pk)


@transaction.atomic
def do_untag_patient(user: User, patient: Patient, tag: Tag) -> None:
    deleted, _ = PatientTag.objects.filter(patient=patient, tag=tag).delete()
    if deleted:
        audit.record("patient.untag", organization_id=patient.organization_id, obj=tag, patient_id=patient.pk)
