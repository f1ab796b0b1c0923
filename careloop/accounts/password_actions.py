"""A user's own password: changing it, and being made to when it is too old. Each with its audit entry."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.models import User
from careloop.accounts.password_rules import expired
from careloop.accounts.password_validation import rules_for


@transaction.atomic
def do_change_own_password(user: User, password: str) -> None:
    """The user chose a new password (the form has checked the current one and the policy)."""
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit.record("password.changed", organization_id=user.organization_id, obj=user, actor=user)


@transaction.atomic
def do_require_change_if_expired(user: User) -> bool:
    """At login: a password older than the organization's maximum age must be changed before anything else."""
    rules = rules_for(user.organization_id)
    if user.must_change_password or not expired(user.password_changed_at, timezone.now(), rules):
        return False
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    user.must_change_password = True
    audit.record(
        "password.expired",
        organization_id=user.organization_id,
        obj=user,
        actor=user,
        detail={"max_age_days": rules.max_age_days},
    )
    return True


def on_login(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    """`user_logged_in` receiver (connected in AccountsConfig.ready), whichever login view logged them in."""
    do_require_change_if_expired(user)
