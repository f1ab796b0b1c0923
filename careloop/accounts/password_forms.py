from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class OwnPasswordForm(PasswordChangeForm):
    """Current password, new one twice; the new one checked against the organization's policy."""

    def validate_password_for_user(self, user: Any, password_field_name: str = "") -> None:
        # Under the new password, beside the rules it is checked against (Django puts it under the repeat).
        super().validate_password_for_user(user, "new_password1")

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        old, new = data.get("old_password"), data.get("new_password1")
        if old and new and old == new:
            self.add_error(
                "new_password1", forms.ValidationError(_("Choose a password other than the current one."))
            )
        return data
