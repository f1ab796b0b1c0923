"""The organization's password policy as a Django password validator (in AUTH_PASSWORD_VALIDATORS).

Every path that sets a password through Django's forms (the product pages, the Django admin,
`careloop changepassword`) asks `validate`; every save of a new password calls `password_changed`,
which keeps the history and the date the age of the password counts from.
"""

from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from careloop.accounts.models import PasswordHistory, PasswordPolicy, User
from careloop.accounts.password_rules import DEFAULT_RULES, HISTORY_KEPT, PasswordRules, reused, shortfalls


def rules_for(organization_id: int | None) -> PasswordRules:
    """The organization's rules; the defaults for one that has set none, and for the superuser."""
    policy = (
        PasswordPolicy.objects.filter(organization_id=organization_id).first() if organization_id else None
    )
    return policy.rules() if policy else DEFAULT_RULES


def previous_hashes(user: User) -> list[str]:
    """The current password's hash and the earlier ones, newest first."""
    if user.pk is None:
        return []
    kept = (
        PasswordHistory.objects.filter(user=user)
        .order_by("-set_at", "-id")
        .values_list("password", flat=True)
    )
    current = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
    hashes = [current or "", *kept[:HISTORY_KEPT]]
    return list(dict.fromkeys(h for h in hashes if h))  # the current one is usually also the newest kept


def _message(kind: str, needed: int) -> str:
    if kind == "length":
        return ngettext(
            "This password is too short. It must contain at least %(n)d character.",
            "This password is too short. It must contain at least %(n)d characters.",
            needed,
        ) % {"n": needed}
    return ngettext(
        "Use at least %(n)d kind of character: lower-case letters, capitals, digits, other characters.",
        "Use at least %(n)d kinds of character: lower-case letters, capitals, digits, other characters.",
        needed,
    ) % {"n": needed}


class OrganizationPolicyValidator:
    """Length, character classes and reuse, by the policy of the user's organization."""

    def validate(self, password: str, user: Any = None) -> None:
        organization_id = getattr(user, "organization_id", None)
        rules = rules_for(organization_id)
        errors = [
            ValidationError(_message(s.kind, s.needed), code=f"password_{s.kind}")
            for s in shortfalls(password, rules)
        ]
        if (
            isinstance(user, User)
            and rules.history
            and reused(password, previous_hashes(user), rules, check_password)
        ):
            errors.append(
                ValidationError(
                    ngettext(
                        "This password was used recently. Choose one that is not among your last %(n)d.",
                        "This password was used recently. Choose one that is not among your last %(n)d.",
                        rules.history,
                    )
                    % {"n": rules.history},
                    code="password_reused",
                )
            )
        if errors:
            raise ValidationError(errors)

    def password_changed(self, password: str, user: Any = None) -> None:
        """Remember the new hash (the newest `HISTORY_KEPT`) and restart the password's age."""
        if not isinstance(user, User) or user.pk is None or not user.has_usable_password():
            return
        now = timezone.now()
        PasswordHistory.objects.create(user=user, password=user.password, set_at=now)
        stale = (
            PasswordHistory.objects.filter(user=user).order_by("-set_at", "-id").values_list("pk", flat=True)
        )
        PasswordHistory.objects.filter(pk__in=list(stale[HISTORY_KEPT:])).delete()
        User.objects.filter(pk=user.pk).update(password_changed_at=now)
        user.password_changed_at = now

    def get_help_text(self) -> str:
        return _(
            "At least %(length)d characters, with %(classes)d of the four kinds: lower-case letters, "
            "capitals, digits, other characters (your organization may ask for more)."
        ) % {"length": DEFAULT_RULES.min_length, "classes": DEFAULT_RULES.min_classes}
