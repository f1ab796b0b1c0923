from typing import cast

from django import template

from careloop.accounts.models import User
from careloop.accounts.roles import Perm

register = template.Library()


@register.filter
def can(user: object, permission: str) -> bool:
    """{% if user|can:"patient.edit" %}: the role check templates use to show or hide actions."""
    # A template may pass anything here ("" for a missing variable); only a signed-in staff user can.
    return bool(getattr(user, "is_authenticated", False)) and cast(User, user).can(Perm(permission))
