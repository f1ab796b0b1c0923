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
    if not user.is_authenticated or user.organization_id is None:
        return Patient.objects.none()
    return Patient.objects.filter(organization_id=user.organization_id)


def patient_for_user(user: User, patient_id: int, permission: Perm = Perm.PATIENT_VIEW) -> Patient:
    patient = patients_for(user).filter(pk=patient_id).first()
    if patient is None:
        raise Http404("No such patient")
    require(user, permission)
    return patient
