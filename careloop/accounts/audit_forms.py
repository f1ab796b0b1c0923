"""The audit page's filters: which patient, which action (in words), who, when.

They are posted and kept in the session under an opaque token (`careloop.searchtokens`), as the
patient search is: a name or number typed into the patient box never reaches a URL or an access log.
"""

import datetime
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts import audit_labels
from careloop.accounts.audit_patients import audit_patients
from careloop.accounts.models import AuditEntry, User


def _action_choices() -> list[tuple[str, str]]:
    return [("", str(_("All actions"))), *audit_labels.action_choices()]


class StaffChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.username})"


class AuditFilterForm(forms.Form):
    patient = forms.CharField(
        label=_("Patient"),
        required=False,
        max_length=60,
        widget=forms.TextInput(
            attrs={"placeholder": _("Name, pinyin initials, ID or mobile number"), "autocomplete": "off"}
        ),
    )
    action = forms.ChoiceField(label=_("Action"), required=False, choices=_action_choices)
    user = StaffChoiceField(
        label=_("User"), queryset=User.objects.none(), required=False, empty_label=_("Everyone")
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = user
        assert user.organization_id is not None  # the page lets in only staff of an organization
        user_field = cast("StaffChoiceField", self.fields["user"])
        user_field.queryset = User.objects.filter(organization_id=user.organization_id).order_by("username")

    def filter(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        """The entries the valid filters leave (the organization's scope is the caller's)."""
        if not self.is_valid():
            return entries
        data = self.cleaned_data
        if data["patient"]:
            patients = audit_patients().found(self.viewer, data["patient"])
            entries = entries.filter(patient_id__in=patients.values("pk"))
        if data["action"]:
            entries = entries.filter(audit_labels.action_filter(data["action"]))
        if data["user"]:
            entries = entries.filter(actor=data["user"])
        tz = timezone.get_current_timezone()
        if data["since"]:
            entries = entries.filter(at__gte=datetime.datetime.combine(data["since"], datetime.time.min, tz))
        if data["until"]:
            next_day = data["until"] + datetime.timedelta(days=1)
            entries = entries.filter(at__lt=datetime.datetime.combine(next_day, datetime.time.min, tz))
        return entries
