from django import template

from careloop.accounts.roles import Perm

register = template.Library()


@register.filter
def can(user, permission: str) -> bool:
    """{% if user|can:"patient.edit" %}: the role check templates use to show or hide actions."""
    return bool(getattr(user, "is_authenticated", False)) and user.can(Perm(permission))
