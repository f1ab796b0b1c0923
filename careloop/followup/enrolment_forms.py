"""The forms of enrolling a patient by hand, ending a plan and correcting its anchor date."""

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.followup.models import END_REASONS, Protocol

# What staff end a plan for by hand. "plan_ended" is the sweep's: the last step was done.
STAFF_END_REASONS = ("staff", "goal_met", "refused", "consent_withdrawn", "moved", "deceased")
# How far from today an anchor may be: a typo (2062 for 2026) must not make decades of tasks, nor none.
ANCHOR_REACH_DAYS = 365


def _anchor_field() -> forms.DateField:
    return forms.DateField(
        label=_("Anchor date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The day the schedule counts from: the discharge date, or the day of enrolment."),
    )


def _within_reach(anchor: datetime.date) -> datetime.date:
    today = timezone.localdate()
    reach = datetime.timedelta(days=ANCHOR_REACH_DAYS)
    if not today - reach <= anchor <= today + reach:
        raise forms.ValidationError(
            _("Choose a date within a year of today (%(start)s to %(end)s)."),
            params={"start": today - reach, "end": today + reach},
        )
    return anchor


class EnrolForm(forms.Form):
    protocol = forms.ModelChoiceField(queryset=Protocol.objects.none(), label=_("Protocol"))
    anchor = _anchor_field()

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"anchor": timezone.localdate()})
        super().__init__(*args, **kwargs)
        field = self.fields["protocol"]
        assert isinstance(field, forms.ModelChoiceField)
        # Only the organization's protocols in use: another's, or one switched off, is not a choice.
        field.queryset = Protocol.objects.filter(organization_id=organization_id, status="active").order_by(
            "key"
        )

    def clean_anchor(self) -> datetime.date:
        return _within_reach(self.cleaned_data["anchor"])


class EndForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why end this plan"),
        choices=[(code, label) for code, label in END_REASONS if code in STAFF_END_REASONS],
    )


class AnchorForm(forms.Form):
    anchor = _anchor_field()

    def clean_anchor(self) -> datetime.date:
        return _within_reach(self.cleaned_data["anchor"])
