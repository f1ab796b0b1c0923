"""The one way to reach patient data: through the user's organization.

A patient of another organization does not exist for the user (404, never 403), so the existence of
records elsewhere is not disclosed. A role without the permission gets 403 for patients it can see.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from careloop.accounts.authorization import require
from careloop.accounts.models import User
from careloop.accounts.roles import Perm
from careloop.patients.models import Patient


def patients_for(user: User | AnonymousUser) -> QuerySet[Patient]:
    """The organization's records, but those merged into another (they are only redirects now)."""
    if not user.is_authenticated or user.organization_id is None:
        return Patient.objects.none()
    return Patient.objects.filter(organization_id=user.organization_id, merged_into__isnull=True)


def patient_for_user(user: User, patient_id: int, permission: Perm = Perm.PATIENT_VIEW) -> Patient:
    patient = patients_for(user).filter(pk=patient_id).first()
    if patient is None:
        raise Http404("No such patient")
    require(user, permission)
    return patient


def surviving_record(user: User, patient_id: int) -> Patient | None:
    """The record that a merged record of the user's organization was merged into (following later merges
    of that one too); None when there is no such merged record."""
    if user.organization_id is None:
        return None
    records = Patient.objects.filter(organization_id=user.organization_id)
    target = records.filter(pk=patient_id).values_list("merged_into_id", flat=True).first()
    seen = {patient_id}
    while target is not None and target not in seen:  # `seen`: a cycle would be a bug, not a hang
        seen.add(target)
        record = records.filter(pk=target).first()
        if record is None or record.merged_into_id is None:
            return record
        target = record.merged_into_id
    return None
