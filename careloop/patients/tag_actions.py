"""Changes to an organization's tag catalogue, each with its audit entry.

Tagging a patient is in `actions.py`; this is the catalogue the tags come from: made from the tag page,
from a patient's page (a new name typed there), by the installation superuser in the Django admin, or by
CareLoop itself when it seeds a synthetic population or installs its shipped tag rules. Every tag is
made here.
"""

from typing import Any

from django.db import transaction

from careloop.accounts import audit
from careloop.accounts.models import User
from careloop.accounts.organization_actions import authorize_in
from careloop.accounts.roles import Perm
from careloop.patients.models import Tag

TAG_FIELDS = ["name", "color", "description"]


@transaction.atomic
def do_create_tag(by: User, tag: Tag) -> Tag:
    authorize_in(by, tag.organization_id, Perm.TAG_MANAGE)
    tag.save()
    audit.record(
        "tag.created",
        organization_id=tag.organization_id,
        obj=tag,
        actor=by,
        detail={name: getattr(tag, name) for name in TAG_FIELDS},
    )
    return tag


def do_create_seeded_tags(organization_id: int, tags: list[Tag]) -> list[Tag]:
    """The tags a synthetic population needs (`careloop seed`, the demo), made by CareLoop itself with no
    user acting. The seed run's one audit entry (`patients.seed`) records the run; its tags get none of
    their own, as its patients get none."""
    if any(tag.organization_id != organization_id for tag in tags):
        raise ValueError("a seeded tag belongs to the organization being seeded")
    return Tag.objects.bulk_create(tags)


@transaction.atomic
def shipped_tag(organization_id: int, name: str) -> tuple[Tag, bool]:
    """The organization's tag of this name, made by CareLoop itself when it installs its shipped tag
    rules (no user acting); True when it was made now, with its audit entry."""
    tag, created = Tag.objects.get_or_create(organization_id=organization_id, name=name)
    if created:
        audit.record(
            "tag.created",
            organization_id=organization_id,
            obj=tag,
            detail={**{field: getattr(tag, field) for field in TAG_FIELDS}, "shipped": True},
        )
    return tag, created


def tag_named(by: User, organization_id: int, name: str) -> Tag:
    """The organization's tag of this name, made if it has none."""
    existing = Tag.objects.filter(organization_id=organization_id, name=name).first()
    return existing or do_create_tag(by, Tag(organization_id=organization_id, name=name))


@transaction.atomic
def do_update_tag(by: User, tag: Tag, before: dict[str, Any]) -> None:
    """Save the tag's new name, colour or description; `before` holds TAG_FIELDS as they were."""
    authorize_in(by, tag.organization_id, Perm.TAG_MANAGE)
    changes = audit.changes(before, tag)
    if not changes:
        return
    tag.save()
    audit.record(
        "tag.updated", organization_id=tag.organization_id, obj=tag, actor=by, detail={"changes": changes}
    )


@transaction.atomic
def do_delete_tag(by: User, tag: Tag) -> None:
    """Delete the tag and take it off every patient who had it (the superuser's, in the Django admin)."""
    authorize_in(by, tag.organization_id, Perm.TAG_MANAGE)
    detail = {"name": tag.name, "patients": tag.patient_tags.count()}
    audit.record("tag.deleted", organization_id=tag.organization_id, obj=tag, actor=by, detail=detail)
    tag.delete()
