"""Actions on what hospital feeds do to the registry: the organization's feed policy, and the changes a feed
left for review because staff had corrected the same fields by hand after the message was written."""

import datetime
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.models import User
from careloop.observations.models import FeedPolicy, FeedReview
from careloop.patients import feedupdate
from careloop.patients.actions import changed_fields
from careloop.patients.identity import fill_derived_fields
from careloop.patients.masking import mask_id_number, mask_mobile
from careloop.patients.models import Patient


@transaction.atomic
def do_set_feed_policy(user: User, organization_id: int, unknown_patients: str) -> FeedPolicy:
    policy, _created = FeedPolicy.objects.select_for_update().get_or_create(organization_id=organization_id)
    before = policy.unknown_patients
    policy.unknown_patients, policy.updated_by = unknown_patients, user
    policy.save()
    audit.record(
        "feed_policy.set",
        organization_id=organization_id,
        obj=policy,
        detail={"unknown_patients": [before, unknown_patients]},
    )
    return policy


def sent_values(review: FeedReview) -> dict[str, feedupdate.Value]:
    """The values the feed sent, as the patient's fields take them."""
    values: dict[str, Any] = json.loads(review.sent_values or "{}")
    if values.get("birth_date"):
        values["birth_date"] = datetime.date.fromisoformat(values["birth_date"])
    return values


def shown_value(field: str, value: object) -> str:
    """A value as the review page shows it: an ID number and a mobile masked."""
    text = "" if value is None else str(value)
    if field == "id_number":
        return mask_id_number(text)
    if field == "mobile":
        return mask_mobile(text)
    return text


@transaction.atomic
def do_decide_feed_review(user: User, review: FeedReview, apply: bool) -> None:
    """Apply the feed's values to the patient (staff's decision: marked as set by hand now), or keep ours."""
    locked = FeedReview.objects.select_for_update().get(pk=review.pk)
    if locked.resolved_at is not None:
        return
    patient = Patient.objects.select_for_update().get(pk=locked.patient_id)
    changes: dict[str, Any] = {}
    if apply:
        values = sent_values(locked)
        before = {name: getattr(patient, name) for name in values}
        for name, value in values.items():
            setattr(patient, name, value)
        fill_derived_fields(patient)
        patient.hand_edited = feedupdate.marked_edited(patient.hand_edited or {}, values, timezone.now())
        patient.save()
        changes = changed_fields(before, patient)
    locked.resolved_at, locked.resolved_by = timezone.now(), user
    locked.decision = "applied" if apply else "kept"
    locked.save(update_fields=["resolved_at", "resolved_by", "decision"])
    audit.record(
        "patient.feed_review",
        organization_id=locked.organization_id,
        obj=locked,
        patient_id=patient.pk,
        detail={"decision": locked.decision, "fields": locked.fields, "changes": changes},
    )
