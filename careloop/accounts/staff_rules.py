"""Who may manage whom among an organization's staff. Pure rules: the actions and forms ask them.

An organization's administrator may add, edit, reset or deactivate only staff whose role can do no more
than their own, so never an audit reviewer (三员分立: the one who runs the organization is not the one who
reviews what it does). Nobody moves anyone between organizations or makes a superuser here: that is the
installation's superuser's work, in the Django admin. An organization always keeps an active administrator.
"""

from dataclasses import dataclass
from enum import StrEnum

from careloop.accounts.roles import Perm, Role, permissions_of

_ROLES = frozenset(role.value for role in Role)


class Refusal(StrEnum):
    NOT_AN_ADMINISTRATOR = "not_an_administrator"  # the actor may not manage staff at all
    OTHER_ORGANIZATION = "other_organization"
    ORGANIZATION_CHANGE = "organization_change"
    SUPERUSER = "superuser"
    ROLE_BEYOND_OWN = "role_beyond_own"  # the target's role (now or asked for) can do what the actor cannot
    OWN_ROLE = "own_role"
    OWN_DEACTIVATION = "own_deactivation"
    LAST_ADMINISTRATOR = "last_administrator"


@dataclass(frozen=True)
class Staff:
    """The facts about a staff member that the rules look at."""

    id: int | None
    role: str
    organization_id: int | None
    active: bool = True
    superuser: bool = False


def may_manage(actor_role: str, target_role: str) -> bool:
    """An actor who manages staff may manage a role whose permissions are a subset of their own."""
    own = permissions_of(actor_role)
    return Perm.STAFF_MANAGE in own and target_role in _ROLES and permissions_of(target_role) <= own


def grantable_roles(actor_role: str) -> list[Role]:
    return [role for role in Role if may_manage(actor_role, role)]


def change_refusal(
    actor: Staff, before: Staff | None, after: Staff, other_active_admins: int
) -> Refusal | None:
    """Why `actor` may not turn `before` into `after` (`before` None: adding a new member); None if they may.

    `other_active_admins` counts the organization's active administrators other than the target.
    """
    if Perm.STAFF_MANAGE not in permissions_of(actor.role) or actor.organization_id is None:
        return Refusal.NOT_AN_ADMINISTRATOR
    if before is not None and before.organization_id != actor.organization_id:
        return Refusal.OTHER_ORGANIZATION
    if after.organization_id != actor.organization_id:
        return Refusal.OTHER_ORGANIZATION if before is None else Refusal.ORGANIZATION_CHANGE
    if after.superuser or (before is not None and before.superuser):
        return Refusal.SUPERUSER
    if not may_manage(actor.role, after.role) or (
        before is not None and not may_manage(actor.role, before.role)
    ):
        return Refusal.ROLE_BEYOND_OWN
    if before is None:
        return None
    if before.id == actor.id:
        if after.role != before.role:
            return Refusal.OWN_ROLE
        if not after.active:
            return Refusal.OWN_DEACTIVATION
    was_admin = before.role == Role.ADMIN and before.active
    stays_admin = after.role == Role.ADMIN and after.active
    if was_admin and not stays_admin and other_active_admins == 0:
        return Refusal.LAST_ADMINISTRATOR
    return None


def manage_refusal(actor: Staff, target: Staff) -> Refusal | None:
    """Why `actor` may not act on `target` as it is (reset its password, unlock it, open its edit page)."""
    return change_refusal(actor, target, target, other_active_admins=1)
