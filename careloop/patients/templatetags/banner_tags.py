"""`{% patient_banner patient %}`: the one banner at the top of every patient page and the task page."""

from typing import Any

from django import template

from careloop.accounts.roles import Perm
from careloop.patients.banner import banner_for
from careloop.patients.models import Patient, Tag
from careloop.questionnaires.tab import reader_language

register = template.Library()


@register.inclusion_tag("patients/_banner.html", takes_context=True)
def patient_banner(context: dict[str, Any], patient: Patient) -> dict[str, Any]:
    """Needs only the patient and the request's user, so any page about one patient can carry it."""
    user = context["user"]
    # The tag picker's choices, only for those who may tag.
    all_tags = (
        Tag.objects.filter(organization_id=patient.organization_id) if user.can(Perm.TAG_MANAGE) else []
    )
    return {
        "user": user,
        "patient": patient,
        "banner": banner_for(patient, user, reader_language()),
        "all_tags": all_tags,
        "csrf_token": context.get("csrf_token"),
    }
