"""The worklist's filters and bulk reassignment, and the outcome of a contact on the task page."""

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Department, User
from careloop.accounts.roles import ROLE_PERMISSIONS, Perm
from careloop.followup.choices import CHANNELS
from careloop.followup.contact_models import OUTCOMES
from careloop.followup.models import Protocol, Task
from careloop.followup.recording_forms import refusal_message
from careloop.followup.worklist import PAGE_SIZE, Filters
from careloop.patients.models import Tag

NOTE_LIMIT = 2000
NEXT_CONTACT_LIMIT_DAYS = 366


class WorklistFilter(forms.Form):
    protocol = forms.ChoiceField(label=_("Protocol"), required=False)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.none(), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("Any channel")), *CHANNELS], required=False
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        protocols = Protocol.objects.filter(organization_id=organization_id).exclude(status="draft")
        names = {protocol.key: protocol.name for protocol in protocols.order_by("key", "-version")}
        protocol_field: Any = self.fields["protocol"]
        protocol_field.choices = [("", _("Any protocol")), *sorted(names.items())]
        department: Any = self.fields["department"]
        department.queryset = Department.objects.filter(organization_id=organization_id).order_by("name")
        department.empty_label = _("Any department")
        tag: Any = self.fields["tag"]
        tag.queryset = Tag.objects.filter(organization_id=organization_id).order_by("name")
        tag.empty_label = _("Any tag")

    def chosen(self) -> Filters:
        data = self.cleaned_data if self.is_valid() else {}
        department, tag = data.get("department"), data.get("tag")
        return Filters(
            protocol=data.get("protocol") or "",
            department=department.pk if department else None,
            tag=tag.pk if tag else None,
            channel=data.get("channel") or "",
        )

    def query(self) -> str:
        """The filters as a query string, for the pagination links."""
        data = self.cleaned_data if self.is_valid() else {}
        parts = []
        for name in ("protocol", "department", "tag", "channel"):
            value = data.get(name)
            if value:
                parts.append(f"{name}={getattr(value, 'pk', value)}")
        return "&".join(parts)


def followup_staff(organization_id: int) -> QuerySet[User]:
    """The organization's active staff who work the worklist: whom tasks can be given to."""
    roles = [role.value for role, perms in ROLE_PERMISSIONS.items() if Perm.FOLLOWUP_WORK in perms]
    return User.objects.filter(organization_id=organization_id, is_active=True, role__in=roles).order_by(
        "display_name", "username"
    )


class ReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Give to"), queryset=User.objects.none())
    tasks = forms.ModelMultipleChoiceField(queryset=Task.objects.none())

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee: Any = self.fields["assignee"]
        assignee.queryset = followup_staff(organization_id)
        tasks: Any = self.fields["tasks"]
        tasks.queryset = Task.objects.filter(organization_id=organization_id, status="pending")

    def clean_tasks(self) -> QuerySet[Task]:
        tasks: QuerySet[Task] = self.cleaned_data["tasks"]
        if len(tasks) > PAGE_SIZE * 4:
            raise forms.ValidationError(_("At most %(limit)s tasks at once.") % {"limit": PAGE_SIZE * 4})
        return tasks


class ContactForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES, widget=forms.RadioSelect)
    channel = forms.ChoiceField(label=_("Channel"), choices=CHANNELS)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_LIMIT, widget=forms.Textarea(attrs={"rows": 4})
    )
    next_contact_on = forms.DateField(
        label=_("Next contact"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    recording = forms.FileField(
        label=_("Call recording"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*,.amr"}),
    )

    def __init__(self, *args: Any, cut_short: bool = False, **kwargs: Any) -> None:
        """`cut_short`: the recording was stopped at the size limit (requestsize.upload_cut_short); the
        rest of the form never arrived, so nothing is recorded and the page says why."""
        super().__init__(*args, **kwargs)
        self.cut_short = cut_short

    def clean(self) -> dict[str, Any]:
        if self.cut_short:
            self.add_error("recording", refusal_message("too_large"))
        return super().clean() or {}

    def clean_next_contact_on(self) -> datetime.date | None:
        day: datetime.date | None = self.cleaned_data.get("next_contact_on")
        today = timezone.localdate()
        if day is not None and not today <= day <= today + datetime.timedelta(days=NEXT_CONTACT_LIMIT_DAYS):
            raise forms.ValidationError(_("Choose a day from today to a year ahead."))
        return day
