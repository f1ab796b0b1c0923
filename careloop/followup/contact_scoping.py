"""The one way to reach contact records and their recordings: through the user's organization, as patients
are (patients/scoping.py). Another organization's record does not exist for the user (404, never 403); a
role without the permission gets 403 for the records it can see."""

from django.db.models import QuerySet
from django.http import Http404

from careloop.accounts.authorization import require
from careloop.accounts.models import User
from careloop.accounts.roles import Perm
from careloop.followup.contact_models import ContactRecord, Recording


def contacts_for(user: User) -> QuerySet[ContactRecord]:
    if not user.is_authenticated or user.organization_id is None:
        return ContactRecord.objects.none()
    return ContactRecord.objects.filter(
        organization_id=user.organization_id, patient__organization_id=user.organization_id
    )


def contact_for_user(user: User, contact_id: int, permission: Perm = Perm.FOLLOWUP_WORK) -> ContactRecord:
    contact = contacts_for(user).select_related("patient").filter(pk=contact_id).first()
    if contact is None:
        raise Http404("No such contact record")
    require(user, permission)
    return contact


def recording_for_user(user: User, recording_id: int, permission: Perm = Perm.FOLLOWUP_WORK) -> Recording:
    recording = (
        Recording.objects.filter(contact__in=contacts_for(user))
        .select_related("contact", "contact__patient")
        .filter(pk=recording_id)
        .first()
    )
    if recording is None:
        raise Http404("No such recording")
    require(user, permission)
    return recording
