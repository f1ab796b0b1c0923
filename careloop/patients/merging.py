"""Merging two records of one person into one (一人一档), and undoing it exactly.

The surviving record takes the chosen fields of the merged one, and every row of every app that points at
the merged record moves to it (mergerows.py; a row the survivor's unique constraints would refuse stays).
The merged record stays as a redirect (Patient.merged_into); its ID number and mobile are cleared, so that
no import, search or duplicate scan finds it again. The PatientMerge row holds all that undoing needs.
Called by hand (the merge page) and by hospital feeds (HL7 ADT^A40, with no user).
"""

import datetime
import json
from collections.abc import Collection, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.accounts import audit
from careloop.accounts.models import User
from careloop.bulkinsert import concrete_field
from careloop.fieldcrypto import Undecryptable
from careloop.patients import feedupdate
from careloop.patients.identity import fill_derived_fields
from careloop.patients.mergerows import link_named, move_rows, patient_links, split_rows
from careloop.patients.models import Patient, PatientMerge

# The fields a merge chooses between the two records, in the order the merge page shows them.
MERGEABLE_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "id_type",
    "id_number",
    "mobile",
    "address",
    "ethnicity",
    "occupation",
    "insurance_type",
    "responsible_doctor",
    "department",
)
# Cleared on the merged record: they alone would make an import or a duplicate scan find it again.
IDENTIFIERS = ("id_number", "mobile")


class MergeRefused(ValueError):
    """The two records cannot be merged (or a merge undone); the message says why, for a person."""


@transaction.atomic
def do_merge_patients(
    user: User | None,
    survivor: Patient,
    merged: Patient,
    take: Collection[str] = (),
    source: Mapping[str, object] | None = None,
) -> PatientMerge:
    """Merge `merged` into `survivor`: the fields named in `take` get the merged record's value, the others
    keep the survivor's. `source`: what asked for it (a feed's message), added to the audit entry."""
    _lock(survivor.pk, merged.pk)
    survivor.refresh_from_db()
    merged.refresh_from_db()
    _check_mergeable(user, survivor, merged, take)
    taken = [name for name in MERGEABLE_FIELDS if name in take]
    now = timezone.now()
    edited_before = survivor.hand_edited or {}
    before = {
        "values": {name: _stored(survivor, name) for name in taken},
        "merged_values": {name: _stored(merged, name) for name in taken},
        "hand_edited": {name: edited_before[name] for name in taken if name in edited_before},
    }
    identifiers = {name: _stored(merged, name) for name in IDENTIFIERS}
    for name in taken:
        _restore(survivor, name, before["merged_values"][name])
    if user is not None:
        # Staff chose these values: an older feed message must not undo the choice (feedupdate.py).
        survivor.hand_edited = feedupdate.marked_edited(edited_before, taken, now)
    for name in IDENTIFIERS:
        setattr(merged, name, "")
    merged.merged_into = survivor
    fill_derived_fields(survivor)
    fill_derived_fields(merged)
    survivor.save()
    merged.save()

    moved, kept = {}, {}
    for link in patient_links():
        moving, staying = split_rows(link, survivor.pk, merged.pk)
        if moving:
            move_rows(link, moving, merged.pk, survivor.pk)
            moved[link.label] = moving
        if staying:
            kept[link.label] = staying
    merge = PatientMerge.objects.create(
        organization_id=survivor.organization_id,
        survivor=survivor,
        merged=merged,
        merged_at=now,
        merged_by=user,
        source=dict(source or {}),
        taken=taken,
        survivor_before=json.dumps(before, ensure_ascii=False),
        merged_identifiers=json.dumps(identifiers, ensure_ascii=False),
        moved=moved,
        kept=kept,
    )
    detail = {
        **(source or {}),
        "merged": merged.pk,
        "taken": taken,
        "moved": {label: len(pks) for label, pks in moved.items()},
        "kept": kept,
    }
    audit.record(
        "patient.merge",
        organization_id=survivor.organization_id,
        obj=merge,
        patient_id=survivor.pk,
        detail=detail,
        actor=user,
    )
    return merge


