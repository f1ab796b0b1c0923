from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from careloop.accounts.models import User
from careloop.accounts.roles import ROLE_PERMISSIONS, Perm

WHO = [("all", _("Everyone's")), ("mine", _("Assigned to me"))]
SHOWN_STATUSES = [
    ("unresolved", _("Not resolved")),
    ("open", pgettext_lazy("alert status", "Open")),
    ("acknowledged", pgettext_lazy("alert status", "Acknowledged")),
    ("resolved", pgettext_lazy("alert status", "Resolved")),
    ("any", _("Any status")),
]


class InboxFilter(forms.Form):
    who = forms.ChoiceField(label=_("Alerts"), choices=WHO, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=SHOWN_STATUSES, required=False)

    def chosen(self) -> tuple[str, str]:
        """(who, status), the defaults for anything missing or not a choice."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("who") or "all", data.get("status") or "unresolved"


def handlers(organization_id: int) -> QuerySet[User]:
    """The organization's active staff who may handle alerts: whom an alert can be assigned to."""
    roles = [role.value for role, perms in ROLE_PERMISSIONS.items() if Perm.ALERT_HANDLE in perms]
    return User.objects.filter(organization_id=organization_id, is_active=True, role__in=roles).order_by(
        "display_name", "username"
    )


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none())

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assigned_to"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = handlers(organization_id)


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: called the patient, assessed the risk, referred to psychiatry."),
    )
