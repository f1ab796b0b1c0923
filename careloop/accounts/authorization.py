"""The permission check every page makes first: a role without the permission gets 403."""

from django.core.exceptions import PermissionDenied

from careloop.accounts.models import User
from careloop.accounts.roles import Perm


def require(user: User, permission: Perm) -> None:
    if not user.can(permission):
        raise PermissionDenied(permission.value)
