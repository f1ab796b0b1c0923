"""Changes to staff accounts, from the organization's own pages and from the Django admin alike.

Each is one transaction with its audit entry, written to the chain of the organization the account
belongs to (before and after, when the installation's superuser moves it), so that the organization's
audit reviewer sees every change to its staff, whoever made it. Who may do what is `staff_rules`.
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from careloop.accounts import audit
from careloop.accounts.models import Department, User
from careloop.accounts.password_rules import temporary_password
from careloop.accounts.password_validation import rules_for
from careloop.accounts.roles import Role
from careloop.accounts.staff_rules import Refusal, Staff, change_refusal

# What `staff.updated` compares, before and after.
STAFF_FIELDS = [
    "username",
    "display_name",
    "first_name",
    "last_name",
    "email",
    "role",
    "department_id",
    "is_active",
    "organization_id",
    "is_superuser",
]


class StaffChangeRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal

    @property
    def message(self) -> str:
        return refusal_message(self.refusal)


def refusal_message(refusal: Refusal) -> str:
    return {
        Refusal.NOT_AN_ADMINISTRATOR: _("Only the organization's administrators manage its staff."),
        Refusal.OTHER_ORGANIZATION: _("This account belongs to another organization."),
        Refusal.ORGANIZATION_CHANGE: _("Staff cannot be moved to another organization here."),
        Refusal.SUPERUSER: _("Installation superusers are managed by the installation's own administrator."),
        Refusal.ROLE_BEYOND_OWN: _("You cannot manage this role: it may do things your own role may not."),
        Refusal.OWN_ROLE: _("You cannot change your own role; ask another administrator."),
        Refusal.OWN_DEACTIVATION: _("You cannot deactivate your own account; ask another administrator."),
        Refusal.LAST_ADMINISTRATOR: _(
            "This is the organization's last active administrator; make someone else administrator first."
        ),
    }[refusal]


def as_staff(user: User) -> Staff:
    return Staff(user.pk, user.role, user.organization_id, user.is_active, user.is_superuser)


def staff_snapshot(user: User) -> dict[str, Any]:
    """The account's fields as they are now: take it before a form changes the instance."""
    return audit.snapshot(user, STAFF_FIELDS)


def _before_staff(before: dict[str, Any], pk: int | None) -> Staff:
    return Staff(pk, before["role"], before["organization_id"], before["is_active"], before["is_superuser"])


def authorize(by: User, before: Staff | None, after: Staff) -> None:
    """Refuse a change `by` may not make. The superuser may make any but a superuser in an organization."""
    if by.is_installation_superuser:
        if after.superuser and after.organization_id is not None:
            raise StaffChangeRefused(Refusal.SUPERUSER)
        return
    # Locked, so that two administrators demoting each other at once cannot leave none.
    admins = User.objects.select_for_update().filter(
        organization_id=after.organization_id or 0, role=Role.ADMIN, is_active=True
    )
    if after.id is not None:
        admins = admins.exclude(pk=after.id)
    refusal = change_refusal(as_staff(by), before, after, other_active_admins=len(admins))
    if refusal is not None:
        raise StaffChangeRefused(refusal)


def _department_names(*ids: int | None) -> dict[int | None, str]:
    names: dict[int | None, str] = {None: ""}
    names.update(Department.objects.filter(pk__in=[i for i in ids if i]).values_list("pk", "name"))
    return names


def _changes(before: dict[str, Any], user: User) -> dict[str, list[Any]]:
    changes = {name.removesuffix("_id"): pair for name, pair in audit.changes(before, user).items()}
    if "department" in changes:
        names = _department_names(*changes["department"])
        changes["department"] = [names.get(i, str(i)) for i in changes["department"]]
    return changes


def _record(
    action: str, user: User, by: User, organizations: set[int | None], detail: dict[str, Any]
) -> None:
    chains: Sequence[int | None] = sorted(o for o in organizations if o is not None)
    for organization_id in chains or [None]:  # an account of no organization: the installation's chain
        audit.record(action, organization_id=organization_id, obj=user, actor=by, detail=detail)


@transaction.atomic
def do_create_staff(by: User, user: User, *, give_temporary_password: bool = False) -> str | None:
    """Save a new account; with `give_temporary_password`, a one-time password is made and returned.

    Whoever chose the first password, the new member must choose their own at first login.
    """
    authorize(by, None, as_staff(user))
    temporary = None
    if give_temporary_password:
        temporary = temporary_password(rules_for(user.organization_id))
        user.set_password(temporary)
    user.must_change_password = user.has_usable_password()
    user.save()
    names = _department_names(user.department_id)
    detail = {
        "username": user.username,
        "role": user.role,
        "department": names.get(user.department_id, ""),
        "active": user.is_active,
        "superuser": user.is_superuser,
    }
    _record("staff.created", user, by, {user.organization_id}, detail)
    return temporary


@transaction.atomic
def do_update_staff(by: User, user: User, before: dict[str, Any]) -> None:
    """Save the account's new name, role, department or state; `before` is `staff_snapshot` of it."""
    authorize(by, _before_staff(before, user.pk), as_staff(user))
    changes = _changes(before, user)
    if not changes:
        return
    user.save()
    _record(
        "staff.updated", user, by, {before["organization_id"], user.organization_id}, {"changes": changes}
    )


@transaction.atomic
def do_reset_password(by: User, user: User) -> str:
    """A one-time temporary password, returned to be shown once; the user must change it at next login."""
    target = as_staff(user)
    authorize(by, target, target)
    temporary = temporary_password(rules_for(user.organization_id))
    user.set_password(temporary)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    _record("staff.password_reset", user, by, {user.organization_id}, {})
    return temporary


@transaction.atomic
def do_set_password(by: User, user: User, password: str | None) -> None:
    """The superuser sets a password in the Django admin (None: password login turned off for the account)."""
    target = as_staff(user)
    authorize(by, target, target)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.must_change_password = password is not None and user.pk != by.pk
    user.save(update_fields=["password", "must_change_password"])
    detail = {"password_login": password is not None}
    _record("staff.password_set", user, by, {user.organization_id}, detail)


@transaction.atomic
def do_delete_staff(by: User, user: User) -> None:
    """The superuser deletes an account (organizations' administrators deactivate instead)."""
    if not by.is_installation_superuser:
        raise StaffChangeRefused(Refusal.NOT_AN_ADMINISTRATOR)
    detail = {"username": user.username, "role": user.role}
    _record("staff.deleted", user, by, {user.organization_id}, detail)
    user.delete()
