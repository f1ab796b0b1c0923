"""The organization whose results an observations page shows."""

from django.core.exceptions import PermissionDenied

from careloop.accounts.models import User


def user_organization_id(user: User) -> int:
    """The user's organization: `require` has already refused a user without one."""
    if user.organization_id is None:
        raise PermissionDenied
    return user.organization_id