@transaction.atomic
def do_unmerge(user: User | None, merge: PatientMerge) -> None:
    """Undo `merge` exactly: the rows it moved go back, the survivor's fields it set get their old values
    (unless edited since: the later edit wins), the merged record gets its identifiers back and is a
    record of its own again."""
    _lock(merge.survivor_id, merge.merged_id)  # the records first, as a merge locks them
    merge = PatientMerge.objects.select_for_update().select_related("survivor", "merged").get(pk=merge.pk)
    if merge.undone_at is not None:
        raise MergeRefused(_("This merge was already undone."))
    if user is not None and user.organization_id != merge.organization_id:
        raise MergeRefused(_("This merge belongs to another organization."))
    survivor, merged = merge.survivor, merge.merged
    if survivor.merged_into_id is not None:
        raise MergeRefused(
            _("%(name)s was merged into another record since: undo that merge first.") % {"name": survivor}
        )
    moved_back = _move_back(merge)
    before = json.loads(merge.survivor_before)
    restored, kept_as_edited = [], []
    for name in merge.taken:
        if _stored(survivor, name) != before["merged_values"][name]:
            kept_as_edited.append(name)  # edited after the merge: that edit is the newer truth
            continue
        _restore(survivor, name, before["values"][name])
        edited = {key: value for key, value in survivor.hand_edited.items() if key != name}
        if name in before["hand_edited"]:
            edited[name] = before["hand_edited"][name]
        survivor.hand_edited = edited
        restored.append(name)
    for name, value in json.loads(merge.merged_identifiers).items():
        _restore(merged, name, value)
    merged.merged_into = None
    fill_derived_fields(survivor)
    fill_derived_fields(merged)
    survivor.save()
    merged.save()
    merge.undone_at, merge.undone_by = timezone.now(), user
    merge.save(update_fields=["undone_at", "undone_by"])
    audit.record(
        "patient.unmerge",
        organization_id=merge.organization_id,
        obj=merge,
        patient_id=survivor.pk,
        detail={
            "merged": merged.pk,
            "moved_back": moved_back,
            "restored": restored,
            "kept_as_edited": kept_as_edited,
        },
        actor=user,
    )


def _move_back(merge: PatientMerge) -> dict[str, int]:
    """The rows the merge moved that still point at the survivor, pointed at the merged record again."""
    counts = {}
    try:
        with transaction.atomic():
            for label, pks in merge.moved.items():
                counts[label] = move_rows(link_named(label), pks, merge.survivor_id, merge.merged_id)
    except IntegrityError as clash:
        raise MergeRefused(
            _("A row moved by the merge clashes with one the record has since; it cannot be undone.")
        ) from clash
    return counts


def _lock(*patient_ids: int) -> None:
    """Lock both records, in id order so that two merges of the same pair cannot deadlock."""
    list(Patient.objects.select_for_update().filter(pk__in=patient_ids).order_by("pk").values_list("pk"))


def _check_mergeable(user: User | None, survivor: Patient, merged: Patient, take: Collection[str]) -> None:
    if survivor.pk == merged.pk:
        raise MergeRefused(_("A record cannot be merged with itself."))
    if survivor.organization_id != merged.organization_id or (
        user is not None and user.organization_id != survivor.organization_id
    ):
        raise MergeRefused(_("The two records belong to different organizations."))
    for patient in (survivor, merged):
        if patient.merged_into_id is not None:
            raise MergeRefused(
                _("%(name)s (#%(id)s) was already merged into another record.")
                % {"name": patient, "id": patient.pk}
            )
    unknown = sorted(set(take) - set(MERGEABLE_FIELDS))
    if unknown:
        raise MergeRefused(_("Not a field a merge chooses: %(fields)s.") % {"fields": ", ".join(unknown)})
    if any(
        isinstance(getattr(merged, name), Undecryptable)
        or (name in take and isinstance(getattr(survivor, name), Undecryptable))
        for name in IDENTIFIERS
    ):
        # Undoing needs the values themselves; the marker read in their place would overwrite them.
        raise MergeRefused(_("An ID number or mobile of these records cannot be read with the current keys."))


def _stored(patient: Patient, name: str) -> Any:
    """A field's value as JSON holds it (a date as its ISO text, a foreign key as its id)."""
    value = getattr(patient, concrete_field(Patient, name).attname)
    return value.isoformat() if isinstance(value, datetime.date) else value


def _restore(patient: Patient, name: str, stored: Any) -> None:
    field = concrete_field(Patient, name)
    setattr(patient, field.attname, field.to_python(stored))
